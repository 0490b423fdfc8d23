#!/usr/bin/env python3
"""Soak: deltaplane at full rate for a long time, memory sampled, plotted.

For each model (rtc, pipeline) the encoder runs for --minutes on synthetic
traffic (--synth: slowly changing records, IMIX sizes) from far more flows than
its flow table holds, so flows are inserted and evicted all the time. Every --interval seconds the script samples, through the
process and its telemetry socket:
  rss_kib      VmRSS of the deltaplane process (/proc/PID/status)
  mbufs_in_use sum of in_use over /deltaplane/mempools
  flows        sum of occupancy over the flow tables (/deltaplane/flows)
  rx_mpps      packet rate since the previous sample (/deltaplane/stats)
and at exit checks the accounting invariant. "Flat" means: after the first
minute (warm-up: hugepage faults, tables filling) RSS moves by less than
--rss-tolerance KiB, mbufs in use stay below the pool size and the flow tables
never exceed their capacity.

  bench/soak.py                      # 10 minutes per model, docs/bench/soak.*
  bench/soak.py --minutes 1 --interval 5 --out /tmp/soak

Every DPDK process gets --no-pci, a unique --file-prefix and --huge-unlink
(or --no-huge). Needs Debian's python3 for the plot (matplotlib).
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = ROOT / "build" / "app" / "deltaplane"
sys.path.insert(0, str(ROOT / "tools"))


def load_ctl():
    import importlib.machinery
    import importlib.util
    loader = importlib.machinery.SourceFileLoader("dpctl", str(ROOT / "tools" / "deltaplane-ctl"))
    spec = importlib.util.spec_from_loader("dpctl", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def free_hugepages():
    try:
        return int(pathlib.Path("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages")
                   .read_text())
    except (OSError, ValueError):
        return 0


def rss_kib(pid):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def soak(model, args, ctl):
    prefix = f"dpsoak-{os.getpid()}-{model}"
    mem = ["-m", "512", "--huge-unlink"] if free_hugepages() >= 300 else ["--no-huge", "-m", "512"]
    if model == "rtc":
        lcores, app = "0,1", ["--model", "rtc"]
    else:  # 2 CPUs: an I/O lcore (RX+TX) next to the mostly sleeping main, a worker
        lcores, app = "0@0,1@0,2@1", ["--model", "pipeline", "--stages", "rx:1,work:2,tx:1"]
    tmp = tempfile.mkdtemp(prefix="dpsoak-")
    summary = os.path.join(tmp, "summary.json")
    cmd = [str(BIN), "--lcores", lcores, "--no-pci", "--log-level=warning",
           "--file-prefix", prefix] + mem + [
        "--vdev", "net_null0", "--",
        "--synth", f"0:flows={args.flows},size=imix,payload=records,tcp=0.5,ipv6=0.2,seed=7",
        "--port-topology", "loop",
        "--fwd", "encode", "--flow-capacity", str(args.flow_capacity),
        "--duration", str(args.minutes * 60), "--stats-period", "0",
        "--stats-json", summary] + app
    print(f"[{model}] {' '.join(cmd)}", flush=True)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sock = os.path.join(ctl.runtime_dir(), prefix, ctl.SOCKET_NAME)
    samples = []
    t0 = time.monotonic()
    last_rx, last_t = None, None
    try:
        while proc.poll() is None:
            time.sleep(args.interval if samples else 3)
            if proc.poll() is not None:
                break
            try:
                tel = ctl.Telemetry(sock)
                pools = tel.query("/deltaplane/mempools")
                flows = tel.query("/deltaplane/flows")
                stats = tel.query("/deltaplane/stats")
                tel.close()
            except Exception as e:  # noqa: BLE001 - a missed sample is reported, not fatal
                print(f"[{model}] sample failed: {e}", flush=True)
                continue
            now = time.monotonic()
            rx = stats["rx_packets"]
            mpps = (rx - last_rx) / (now - last_t) / 1e6 if last_rx is not None else None
            last_rx, last_t = rx, now
            s = {"t_s": round(now - t0, 1), "rss_kib": rss_kib(proc.pid),
                 "mbufs_in_use": sum(p["in_use"] for p in pools.values()),
                 "mbufs_total": sum(p["size"] for p in pools.values()),
                 "flows": sum(t["occupancy"] for t in flows["tables"].values()),
                 "flow_capacity": sum(t["capacity"] for t in flows["tables"].values()),
                 "evictions": sum(t["evictions"] for t in flows["tables"].values()),
                 "rx_mpps": mpps}
            samples.append(s)
            print(f"[{model}] t={s['t_s']:6.0f}s rss={s['rss_kib']} KiB mbufs={s['mbufs_in_use']}"
                  f"/{s['mbufs_total']} flows={s['flows']}/{s['flow_capacity']} evictions="
                  f"{s['evictions']} rx={mpps if mpps is None else round(mpps, 2)} Mpps",
                  flush=True)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)
    result = {"model": model, "command": cmd, "exit_code": proc.returncode, "samples": samples,
              "flows": args.flows}
    if os.path.exists(summary):
        with open(summary) as f:
            result["summary_totals"] = json.load(f).get("totals")
    warm = [s for s in samples if s["t_s"] >= 60] or samples
    if warm:
        rss = [s["rss_kib"] for s in warm]
        result["rss_drift_kib"] = max(rss) - min(rss)
        result["max_mbufs_in_use"] = max(s["mbufs_in_use"] for s in warm)
        result["max_flows"] = max(s["flows"] for s in warm)
        result["flat"] = (result["rss_drift_kib"] <= args.rss_tolerance and
                          result["max_mbufs_in_use"] < warm[0]["mbufs_total"] and
                          result["max_flows"] <= warm[0]["flow_capacity"] and
                          proc.returncode == 0)
    if proc.returncode != 0:
        print(f"[{model}] exit {proc.returncode}: {err.strip()[-400:]}", flush=True)
    return result


def plot(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(4, 1, figsize=(8, 9), sharex=True)
    keys = [("rss_kib", "RSS (KiB)"), ("mbufs_in_use", "mbufs in use"),
            ("flows", "flow-table entries"), ("rx_mpps", "RX Mpps")]
    for r in results:
        t = [s["t_s"] for s in r["samples"]]
        for ax, (k, label) in zip(axes, keys):
            ax.plot(t, [s[k] if s[k] is not None else float("nan") for s in r["samples"]],
                    marker=".", label=r["model"])
            ax.set_ylabel(label)
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
    axes[0].legend()
    axes[-1].set_xlabel("seconds")
    fig.suptitle(f"deltaplane soak: encode, {results[0].get('flows', '')} synthetic flows "
                 "through a 4096-entry flow table")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--interval", type=float, default=10)
    ap.add_argument("--models", default="rtc,pipeline")
    ap.add_argument("--flows", type=int, default=1000000, help="distinct synthetic flows")
    ap.add_argument("--flow-capacity", type=int, default=4096)
    ap.add_argument("--rss-tolerance", type=int, default=1024, help="KiB")
    ap.add_argument("--out", default=str(ROOT / "docs" / "bench" / "soak"))
    args = ap.parse_args()
    if not BIN.exists():
        sys.exit(f"soak: {BIN} not found: build first (tools/build.sh)")
    ctl = load_ctl()
    results = [soak(m, args, ctl) for m in args.models.split(",")]
    doc = {"minutes": args.minutes, "interval_s": args.interval, "flows": args.flows,
           "flow_capacity": args.flow_capacity, "cpu": platform_cpu(), "results": results}
    pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with open(args.out + ".json", "w") as f:
        json.dump(doc, f, indent=1)
    try:
        plot(results, args.out + ".png")
        print(f"soak: wrote {args.out}.json and {args.out}.png")
    except ImportError:
        print(f"soak: wrote {args.out}.json (no matplotlib: run under /usr/bin/python3 to plot)")
    ok = True
    for r in results:
        print(f"soak: {r['model']}: exit {r['exit_code']}, RSS drift {r.get('rss_drift_kib')} KiB, "
              f"max mbufs in use {r.get('max_mbufs_in_use')}, max flows {r.get('max_flows')}, "
              f"flat={r.get('flat')}")
        ok &= bool(r.get("flat"))
    return 0 if ok else 1


def platform_cpu():
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


if __name__ == "__main__":
    sys.exit(main())
