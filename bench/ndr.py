#!/usr/bin/env python3
"""No-drop rate (RFC 2544 section 26.1 style) and latency under load, per engine.

The offered load comes from deltaplane's synthetic source (--synth, rate=R): frames
arrive at R per second into a modelled RX ring; a frame that finds the ring full
is missed, as on a NIC whose queue is not drained in time. A trial at rate R
passes when nothing is missed and nothing is dropped. For each engine and size:

  1. max: the rate with the source unthrottled (what the engine forwards flat out);
  2. binary search between 0 and 1.05 x max for the highest passing rate (NDR),
     to --resolution of max; and again allowing --pdr-loss (0.5%) loss (PDR, as
     FD.io CSIT reports next to the NDR: one hypervisor stall longer than the
     ring lasts fails an NDR trial on a VM);
  0. first, the source alone (rxonly: generate and free), per payload and size;
  3. latency (arrival -> TX, so the time spent waiting in the RX ring counts)
     at the NDR, and at 10%, 50% and 90% of max.

`--models rtc,pipeline` repeats 1 and 3 for the pipeline model at the same core
count (rtc: main + one forwarding lcore; pipeline: an I/O lcore doing RX and TX
next to the main lcore, and one worker lcore).

  bench/ndr.py                                   # writes docs/bench/ndr.{json,md,png}
  bench/ndr.py --engines io --sizes 64 --trial 1

Trials are short (--trial seconds, RFC 2544 asks for 60 s) so the whole run
fits in minutes; repeat with --trial 60 for a formal figure. Every DPDK process
gets --no-pci and --in-memory (or --no-huge + a unique prefix).
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import system_bench  # noqa: E402  (machine description, memory flags)

BIN = ROOT / "build" / "app" / "deltaplane"
LCORES = {"rtc": ("0,1", []),
          # An I/O lcore (RX+TX) shares CPU 0 with the mostly sleeping main lcore;
          # the worker has CPU 1: the same two CPUs as rtc's main + forwarding lcore.
          "pipeline": ("0@0,1@0,2@1", ["--model", "pipeline", "--stages", "rx:1,work:2,tx:1"])}


RING = [4096]  # modelled RX ring (descriptors); --ring


def trial(engine, size, rate, seconds, model="rtc", flows=1024, payload="records"):
    """One run; returns (rx_mpps, missed, drops, latency dict, summary)."""
    lcores, extra = LCORES[model]
    path = f"/tmp/dpndr-{os.getpid()}.json"
    spec = f"0:size={size},flows={flows},payload={payload},seed=1" + (f",rate={rate},ring={RING[0]}" if rate else "")
    cmd = [str(BIN), "--lcores", lcores, "--no-pci", "--log-level=error"] + system_bench.mem_args() + [
        "--vdev", "net_null0", "--", "--synth", spec, "--fwd", engine, "--port-topology", "loop",
        "--duration", str(seconds), "--quiet", "--stats-json", path] + extra
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    if p.returncode != 0 or not os.path.exists(path):
        raise SystemExit(f"ndr: run failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-1500:]}")
    with open(path) as f:
        s = json.load(f)
    os.unlink(path)
    synth = s["synthetic"][0]
    drops = sum(v for k, v in s["drops"].items() if k != "consumed")
    lat = next(iter(s.get("latency_ns", {}).values()), {}) if model == "rtc" else \
        s.get("latency_ns", {}).get("rx_to_tx", {})
    return synth["generated"] / s["elapsed_s"] / 1e6, synth["missed"], drops, lat, cmd


def search(engine, size, a):
    """NDR (no loss) and PDR (loss <= --pdr-loss, as FD.io CSIT reports it)."""
    mx, _, _, _, cmd = trial(engine, size, 0, a.trial)
    out = {"engine": engine, "size": size, "max_mpps": round(mx, 4), "example_command": cmd}
    for name, tolerance in (("ndr", 0.0), ("pdr", a.pdr_loss)):
        lo, hi = 0.0, mx * 1.05
        steps, best = [], None
        while (hi - lo) > a.resolution * mx:
            mid = (lo + hi) / 2
            got, missed, drops, lat, _ = trial(engine, size, int(mid * 1e6), a.trial)
            offered = mid * 1e6 * a.trial
            loss = (missed + drops) / offered if offered else 0
            ok = (missed + drops == 0) if tolerance == 0 else loss <= tolerance
            steps.append({"offered_mpps": round(mid, 4), "forwarded_mpps": round(got, 4),
                          "missed": missed, "dropped": drops, "pass": ok})
            print(f"  {name} {engine:8s} {size:>5s} offered {mid:7.3f} Mpps: "
                  f"{'pass' if ok else 'FAIL'} (missed {missed}, dropped {drops})", flush=True)
            if ok:
                lo, best = mid, {"mpps": round(mid, 4), "latency_ns": lat}
            else:
                hi = mid
        out[name + "_mpps"] = best["mpps"] if best else 0.0
        out[name + "_latency_ns"] = best["latency_ns"] if best else {}
        out[name + "_steps"] = steps
    return out


def load_profile(model, a):
    mx, _, _, lat_max, cmd = trial("io", "64", 0, a.trial, model)
    out = {"model": model, "engine": "io", "size": "64", "max_mpps": round(mx, 4),
           "example_command": cmd, "points": []}
    for frac in (0.1, 0.5, 0.9):
        got, missed, drops, lat, _ = trial("io", "64", int(mx * frac * 1e6), a.trial, model)
        out["points"].append({"fraction": frac, "offered_mpps": round(mx * frac, 4),
                              "forwarded_mpps": round(got, 4), "missed": missed, "dropped": drops,
                              "latency_ns": lat})
        print(f"  {model:8s} {int(frac * 100):3d}% of {mx:.2f} Mpps: p50 {lat.get('p50', 0):.0f} ns "
              f"p99 {lat.get('p99', 0):.0f} ns max {lat.get('max', 0):.0f} ns, missed {missed}",
              flush=True)
    return out


def generation_rates(a):
    """The source alone: rxonly frees what the source makes, nothing else."""
    out = []
    for payload in ("records", "random"):
        for size in ("64", "512", "1500", "imix"):
            mpps = trial("rxonly", size, 0, a.trial, payload=payload)[0]
            out.append({"payload": payload, "size": size, "mpps": round(mpps, 3),
                        "ns_per_frame": round(1e3 / mpps, 1)})
            print(f"  source alone: {payload:8s} {size:>5s}: {mpps:7.2f} Mpps "
                  f"({1e3 / mpps:.1f} ns/frame incl. rx_burst and free)", flush=True)
    return out


def markdown(doc):
    lines = ["| engine | size | max Mpps | NDR Mpps | NDR / max | PDR Mpps | PDR / max | "
             "p50 ns @NDR | p99 ns @NDR |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in doc["ndr"]:
        lat = r["ndr_latency_ns"]
        lines.append(f"| {r['engine']} | {r['size']} | {r['max_mpps']:.2f} | {r['ndr_mpps']:.2f} | "
                     f"{r['ndr_mpps'] / r['max_mpps']:.2f} | {r['pdr_mpps']:.2f} | "
                     f"{r['pdr_mpps'] / r['max_mpps']:.2f} | {lat.get('p50', 0):.0f} | "
                     f"{lat.get('p99', 0):.0f} |")
    if doc.get("generation"):
        lines += ["", "| source alone (rxonly) | size | Mpps | ns/frame |", "|---|---|---:|---:|"]
        for g in doc["generation"]:
            lines.append(f"| {g['payload']} | {g['size']} | {g['mpps']:.2f} | {g['ns_per_frame']} |")
    if doc["profiles"]:
        lines += ["", "| model | max Mpps | load | offered Mpps | missed | p50 ns | p90 ns | p99 ns | "
                  "p99.9 ns |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for p in doc["profiles"]:
            for pt in p["points"]:
                lat = pt["latency_ns"]
                lines.append(f"| {p['model']} | {p['max_mpps']:.2f} | {int(pt['fraction'] * 100)}% | "
                             f"{pt['offered_mpps']:.2f} | {pt['missed']} | {lat.get('p50', 0):.0f} | "
                             f"{lat.get('p90', 0):.0f} | {lat.get('p99', 0):.0f} | "
                             f"{lat.get('p99_9', 0):.0f} |")
    return "\n".join(lines) + "\n"


def plot(doc, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    labels = [f"{r['engine']}\n{r['size']}" for r in doc["ndr"]]
    x = range(len(labels))
    axes[0].bar([i - 0.27 for i in x], [r["max_mpps"] for r in doc["ndr"]], 0.27, label="max")
    axes[0].bar(list(x), [r["pdr_mpps"] for r in doc["ndr"]], 0.27, label="PDR")
    axes[0].bar([i + 0.27 for i in x], [r["ndr_mpps"] for r in doc["ndr"]], 0.27, label="NDR")
    axes[0].set_xticks(list(x))
    axes[0].set_xticklabels(labels, fontsize=8)
    axes[0].set_ylabel("Mpps (one forwarding lcore)")
    axes[0].legend()
    axes[0].set_title("no-drop / partial-drop rate vs unthrottled rate")
    for p in doc["profiles"]:
        fr = [pt["fraction"] * 100 for pt in p["points"]]
        for key, style in (("p50", "-o"), ("p99", "--s")):
            axes[1].plot(fr, [pt["latency_ns"].get(key, 0) / 1000 for pt in p["points"]], style,
                         label=f"{p['model']} {key}")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("offered load, % of the model's max")
    axes[1].set_ylabel("arrival -> TX latency (us)")
    axes[1].set_title("latency under load (io, 64 B)")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engines", default="io,macswap,csum,validate,encode")
    ap.add_argument("--sizes", default="64,imix")
    ap.add_argument("--models", default="rtc,pipeline", help="latency profiles to take")
    ap.add_argument("--trial", type=float, default=1.5, help="seconds per trial")
    ap.add_argument("--resolution", type=float, default=0.03, help="of max")
    ap.add_argument("--pdr-loss", type=float, default=0.005, help="loss allowed for the PDR")
    ap.add_argument("--ring", type=int, default=4096, help="modelled RX ring, descriptors")
    ap.add_argument("--no-generation", dest="generation", action="store_false",
                    help="skip measuring the source alone")
    ap.add_argument("--out", default=str(ROOT / "docs" / "bench" / "ndr"))
    a = ap.parse_args()
    if not BIN.exists():
        sys.exit(f"ndr: {BIN} not found: build first (tools/build.sh)")
    RING[0] = a.ring
    t0 = time.time()
    gen = generation_rates(a) if a.generation else []
    doc = {"machine": system_bench.machine(), "trial_s": a.trial, "resolution": a.resolution,
           "pdr_loss": a.pdr_loss, "rx_ring": a.ring,
           "traffic": "synthetic: records payload, 1024 flows, IPv4, half TCP, seed 1",
           "ndr": [], "profiles": [], "generation": gen}
    for e in a.engines.split(","):
        for s in a.sizes.split(","):
            doc["ndr"].append(search(e, s, a))
    for m in filter(None, a.models.split(",")):
        doc["profiles"].append(load_profile(m, a))
    doc["wall_s"] = round(time.time() - t0, 1)
    with open(a.out + ".json", "w") as f:
        json.dump(doc, f, indent=1)
    md = markdown(doc)
    with open(a.out + ".md", "w") as f:
        f.write(md)
    print(md)
    try:
        plot(doc, a.out + ".png")
    except ImportError:
        print("ndr: no matplotlib (run under /usr/bin/python3 for the plot)")
    print(f"ndr: wrote {a.out}.json/.md/.png in {doc['wall_s']} s")


if __name__ == "__main__":
    main()
