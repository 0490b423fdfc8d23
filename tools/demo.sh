#!/usr/bin/env bash
# The main job on an embedded default, nothing outside this repository needed:
# a pair of deltaplane gateways facing each other across a WAN link, both in
# one process on virtual devices, carrying generated traffic both ways.
#
#   LAN A (net_null0, synthetic)          LAN B (net_null1, synthetic)
#        port 0                                   port 1
#          |  gateway A: lcore 1           gateway B: lcore 2  |
#        port 2 (wire_a) <==== WAN link (--wire) ====> port 3 (wire_b)
#
# Each LAN sends a mix of flows (slowly changing records, web pages,
# incompressible data) to the other; each gateway encodes what its LAN sends
# and decodes what the WAN brings. Periodic stats show ports, lcores, drops by
# reason and the bytes the encoders put on the WAN; at the end the verdict
# compares, by count and CRC-32 digest, every frame that entered an encoder with
# every frame that left a decoder. The JSON summary goes to build/demo-summary.json.
#
# Environment: RATE (frames/s per direction, 50k: what one gateway lcore
# carries on this 2-vCPU VM without its NIC ring overflowing, with room to
# spare; 0: as fast as the gateways go, and the run ends exactly when every
# frame has crossed), FRAMES (per direction, 500k),
# WIRE (impairments, e.g. loss=0.01,flip=0.001; default clean), JSON (summary path),
# DELTAPLANE_BINARY (default build/app/deltaplane).
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${RATE:-50k}
FRAMES=${FRAMES:-500k}
WIRE=${WIRE:-clean}
JSON=${JSON:-build/demo-summary.json}
BINARY=${DELTAPLANE_BINARY:-build/app/deltaplane}

free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)
if [ "$free" -ge 256 ]; then mem=(--in-memory); else
  echo "demo: no free hugepages, running with --no-huge"
  mem=(--no-huge -m 1024 --file-prefix "deltaplane-demo-$$")
  trap 'rm -rf /var/run/dpdk/deltaplane-demo-$$' EXIT
fi
# Gateway A's lcore on CPU 1, gateway B's beside the (sleeping) control lcore.
if [ "$(nproc)" -ge 2 ]; then lcores=0@0,1@1,2@0; else lcores=0@0,1@0,2@0; fi

frames=$(echo "$FRAMES" | sed 's/k$/000/; s/M$/000000/')
traffic="flows=300,size=64-1400,payload=mix,tcp=0.7,count=$frames"
if [ "$RATE" = 0 ]; then
  # Unpaced: nothing is missed, so each frame is received twice (LAN, then
  # WAN): the run ends when all of them have been (or, over a lossy WAN, 3 s
  # after the last one came); a full wire waits, it does not drop.
  stop=(--max-packets $((4 * frames)) --idle-timeout 3 --tx-retry 1000 --tx-retry-delay 50)
else
  traffic="$traffic,rate=$RATE,ring=4096"
  stop=(--idle-timeout 1 --duration 60)
fi
echo "demo: two deltaplane gateways, $RATE frames/s each way, $FRAMES frames each way, WAN link $WIRE"
"$BINARY" --lcores "$lcores" --no-pci "${mem[@]}" --log-level=warning \
  --vdev net_null0 --vdev net_null1 -- \
  --fwd gateway --wire "$WIRE" --audit on \
  --ports 0,2,3,1 --wan-ports 2,3 --config "(0,0,1),(2,0,1),(3,0,2),(1,0,2)" \
  --synth "0:$traffic,seed=1" --synth "1:$traffic,seed=2" \
  "${stop[@]}" --stats-period 2 --stats-json "$JSON"
/usr/bin/env python3 - "$JSON" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["audit"]
print(f"demo: {'lossless' if a['lossless'] else 'NOT lossless'}; "
      f"WAN carried {100 * a['wan_bytes'] / max(a['lan_bytes'], 1):.1f}% of the LAN bytes; "
      f"summary in {sys.argv[1]}")
sys.exit(0 if a["lossless"] else 1)
PY
