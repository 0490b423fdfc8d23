#!/usr/bin/env bash
# End to end with the Linux kernel as the traffic source and sink:
#
#   client ns (c0) <-veth-> cA | gateway A | wA <-veth (WAN)-> wB | gateway B | sB <-veth-> s0 (server ns)
#
# Two deltaplane gateways (--fwd gateway) on net_af_packet vdevs bridge one L2
# segment (10.77.0.0/24, fd00:77::/64) between two network namespaces across a
# WAN veth pair that carries the encoded tunnel. The script then checks ARP/ND,
# IPv4 and IPv6 ping, a TCP transfer with sha256, iperf3 throughput and the
# bytes the encoder saves on a compressible UDP stream, stops both gateways
# with SIGTERM and checks their accounting. See docs/e2e.md.
#
# Safety: every DPDK process gets --no-pci, only net_af_packet vdevs on the
# veths created here, --no-huge and its own --file-prefix. Everything the
# script creates (namespaces, veths, processes, DPDK runtime dirs, temp files)
# is removed on every exit path. Addresses are 10.77.0.0/16 and fd00:77::/64,
# used only inside the two namespaces and on the private WAN veth pair.
#
# Exit: 0 all checks passed, 1 a check failed, 2 usage, 77 skipped (not root,
# network namespaces not permitted, or a needed tool missing).
set -uo pipefail

SKIP=77
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
BIN=${DELTAPLANE_BIN:-${DELTAPLANE_BUILD:-$SRC/build}/app/deltaplane}
TRANSFER_MIB=50
IPERF_SECONDS=3
STREAM_SECONDS=3
STREAM_PPS=2000
LCORES_A=${E2E_LCORES_A:-0@0,1@1}
LCORES_B=${E2E_LCORES_B:-0@0,1@0}
MEM_MB=256
KEEP=""
CAPTURE=0
PY=${PYTHON:-$(command -v python3 || true)}

usage() {
  cat <<EOF
usage: $0 [options]
  --binary PATH        deltaplane binary (default $BIN)
  --transfer-mib N     size of the TCP transfer checked by sha256 (default $TRANSFER_MIB)
  --iperf-seconds N    iperf3 duration (default $IPERF_SECONDS)
  --stream-seconds N   compressible UDP stream duration (default $STREAM_SECONDS)
  --stream-pps N       datagrams per second of that stream (default $STREAM_PPS)
  --lcores-a L         EAL --lcores of gateway A (default $LCORES_A)
  --lcores-b L         EAL --lcores of gateway B (default $LCORES_B)
  --keep DIR           keep logs, JSON summaries (and captures) in DIR
  --capture            tcpdump the first 128 bytes of every frame on cA and wA (needs --keep)
Exit codes: 0 pass, 1 fail, 2 usage, $SKIP skipped.
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --binary) BIN=$2; shift 2 ;;
    --transfer-mib) TRANSFER_MIB=$2; shift 2 ;;
    --iperf-seconds) IPERF_SECONDS=$2; shift 2 ;;
    --stream-seconds) STREAM_SECONDS=$2; shift 2 ;;
    --stream-pps) STREAM_PPS=$2; shift 2 ;;
    --lcores-a) LCORES_A=$2; shift 2 ;;
    --lcores-b) LCORES_B=$2; shift 2 ;;
    --keep) KEEP=$2; shift 2 ;;
    --capture) CAPTURE=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "e2e: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

log() { printf 'e2e: %s\n' "$*"; }
skip() { printf 'e2e: SKIP: %s\n' "$*"; exit "$SKIP"; }

# ---- preconditions (skip, not fail, when the machine cannot do this) ----
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, veths, af_packet)"
for tool in ip ethtool ping iperf3 timeout sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || skip "'$tool' not found (Debian: apt-get install iproute2 ethtool iputils-ping iperf3 coreutils)"
done
[ -n "$PY" ] || skip "python3 not found"
if [ "$CAPTURE" = 1 ]; then
  command -v tcpdump >/dev/null 2>&1 || skip "--capture needs tcpdump"
  [ -n "$KEEP" ] || { echo "e2e: --capture needs --keep DIR" >&2; exit 2; }
fi
[ -x "$BIN" ] || { echo "e2e: FAIL: no deltaplane binary at $BIN (build it first)" >&2; exit 1; }

# ---- names: unique per run, interface names <= 15 characters ----
S=$(printf '%04x' $(( ($$ ^ RANDOM) & 0xffff )))
NS_C=dpc-$S
NS_S=dps-$S
IF_CA=cA-$S
IF_WA=wA-$S
IF_WB=wB-$S
IF_SB=sB-$S
PREFIX_A=dpe2e-a-$S
PREFIX_B=dpe2e-b-$S
TMP=$(mktemp -d /tmp/dp-e2e-$S.XXXX)
PIDS=()
CREATED_NS=()
CREATED_IF=()
GW_A=""
GW_B=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  # Processes this script started, newest first, by PID.
  local i pid
  for (( i=${#PIDS[@]}-1; i>=0; i-- )); do
    pid=${PIDS[$i]}
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
  done
  for (( i=0; i<50; i++ )); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null; done
  # Anything still inside our own namespaces was started by us.
  local ns
  for ns in "${CREATED_NS[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
  done
  wait 2>/dev/null
  local ifc
  for ifc in "${CREATED_IF[@]}"; do
    ip link show "$ifc" >/dev/null 2>&1 && ip link del "$ifc" 2>/dev/null
  done
  for ns in "${CREATED_NS[@]}"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "/var/run/dpdk/$PREFIX_A" "/var/run/dpdk/$PREFIX_B"
  if [ -n "$KEEP" ]; then
    mkdir -p "$KEEP" && cp -a "$TMP"/. "$KEEP"/ 2>/dev/null
    rm -f "$KEEP/payload.bin" "$KEEP/received.bin"
  fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

FAILS=()
fail() { local m="$*"; m=${m//$'\n'/ }; log "FAIL: $m"; FAILS+=("$m"); }
die() { fail "$@"; report; exit 1; }

# ---- results ----
PING4="not run"; PING6="not run"; ARP="not run"; ND="not run"
SHA_OK=false; TRANSFER_S=0; IPERF_MBPS=0; IPERF_RETR=0; STREAM="not run"
STREAM_IN=0; STREAM_OUT=0; STREAM_SAVED_PCT=0; TCP_RETRANS=0
TCP_IN=0; TCP_OUT=0; TCP_SAVED_PCT=0
WAN_LOST_AB=0; WAN_LOST_BA=0; SOFTNET_DROPS=0

report() {
  log "summary ----------------------------------------"
  log "  ping IPv4            : $PING4"
  log "  ping IPv6            : $PING6"
  log "  ARP across           : $ARP"
  log "  ND across            : $ND"
  log "  TCP ${TRANSFER_MIB} MiB sha256   : $([ "$SHA_OK" = true ] && echo equal || echo DIFFERENT/not run) (${TRANSFER_S} s)"
  log "  TCP encoder bytes    : ${TCP_IN} B in -> ${TCP_OUT} B out (${TCP_SAVED_PCT}% saved; a log-like text file)"
  log "  iperf3               : ${IPERF_MBPS} Mbit/s received, ${IPERF_RETR} retransmits"
  log "  client TCP retrans   : $TCP_RETRANS segments"
  log "  compressible stream  : $STREAM"
  log "  WAN veth loss        : A->B $WAN_LOST_AB frames, B->A $WAN_LOST_BA frames (sent by one gateway, not received by the other)"
  log "  kernel backlog drops : $SOFTNET_DROPS (host-wide, during the run)"
  log "  stream encoder bytes : ${STREAM_IN} B in -> ${STREAM_OUT} B out (${STREAM_SAVED_PCT}% saved)"
  local g
  for g in A B; do
    [ -s "$TMP/$g.sum" ] && log "  gateway $g           : $(cat "$TMP/$g.sum")"
  done
  local status=pass
  [ ${#FAILS[@]} -eq 0 ] || status=fail
  log "  result               : $status${FAILS:+ (${#FAILS[@]} failed: ${FAILS[*]})}"
  # One machine-readable line for tests/integration/test_e2e_netns.py.
  E2E_STATUS=$status E2E_FAILS=$(printf '%s\n' "${FAILS[@]}") E2E_PING4=$PING4 E2E_PING6=$PING6 \
  E2E_ARP=$ARP E2E_ND=$ND E2E_MIB=$TRANSFER_MIB E2E_SHA=$SHA_OK E2E_SECONDS=$TRANSFER_S \
  E2E_MBPS=$IPERF_MBPS E2E_IRETR=$IPERF_RETR E2E_TRETR=$TCP_RETRANS E2E_SIN=$STREAM_IN \
  E2E_SOUT=$STREAM_OUT E2E_SPCT=$STREAM_SAVED_PCT E2E_WAB=$WAN_LOST_AB E2E_WBA=$WAN_LOST_BA \
  E2E_SOFTNET=$SOFTNET_DROPS E2E_TIN=$TCP_IN E2E_TOUT=$TCP_OUT E2E_TPCT=$TCP_SAVED_PCT \
  "$PY" - "$TMP" <<'PYEOF'
import json, os, sys
tmp, e = sys.argv[1], os.environ
def load(n):
    try:
        return json.load(open(os.path.join(tmp, n)))
    except (OSError, ValueError):
        return None
num = lambda k: float(e.get(k) or 0)
print("E2E_RESULT " + json.dumps({
    "status": e["E2E_STATUS"], "failures": [l for l in e["E2E_FAILS"].splitlines() if l],
    "ping4": e["E2E_PING4"], "ping6": e["E2E_PING6"], "arp": e["E2E_ARP"], "nd": e["E2E_ND"],
    "transfer_mib": num("E2E_MIB"), "sha256_equal": e["E2E_SHA"] == "true",
    "transfer_seconds": num("E2E_SECONDS"), "iperf3_mbps": num("E2E_MBPS"),
    "iperf3_retransmits": num("E2E_IRETR"), "client_tcp_retrans": num("E2E_TRETR"),
    "stream": load("udp_server.json"), "stream_sent": load("udp_client.json"),
    "stream_enc_bytes_in": num("E2E_SIN"), "stream_enc_bytes_out": num("E2E_SOUT"),
    "stream_saved_pct": num("E2E_SPCT"), "transfer_enc_bytes_in": num("E2E_TIN"),
    "transfer_enc_bytes_out": num("E2E_TOUT"), "transfer_saved_pct": num("E2E_TPCT"),
    "wan_lost_a_to_b": num("E2E_WAB"), "wan_lost_b_to_a": num("E2E_WBA"),
    "kernel_backlog_drops": num("E2E_SOFTNET"),
    "gateway_a": load("A.sum"), "gateway_b": load("B.sum")}))
PYEOF
}

# ---- topology ----
if ! ip netns add "$NS_C" 2>"$TMP/netns.err"; then
  skip "cannot create a network namespace: $(head -c 300 "$TMP/netns.err")"
fi
CREATED_NS+=("$NS_C")
ip netns add "$NS_S" || skip "cannot create a second network namespace"
CREATED_NS+=("$NS_S")

nsc() { ip netns exec "$NS_C" "$@"; }
nss() { ip netns exec "$NS_S" "$@"; }

setup_topology() {
  ip link add "$IF_CA" type veth peer name c0 netns "$NS_C" || return 1
  CREATED_IF+=("$IF_CA")
  ip link add "$IF_WA" type veth peer name "$IF_WB" || return 1
  CREATED_IF+=("$IF_WA")
  ip link add "$IF_SB" type veth peer name s0 netns "$NS_S" || return 1
  CREATED_IF+=("$IF_SB")
  local ifc
  # The root-namespace ends carry no address and must stay silent: no IPv6
  # link-local, router solicitations or DAD from the host on them.
  for ifc in "$IF_CA" "$IF_WA" "$IF_WB" "$IF_SB"; do
    sysctl -qw "net.ipv6.conf.$ifc.disable_ipv6=1" || return 1
  done
  ip link set "$IF_CA" mtu 1500 && ip link set "$IF_SB" mtu 1500 || return 1
  ip link set "$IF_WA" mtu 1600 && ip link set "$IF_WB" mtu 1600 || return 1
  nsc ip link set c0 mtu 1500 && nss ip link set s0 mtu 1500 || return 1
  # No offloads: every frame on a veth is a real <= MTU frame with its
  # checksums filled in, as on a wire.
  local off=(tx off rx off tso off gso off gro off)
  for ifc in "$IF_CA" "$IF_WA" "$IF_WB" "$IF_SB"; do ethtool -K "$ifc" "${off[@]}" >/dev/null 2>&1 || return 1; done
  nsc ethtool -K c0 "${off[@]}" >/dev/null 2>&1 && nss ethtool -K s0 "${off[@]}" >/dev/null 2>&1 || return 1
  nsc ip link set lo up && nss ip link set lo up || return 1
  nsc ip addr add 10.77.0.1/24 dev c0 && nsc ip addr add fd00:77::1/64 dev c0 nodad || return 1
  nss ip addr add 10.77.0.2/24 dev s0 && nss ip addr add fd00:77::2/64 dev s0 nodad || return 1
  for ifc in "$IF_CA" "$IF_WA" "$IF_WB" "$IF_SB"; do ip link set "$ifc" up || return 1; done
  # c0 and s0 come up once both gateways run (below): no frame enters a
  # gateway's veth before its af_packet socket exists, so kernel and
  # deltaplane counters can be compared frame for frame.
}
setup_topology || die "could not build the namespaces and veths"
log "topology: $NS_C/c0 10.77.0.1 <-> $IF_CA [A] $IF_WA <-WAN mtu 1600-> $IF_WB [B] $IF_SB <-> $NS_S/s0 10.77.0.2"

# ---- the helper (python3 standard library): TCP/UDP servers and clients ----
cat >"$TMP/helper.py" <<'PYEOF'
import hashlib, json, socket, sys, time

def tcp_server(host, port, out, ready):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port))); s.listen(1)
    open(ready, "w").close()
    c, _ = s.accept()
    h, n = hashlib.sha256(), 0
    with open(out, "wb") as f:
        while True:
            b = c.recv(1 << 16)
            if not b:
                break
            h.update(b); f.write(b); n += len(b)
    c.close()
    print(json.dumps({"bytes": n, "sha256": h.hexdigest()}))

def text_file(path, size):
    """`size` bytes of web-server-log-like lines from a fixed seed: what a
    compressor meets in real file transfers (repeated words, changing numbers)."""
    import random
    rnd = random.Random(7)
    paths = ["/index.html", "/api/v1/orders", "/static/app.js", "/img/logo.png", "/login",
             "/api/v1/users/%d", "/search?q=%s", "/cart", "/checkout", "/health"]
    words = ["alpha", "beta", "gamma", "delta", "router", "switch", "packet", "frame"]
    agents = ["Mozilla/5.0 (X11; Linux x86_64)", "curl/7.88.1", "Go-http-client/1.1"]
    size = int(size)
    with open(path, "w") as f:
        n, t = 0, 1700000000
        while n < size:
            t += rnd.randint(0, 3)
            p = rnd.choice(paths)
            p = p % rnd.randint(1, 99999) if "%d" in p else p % rnd.choice(words) if "%s" in p else p
            line = (f"10.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)} - - "
                    f"[{t}] \"{rnd.choice(['GET', 'GET', 'POST'])} {p} HTTP/1.1\" "
                    f"{rnd.choice([200, 200, 200, 304, 404])} {rnd.randint(100, 99999)} "
                    f"\"{rnd.choice(agents)}\"\n")
            line = line[:size - n]
            f.write(line)
            n += len(line)

def tcp_client(host, port, path):
    t0 = time.monotonic()
    s = socket.create_connection((host, int(port)), timeout=30)
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 16)
            if not b:
                break
            s.sendall(b)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)  # wait for the server to close: everything was received
    s.close()
    print(json.dumps({"seconds": time.monotonic() - t0}))

RECORD = ('{"site":"plant-7","sensor":"flow-meter-%s","seq":%010d,"unit":"m3/h",'
          '"status":"ok","alarms":[],"firmware":"4.2.1","location":{"hall":3,"line":12},'
          '"note":"%s"}')

def record(seq, size):
    body = RECORD % ("A", seq, "")
    pad = size - len(body)
    return (RECORD % ("A", seq, "x" * max(pad, 0))).encode()

def udp_server(host, port, ready, seconds, size):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((host, int(port)))
    s.settimeout(float(seconds))
    open(ready, "w").close()
    got, bad, seen = 0, 0, set()
    while True:
        try:
            b, _ = s.recvfrom(65535)
        except socket.timeout:
            break
        if b == b"END":
            break
        try:
            seq = int(b[b.index(b'"seq":') + 6:b.index(b'"seq":') + 16])
            ok = b == record(seq, int(size))
        except ValueError:
            ok = False
        if ok:
            got += 1; seen.add(seq)
        else:
            bad += 1
    print(json.dumps({"received": got, "distinct": len(seen), "corrupt": bad}))

def udp_client(host, port, seconds, pps, size):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((host, int(port)))
    seconds, pps, size = float(seconds), int(pps), int(size)
    t0, seq = time.monotonic(), 0
    while True:
        now = time.monotonic() - t0
        if now >= seconds:
            break
        due = int(now * pps) + 1
        while seq < due:
            s.send(record(seq, size)); seq += 1
        time.sleep(0.002)
    time.sleep(0.5)
    for _ in range(3):
        try:
            s.send(b"END")
        except ConnectionRefusedError:  # the server has already stopped
            break
        time.sleep(0.05)
    print(json.dumps({"sent": seq, "bytes": seq * size}))

def codec(path):
    """Last 'encoder:' line of a gateway's periodic output -> (bytes in, bytes out, frames)."""
    import re
    last = None
    for line in open(path, errors="replace"):
        m = re.search(r"encoder(?: \(v2\))?: (\d+) frames, (\d+) B in -> (\d+) B out", line)
        if m:
            last = m
    print(" ".join(last.groups()[1:] + last.groups()[:1]) if last else "0 0 0")

def summary(path):
    j = json.load(open(path))
    t, c = j["totals"], j.get("codec", {})
    drops = {k: v for k, v in j.get("drops", {}).items() if v}
    print(json.dumps({"balanced": t["balanced"], "rx": t["rx_packets"], "tx": t["tx_packets"],
                      "dropped": t["dropped"], "held": t["held"], "drops": drops,
                      "codec": {k: c.get(k, 0) for k in (
                          "enc_frames", "enc_bytes_in", "enc_bytes_out", "enc_keyframes",
                          "enc_deltas", "enc_raw", "enc_bypass", "dec_frames", "dec_keyframes",
                          "dec_deltas", "dec_raw", "dec_passthrough", "v2_packets",
                          "v2_hdr_compressed", "v2_match_bytes", "v2_dec_packets")},
                      "ports": [{k: p[k] for k in ("name", "rx_packets", "tx_packets", "hw_imissed",
                                                  "hw_ierrors", "hw_oerrors", "hw_rx_nombuf")}
                                for p in j.get("ports", [])]}))

def softnet_drops():
    """Backlog drops (netif_rx queue full) summed over CPUs: /proc/net/softnet_stat column 2."""
    print(sum(int(l.split()[1], 16) for l in open("/proc/net/softnet_stat")))

def ifstats(*names):
    """Kernel counters of interfaces, as 'name:path' pairs (path: /sys/class/net/NAME as seen here)."""
    out = {}
    for n in names:
        d = {}
        for k in ("rx_packets", "tx_packets", "rx_dropped", "tx_dropped", "rx_errors", "tx_errors"):
            try:
                d[k] = int(open(f"/sys/class/net/{n}/statistics/{k}").read())
            except OSError:
                pass
        out[n] = d
    print(json.dumps(out))

def wan_loss(a_path, b_path):
    """Frames one gateway handed to its WAN port that the other did not receive: A->B B->A."""
    a, b = json.load(open(a_path))["ports"], json.load(open(b_path))["ports"]
    print(a[1]["tx_packets"] - b[0]["rx_packets"], b[0]["tx_packets"] - a[1]["rx_packets"])

def ledger(a_path, b_path, kernel_path, ca, wa, wb, sb):
    """Every hop of both directions: kernel interface counters and gateway port counters."""
    k = {}
    for line in open(kernel_path):
        if line.strip():
            k.update(json.loads(line))
    a, b = json.load(open(a_path))["ports"], json.load(open(b_path))["ports"]
    def row(title, hops):
        print(title)
        prev = None
        for hop in hops:
            name, n = hop[0], hop[1]
            if prev is None or prev == n:
                note = ""
            elif len(hop) > 2:  # through a codec: frames packed or unpacked, not lost
                note = f"  ({abs(prev - n)} {'fewer' if prev > n else 'more'}: {hop[2]})"
            else:
                note = f"  (lost {prev - n})"
            print(f"  {name:<28} {n:>10}{note}")
            prev = n
    row("ledger client -> server (frames):", [
        ("c0 tx (client kernel)", k["c0"]["tx_packets"]), (f"{ca} rx (kernel)", k[ca]["rx_packets"]),
        ("A port 0 rx", a[0]["rx_packets"]), ("A port 1 tx", a[1]["tx_packets"], "packed"),
        (f"{wa} tx (kernel)", k[wa]["tx_packets"]), (f"{wb} rx (kernel)", k[wb]["rx_packets"]),
        ("B port 0 rx", b[0]["rx_packets"]), ("B port 1 tx", b[1]["tx_packets"], "unpacked"),
        (f"{sb} tx (kernel)", k[sb]["tx_packets"]), ("s0 rx (server kernel)", k["s0"]["rx_packets"])])
    row("ledger server -> client (frames):", [
        ("s0 tx (server kernel)", k["s0"]["tx_packets"]), (f"{sb} rx (kernel)", k[sb]["rx_packets"]),
        ("B port 1 rx", b[1]["rx_packets"]), ("B port 0 tx", b[0]["tx_packets"], "packed"),
        (f"{wb} tx (kernel)", k[wb]["tx_packets"]), (f"{wa} rx (kernel)", k[wa]["rx_packets"]),
        ("A port 1 rx", a[1]["rx_packets"]), ("A port 0 tx", a[0]["tx_packets"], "unpacked"),
        (f"{ca} tx (kernel)", k[ca]["tx_packets"]), ("c0 rx (client kernel)", k["c0"]["rx_packets"])])
    drops = {n: {kk: v for kk, v in d.items() if kk.endswith(("dropped", "errors")) and v} for n, d in k.items()}
    print("kernel drops/errors: " + json.dumps({n: d for n, d in drops.items() if d} or "none"))

def field(path, expr):
    j = json.load(open(path))
    print(eval(expr, {"j": j}))

if __name__ == "__main__":
    globals()[sys.argv[1].replace("-", "_")](*sys.argv[2:])
PYEOF
H=("$PY" "$TMP/helper.py")

# ---- gateways ----
start_gateway() {  # name lcores prefix lan/wan-vdevs... -- app args
  local name=$1 lcores=$2 prefix=$3; shift 3
  local eal=(--lcores "$lcores" --no-pci --no-huge -m "$MEM_MB" --file-prefix "$prefix" --log-level=warning)
  while [ "$1" != "--" ]; do eal+=(--vdev "$1"); shift; done
  shift
  : >"$TMP/$name.err"
  "$BIN" "${eal[@]}" -- --fwd gateway --mtu 1600 --stats-period 1 \
    --stats-json "$TMP/$name.json" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  local pid=$!
  PIDS+=("$pid")
  eval "GW_$name=$pid"
}

wait_started() {  # name pid
  local name=$1 pid=$2 i
  for (( i=0; i<300; i++ )); do
    kill -0 "$pid" 2>/dev/null || { log "gateway $name exited early:"; tail -n 20 "$TMP/$name.err" | sed 's/^/  /'; return 1; }
    if grep -q "engine gateway" "$TMP/$name.err"; then
      # A vdev that fails to probe is not fatal to the EAL: the process would
      # run on the ports that remain. Both ports or nothing.
      if ! grep -q "engine gateway.* 2 port(s)" "$TMP/$name.err"; then
        log "gateway $name started without both ports:"; grep -v '^preflight' "$TMP/$name.err" | tail -n 12 | sed 's/^/  /'
        kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
        return 1
      fi
      grep -q "^port 1 (" "$TMP/$name.err" && return 0
    fi
    sleep 0.1
  done
  log "gateway $name did not start within 30 s"; tail -n 20 "$TMP/$name.err" | sed 's/^/  /'
  return 1
}

# Tunnel endpoints: private addresses and locally administered MACs; the WAN is a
# point-to-point veth and af_packet ports are promiscuous, so nothing resolves them.
AF="framecnt=2048"
# net_af_packet names its PACKET_FANOUT group (pid ^ ifindex) & 0xffff, and the
# groups of a network namespace are shared: two processes whose pid and ifindex
# differ in the same low bits (A and B started back to back on wA/wB, created
# back to back) collide and the second one fails to probe with EINVAL. Start A
# first, then B, and start a gateway again (new pid) when that is what happened.
launch() {  # name
  local name=$1
  for _ in 1 2 3 4; do
    if [ "$name" = A ]; then
      start_gateway A "$LCORES_A" "$PREFIX_A" "net_af_packet0,iface=$IF_CA,$AF" "net_af_packet1,iface=$IF_WA,$AF" -- \
        --wan-ports 1 --tunnel-src 10.77.255.1 --tunnel-dst 10.77.255.2 \
        --tunnel-src-mac 02:00:00:77:00:0a --tunnel-dst-mac 02:00:00:77:00:0b
      wait_started A "$GW_A" && return 0
    else
      start_gateway B "$LCORES_B" "$PREFIX_B" "net_af_packet0,iface=$IF_WB,$AF" "net_af_packet1,iface=$IF_SB,$AF" -- \
        --wan-ports 0 --tunnel-src 10.77.255.2 --tunnel-dst 10.77.255.1 \
        --tunnel-src-mac 02:00:00:77:00:0b --tunnel-dst-mac 02:00:00:77:00:0a
      wait_started B "$GW_B" && return 0
    fi
    grep -q "could not set PACKET_FANOUT" "$TMP/$name.err" || return 1
    log "gateway $name: af_packet fanout group id collision (pid ^ ifindex), starting it again"
    rm -rf "/var/run/dpdk/dpe2e-${name,,}-$S"
  done
  return 1
}
launch A || die "gateway A did not start"
launch B || die "gateway B did not start"
log "gateways up: A pid $GW_A (lcores $LCORES_A), B pid $GW_B (lcores $LCORES_B)"
grep -h "^port " "$TMP/A.err" "$TMP/B.err" | sed 's/^/  /'

if [ "$CAPTURE" = 1 ]; then
  for ifc in "$IF_CA" "$IF_WA"; do
    timeout 120 tcpdump -i "$ifc" -s 128 -U -w "$TMP/$ifc.pcap" >/dev/null 2>&1 &
    PIDS+=("$!")
  done
  sleep 1
fi

SOFTNET0=$("${H[@]}" softnet_drops)
nsc ip link set c0 up && nss ip link set s0 up || die "cannot bring c0/s0 up"
alive() { kill -0 "$GW_A" 2>/dev/null && kill -0 "$GW_B" 2>/dev/null; }


# (1)+(2) ARP/ND and ping, both families. The first pings also resolve ARP/ND
# across both gateways.
if nsc timeout 30 ping -c 5 -i 0.2 -W 2 10.77.0.2 >"$TMP/ping4.txt" 2>&1; then
  PING4=$(grep -Eo '[0-9]+ received.*' "$TMP/ping4.txt" | head -1; grep -Eo 'rtt.*' "$TMP/ping4.txt")
else
  PING4="FAILED: $(grep -Eo '[0-9]+ packets transmitted.*' "$TMP/ping4.txt")"
  fail "ping IPv4"
fi
if nsc timeout 30 ping -6 -c 5 -i 0.2 -W 2 fd00:77::2 >"$TMP/ping6.txt" 2>&1; then
  PING6=$(grep -Eo '[0-9]+ received.*' "$TMP/ping6.txt" | head -1; grep -Eo 'rtt.*' "$TMP/ping6.txt")
else
  PING6="FAILED: $(grep -Eo '[0-9]+ packets transmitted.*' "$TMP/ping6.txt")"
  fail "ping IPv6"
fi
PING4=$(echo $PING4); PING6=$(echo $PING6)
S_MAC=$(nss cat /sys/class/net/s0/address)
C_MAC=$(nsc cat /sys/class/net/c0/address)
if nsc ip neigh show 10.77.0.2 dev c0 | grep -qi "lladdr $S_MAC"; then
  ARP="client resolved 10.77.0.2 -> $S_MAC"
else ARP="FAILED: $(nsc ip neigh show 10.77.0.2 dev c0)"; fail "ARP"; fi
if nsc ip -6 neigh show fd00:77::2 dev c0 | grep -qi "lladdr $S_MAC"; then
  ND="client resolved fd00:77::2 -> $S_MAC"
else ND="FAILED: $(nsc ip -6 neigh show fd00:77::2 dev c0)"; fail "IPv6 ND"; fi
nss ip neigh show 10.77.0.1 dev s0 | grep -qi "$C_MAC" || fail "server did not learn the client's MAC"
alive || die "a gateway died during ping"

nstat_retrans() { nsc "$PY" -c '
for l in open("/proc/net/snmp"):
    if l.startswith("Tcp:"):
        h = l.split() if "RetransSegs" in l else None
        if h: names = h
        else: vals = l.split()
print(vals[names.index("RetransSegs")])'; }
RETR0=$(nstat_retrans)

# (3) TCP transfer of a compressible file (log-like text), sha256 on both
# ends, and what A's encoder made of it (counters printed just before and
# just after, as for the stream below).
"${H[@]}" text-file "$TMP/payload.bin" "$((TRANSFER_MIB * 1048576))"
sleep 1.5
read -r T_IN0 T_OUT0 _ < <("${H[@]}" codec "$TMP/A.out")
SHA_SENT=$(sha256sum "$TMP/payload.bin" | cut -d' ' -f1)
nss timeout 120 "${H[@]}" tcp-server 10.77.0.2 5001 "$TMP/received.bin" "$TMP/tcp.ready" >"$TMP/tcp_server.json" 2>"$TMP/tcp_server.err" &
SRV=$!; PIDS+=("$SRV")
for (( i=0; i<100; i++ )); do [ -e "$TMP/tcp.ready" ] && break; sleep 0.1; done
if nsc timeout 100 "${H[@]}" tcp-client 10.77.0.2 5001 "$TMP/payload.bin" >"$TMP/tcp_client.json" 2>"$TMP/tcp_client.err"; then
  wait "$SRV"
  SHA_RECV=$(sha256sum "$TMP/received.bin" | cut -d' ' -f1)
  TRANSFER_S=$("${H[@]}" field "$TMP/tcp_client.json" 'round(j["seconds"], 2)')
  if [ "$SHA_RECV" = "$SHA_SENT" ]; then SHA_OK=true
  else fail "TCP transfer sha256 differs (sent $SHA_SENT, received $SHA_RECV, $(stat -c %s "$TMP/received.bin") bytes)"; fi
  log "TCP ${TRANSFER_MIB} MiB in ${TRANSFER_S} s, sha256 $([ "$SHA_OK" = true ] && echo equal || echo DIFFERENT)"
  sleep 2.5
  read -r T_IN1 T_OUT1 _ < <("${H[@]}" codec "$TMP/A.out")
  TCP_IN=$((T_IN1 - T_IN0)); TCP_OUT=$((T_OUT1 - T_OUT0))
  [ "$TCP_IN" -gt 0 ] && TCP_SAVED_PCT=$("$PY" -c "print(round(100 * (1 - $TCP_OUT / $TCP_IN), 1))")
  log "TCP transfer: encoder $TCP_IN B -> $TCP_OUT B ($TCP_SAVED_PCT% saved)"
else
  fail "TCP transfer did not complete: $(tail -c 300 "$TMP/tcp_client.err")"
fi
rm -f "$TMP/received.bin" "$TMP/payload.bin"
alive || die "a gateway died during the TCP transfer"

# (4) iperf3.
nss timeout $((IPERF_SECONDS + 40)) iperf3 -s -1 -B 10.77.0.2 -p 5201 >"$TMP/iperf3_server.txt" 2>&1 &
PIDS+=("$!")
sleep 0.5
ok=0
for (( i=0; i<10; i++ )); do
  if nsc timeout $((IPERF_SECONDS + 30)) iperf3 -c 10.77.0.2 -p 5201 -t "$IPERF_SECONDS" -J >"$TMP/iperf3.json" 2>&1; then ok=1; break; fi
  grep -q "Connection refused\|unable to connect" "$TMP/iperf3.json" || break
  sleep 0.5
done
if [ "$ok" = 1 ]; then
  IPERF_MBPS=$("${H[@]}" field "$TMP/iperf3.json" 'round(j["end"]["sum_received"]["bits_per_second"] / 1e6, 1)')
  IPERF_RETR=$("${H[@]}" field "$TMP/iperf3.json" 'j["end"]["sum_sent"].get("retransmits", 0)')
  log "iperf3: $IPERF_MBPS Mbit/s, $IPERF_RETR retransmits"
else
  fail "iperf3 did not complete: $("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("error", "?"))' "$TMP/iperf3.json" 2>/dev/null || tail -c 200 "$TMP/iperf3.json")"
fi
alive || die "a gateway died during iperf3"
TCP_RETRANS=$(( $(nstat_retrans) - RETR0 ))

# (5) Compressible stream: fixed-size JSON-like records that differ only in a
# counter, over UDP, measured from the encoder counters printed just before and
# just after it (periodic stats every second; nothing else is sent meanwhile).
sleep 1.5
read -r A_IN0 A_OUT0 A_FR0 < <("${H[@]}" codec "$TMP/A.out")
nss timeout $((STREAM_SECONDS + 30)) "${H[@]}" udp-server 10.77.0.2 5002 "$TMP/udp.ready" 5 1000 >"$TMP/udp_server.json" 2>"$TMP/udp_server.err" &
USRV=$!; PIDS+=("$USRV")
for (( i=0; i<100; i++ )); do [ -e "$TMP/udp.ready" ] && break; sleep 0.1; done
nsc timeout $((STREAM_SECONDS + 30)) "${H[@]}" udp-client 10.77.0.2 5002 "$STREAM_SECONDS" "$STREAM_PPS" 1000 >"$TMP/udp_client.json" 2>"$TMP/udp_client.err"
wait "$USRV"
sleep 2.5
read -r A_IN1 A_OUT1 A_FR1 < <("${H[@]}" codec "$TMP/A.out")
STREAM_IN=$((A_IN1 - A_IN0)); STREAM_OUT=$((A_OUT1 - A_OUT0))
if [ "$STREAM_IN" -gt 0 ]; then
  STREAM_SAVED_PCT=$("$PY" -c "print(round(100 * (1 - $STREAM_OUT / $STREAM_IN), 1))")
fi
if [ -s "$TMP/udp_server.json" ] && [ -s "$TMP/udp_client.json" ]; then
  sent=$("${H[@]}" field "$TMP/udp_client.json" 'j["sent"]')
  got=$("${H[@]}" field "$TMP/udp_server.json" 'j["received"]')
  bad=$("${H[@]}" field "$TMP/udp_server.json" 'j["corrupt"]')
  STREAM="$got of $sent datagrams (1000 B) received intact, $bad corrupt, $((A_FR1 - A_FR0)) frames through A's encoder"
  [ "$bad" -eq 0 ] || fail "compressible stream: $bad corrupt datagrams"
  [ "$got" -ge $((sent * 9 / 10)) ] || fail "compressible stream: only $got of $sent datagrams arrived"
else
  fail "compressible stream did not run: $(tail -n 1 "$TMP/udp_client.err" "$TMP/udp_server.err" 2>/dev/null | grep -v '^==>')"
fi
log "stream: $STREAM; encoder $STREAM_IN B -> $STREAM_OUT B ($STREAM_SAVED_PCT% saved)"
[ "$STREAM_SAVED_PCT" != 0 ] || fail "the encoder saved nothing on the compressible stream"

SOFTNET_DROPS=$(( $("${H[@]}" softnet_drops) - SOFTNET0 ))
# Quiesce the namespaces (no more ND/ARP) before the gateways stop, so that the
# kernel's interface counters and the gateways' port counters can be compared.
nsc ip link set c0 down; nss ip link set s0 down
sleep 0.5

# ---- stop the gateways, check exit codes and accounting ----
stop_gateway() {  # name pid
  local name=$1 pid=$2 i rc
  kill -TERM "$pid" 2>/dev/null
  for (( i=0; i<150; i++ )); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then fail "gateway $name did not stop within 15 s of SIGTERM"; kill -KILL "$pid"; fi
  wait "$pid"; rc=$?
  [ "$rc" -eq 0 ] || { fail "gateway $name exited with $rc"; tail -n 20 "$TMP/$name.err" | sed 's/^/  /'; }
  if [ -s "$TMP/$name.json" ]; then
    "${H[@]}" summary "$TMP/$name.json" >"$TMP/$name.sum"
    [ "$("${H[@]}" field "$TMP/$name.json" 'j["totals"]["balanced"]')" = True ] || fail "gateway $name: accounting not balanced"
  else
    fail "gateway $name wrote no JSON summary"
  fi
}
stop_gateway B "$GW_B"
stop_gateway A "$GW_A"
for g in A B; do
  [ -s "$TMP/$g.sum" ] || continue
  byp=$("${H[@]}" field "$TMP/$g.json" 'j["codec"]["enc_bypass"]')
  [ "$byp" -gt 0 ] || fail "gateway $g: enc_bypass is 0 (ARP/ND frames should bypass the encoder)"
  drops=$("${H[@]}" field "$TMP/$g.json" 'j["totals"]["dropped"]')
  [ "$drops" -eq 0 ] || log "gateway $g dropped $drops frames: $("${H[@]}" field "$TMP/$g.json" '{k: v for k, v in j["drops"].items() if v}')"
done

# Where did every frame go? Kernel interface counters against the gateways' ports.
{ "${H[@]}" ifstats "$IF_CA" "$IF_WA" "$IF_WB" "$IF_SB"; nsc "${H[@]}" ifstats c0; nss "${H[@]}" ifstats s0; } >"$TMP/kernel.txt"
if [ -s "$TMP/A.json" ] && [ -s "$TMP/B.json" ]; then
  read -r WAN_LOST_AB WAN_LOST_BA < <("${H[@]}" wan-loss "$TMP/A.json" "$TMP/B.json")
  "${H[@]}" ledger "$TMP/A.json" "$TMP/B.json" "$TMP/kernel.txt" "$IF_CA" "$IF_WA" "$IF_WB" "$IF_SB" | tee "$TMP/ledger.txt" | sed 's/^/e2e: /'
fi
log "kernel backlog drops during the run (all CPUs, whole host): $SOFTNET_DROPS"
log "MTUs at the end: $(for i in "$IF_CA" "$IF_WA" "$IF_WB" "$IF_SB"; do printf '%s=%s ' "$i" "$(cat /sys/class/net/$i/mtu)"; done)"

report
[ ${#FAILS[@]} -eq 0 ]
