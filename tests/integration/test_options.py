"""Every option value that parses either runs or is refused with one line.

For every engine and every numeric option, the boundary values of the
option's range as --help prints it ("[lo..hi"): lo and hi must run on net_null
(exit 0, the accounting invariant holding) or be refused with exactly one
"deltaplane: error:" line (exit 1); lo-1 and hi+1 must be refused before the
EAL starts. Never a signal, never a hang. The pipeline model gets the same
treatment for the options it reads. Ranges come from --help, so an option
added to the table is covered without touching this file.
"""
import concurrent.futures
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import unittest

import dptest

RUN_S = 0.25  # each accepted combination forwards this long
HANG_S = 60   # a process still alive after this is a hang


def numeric_options():
    """(name, lo, hi, is_seconds) for every option whose help gives a range."""
    out = subprocess.run([str(dptest.BINARY), "--", "--help"], capture_output=True, text=True,
                         check=True).stdout
    opts = []
    for line in out.splitlines():
        m = re.match(r"\s+(--[\w-]+) V\s.*\[([\d.e+]+)\.\.([\d.e+]+)( s)?,", line)
        if m:
            seconds = bool(m.group(4))
            conv = float if seconds else int
            opts.append((m.group(1), conv(m.group(2)), conv(m.group(3)), seconds))
    return opts


def engines():
    out = subprocess.run([str(dptest.BINARY), "--", "--help"], capture_output=True, text=True,
                         check=True).stdout
    m = re.search(r"--fwd V\s+engine: ([\w|]+)", out)
    return m.group(1).split("|")


def fmt(v, seconds):
    return repr(float(v)) if seconds else str(int(v))


def error_lines(stderr):
    return [l for l in stderr.splitlines() if l.startswith("deltaplane: error:")]


class Outcome:
    def __init__(self, args, rc, stdout, stderr, summary, hung):
        self.args, self.rc, self.stdout, self.stderr = args, rc, stdout, stderr
        self.summary, self.hung = summary, hung

    def problem(self):
        """None if the run is acceptable, else what is wrong with it."""
        if self.hung:
            return "hung"
        if self.rc < 0:
            return f"killed by signal {-self.rc}"
        errs = error_lines(self.stderr)
        if self.rc == 1:
            return None if len(errs) == 1 else f"exit 1 with {len(errs)} error lines"
        if self.rc != 0:
            return f"exit {self.rc}"
        if errs:
            return "exit 0 with an error line"
        if self.summary is None:
            return "exit 0 without a summary"
        t = self.summary["totals"]
        drops = sum(self.summary["drops"].values())
        # A codec packs frames into tunnel packets (merged) and restores
        # several from one (split): rx + split = tx + merged + drops.
        if (not t["balanced"] or t["held"] != 0 or
                t["rx_packets"] + t["split"] != t["tx_packets"] + t["merged"] + drops):
            return f"accounting: {t}"
        return None


def launch(vdevs, args, lcores="0,1", wait_banner=False):
    """Runs deltaplane; with wait_banner the run has no end of its own and is
    stopped with SIGINT once it says it is forwarding (never before: the
    handler is installed by then)."""
    tmp = tempfile.mkdtemp(prefix="dptest-opt-")
    json_path = os.path.join(tmp, "s.json")
    # With hugepages, -m is only what the EAL reserves up front (it grows on
    # demand), so keep it small: start-up time grows with it.
    mem = 64 if dptest.free_hugepages() >= 512 else 512
    cmd = ([str(dptest.BINARY)] + dptest.eal_args(vdevs, lcores, mem_mb=mem) + ["--"] + args +
           ["--quiet", "--stats-json", json_path])
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    hung = False
    if wait_banner:
        err_head = []
        deadline = time.monotonic() + HANG_S
        for line in p.stderr:  # the banner line comes after every set-up step
            err_head.append(line)
            if " forwarding lcore(s), burst " in line:
                time.sleep(RUN_S)
                p.send_signal(signal.SIGINT)
                break
            if time.monotonic() > deadline:
                break
        try:
            out, err = p.communicate(timeout=HANG_S)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            hung = True
        err = "".join(err_head) + err
    else:
        try:
            out, err = p.communicate(timeout=HANG_S)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            hung = True
    summary = None
    if os.path.exists(json_path):
        with open(json_path) as f:
            summary = json.load(f)
    return Outcome(cmd, p.returncode, out, err, summary, hung)


# Options that end a run by themselves get a bound from --duration; the
# options that are themselves stop conditions are stopped with a signal.
STOP_OPTIONS = {"--duration"}


def plan():
    """Every (vdevs, args, lcores, wait_banner) combination to run."""
    opts = numeric_options()
    runs = []
    for engine in engines():
        base = ["--fwd", engine]
        for name, lo, hi, seconds in opts:
            for v in (lo, hi):
                args = base + [name, fmt(v, seconds)]
                if name in STOP_OPTIONS:
                    runs.append((args, "0,1", True))
                else:
                    runs.append((args + ["--duration", str(RUN_S)], "0,1", False))
        if engine in ("txonly", "flowgen"):
            continue  # generators run in the rtc model only (refused otherwise)
        # The pipeline on oversubscribed lcores (I/O lcore + worker on CPU 1).
        for name in ("--ring-size", "--ring-retry", "--burst"):
            for _, lo, hi, seconds in (o for o in opts if o[0] == name):
                for v in (lo, hi):
                    for bp in ("drop", "retry", "block"):
                        args = base + ["--model", "pipeline", "--backpressure", bp, name,
                                       fmt(v, seconds), "--duration", str(RUN_S)]
                        runs.append((args, "0@0,1@1,2@1", False))
    return opts, runs


class OptionBoundaries(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.opts, cls.runs = plan()

    def test_out_of_range_is_refused_before_the_eal(self):
        for name, lo, hi, seconds in self.opts:
            below = [] if lo == 0 else [lo - (0.001 if seconds else 1)]
            if seconds and lo == 0:
                below = [-0.001]
            for v in below + [hi + (1 if seconds else 1)]:
                with self.subTest(option=name, value=v):
                    r = subprocess.run([str(dptest.BINARY), "--", name, fmt(v, seconds)],
                                       capture_output=True, text=True, timeout=10)
                    self.assertEqual(r.returncode, 1, r.stderr)
                    self.assertEqual(len(error_lines(r.stderr)), 1, r.stderr)
                    self.assertIn(name, r.stderr)
                    self.assertNotIn("EAL", r.stderr)  # refused before the EAL started

    def test_every_engine_at_every_boundary(self):
        self.assertGreater(len(self.opts), 20, "--help lost the option ranges")
        vdevs = ["net_null0", "net_null1"]
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            outcomes = list(pool.map(lambda r: launch(vdevs, r[0], r[1], r[2]), self.runs))
        bad = [(o.args[o.args.index("--") + 1:], o.problem(), o.stderr[-400:])
               for o in outcomes if o.problem()]
        ran = sum(1 for o in outcomes if o.rc == 0)
        print(f"{len(outcomes)} combinations: {ran} ran, {len(outcomes) - ran} refused with one "
              f"line, {len(bad)} wrong, in {time.monotonic() - started:.0f} s")
        for args, why, tail in bad[:10]:
            print(f"  {' '.join(args)}: {why}\n    {tail!r}")
        self.assertEqual(bad, [])


if __name__ == "__main__":
    dptest.main()
