#!/bin/sh
# Runs every libFuzzer target for longer than the suite does (default 10 min
# each): tools/fuzz.sh [SECONDS]. Builds the clang ASan+UBSan tree (build-san/,
# as tools/test.sh does) if needed. Corpora grow in fuzz-work/ (never in the
# source tree); crashes land there as crash-*: copy one into the target's seed
# folder under tests/fuzz/ as a regression input, then fix the bug.
set -eu
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-600}
if [ ! -f build-san/build.ninja ]; then
  CC=clang CXX=clang++ meson setup build-san -Dfuzz=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbenchmarks=false -Dbuildtype=debugoptimized >/dev/null
fi
ninja -C build-san
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
mkdir -p fuzz-work
status=0
for t in packet codec codec_v2 config telemetry; do
  work=fuzz-work/$t
  mkdir -p "$work"
  case $t in
    packet) seeds=build-san/tests/fuzz/packet_corpus ;;
    codec_v2) seeds=build-san/tests/fuzz/codec_v2_corpus ;;
    *) seeds=tests/fuzz/${t}_corpus ;;
  esac
  echo "== ${t}_fuzz for ${SECONDS_EACH} s (corpus $work, seeds $seeds)"
  (cd "$work" && "../../build-san/tests/fuzz/${t}_fuzz" -max_total_time="$SECONDS_EACH" \
      -rss_limit_mb=2048 -print_final_stats=1 . "../../$seeds") || status=1
done
[ $status -eq 0 ] && echo "fuzz: all targets ran clean" || echo "fuzz: a target failed (see crash-* in fuzz-work/)"
exit $status
