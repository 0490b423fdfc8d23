#!/usr/bin/env python3
"""How forwarding scales with cores: N = 1, 2, 4, ... forwarding lcores.

For every N up to the machine's physical cores minus the main lcore's (or
--max-cores), in one go and alternating (round 1 of every series at every N,
then round 2, ...):

  rtc <engine>        N forwarding lcores, N RX queues on one net_null port
                      (--rxq N, RSS; --port-topology loop), for io, validate,
                      encode and decode. Source: --synth on the port, frames
                      built on generator lcores (lcore=, no-rx=1) and handed
                      over as from a NIC (payload=fill, bank=8192: faster than
                      the engines, bench/source_bench.py): one per RX queue on
                      cores of their own; with fewer cores left, fewer
                      generators each feeding several queues; with none left
                      (N=1 on 2 CPUs), one on the main lcore's CPU, whose
                      control loop sleeps. The "source" column says which, and
                      the generators' ring-full share and the forwarding
                      lcores' idle polls say whether the source kept up.
                      decode replays what the encoder made of a generated
                      capture (tools/gen_traffic.py, as bench/system_bench.py
                      does) through net_pcap, one rx_pcap per queue.
  pipeline <engine>   --model pipeline --stages rx:1,work:2-(N-1),tx:N: one RX
                      lcore, N-2 workers, one TX lcore (N >= 3), same sources
                      with one RX queue.
  rtc io, net_null    deltaplane io on plain net_null, and
  testpmd io          dpdk-testpmd --nb-cores N --rxq N --txq N io on the same
                      plain net_null port: the reference curve.

Each run lasts --seconds; its figure is the median of its periodic TX rates
(frames that left the port) after the first second. The table gives the median
over --rounds runs with min-max and the per-core efficiency, rate / (N x rate
at N=1 of the same series; pipeline against rtc of the same engine). Forwarding
lcores get one physical core each (SMT siblings are left out), on the NUMA node
of the main lcore first; every run prints where its lcores and queues landed
(--print-topology, testpmd's stream list).

  /usr/bin/python3 bench/scaling.py                     # every N this machine has
  /usr/bin/python3 bench/scaling.py --max-cores 1       # N = 1 only (this VM: ~2 min)
  /usr/bin/python3 bench/scaling.py --dry-run --max-cores 8 --oversubscribe   # show the plan
  python3 bench/scaling.py                              # in an unpacked bundle (tools/bundle.sh):
                                                        # results/scaling-HOST.{json,md,png}

Results: OUT.json (machine, versions, git revision, every command line and run),
OUT.md and OUT.png. Every DPDK process gets --no-pci and --in-memory (or
--no-huge with its own --file-prefix, removed afterwards).
"""
import argparse
import datetime
import glob
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
ENGINES = ["io", "validate", "encode", "decode"]
MANIFEST = ROOT / "MANIFEST.json"  # present in a bundle (tools/bundle.sh)


def log(*a):
    print(*a, flush=True)


def default_deltaplane():
    for p in (ROOT / "bin" / "deltaplane", ROOT / "build" / "app" / "deltaplane"):
        if p.exists():
            return str(p)
    return str(ROOT / "build" / "app" / "deltaplane")


def default_testpmd():
    p = ROOT / "bin" / "dpdk-testpmd"
    return str(p) if p.exists() else (shutil.which("dpdk-testpmd") or "dpdk-testpmd")


# ---------------------------------------------------------------- the machine

def read(path, default=None):
    try:
        return pathlib.Path(path).read_text().strip()
    except OSError:
        return default


def cpu_layout():
    """(primary, siblings): one logical CPU per physical core, NUMA node of the
    first allowed CPU first, then the SMT siblings (left unused)."""
    cpus = []
    for c in sorted(os.sched_getaffinity(0)):
        base = f"/sys/devices/system/cpu/cpu{c}"
        node = next((int(m.group(1)) for m in (re.match(r".*/node(\d+)$", p) for p in glob.glob(f"{base}/node*"))
                     if m), 0)
        cpus.append({"cpu": c, "node": node,
                     "package": int(read(f"{base}/topology/physical_package_id", "0")),
                     "core": int(read(f"{base}/topology/core_id", str(c)))})
    primary, siblings, seen = [], [], set()
    for c in cpus:
        key = (c["package"], c["core"])
        (siblings if key in seen else primary).append(c)
        seen.add(key)
    node0 = primary[0]["node"] if primary else 0
    primary.sort(key=lambda c: (c["node"] != node0, c["cpu"]))
    return primary, siblings


def free_hugepages():
    try:
        return int(read("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "0"))
    except ValueError:
        return 0


def run_text(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine(a, primary, siblings):
    cpuinfo = read("/proc/cpuinfo", "")
    model = next((l.split(":", 1)[1].strip() for l in cpuinfo.splitlines() if l.startswith("model name")), "?")
    flags = next((l.split(":", 1)[1].split() for l in cpuinfo.splitlines() if l.startswith("flags")), [])
    bundle = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else None
    rev = run_text(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"]) if (ROOT / ".git").exists() else ""
    dirty = bool(run_text(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"])) if rev else None
    dpdk = run_text(["pkg-config", "--modversion", "libdpdk"]) if shutil.which("pkg-config") else ""
    nodes = sorted({c["node"] for c in primary + siblings})
    return {
        "cpu": model, "cpu_flags": [f for f in flags if f.startswith(("avx", "sse", "pclmul", "bmi"))],
        "logical_cpus_allowed": len(primary) + len(siblings), "physical_cores_allowed": len(primary),
        "numa_nodes": nodes, "smt_siblings_unused": [c["cpu"] for c in siblings],
        "kernel": platform.release(), "hostname": platform.node(),
        "os": next((l.split("=", 1)[1].strip('"') for l in (read("/etc/os-release", "") or "").splitlines()
                    if l.startswith("PRETTY_NAME=")), "?"),
        "git_revision": rev or (bundle or {}).get("git_revision", "?"),
        "git_dirty": dirty if rev else (bundle or {}).get("git_dirty"),
        "dpdk_version": dpdk or (bundle or {}).get("dpdk_version", "?"),
        "bundle": {k: bundle[k] for k in ("name", "git_revision", "dpdk_version", "date") if k in bundle}
        if bundle else None,
        "deltaplane": a.deltaplane, "testpmd": a.testpmd,
        "hugepages_2m_free_at_start": free_hugepages(),
        "loadavg_at_start": read("/proc/loadavg"),
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
    }


# ---------------------------------------------------------------- the plan

class Point:
    """One series at one N: who runs where, and the command line."""

    def __init__(self, series, tool, model, engine, n, source):
        self.series, self.tool, self.model, self.engine, self.n = series, tool, model, engine, n
        self.source = source          # what feeds the port, as the table says it
        self.lcores = {}              # lcore -> (cpu, role)
        self.vdev = ""
        self.app = []


def plan_point(series, n, a, primary, traffic):
    """A Point, or a string saying why this series cannot run at this N."""
    cores = [c["cpu"] for c in primary]
    over = a.oversubscribe

    def cpu(i):  # the i-th core of the list; with --oversubscribe wrap over cores 1..
        if i < len(cores):
            return cores[i]
        if not over:
            return None
        rest = cores[1:] or cores
        return rest[(i - 1) % len(rest)]

    tool, model, engine = series
    name = series_name(series)
    if model == "pipeline" and n < 3:
        return f"{name} at N={n}: one RX lcore + N-2 workers + one TX lcore needs N >= 3"
    if n + 1 > len(cores) and not over:
        return f"{name} at N={n}: needs {n + 1} cores (main + {n}), the machine has {len(cores)}"
    p = Point(name, tool, model, engine, n, "")
    p.lcores[0] = (cpu(0), "main")
    for i in range(1, n + 1):
        p.lcores[i] = (cpu(i), "forwarding")
    rxq = 1 if model == "pipeline" else n
    if tool == "testpmd" or engine == "io-null":
        p.vdev, p.source = "net_null0", "net_null (64 B zeros, built in rx_burst)"
    elif engine == "decode":
        f = traffic.encoded(a.size)
        p.vdev = "net_pcap0," + ",".join([f"rx_pcap={f}"] * rxq) + ",infinite_rx=1"
        p.source = f"net_pcap replay of the encoder's output ({rxq} rx_pcap), copied in rx_burst"
    else:
        # One generator lcore per RX queue on cores of their own; with fewer
        # cores left, fewer generators, each feeding several queues (queue q
        # from generator q mod G); with none left, one on the main lcore's CPU.
        spare = len(cores) - 1 - n
        wrap = over and spare < 0  # --oversubscribe, and the forwarding lcores alone do not fit
        gens = rxq if wrap else max(1, min(rxq, spare))
        spec = f"0:size={a.size},flows={a.flows},seed=1,payload=fill,bank=8192"
        for g in range(gens):
            lc = n + 1 + g
            c = cpu(lc) if wrap else cores[lc] if spare > 0 else cores[0]
            p.lcores[lc] = (c, "generator for RX queue(s) " + ",".join(str(q) for q in range(g, rxq, gens)))
        spec += f",lcore={n + 1}" + (f"-{n + gens}" if gens > 1 else "")
        p.vdev = "net_null0,no-rx=1"
        if wrap:
            p.source = "--synth, generator lcores sharing CPUs (oversubscribed)"
        elif spare > 0:
            p.source = f"--synth, {gens} generator lcore(s) on own core(s) for {rxq} RX queue(s)"
        else:
            p.source = f"--synth, 1 generator lcore on the main lcore's CPU for {rxq} RX queue(s)"
        p.synth = spec
    if any(c is None for c, _ in p.lcores.values()):
        return f"{name} at N={n}: not enough cores"
    eng = "io" if engine == "io-null" else engine
    if tool == "testpmd":
        p.app = ["--nb-cores", str(n), "--rxq", str(n), "--txq", str(n), "--forward-mode=io",
                 "--port-topology=loop", "--auto-start", "--stats-period", "1", f"--burst={a.burst}",
                 "--rxd=1024", "--txd=1024", "--no-flush-rx"]
    else:
        p.app = ["--fwd", eng, "--port-topology", "loop", "--burst", str(a.burst), "--rxd", "1024",
                 "--txd", "1024", "--mtu", "9000",
                 "--stats-period", str(a.period), "--duration", str(a.seconds), "--print-topology"]
        if hasattr(p, "synth"):
            p.app += ["--synth", p.synth]
        if model == "pipeline":
            work = "2" if n == 3 else f"2-{n - 1}"
            p.app += ["--model", "pipeline", "--stages", f"rx:1,work:{work},tx:{n}"]
        else:
            p.app += ["--rxq", str(n)]
    return p


def series_name(series):
    tool, model, engine = series
    if tool == "testpmd":
        return "testpmd io, net_null"
    if engine == "io-null":
        return "rtc io, net_null"
    return f"{model} {engine}"


def core_counts(a, primary):
    top = len(primary) - 1
    if a.oversubscribe:
        top = a.max_cores or top
    limit = min(top, a.max_cores) if a.max_cores else top
    ns, n = [], 1
    while n <= limit:
        ns.append(n)
        n *= 2
    if limit >= 1 and ns[-1] != limit:
        ns.append(limit)
    machine_says = (f"the machine has {len(primary)} physical core(s) this process may use "
                    f"(main lcore + {len(primary) - 1} forwarding)")
    if a.oversubscribe:
        why = f"N stops at {limit}: --max-cores {a.max_cores} (oversubscribed: {machine_says})"
    elif a.max_cores and a.max_cores < top:
        why = f"N stops at {limit}: --max-cores {a.max_cores}"
    else:
        why = f"N stops at {limit}: {machine_says}"
    return ns, why


# ---------------------------------------------------------------- traffic for decode

class Traffic:
    def __init__(self, a, workdir):
        self.a = a
        self.dir = workdir
        self.cache = {}

    def encoded(self, size):
        if size in self.cache:
            return self.cache[size]
        self.dir.mkdir(parents=True, exist_ok=True)
        src = self.dir / f"traffic-{size}.pcap"
        out = self.dir / f"traffic-{size}-encoded.pcap"
        if not src.exists():
            subprocess.run([sys.executable, str(ROOT / "tools" / "gen_traffic.py"), str(src), "--packets", "4000",
                            "--flows", "64", "--model", "slow", "--size", size, "--seed", "42"],
                           check=True, capture_output=True)
        if not out.exists():
            mem, prefix = mem_args(self.a)
            cmd = [self.a.deltaplane, "-l", "0,1", "--no-pci", "--log-level=error"] + mem + [
                "--vdev", f"net_pcap0,rx_pcap={src},tx_pcap={out}", "--", "--fwd", "encode", "--mtu", "9000",
                "--idle-timeout", "0.5", "--quiet"]
            try:
                subprocess.run(cmd, check=True, capture_output=True, timeout=120)
            finally:
                remove_prefix(prefix)
        self.cache[size] = out
        return out


# ---------------------------------------------------------------- running

def mem_args(a):
    """--in-memory on hugepages when enough are free, else --no-huge with a
    unique --file-prefix (returned, to be removed)."""
    if not a.no_huge and free_hugepages() >= 512:
        return ["--in-memory"], None
    prefix = f"dpscale-{os.getpid()}-{time.time_ns()}"
    return ["--no-huge", "-m", "1024", "--file-prefix", prefix], prefix


def remove_prefix(prefix):
    if prefix:
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)


def command(p, a, mem):
    lcores = ",".join(f"{l}@{c}" for l, (c, _) in sorted(p.lcores.items()))
    eal = ["--lcores", lcores, "--no-pci", "--log-level=error"] + mem + ["--vdev", p.vdev]
    if p.tool == "testpmd":
        return [a.testpmd] + eal + ["--"] + p.app
    return [a.deltaplane] + eal + ["--"] + p.app


def run_for(cmd, seconds, grace):
    """Runs cmd; SIGINT after `seconds` if still running (testpmd), then waits."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            stdin=subprocess.DEVNULL)
    try:
        out, _ = proc.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)  # our own child, by PID
        try:
            out, _ = proc.communicate(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    return proc.returncode, out


def deltaplane_samples(out):
    """Per stats period: (port tx Mpps summed, {lcore: (rx Mpps, idle-polls %)})."""
    samples, cur, lcores, where = [], None, {}, None
    for line in out.splitlines():
        if line.startswith("---- deltaplane stats"):
            cur, lcores, where = 0.0, {}, "ports"
            continue
        if cur is None:
            continue
        s = line.strip()
        if s.startswith("lcore"):
            where = "lcores"
            continue
        if s.startswith("drops:") or s.startswith("===="):
            samples.append((cur, lcores))
            cur = None
            continue
        m = re.match(r"^\s+(\d+)\s+\S+\s+\d+\s+\d+\s+([\d.]+)\s+([\d.]+)\s", line)
        if where == "ports" and m:
            cur += float(m.group(3))
        m = re.match(r"^\s+(\d+)\s+\d+\s+\d+\s+([\d.]+)\s+\d+\s+([\d.]+)\s*$", line)
        if where == "lcores" and m:
            lcores[int(m.group(1))] = (float(m.group(2)), float(m.group(3)))
    return samples


def testpmd_samples(out):
    """Tx-pps of the (single) port per stats period, in Mpps."""
    return [int(x) / 1e6 for x in re.findall(r"Tx-pps:\s+(\d+)", out)]


def topology_lines(tool, out):
    if tool == "testpmd":
        keep = re.compile(r"^(Logical Core \d+|\s+RX P=|io packet forwarding|\s+nb forwarding|\s+port \d+: RX queue)")
    else:
        keep = re.compile(r"^(hwloc:|\s+NUMA node|\s+port \d+ \(|\s+lcore \d+ ->|\s+pipeline:|\s+ring |\s+TX lcore|"
                          r"port \d+: (synthetic|device has no RSS)|deltaplane \d)")
    return [l.rstrip() for l in out.splitlines() if keep.match(l)]


def one_run(p, a, rnd):
    mem, prefix = mem_args(a)
    cmd = command(p, a, mem)
    summary_path = f"/tmp/dpscale-{os.getpid()}.json"
    if p.tool == "deltaplane":
        cmd = cmd + ["--stats-json", summary_path]
    t0 = time.time()
    try:
        if p.tool == "testpmd":
            # testpmd spends about a second on set-up before forwarding; give it
            # that on top so both programs contribute the same number of samples.
            rc, out = run_for(cmd, a.seconds + 1.5, 30)
            rates = testpmd_samples(out)[1:]  # the first period includes start-up
            lc = {}
        else:
            rc, out = run_for(cmd, a.seconds + 60, 30)
            samples = deltaplane_samples(out)
            skip = max(1, int(round(1.0 / a.period)))  # drop the first second
            rates = [s[0] for s in samples[skip:]]
            lc = {}
            for _, per in samples[skip:]:
                for l, v in per.items():
                    lc.setdefault(l, []).append(v)
    finally:
        remove_prefix(prefix)
    run = {"series": p.series, "n": p.n, "round": rnd, "tool": p.tool, "hugepages": "--no-huge" not in mem,
           "returncode": rc, "samples_mpps": [round(r, 3) for r in rates],
           "loadavg_after": read("/proc/loadavg"), "wall_s": round(time.time() - t0, 1)}
    if lc:
        run["lcores"] = {str(l): {"rx_mpps": round(statistics.median(v[0] for v in vs), 3),
                                  "idle_polls_pct": round(statistics.median(v[1] for v in vs), 1)}
                         for l, vs in sorted(lc.items())}
    if p.tool == "deltaplane" and os.path.exists(summary_path):
        try:
            s = json.loads(pathlib.Path(summary_path).read_text())
            run["summary"] = {"totals": s["totals"], "elapsed_s": s.get("elapsed_s"),
                              "drops": {k: v for k, v in s["drops"].items() if v},
                              "version": f"{s.get('deltaplane_version')} ({s.get('git_revision')})"}
            for g in s.get("synthetic") or []:
                busy = g.get("generator_busy_s", 0) + g.get("generator_full_s", 0) + g.get("generator_idle_s", 0)
                if g.get("generator_lcores"):
                    run["summary"]["generator"] = {
                        "lcores": g["generator_lcores"], "mpps_alone": g.get("generator_mpps_alone"),
                        "ring_full_pct": round(100.0 * g.get("generator_full_s", 0) / busy, 1) if busy else None}
        except (OSError, ValueError, KeyError):
            pass
        os.unlink(summary_path)
    ok = rc == 0 or (p.tool == "testpmd" and rc in (-signal.SIGINT, 128 + signal.SIGINT))
    if not ok or not rates:
        run["mpps"] = None
        run["error"] = f"exit {rc}, {len(rates)} rate samples: {out[-1500:]}"
        log(f"scaling: {p.series} N={p.n} round {rnd} FAILED (exit {rc}, {len(rates)} samples), "
            f"recorded and skipped:\n{out[-1500:]}")
    else:
        run["mpps"] = round(statistics.median(rates), 3)
    return run, cmd, topology_lines(p.tool, out)


# ---------------------------------------------------------------- results

def aggregate(doc):
    rows = []
    base = {}
    for series in doc["series"]:
        for n in doc["core_counts"]:
            v = [r["mpps"] for r in doc["runs"] if r["series"] == series and r["n"] == n and r["mpps"] is not None]
            if not v:
                continue
            row = {"series": series, "n": n, "median": round(statistics.median(v), 3), "min": min(v), "max": max(v),
                   "rounds": len(v), "source": doc["sources"].get(f"{series}/{n}", "")}
            if n == 1:
                base[series] = row["median"]
            rows.append(row)
    for row in rows:
        ref = base.get(row["series"])
        ref_from = row["series"]
        if ref is None and row["series"].startswith("pipeline "):
            ref_from = "rtc " + row["series"].split(" ", 1)[1]
            ref = base.get(ref_from)
        if ref:
            row["efficiency"] = round(row["median"] / (row["n"] * ref), 3)
            row["efficiency_vs"] = f"{ref_from} at N=1"
        row["mpps_per_core"] = round(row["median"] / row["n"], 3)
        ok = [r for r in doc["runs"] if r["series"] == row["series"] and r["n"] == row["n"] and r["mpps"] is not None]
        idle = [statistics.mean(v["idle_polls_pct"] for v in r["lcores"].values()) for r in ok if r.get("lcores")]
        if idle:
            row["idle_polls_pct"] = round(statistics.median(idle), 1)
        full = [r["summary"]["generator"]["ring_full_pct"] for r in ok
                if (r.get("summary") or {}).get("generator", {}).get("ring_full_pct") is not None]
        if full:
            row["generator_ring_full_pct"] = round(statistics.median(full), 1)
    return rows


def markdown(doc):
    m = doc["machine"]
    size = f"{doc['size']} B" if str(doc["size"]).isdigit() else doc["size"]
    lines = [f"Run {m['date']}, git {m['git_revision']}{' with uncommitted changes' if m.get('git_dirty') else ''}, "
             f"binary deltaplane {m.get('deltaplane_binary', '?')}, "
             f"{m['cpu']}, {m['physical_cores_allowed']} physical core(s) / {m['logical_cpus_allowed']} CPU(s), "
             f"DPDK {m['dpdk_version']}, {size} frames (synthetic and replayed sources; net_null rows 64 B), "
             f"{doc['rounds']} alternating rounds x {doc['seconds']} s per point, median of each run's "
             f"periodic TX rates after the first second; median over rounds (min-max). "
             f"Efficiency = rate / (N x rate at N=1 of the same series; pipeline: of rtc with the same engine).",
             "Idle polls: the forwarding lcores' share of polls that returned nothing (an empty poll "
             "costs a fraction of a full one, so this overstates their waiting time); ring full: the "
             "generators' share of time with no room in the RX ring (high = the source outran the engine).",
             "", "| series | N | Mpps (min-max) | Mpps per core | per-core efficiency | idle polls % | "
             "ring full % | source |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in doc["table"]:
        eff = f"{r['efficiency']:.2f}" if "efficiency" in r else "-"
        idle = f"{r['idle_polls_pct']:.0f}" if "idle_polls_pct" in r else "-"
        full = f"{r['generator_ring_full_pct']:.0f}" if "generator_ring_full_pct" in r else "-"
        lines.append(f"| {r['series']} | {r['n']} | {r['median']:.2f} ({r['min']:.2f}-{r['max']:.2f}) | "
                     f"{r['mpps_per_core']:.2f} | {eff} | {idle} | {full} | {r['source']} |")
    if doc["skipped"]:
        lines += ["", "Not run: " + "; ".join(doc["skipped"]) + "."]
    lines += ["", doc["stop_reason"] + "."]
    if doc.get("oversubscribed"):
        lines += ["", "**--oversubscribe: several lcores shared a CPU; these figures say nothing about scaling.**"]
    return "\n".join(lines) + "\n"


def plot(doc, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    ns = doc["core_counts"]
    for series in doc["series"]:
        rows = [r for r in doc["table"] if r["series"] == series]
        if not rows:
            continue
        x = [r["n"] for r in rows]
        y = [r["median"] for r in rows]
        err = [[r["median"] - r["min"] for r in rows], [r["max"] - r["median"] for r in rows]]
        style = "--" if series.startswith("testpmd") else ":" if series.startswith("pipeline") else "-"
        ax.errorbar(x, y, yerr=err, fmt="o" + style, capsize=3, label=series)
        e = [(r["n"], r["efficiency"]) for r in rows if "efficiency" in r]
        if e:
            ax2.plot([p[0] for p in e], [p[1] for p in e], "o" + style, label=series)
    ax.set_xlabel("forwarding lcores (N)")
    ax.set_ylabel("Mpps forwarded")
    ax.set_xticks(ns)
    size = f"{doc['size']} B" if str(doc["size"]).isdigit() else doc["size"]
    ax.set_title(f"{doc['machine']['cpu'][:40]}, {size} frames")
    ax.legend(fontsize=7)
    ax2.axhline(1.0, color="grey", lw=0.8)
    ax2.set_xlabel("forwarding lcores (N)")
    ax2.set_ylabel("rate / (N x rate at N=1)")
    ax2.set_xticks(ns)
    ax2.set_ylim(0, 1.2)
    ax2.set_title("per-core efficiency")
    if len(ns) == 1:
        ax.set_xlim(0.5, 1.5)
        ax2.set_xlim(0.5, 1.5)
        import textwrap
        ax2.text(1, 0.5, textwrap.fill(f"one point only: {doc['stop_reason']}", 50), ha="center",
                 va="center", fontsize=8)
    if doc.get("oversubscribed"):
        fig.suptitle("--oversubscribe: lcores shared CPUs, not a scaling measurement", color="red")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def write_outputs(doc, out):
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(doc, indent=1) + "\n")
    out.with_suffix(".md").write_text(markdown(doc))
    try:
        plot(doc, out.with_suffix(".png"))
    except ImportError:
        log("scaling: matplotlib missing (run under /usr/bin/python3, or --replot the JSON elsewhere): no plot")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max-cores", type=int, default=0, help="largest N (default: physical cores - 1)")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--models", default="rtc,pipeline,testpmd",
                    help="series families: rtc (also io on net_null), pipeline, testpmd")
    ap.add_argument("--size", default="imix", help="synthetic/replayed frame size: N or imix (default imix)")
    ap.add_argument("--flows", type=int, default=4096)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--period", type=float, default=0.5, help="deltaplane stats period (s)")
    ap.add_argument("--burst", type=int, default=32)
    ap.add_argument("--no-huge", action="store_true", help="always --no-huge (default: hugepages when 512 are free)")
    ap.add_argument("--oversubscribe", action="store_true",
                    help="let N exceed the cores, lcores sharing CPUs (checks the command lines; "
                         "the figures then mean nothing)")
    ap.add_argument("--deltaplane", default=default_deltaplane())
    ap.add_argument("--testpmd", default=default_testpmd())
    ap.add_argument("--out", default=str(ROOT / "results" / f"scaling-{platform.node()}" if MANIFEST.exists()
                                         else ROOT / "docs" / "bench" / "scaling"),
                    help="result path stem (default docs/bench/scaling; in a bundle results/scaling-HOST)")
    ap.add_argument("--dry-run", action="store_true", help="print the plan and command lines, run nothing")
    ap.add_argument("--replot", action="store_true", help="only redo OUT.md and OUT.png from OUT.json")
    a = ap.parse_args()
    out = pathlib.Path(a.out)
    if a.replot:
        doc = json.loads(out.with_suffix(".json").read_text())
        write_outputs(doc, out)
        log(markdown(doc))
        return
    if not os.path.exists(a.deltaplane):
        sys.exit(f"scaling: {a.deltaplane} not found: build first (tools/build.sh) or pass --deltaplane")

    primary, siblings = cpu_layout()
    ns, stop_reason = core_counts(a, primary)
    if not ns:
        sys.exit(f"scaling: no forwarding core: {stop_reason}")
    models = a.models.split(",")
    engines = a.engines.split(",")
    series = []
    if "rtc" in models:
        series += [("deltaplane", "rtc", e) for e in engines] + [("deltaplane", "rtc", "io-null")]
    if "pipeline" in models:
        series += [("deltaplane", "pipeline", e) for e in engines]
    if "testpmd" in models:
        series += [("testpmd", "rtc", "io")]
    traffic = Traffic(a, ROOT / "build" / "bench-traffic" if (ROOT / "build").is_dir() and
                      os.access(ROOT / "build", os.W_OK) else pathlib.Path(f"/tmp/dpscale-traffic-{os.getuid()}"))

    if a.dry_run:  # name the capture decode would replay without making it
        traffic.encoded = lambda size: traffic.dir / f"traffic-{size}-encoded.pcap"
    log(f"scaling: CPUs {[c['cpu'] for c in primary]} (one per physical core"
        + (f"; SMT siblings {[c['cpu'] for c in siblings]} unused" if siblings else "") + ")")
    log(f"scaling: N = {', '.join(map(str, ns))}. {stop_reason}.")
    points, skipped = [], []
    for n in ns:
        for s in series:
            p = plan_point(s, n, a, primary, traffic)
            (skipped if isinstance(p, str) else points).append(p)
    for why in skipped:
        log(f"scaling: skip {why}")
    for p in points:
        where = ", ".join(f"lcore {l}@cpu{c} {role}" for l, (c, role) in sorted(p.lcores.items()))
        log(f"scaling: {p.series:22s} N={p.n}: {where}; source: {p.source}")
    if a.dry_run:
        for p in points:
            log(" ".join(command(p, a, ["--in-memory"])))
        return
    if not shutil.which(a.testpmd) and not os.path.exists(a.testpmd) and "testpmd" in models:
        sys.exit(f"scaling: {a.testpmd} not found (pass --testpmd or --models rtc,pipeline)")

    doc = {"benchmark": "scaling", "argv": sys.argv, "machine": machine(a, primary, siblings),
           "rounds": a.rounds, "seconds": a.seconds, "stats_period_s": a.period, "size": a.size,
           "flows": a.flows, "burst": a.burst, "core_counts": ns, "stop_reason": stop_reason,
           "oversubscribed": a.oversubscribe,
           "series": list(dict.fromkeys(p.series for p in points)), "skipped": skipped,
           "sources": {f"{p.series}/{p.n}": p.source for p in points},
           "placement": {f"{p.series}/{p.n}": {str(l): {"cpu": c, "role": r} for l, (c, r) in sorted(p.lcores.items())}
                         for p in points},
           "commands": {}, "topology": {}, "runs": []}
    t0 = time.time()
    total = len(points) * a.rounds
    done = 0
    for rnd in range(1, a.rounds + 1):  # alternate: every point once per round
        for p in points:
            run, cmd, topo = one_run(p, a, rnd)
            done += 1
            key = f"{p.series}/{p.n}"
            doc["runs"].append(run)
            doc["commands"][key] = cmd
            if key not in doc["topology"]:
                doc["topology"][key] = topo
                log(f"---- {key}: {' '.join(cmd)}")
                for line in topo:
                    log(f"     {line}")
            extra = ""
            if run.get("lcores"):
                extra = "; lcores " + ", ".join(f"{l}: {v['rx_mpps']:.1f} Mpps idle {v['idle_polls_pct']:.0f}%"
                                                for l, v in run["lcores"].items())
            gen = (run.get("summary") or {}).get("generator")
            if gen:
                extra += f"; generator ring full {gen['ring_full_pct']}%"
            if run["mpps"] is not None:
                log(f"[{done}/{total} {time.time() - t0:5.0f}s] round {rnd} {p.series:22s} N={p.n}: "
                    f"{run['mpps']:7.2f} Mpps{extra}")
    doc["machine"]["loadavg_at_end"] = read("/proc/loadavg")
    doc["machine"]["deltaplane_binary"] = next((r["summary"]["version"] for r in doc["runs"]
                                                if (r.get("summary") or {}).get("version")), "?")
    doc["duration_s"] = round(time.time() - t0, 1)
    doc["table"] = aggregate(doc)
    write_outputs(doc, out)
    log("\n" + markdown(doc))
    log(f"scaling: {len(doc['runs'])} runs in {doc['duration_s']} s -> {out}.{{json,md,png}}")


if __name__ == "__main__":
    main()
