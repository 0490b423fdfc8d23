#!/usr/bin/env bash
# The main job on an embedded default, no NIC needed: two real captures from
# ../shared/pcaps replayed endlessly by net_pcap vdevs, forwarded port 0 <-> 1 by
# deltaplane in io mode for a few seconds, with periodic stats and the final
# summary (also written as JSON to build/demo-summary.json).
set -euo pipefail
cd "$(dirname "$0")/.."
PCAPS=${DELTAPLANE_PCAPS:-$(cd .. && pwd)/shared/pcaps}
DURATION=${DURATION:-5}
FWD=${FWD:-io}
free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)
if [ "$free" -ge 256 ]; then mem=(--in-memory -m 512); else
  echo "demo: no free hugepages, running with --no-huge"
  mem=(--no-huge -m 512 --file-prefix "deltaplane-demo-$$")
fi
set -x
exec build/app/deltaplane -l 0,1 --no-pci "${mem[@]}" --log-level=warning \
  --vdev "net_pcap0,rx_pcap=$PCAPS/http_espn.pcapng,infinite_rx=1" \
  --vdev "net_pcap1,rx_pcap=$PCAPS/afs.pcap,infinite_rx=1" \
  -- --fwd "$FWD" --duration "$DURATION" --stats-period 1 --stats-json build/demo-summary.json
