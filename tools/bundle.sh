#!/usr/bin/env bash
# Packs the release build into one self-contained tarball that runs on a
# Debian-12-compatible x86-64 server with nothing installed but the base system
# and Python 3: deltaplane, dpdk-testpmd, every shared library they and the
# bundled PMDs load (DPDK's and the third-party ones: libisal, libnuma, libpcap,
# libhwloc, libbsd, libfdt, libibverbs, ...), the tools and the bench scripts.
#
#   tools/bundle.sh                         # -> build/deltaplane-bundle.tar.gz
#   tools/bundle.sh --out /tmp/dp.tar.gz --build build
#   tar xzf deltaplane-bundle.tar.gz && cd deltaplane-*/ && ./bin/deltaplane --no-pci ...
#
# What is taken from the target system: glibc (libc, libm, ld.so, ...) and
# libgcc_s only, whose ABI every Debian-12-compatible system keeps; the launcher
# checks the glibc version the bundle needs. Everything else comes from the
# bundle, libstdc++ included: the binary needs the GLIBCXX symbols of the
# compiler that built it (GCC 12), which an older distribution's libstdc++
# lacks, and no other C++ library shares the process, so a private copy
# cannot clash.
#
# Only the bundle's DPDK: the launchers (bin/*) set LD_LIBRARY_PATH to the
# bundle's lib/ and pass `-d lib/dpdk/pmds-<ABI>` to the EAL. DPDK 22.11 reads
# no environment variable for its plugin path: RTE_EAL_PMD_PATH is a build-time
# constant, and the EAL loads every PMD in that directory *in addition to* -d
# whenever it exists (eal_plugins_init). On a machine with Debian's DPDK
# installed, the system PMDs would be loaded into the bundle's process. So the
# bundle's copy of librte_eal has that compiled-in path blanked (its first byte
# set to NUL, which the EAL treats as "no default directory"); the script checks
# that exactly one such string was changed.
#
# PMDs: every bus, mempool and net PMD of the system's PMD directory
# (PMD_CLASSES="bus mempool net" to change), plus the common/other PMD libraries
# they or the binaries link, minus those whose libraries are missing here (said
# so). Every .so in the -d directory is dlopen()ed at EAL start and one failure
# stops the EAL, so each PMD shipped has its whole dependency closure shipped.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD="$ROOT/build"
OUT=""
PMD_CLASSES=${PMD_CLASSES:-"bus mempool net"}
LIMIT_MIB=64

while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD=$(cd "$2" && pwd); shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed 's/^# \{0,1\}//; /^set -euo/d'; exit 0 ;;
    *) echo "bundle.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
OUT=${OUT:-"$BUILD/deltaplane-bundle.tar.gz"}
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac

DP="$BUILD/app/deltaplane"
[ -x "$DP" ] || { echo "bundle.sh: $DP not found: build first (tools/build.sh)" >&2; exit 1; }
TESTPMD=$(command -v dpdk-testpmd || true)
[ -n "$TESTPMD" ] || { echo "bundle.sh: dpdk-testpmd not found (apt-get install dpdk)" >&2; exit 1; }
VALIDATE="$BUILD/tools/dp-validate-pcap"

REV=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | head -c1 | wc -c)
NAME="deltaplane-$REV"

# The EAL the binary links, and its compiled-in plugin directory.
EAL=$(ldd "$DP" | awk '$1 ~ /^librte_eal\.so/ {print $3}')
[ -n "$EAL" ] || { echo "bundle.sh: $DP does not link librte_eal" >&2; exit 1; }
PMD_DIR=$(python3 - "$EAL" <<'EOF'
import re, sys
m = re.search(rb"DPDK_PLUGIN_PATH=([^\0]+)\0", open(sys.argv[1], "rb").read())
print(m.group(1).decode() if m else "")
EOF
)
[ -d "$PMD_DIR" ] || { echo "bundle.sh: the EAL's PMD directory '$PMD_DIR' is missing" >&2; exit 1; }
PMD_SUB="dpdk/$(basename "$PMD_DIR")"           # dpdk/pmds-23.0, as Debian lays it out
DPDK_VERSION=$(pkg-config --modversion libdpdk 2>/dev/null || echo unknown)

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/dp-bundle.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
B="$STAGE/$NAME"
mkdir -p "$B/bin" "$B/libexec" "$B/lib/$PMD_SUB" "$B/tools" "$B/bench" "$B/build/app"

# Libraries the target system provides (glibc and libgcc_s); everything else is bundled.
is_system_lib() {
  case "$1" in
    linux-vdso.so.*|ld-linux-x86-64.so.*|libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|\
    librt.so.*|libresolv.so.*|libutil.so.*|libanl.so.*|libgcc_s.so.*) return 0 ;;
  esac
  return 1
}

# PMDs of the chosen classes whose dependencies all resolve here.
ELVES=("$DP" "$TESTPMD")
[ -x "$VALIDATE" ] && ELVES+=("$VALIDATE")
SKIPPED=()
for class in $PMD_CLASSES; do
  for f in "$PMD_DIR"/librte_"${class}"_*.so.*.*; do
    if [ ! -f "$f" ] || [ -L "$f" ]; then continue; fi
    missing=$(ldd "$f" 2>/dev/null | awk '/not found/ {print $1}' | tr '\n' ' ')
    if [ -n "$missing" ]; then
      SKIPPED+=("$(basename "$f"): needs ${missing% }")
      continue
    fi
    ELVES+=("$f")
  done
done

# The dependency closure (ldd resolves it recursively) of every binary and PMD.
declare -A LIB_SRC=()
for e in "${ELVES[@]}"; do
  while read -r soname path; do
    [ -n "$path" ] || continue
    is_system_lib "$soname" && continue
    LIB_SRC[$soname]=$path
  done < <(ldd "$e" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}')
done

# A library whose real file is in the PMD directory goes there (the EAL loads it
# with -d) with a lib/<soname> link, as Debian does; the others go into lib/.
place_pmd() {  # real-file-path -> copies into lib/$PMD_SUB, links lib/<soname>
  local real base soname
  real=$(readlink -f "$1"); base=$(basename "$real")
  soname=$(readelf -d "$real" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
  cp -p "$real" "$B/lib/$PMD_SUB/$base"
  ln -sf "$PMD_SUB/$base" "$B/lib/${soname:-$base}"
}
for e in "${ELVES[@]}"; do  # the PMDs chosen by class
  case "$e" in "$PMD_DIR"/*) place_pmd "$e" ;; esac
done
for soname in "${!LIB_SRC[@]}"; do
  real=$(readlink -f "${LIB_SRC[$soname]}")
  case "$real" in
    "$PMD_DIR"/*) place_pmd "$real" ;;
    *) cp -p "$real" "$B/lib/$soname" ;;
  esac
done

cp -p "$DP" "$B/libexec/deltaplane"
cp -p "$TESTPMD" "$B/libexec/dpdk-testpmd"
[ -x "$VALIDATE" ] && cp -p "$VALIDATE" "$B/libexec/dp-validate-pcap"

# Blank the EAL's compiled-in plugin directory (see the header).
python3 - "$B/lib/$(basename "$EAL")" "$PMD_DIR" <<'EOF'
import sys
path, pmd_dir = sys.argv[1], sys.argv[2].encode()
data = bytearray(open(path, "rb").read())
hits, i = [], data.find(pmd_dir)
while i >= 0:
    # The bare NUL-terminated string is default_solib_dir; the one after
    # "DPDK_PLUGIN_PATH=" is only a marker for dpdk-pmdinfo and stays.
    if data[i - 1] == 0 and data[i + len(pmd_dir)] == 0:
        hits.append(i)
    i = data.find(pmd_dir, i + 1)
if len(hits) != 1:
    sys.exit(f"bundle.sh: expected one default plugin path in {path}, found {len(hits)}: not patching blindly")
data[hits[0]] = 0
open(path, "wb").write(data)
EOF

# The newest glibc symbol version anything in the bundle needs (the launchers check it).
GLIBC_MIN=$(find "$B/libexec" "$B/lib" -type f -print0 | xargs -0 objdump -T 2>/dev/null |
  grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)

# Launchers: only the bundle's libraries (LD_LIBRARY_PATH replaced, not extended)
# and only its PMDs (-d; the default directory is blanked above).
launcher() {  # name, whether it takes EAL arguments
  cat > "$B/bin/$1" <<EOF
#!/bin/sh
# Runs the bundle's $1 with the bundle's libraries$([ "$2" = eal ] && echo " and PMDs") only.
root=\$(cd "\$(dirname "\$(readlink -f "\$0")")/.." && pwd)
need=$GLIBC_MIN
have=\$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print \$2}')
if [ -n "\$have" ] && [ "\$(printf '%s\n%s\n' "\$need" "\$have" | sort -V | head -n1)" != "\$need" ]; then
  echo "$1 (bundle): needs glibc >= \$need, this system has \$have" >&2
  exit 1
fi
LD_LIBRARY_PATH="\$root/lib"
export LD_LIBRARY_PATH
EOF
  if [ "$2" = eal ]; then
    # The EAL refuses a -d directory with a world-writable ancestor (/tmp too):
    # say so in one line instead of its "Cannot init plugins".
    cat >> "$B/bin/$1" <<EOF
d="\$root/lib/$PMD_SUB"
while [ "\$d" != / ]; do
  case \$(stat -L -c %A "\$d") in
    ????????w?) echo "$1 (bundle): DPDK loads no PMDs from under the world-writable \$d:" \\
                     "unpack the bundle elsewhere (e.g. /opt or \\\$HOME)" >&2
                exit 1 ;;
  esac
  d=\$(dirname "\$d")
done
EOF
    echo "exec \"\$root/libexec/$1\" -d \"\$root/lib/$PMD_SUB\" \"\$@\"" >> "$B/bin/$1"
  else
    echo "exec \"\$root/libexec/$1\" \"\$@\"" >> "$B/bin/$1"
  fi
  chmod 755 "$B/bin/$1"
}
launcher deltaplane eal
launcher dpdk-testpmd eal
[ -x "$VALIDATE" ] && launcher dp-validate-pcap plain
# The bench scripts look for build/app/deltaplane under their root.
ln -s ../../bin/deltaplane "$B/build/app/deltaplane"

for t in deltaplane-ctl deltaplane-exporter gen_traffic.py plot_bench.py; do
  [ -f "$ROOT/tools/$t" ] && cp -p "$ROOT/tools/$t" "$B/tools/"
done
cp -p "$ROOT"/bench/*.py "$B/bench/"
ln -s ../tools/deltaplane-ctl "$B/bin/deltaplane-ctl"

cat > "$B/README.txt" <<EOF
deltaplane $REV, DPDK $DPDK_VERSION, bundled $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(. /etc/os-release && echo "$PRETTY_NAME").
Needs: x86-64 Linux, glibc >= $GLIBC_MIN, Python 3 for the tools and bench scripts
(matplotlib only for plots), hugepages for real runs (or --no-huge), root or the
usual DPDK capabilities.

  bin/deltaplane -l 0-1 --no-pci --in-memory --vdev net_null0 --vdev net_null1 -- --fwd io --duration 5
  bin/dpdk-testpmd -l 0-1 --no-pci --in-memory --vdev net_null0 -- --port-topology=loop -a
  python3 bench/scaling.py                 # multi-core scaling -> results/scaling-HOST.{json,md,png}
  python3 bench/scaling.py --replot --out results/scaling-HOST   # the plot, where matplotlib is
  tools/deltaplane-ctl ...                 # telemetry client of a running deltaplane

Unpack it outside /tmp: the EAL loads no PMDs from under a world-writable directory.
bin/* set LD_LIBRARY_PATH=lib and pass -d lib/$PMD_SUB to the EAL: only the
bundle's DPDK is loaded (its librte_eal has the compiled-in PMD path blanked).
Bus, mempool and net PMDs are included; MANIFEST.json lists every file and
where it came from.
EOF

python3 - "$B" "$REV" "$DIRTY" "$DPDK_VERSION" "$GLIBC_MIN" "$PMD_DIR" "${SKIPPED[@]+"${SKIPPED[@]}"}" <<'EOF'
import json, os, platform, sys, time
b, rev, dirty, dpdk, glibc, pmd_dir, *skipped = sys.argv[1:]
files = []
for d, _, names in os.walk(b):
    for n in sorted(names):
        p = os.path.join(d, n)
        rel = os.path.relpath(p, b)
        if os.path.islink(p):
            files.append({"path": rel, "link": os.readlink(p)})
        else:
            files.append({"path": rel, "bytes": os.path.getsize(p)})
json.dump({"name": os.path.basename(b), "git_revision": rev, "git_dirty": dirty != "0",
           "dpdk_version": dpdk, "glibc_min": glibc, "system_pmd_dir": pmd_dir,
           "bundled_on": platform.node(), "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "pmds_skipped": skipped, "files": sorted(files, key=lambda f: f["path"])},
          open(os.path.join(b, "MANIFEST.json"), "w"), indent=1)
EOF

mkdir -p "$(dirname "$OUT")"
tar -C "$STAGE" --owner=0 --group=0 -cf - "$NAME" | gzip -9 > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
packed=$(stat -c %s "$OUT")
unpacked=$(du -sb "$B" | cut -f1)
npmd=$(find "$B/lib/$PMD_SUB" -type f | wc -l)
nlib=$(find "$B/lib" -maxdepth 1 \( -type f -o -type l \) | wc -l)
for s in "${SKIPPED[@]+"${SKIPPED[@]}"}"; do echo "bundle.sh: PMD left out: $s"; done
awk -v p="$packed" -v u="$unpacked" -v out="$OUT" -v n="$NAME" -v pm="$npmd" -v nl="$nlib" -v g="$GLIBC_MIN" 'BEGIN {
  printf "bundle.sh: %s -> %s\n", n, out
  printf "bundle.sh: %d libraries and links in lib/, %d PMD files; needs glibc >= %s\n", nl, pm, g
  printf "bundle.sh: size %.1f MiB packed (%d B), %.1f MiB unpacked\n", p / 1048576, p, u / 1048576 }'
if [ "$packed" -ge $((LIMIT_MIB * 1024 * 1024)) ]; then
  echo "bundle.sh: the bundle exceeds $LIMIT_MIB MiB" >&2
  exit 1
fi
