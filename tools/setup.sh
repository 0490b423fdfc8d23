#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine: Debian packages, then 2 MiB
# hugepages when the kernel lets us. Safe to run again; changes nothing twice.
set -euo pipefail

PACKAGES=(
  build-essential g++ clang clang-format libclang-rt-14-dev
  meson ninja-build pkg-config
  dpdk dpdk-dev libdpdk-dev libisal-dev libhwloc-dev libnuma-dev libpcap-dev
  libxxhash-dev libgtest-dev libbenchmark-dev
  python3 python3-scapy python3-matplotlib tshark iperf3 iproute2 procps
  ethtool iputils-ping tcpdump
)
HUGEPAGES=${DELTAPLANE_HUGEPAGES:-512}

log() { printf 'setup: %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root for: $*"; return 1; fi
}

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer no without a prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | as_root debconf-set-selections || true
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "all Debian packages present"
fi

# Hugepages: best effort. Tests and the demo fall back to --no-huge.
hp_file=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
if [ -w "$hp_file" ] || [ "$(id -u)" -eq 0 ]; then
  have=$(cat "$hp_file" 2>/dev/null || echo 0)
  if [ "$have" -lt "$HUGEPAGES" ]; then
    echo "$HUGEPAGES" | as_root tee "$hp_file" >/dev/null 2>&1 || true
  fi
  have=$(cat "$hp_file" 2>/dev/null || echo 0)
  if ! mount | grep -q 'type hugetlbfs'; then
    as_root mkdir -p /dev/hugepages && as_root mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
  fi
  if [ "$have" -gt 0 ] && mount | grep -q 'type hugetlbfs'; then
    log "hugepages: $have x 2 MiB reserved, hugetlbfs mounted"
  else
    log "hugepages: could not reserve or mount (have $have); deltaplane will run with --no-huge"
  fi
else
  log "hugepages: not root, cannot reserve; deltaplane will run with --no-huge"
fi
