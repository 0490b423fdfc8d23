#!/usr/bin/env python3
"""Is the synthetic source faster than the engines it feeds?

The source runs on a generator lcore of its own (--synth ...,lcore=2 on a
net_null vdev with no-rx=1) and queues RX descriptors of the frames it built;
the engine runs on the other CPU and, as a NIC driver, writes the mbufs from
them. Two figures per engine and
size, from the same run:

  source alone   frames the generator made per second of its busy time
                 (time waiting on a full ring is not counted);
  engine alone   what the forwarding lcore could take if it never waited:
                 TSC rate / its cycles per frame (--cycles, non-empty bursts).

The source outruns an engine when its rate alone is higher; the generator's
"ring full" share (time with no room) and the engine's waiting share
(1 - forwarded / engine alone) say the same from both sides. The inline source (frames built inside rx_burst on the forwarding
lcore) is run too, to show what moving generation off that lcore is worth.

With payload=fill the generators' buffers keep a fixed pattern and only each
frame's header lines are written (docs/synthetic-traffic.md), so large frames
cost the source what small ones do; the default runs both sources.

  /usr/bin/python3 bench/source_bench.py            # about 16 minutes here
  /usr/bin/python3 bench/source_bench.py --engines io --sizes 64 --rounds 1
  /usr/bin/python3 bench/source_bench.py --generators 4 --out /tmp/source4
      # one generator lcore per RX queue, on CPUs 2-5 of a machine that has them
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import system_bench  # noqa: E402  (machine description, memory flags)

BIN = ROOT / "build" / "app" / "deltaplane"
def modes(generators):
    """EAL lcores, vdev and spec key per mode. The forwarding lcore 1 has CPU 1
    and polls one RX queue per generator. Generator lcores 2.. get CPUs of their
    own from CPU 2 on; past the machine's CPUs they share CPU 0 with the mostly
    sleeping main lcore (on 2 CPUs: one generator lcore on CPU 0). The inline
    source uses the same forwarding lcore and queues."""
    cpus = os.cpu_count() or 2
    gens = ",".join(f"{2 + i}@{2 + i if 2 + i < cpus else 0}" for i in range(generators))
    last = 1 + generators
    return {
        "generator": (f"0@0,1@1,{gens}", "net_null0,no-rx=1",
                      f",lcore=2-{last}" if generators > 1 else ",lcore=2"),
        "inline": ("0@0,1@1", "net_null0", ""),
    }


def one_run(mode, engine, size, source, seconds, generators=1):
    lcores, vdev, key = modes(generators)[mode]
    path = f"/tmp/dpsrc-{os.getpid()}.json"
    spec = f"0:size={size},flows=1024,seed=1,{source}{key}"
    queues = ["--rxq", str(generators)] if generators > 1 else []
    cmd = [str(BIN), "--lcores", lcores, "--no-pci", "--log-level=error"] + system_bench.mem_args() + [
        "--vdev", vdev, "--", "--synth", spec, "--fwd", engine, "--port-topology", "loop",
        "--duration", str(seconds), "--quiet", "--cycles", "--stats-json", path] + queues
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    if p.returncode != 0 or not os.path.exists(path):
        raise SystemExit(f"source_bench: run failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-1500:]}")
    with open(path) as f:
        s = json.load(f)
    os.unlink(path)
    g = s["synthetic"][0]
    lc = next(l for l in s["lcores"] if l["polls"])
    cycles = sum(s["cycles_per_packet"].values())
    rx = sum(l["rx_packets"] for l in s["lcores"])
    busy_total = g.get("generator_busy_s", 0) + g.get("generator_full_s", 0) + g.get("generator_idle_s", 0)
    return {
        "forwarded_mpps": rx / s["elapsed_s"] / 1e6,
        "engine_alone_mpps": s["tsc_hz"] / cycles / 1e6 if cycles else 0.0,
        "engine_cycles_per_frame": cycles,
        "engine_empty_polls_pct": 100.0 * lc["empty_polls"] / lc["polls"],
        "source_alone_mpps": g.get("generator_mpps_alone", 0.0),
        "ring_full_pct": 100.0 * g.get("generator_full_s", 0) / busy_total if busy_total else 0.0,
        "drops": {k: v for k, v in s["drops"].items() if v},
    }, cmd


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def markdown(doc):
    lines = ["| source | size | engine | forwarded Mpps (min-max) | engine alone Mpps | "
             "source alone Mpps | source / engine | ring full % | engine waiting % | bottleneck | "
             "inline-source Mpps |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|"]
    for r in doc["rows"]:
        wait = max(0.0, 100.0 * (1 - r["forwarded_mpps"] / r["engine_alone_mpps"])) \
            if r["engine_alone_mpps"] else 0.0
        neck = "engine" if r["ratio"] > 1.05 else "source" if r["ratio"] < 0.95 else "even"
        lines.append(
            f"| {r['source']} | {r['size']} | {r['engine']} | {r['forwarded_mpps']:.1f} "
            f"({r['forwarded_min']:.1f}-{r['forwarded_max']:.1f}) | {r['engine_alone_mpps']:.1f} | "
            f"{r['source_alone_mpps']:.1f} | **{r['ratio']:.2f}** | {r['ring_full_pct']:.1f} | "
            f"{wait:.1f} | {neck} | {r.get('inline_mpps', 0):.1f} |")
    return "\n".join(lines) + "\n"


def plot(doc, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    sizes = list(dict.fromkeys(r["size"] for r in doc["rows"]))
    sources = list(dict.fromkeys(r["source"] for r in doc["rows"]))
    fig, axes = plt.subplots(len(sources), len(sizes), figsize=(4.2 * len(sizes), 3.6 * len(sources)),
                             squeeze=False)
    for ax, (source, size) in zip(axes.flat, [(s, z) for s in sources for z in sizes]):
        rows = [r for r in doc["rows"] if r["size"] == size and r["source"] == source]
        x = range(len(rows))
        ax.bar([i - 0.2 for i in x], [r["engine_alone_mpps"] for r in rows], 0.4, label="engine alone")
        gens = doc.get("generators", 1)
        ax.bar([i + 0.2 for i in x], [r["source_alone_mpps"] for r in rows], 0.4,
               label=f"source alone ({gens} generator lcore{'s' if gens > 1 else ''})")
        ax.set_xticks(list(x))
        ax.set_xticklabels([r["engine"] for r in rows], fontsize=8)
        ax.set_title(f"{size} B ({rows[0]['source']})")
        ax.set_ylabel("Mpps")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engines", default="rxonly,io,macswap,validate,csum,encode")
    ap.add_argument("--sizes", default="64,1500,imix")
    ap.add_argument("--source", action="append",
                    help="spec keys of the source besides size, repeatable (default: replay 8192 "
                         "records frames, then the same with payload=fill)")
    ap.add_argument("--generators", type=int, default=1,
                    help="generator lcores, one per RX queue of the source port; the forwarding "
                         "lcore polls all the queues (default 1; more need more CPUs to mean much)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--no-inline", dest="inline", action="store_false",
                    help="skip the inline-source comparison runs")
    ap.add_argument("--out", default=str(ROOT / "docs" / "bench" / "source"))
    ap.add_argument("--replot", action="store_true", help="only redo md/png from OUT.json")
    a = ap.parse_args()
    a.source = a.source or ["bank=8192", "payload=fill,bank=8192"]
    if a.replot:
        out = pathlib.Path(a.out)
        doc = json.loads(out.with_suffix(".json").read_text())
        out.with_suffix(".md").write_text(markdown(doc))
        plot(doc, out.with_suffix(".png"))
        print(markdown(doc))
        return
    if not BIN.exists():
        sys.exit(f"source_bench: {BIN} not found: build first (tools/build.sh)")
    t0 = time.time()
    doc = {"benchmark": "source_vs_engines", "argv": sys.argv, "machine": system_bench.machine(),
           "rounds": a.rounds, "seconds_per_run": a.seconds, "source": a.source,
           "generators": a.generators, "rows": [],
           "commands": {}}
    for source, size in [(src, z) for src in a.source for z in a.sizes.split(",")]:
        for engine in a.engines.split(","):
            runs, inline = [], []
            for _ in range(a.rounds):  # alternate the two sources
                r, cmd = one_run("generator", engine, size, source, a.seconds, a.generators)
                runs.append(r)
                doc["commands"]["generator"] = cmd
                if a.inline:
                    i, cmd = one_run("inline", engine, size, source, a.seconds, a.generators)
                    inline.append(i["forwarded_mpps"])
                    doc["commands"]["inline"] = cmd
            row = {"size": size, "engine": engine, "source": source, "runs": runs}
            for k in ("forwarded_mpps", "engine_alone_mpps", "engine_cycles_per_frame",
                      "engine_empty_polls_pct", "source_alone_mpps", "ring_full_pct"):
                row[k] = round(median_of(runs, k), 3)
            row["forwarded_min"] = min(r["forwarded_mpps"] for r in runs)
            row["forwarded_max"] = max(r["forwarded_mpps"] for r in runs)
            row["ratio"] = round(row["source_alone_mpps"] / row["engine_alone_mpps"], 3) \
                if row["engine_alone_mpps"] else 0.0
            if inline:
                row["inline_mpps"] = round(statistics.median(inline), 3)
            doc["rows"].append(row)
            print(f"[{time.time() - t0:5.0f}s] {source} {size:>5s} {engine:8s}: forwarded "
                  f"{row['forwarded_mpps']:6.1f} Mpps, engine alone {row['engine_alone_mpps']:6.1f}, "
                  f"source alone {row['source_alone_mpps']:6.1f} (x{row['ratio']:.2f}), ring full "
                  f"{row['ring_full_pct']:4.1f}%"
                  + (f"; inline source {row['inline_mpps']:.1f} Mpps" if inline else ""), flush=True)
    doc["duration_s"] = round(time.time() - t0, 1)
    out = pathlib.Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(doc, indent=1) + "\n")
    out.with_suffix(".md").write_text(markdown(doc))
    try:
        plot(doc, out.with_suffix(".png"))
    except ImportError:
        print("source_bench: matplotlib missing (run under /usr/bin/python3): no plot")
    print(markdown(doc))
    print(f"source_bench: {len(doc['rows'])} rows in {doc['duration_s']} s -> {out}.{{json,md,png}}")


if __name__ == "__main__":
    main()
