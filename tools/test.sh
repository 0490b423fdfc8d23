#!/usr/bin/env bash
# The whole test suite: unit and integration tests on the release build, then
# the unit tests, bounded fuzz runs and the integration tests again on a clang
# ASan+UBSan build. Ends with one "N passed, N failed, N skipped" line over
# every test case that ran.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0

run_suite() {  # build-dir, meson test args...
  local dir=$1; shift
  meson test -C "$dir" --print-errorlogs --num-processes 1 "$@" || status=1
}

run_suite build --suite unit --suite integration

if [ "${DELTAPLANE_SKIP_SANITIZERS:-0}" != 1 ]; then
  if [ ! -f build-san/build.ninja ]; then
    CC=clang CXX=clang++ meson setup build-san -Dfuzz=true -Db_sanitize=address,undefined \
      -Db_lundef=false -Dbenchmarks=false -Dbuildtype=debugoptimized >/dev/null || status=1
  fi
  if ninja -C build-san; then
    # The integration tests again with the sanitized binary, except the
    # multi-process one (ASan's shadow memory takes the addresses a DPDK
    # secondary process, dpdk-proc-info or dpdk-dumpcap, must map) and the
    # one that builds a copy of the tree (the same code, built twice over).
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 run_suite build-san --suite unit \
      --suite fuzz --suite integration --no-suite multiprocess --no-suite build
  else
    echo "sanitizer build failed"; status=1
  fi
fi

/usr/bin/env python3 - <<'PY'
# One line over everything that ran, counted by test case: the Python tests
# print "N passed, N failed, N skipped", GoogleTest its [  PASSED  ] and
# [  SKIPPED  ] lines; anything else counts as one case with meson's result.
import json, pathlib, re
passed = failed = skipped = 0
for d in ("build", "build-san"):
    log = pathlib.Path(d) / "meson-logs" / "testlog.json"
    if not log.exists():
        continue
    for line in log.read_text().splitlines():
        r = json.loads(line)
        out, result = r.get("stdout") or "", r["result"]
        py = re.findall(r"^(-?\d+) passed, (\d+) failed, (\d+) skipped$", out, re.M)
        gt_run = re.search(r"^\[==========\] (\d+) tests? from .* ran", out, re.M)
        if py:
            p, f, s = map(int, py[-1])
        elif gt_run:
            total = int(gt_run.group(1))
            s = sum(int(x) for x in re.findall(r"^\[  SKIPPED \] (\d+) test", out, re.M))
            f = sum(int(x) for x in re.findall(r"^\[  FAILED  \] (\d+) test", out, re.M))
            p = total - s - f
        else:
            p, f, s = (result == "OK"), result not in ("OK", "SKIP"), result == "SKIP"
        if result not in ("OK", "SKIP") and f == 0:
            f = 1  # the binary failed (crash, timeout) whatever it printed
        passed, failed, skipped = passed + p, failed + f, skipped + s
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
