#!/usr/bin/env python3
"""deltaplane vs dpdk-testpmd, side by side in one run, per engine and frame size.

For every engine and size, both programs forward between the same two vdevs on
the same single forwarding lcore (lcore 1; lcore 0 is the main lcore), same burst
and descriptor counts, runs alternating (testpmd, deltaplane, testpmd, ...) for
--rounds rounds. Each run reports the median of its per-second packet rates
after a warm-up second; the table gives the median over runs, min-max, ns per
packet and the ratio deltaplane / testpmd. Engines without a testpmd counterpart
(validate, encode, decode) are measured alone and compared with deltaplane io.

Traffic: --vdev null uses net_null (RX makes 64-byte frames of zeros, TX frees);
--vdev pcap replays a generated capture of real headers (tools/gen_traffic.py,
slowly changing records) through net_pcap infinite_rx on both ports; the decode
engine replays what the encoder made of that capture.

  bench/system_bench.py                        # everything, writes docs/bench/*
  bench/system_bench.py --engines io --vdev null --sizes 64 --rounds 3
  bench/system_bench.py --compare /tmp/old/app/deltaplane --name before-after
      # this build against another deltaplane binary (instead of testpmd), alternating
Results: a JSON file that describes itself, a markdown table and PNG plots.
Every DPDK process gets --no-pci and --in-memory (or --no-huge + unique prefix).
"""
import argparse
import atexit
import datetime
import json
import os
import pathlib
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
# "This build": build/ or $DELTAPLANE_BUILD (as the tests take it).
BIN = pathlib.Path(os.environ.get("DELTAPLANE_BUILD", ROOT / "build")) / "app" / "deltaplane"
TESTPMD_MODES = {"io": "io", "macswap": "macswap", "csum": "csum", "rxonly": "rxonly",
                 "txonly": "txonly", "flowgen": "flowgen"}
ALL_ENGINES = ["io", "macswap", "csum", "validate", "encode", "decode"]
SIZES = ["64", "512", "1500", "imix"]


def log(*a):
    print(*a, flush=True)


_prefixes = []


def _remove_runtime_dirs():
    for prefix in _prefixes:
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)


atexit.register(_remove_runtime_dirs)


def mem_args():
    """EAL memory flags: hugepages in memory when enough are free, else
    --no-huge under a prefix of our own, whose runtime dir goes at exit."""
    try:
        free = int(open("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages").read())
    except OSError:
        free = 0
    if free >= 512:
        return ["--in-memory", "-m", "1024"]
    prefix = f"dpbench-{os.getpid()}-{time.time_ns()}"
    _prefixes.append(prefix)
    return ["--no-huge", "-m", "1024", "--file-prefix", prefix]


def run_for(cmd, seconds):
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = p.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=30)
    return out


GENERATORS = {"txonly", "flowgen"}  # measured by what they send, not what they receive


def testpmd_rates(out, what="Rx"):
    """Total RX (or TX) rate per stats period: one 'NIC statistics for port N'
    block per port, a period ends when the port numbering starts again."""
    rates, cur, seen = [], 0, set()
    for port, pps in re.findall(r"NIC statistics for port (\d+)\s.*?" + what + r"-pps:\s+(\d+)", out, re.S):
        if port in seen:
            rates.append(cur)
            cur, seen = 0, set()
        seen.add(port)
        cur += int(pps)
    if seen and len(seen) == 2:
        rates.append(cur)
    return rates


def deltaplane_rates(out, column=2, port=None):
    """Per-period sum over ports (or of one port) of the rx-Mpps (column 2) or
    tx-Mpps (3) column, in packets/s."""
    rates, cur = [], None
    for line in out.splitlines():
        if line.startswith("---- deltaplane stats"):
            cur = 0.0
        elif cur is not None:
            if line.strip().startswith("lcore"):
                rates.append(cur)
                cur = None
                continue
            # port [name] rx-packets tx-packets rx-Mpps tx-Mpps rx-Gbps tx-Gbps hw-missed
            # (builds before the name column lack it)
            m = re.match(r"^\s+(\d+)\s+(?:\S+\s+)?\d+\s+\d+\s+([\d.]+)\s+([\d.]+)\s+[\d.]+"
                         r"\s+[\d.]+\s+\d+\s*$", line)
            if m and (port is None or int(m.group(1)) == port):
                cur += float(m.group(column)) * 1e6
    return rates


class Traffic:
    def __init__(self, workdir):
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)

    def pcap(self, size):
        p = self.dir / f"traffic-{size}.pcap"
        if not p.exists():
            subprocess.run([sys.executable, str(ROOT / "tools" / "gen_traffic.py"), str(p),
                            "--packets", "4000", "--flows", "64", "--model", "slow",
                            "--size", size, "--seed", "42"], check=True)
        return p

    def encoded(self, size, codec):
        """The capture as this build's encoder sends it in wire format `codec`
        (kept per format: a decoder given the other format decodes nothing;
        made again when the binary is newer, as a format may have changed)."""
        p = self.dir / f"traffic-{size}-encoded-v{codec}.pcap"
        if not p.exists() or p.stat().st_mtime < BIN.stat().st_mtime:
            src = self.pcap(size)
            subprocess.run([str(BIN), "-l", "0,1", "--no-pci", "--log-level=error"] + mem_args() +
                           ["--vdev", f"net_pcap0,rx_pcap={src},tx_pcap={p}", "--", "--fwd", "encode",
                            "--codec", str(codec), "--mtu", "9000", "--idle-timeout", "0.5", "--quiet"],
                           check=True, capture_output=True)
        return p


CODEC_ENGINES = ("encode", "decode", "gateway")  # the engines --codec applies to


def vdevs(kind, engine, size, traffic, codec):
    if kind == "null":
        return ["--vdev", "net_null0", "--vdev", "net_null1"]
    src = traffic.encoded(size, codec) if engine == "decode" else traffic.pcap(size)
    return ["--vdev", f"net_pcap0,rx_pcap={src},infinite_rx=1",
            "--vdev", f"net_pcap1,rx_pcap={src},infinite_rx=1"]


def one_run(tool, engine, size, a, traffic):
    eal = ["-l", "0,1", "--no-pci", "--log-level=error"] + mem_args() + vdevs(a.vdev, engine, size, traffic,
                                                                               a.codec)
    binary = a.compare if tool == "base" else str(BIN)
    codec_args = ["--codec", str(a.codec)] if engine in CODEC_ENGINES else []
    if engine == "decode" and a.codec == 2:
        # Format 2 fills tunnel packets up to the 9000-byte MTU: net_pcap's
        # endless replay takes them in one mbuf only.
        codec_args += ["--mbuf-size", "10240"]
    if tool == "base" and a.base_args is not None:
        codec_args = a.base_args.split()
    if tool == "testpmd":
        cmd = ["dpdk-testpmd"] + eal + ["--", f"--forward-mode={TESTPMD_MODES[engine]}",
               "--auto-start", "--stats-period", "1", f"--burst={a.burst}", "--rxd=1024",
               "--txd=1024", "--no-flush-rx"]
        # testpmd starts forwarding after about a second of set-up; give it that
        # second on top, so both programs contribute the same number of samples.
        out = run_for(cmd, a.seconds + 1.5)
        rates = testpmd_rates(out, "Tx" if engine in GENERATORS else "Rx")
    else:
        summary_path = f"/tmp/dpbench-{os.getpid()}.json"
        cmd = [binary] + eal + ["--", "--fwd", engine, "--stats-period", "1", "--duration",
               str(a.seconds), "--burst", str(a.burst), "--rxd", "1024", "--txd", "1024",
               "--mtu", "9000", "--stats-json", summary_path] + codec_args
        out = run_for(cmd, a.seconds + 30)
        try:
            with open(summary_path) as f:
                summary = json.load(f)
            os.unlink(summary_path)
            one_run.last_summary = {"drops": {k: v for k, v in summary["drops"].items() if v},
                                    "latency_ns": summary.get("latency_ns", {}),
                                    "codec": summary.get("codec"), "totals": summary["totals"]}
        except (OSError, ValueError, KeyError):
            one_run.last_summary = None
        # Generators count what they send; the decoder too: with wire format 2
        # one tunnel packet it receives restores many frames.
        rates = deltaplane_rates(out, 3 if engine in GENERATORS or engine == "decode" else 2)
    samples = rates[1:]  # the first period includes start-up
    samples = [x for x in samples if x > 0] or samples
    if not samples:
        raise SystemExit(f"{tool}: no rate samples from: {' '.join(cmd)}\n{out[-2000:]}")
    return statistics.median(samples), cmd, out


def tool_output(cmd):
    """stdout of a helper tool, or "?" where it is missing (e.g. inside a bundle)."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.strip() or "?"
    except OSError:
        return "?"


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    flags = next((l.split(":", 1)[1].split() for l in open("/proc/cpuinfo") if l.startswith("flags")), [])
    rev = tool_output(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"])
    dpdk = tool_output(["pkg-config", "--modversion", "libdpdk"])
    return {"cpu": cpu, "cpu_flags": [f for f in flags if f.startswith(("avx", "sse", "pclmul", "bmi"))],
            "nproc": os.cpu_count(), "kernel": platform.release(), "git_revision": rev,
            "dpdk_version": dpdk, "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "hugepages": "--no-huge" not in mem_args()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engines", default=",".join(ALL_ENGINES))
    ap.add_argument("--sizes", default=",".join(SIZES))
    ap.add_argument("--vdev", default="pcap", choices=["pcap", "null"])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=4)
    ap.add_argument("--burst", type=int, default=32)
    ap.add_argument("--out", default=str(ROOT / "docs" / "bench"), help="folder for json/md/png")
    ap.add_argument("--name", default=None, help="result file stem (default: system-<vdev>)")
    ap.add_argument("--compare", default=None, metavar="BINARY",
                    help="alternate with this deltaplane binary instead of dpdk-testpmd")
    ap.add_argument("--codec", type=int, default=2, choices=[1, 2],
                    help="wire format of the encode and decode runs (default 2)")
    ap.add_argument("--base-args", default=None, metavar="ARGS",
                    help="with --compare: the base's options instead of --codec N (\"\" for a "
                         "build older than --codec, which knows wire format 1 only)")
    a = ap.parse_args()
    engines = a.engines.split(",")
    sizes = a.sizes.split(",") if a.vdev == "pcap" else ["64"]
    out_dir = pathlib.Path(a.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    traffic = Traffic(ROOT / "build" / "bench-traffic")
    stem = a.name or f"system-{a.vdev}"
    result = {"benchmark": "system", "argv": sys.argv, "vdev": a.vdev, "rounds": a.rounds, "codec": a.codec,
              "seconds_per_run": a.seconds, "burst": a.burst, "machine": machine(), "runs": [],
              "commands": {}}
    t0 = time.time()
    total = sum((2 if e in TESTPMD_MODES or a.compare else 1) for e in engines) * len(sizes) * a.rounds
    done = 0
    for size in sizes:
        for engine in engines:
            if a.compare:
                tools = ["base", "deltaplane"]
            else:
                tools = ["testpmd", "deltaplane"] if engine in TESTPMD_MODES else ["deltaplane"]
            for r in range(a.rounds):
                # Against another build the order alternates per round (ABBA...),
                # so a drift of the machine's speed weighs on both alike.
                for tool in (tools if not a.compare or r % 2 == 0 else tools[::-1]):
                    mpps, cmd, _ = one_run(tool, engine, size, a, traffic)
                    done += 1
                    run = {"tool": tool, "engine": engine, "size": size, "round": r + 1,
                           "mpps": mpps / 1e6}
                    if tool == "deltaplane" and getattr(one_run, "last_summary", None):
                        run["summary"] = one_run.last_summary  # drops by reason, latency, codec
                    result["runs"].append(run)
                    result["commands"][f"{tool}/{engine}/{size}"] = cmd
                    log(f"[{done}/{total} {time.time() - t0:5.0f}s] size {size:>4} {engine:8s} "
                        f"{tool:10s} round {r + 1}: {mpps / 1e6:8.2f} Mpps")
    # Aggregate.
    rows = []
    for size in sizes:
        io_dp = [x["mpps"] for x in result["runs"] if x["engine"] == "io" and x["tool"] == "deltaplane" and x["size"] == size]
        for engine in engines:
            row = {"engine": engine, "size": size}
            for tool in ("deltaplane", "testpmd", "base"):
                v = [x["mpps"] for x in result["runs"] if x["engine"] == engine and x["tool"] == tool and x["size"] == size]
                if v:
                    row[tool] = {"median": statistics.median(v), "min": min(v), "max": max(v)}
            if "testpmd" in row:
                row["ratio_to_testpmd"] = row["deltaplane"]["median"] / row["testpmd"]["median"]
            if "base" in row:
                row["ratio_to_base"] = row["deltaplane"]["median"] / row["base"]["median"]
                # Paired: this build over the base within each round (the two
                # runs of a round sit next to each other in time).
                paired = [d["mpps"] / b["mpps"] for d in result["runs"] for b in result["runs"]
                          if d["tool"] == "deltaplane" and b["tool"] == "base" and d["engine"] == engine
                          and b["engine"] == engine and d["size"] == size and b["size"] == size
                          and d["round"] == b["round"]]
                row["paired_ratio"] = {"median": statistics.median(paired), "min": min(paired),
                                       "max": max(paired)}
            if io_dp:
                row["ratio_to_io"] = row["deltaplane"]["median"] / statistics.median(io_dp)
            rows.append(row)
    result["table"] = rows
    if a.compare:
        result["compare"] = a.compare
    (out_dir / f"{stem}.json").write_text(json.dumps(result, indent=2))
    if a.compare:
        md = [f"Run {result['machine']['date']}, git {result['machine']['git_revision']} against "
              f"{a.compare}, vdev {a.vdev}, wire format {a.codec} (base options: "
              f"{a.base_args if a.base_args is not None else '--codec ' + str(a.codec)!r}), "
              f"1 forwarding lcore, {a.rounds} rounds x {a.seconds} s "
              f"alternating (order swapped every round), median of per-second rates; "
              f"paired: the median (min-max) over rounds of this build / base within a round.", "",
              "| size | engine | this build Mpps (min-max) | base Mpps (min-max) | ratio | paired (min-max) |",
              "|---|---|---|---|---|---|"]
        for row in rows:
            d, b, pr = row["deltaplane"], row["base"], row["paired_ratio"]
            md.append(f"| {row['size']} | {row['engine']} | {d['median']:.2f} ({d['min']:.2f}-{d['max']:.2f}) "
                      f"| {b['median']:.2f} ({b['min']:.2f}-{b['max']:.2f}) | {row['ratio_to_base']:.3f} "
                      f"| {pr['median']:.3f} ({pr['min']:.3f}-{pr['max']:.3f}) |")
        (out_dir / f"{stem}.md").write_text("\n".join(md) + "\n")
        log("\n" + "\n".join(md))
        log(f"done in {time.time() - t0:.0f} s: {out_dir / stem}.{{json,md}}")
        return
    md = [f"Run {result['machine']['date']}, git {result['machine']['git_revision']}, "
          f"{result['machine']['cpu']}, DPDK {result['machine']['dpdk_version']}, vdev {a.vdev}, "
          f"wire format {a.codec}, 1 forwarding lcore, burst {a.burst}, {a.rounds} rounds x {a.seconds} s, median of "
          f"per-second rates.", "",
          "| size | engine | deltaplane Mpps (min-max) | ns/pkt | testpmd Mpps (min-max) | ratio to testpmd | ratio to io |",
          "|---|---|---|---|---|---|---|"]
    for row in rows:
        d = row["deltaplane"]
        t = row.get("testpmd")
        md.append(f"| {row['size']} | {row['engine']} | {d['median']:.2f} ({d['min']:.2f}-{d['max']:.2f}) | "
                  f"{1e3 / d['median']:.1f} | "
                  + (f"{t['median']:.2f} ({t['min']:.2f}-{t['max']:.2f})" if t else "-") + " | "
                  + (f"{row['ratio_to_testpmd']:.2f}" if t else "-") + " | "
                  + (f"{row['ratio_to_io']:.2f}" if "ratio_to_io" in row else "-") + " |")
    (out_dir / f"{stem}.md").write_text("\n".join(md) + "\n")
    log("\n" + "\n".join(md))
    plot = subprocess.run(["/usr/bin/python3", str(ROOT / "tools" / "plot_bench.py"),
                           str(out_dir / f"{stem}.json"), str(out_dir / f"{stem}.png")])
    if plot.returncode != 0:
        log("plot: failed (is python3-matplotlib installed?)")
    log(f"done in {time.time() - t0:.0f} s: {out_dir / stem}.{{json,md,png}}")


if __name__ == "__main__":
    main()
