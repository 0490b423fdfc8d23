#!/usr/bin/env python3
"""deltaplane vs dpdk-testpmd, side by side in one run.

Both forward between the same two vdevs (net_null by default: RX makes 64-byte
frames, TX frees them, so the forwarding core is the only bottleneck) on the same
single forwarding lcore (1), main lcore 0, same burst and descriptor counts.
Runs alternate (testpmd, deltaplane, testpmd, ...) for --rounds rounds; each run
reports the median of its per-second packet rates after a warm-up second; the
result is the median over runs and the ratio deltaplane / testpmd.

  bench/fwd_vs_testpmd.py [--engine io] [--rounds 3] [--seconds 5] [--json out.json]
Standard library only. Every DPDK process gets --no-pci and --in-memory.
"""
import argparse
import json
import os
import pathlib
import platform
import re
import signal
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
TESTPMD_MODES = {"io": "io", "macswap": "macswap", "rxonly": "rxonly"}


def mem_args():
    try:
        free = int(open("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages").read())
    except OSError:
        free = 0
    if free >= 512:
        return ["--in-memory", "-m", "1024"]
    return ["--no-huge", "-m", "1024", "--file-prefix", f"dpbench-{os.getpid()}-{time.time_ns()}"]


def vdev_args(kind):
    if kind == "null":
        return ["--vdev", "net_null0", "--vdev", "net_null1"]
    raise SystemExit(f"unknown vdev kind {kind}")


def eal(kind):
    return ["-l", "0,1", "--no-pci", "--log-level=error"] + mem_args() + vdev_args(kind)


def run_for(cmd, seconds):
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = p.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=30)
    return out


def testpmd_rates(out, nports=2):
    """Per-second total RX packet rates from testpmd's --stats-period blocks."""
    pps = [int(m) for m in re.findall(r"Rx-pps:\s+(\d+)", out)]
    return [sum(pps[i:i + nports]) for i in range(0, len(pps) - nports + 1, nports)]


def deltaplane_rates(out):
    rates, cur = [], None
    for line in out.splitlines():
        if line.startswith("---- deltaplane stats"):
            if cur is not None:
                rates.append(cur)
            cur = 0.0
        elif cur is not None:
            m = re.match(r"^\s+(\d+)\s+\d+\s+\d+\s+([\d.]+)\s+[\d.]+\s", line)
            if m and not line.strip().startswith("lcore"):
                cur += float(m.group(2)) * 1e6
            if line.strip().startswith("lcore"):
                rates.append(cur)
                cur = None
    return rates


def one_run(tool, engine, seconds, kind, burst):
    if tool == "testpmd":
        cmd = ["dpdk-testpmd"] + eal(kind) + ["--", f"--forward-mode={TESTPMD_MODES[engine]}",
               "--auto-start", "--stats-period", "1", f"--burst={burst}",
               "--rxd=1024", "--txd=1024", "--no-flush-rx"]
        rates = testpmd_rates(run_for(cmd, seconds + 1))
    else:
        cmd = [str(ROOT / "build/app/deltaplane")] + eal(kind) + [
            "--", "--fwd", engine, "--stats-period", "1", "--duration", str(seconds),
            "--burst", str(burst), "--rxd", "1024", "--txd", "1024"]
        rates = deltaplane_rates(run_for(cmd, seconds + 30))
    samples = rates[1:] if len(rates) > 2 else rates  # drop the warm-up second
    if not samples:
        raise SystemExit(f"{tool}: no rate samples; command was {' '.join(cmd)}")
    return statistics.median(samples), cmd


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine", default="io", choices=sorted(TESTPMD_MODES))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--burst", type=int, default=32)
    ap.add_argument("--vdev", default="null")
    ap.add_argument("--json", help="write results here")
    a = ap.parse_args()

    results = {"testpmd": [], "deltaplane": []}
    cmds = {}
    for r in range(a.rounds):
        for tool in ("testpmd", "deltaplane"):
            mpps, cmd = one_run(tool, a.engine, a.seconds, a.vdev, a.burst)
            cmds[tool] = cmd
            results[tool].append(mpps / 1e6)
            print(f"round {r + 1}/{a.rounds} {tool:10s} {a.engine}: {mpps / 1e6:8.2f} Mpps", flush=True)
    med = {t: statistics.median(v) for t, v in results.items()}
    ratio = med["deltaplane"] / med["testpmd"] if med["testpmd"] else float("nan")
    print(f"\nengine {a.engine}, vdev {a.vdev}, 1 forwarding core, burst {a.burst}, {a.rounds} rounds x {a.seconds} s")
    for t in ("testpmd", "deltaplane"):
        v = results[t]
        print(f"  {t:10s} median {med[t]:8.2f} Mpps  (min {min(v):.2f}, max {max(v):.2f})  "
              f"{1e3 / med[t]:.2f} ns/packet")
    print(f"  ratio deltaplane/testpmd: {ratio:.3f}")
    if a.json:
        rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True).stdout.strip()
        cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
        with open(a.json, "w") as f:
            json.dump({"engine": a.engine, "vdev": a.vdev, "burst": a.burst, "rounds": a.rounds,
                       "seconds": a.seconds, "git_revision": rev, "cpu": cpu,
                       "kernel": platform.release(), "runs_mpps": results, "median_mpps": med,
                       "ratio": ratio, "commands": cmds}, f, indent=2)


if __name__ == "__main__":
    main()
