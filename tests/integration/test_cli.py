"""Bad arguments give one clear error line and a non-zero exit; --help and
--preflight work; SIGTERM/SIGINT stop cleanly with the invariant holding."""
import json
import os
import signal
import subprocess
import unittest

import dptest
from test_telemetry import App


def error_lines(stderr):
    return [l for l in stderr.splitlines() if l.startswith("deltaplane: error:")]


class BadArguments(unittest.TestCase):
    CASES = [
        (["net_null0"], ["--burst", "0"], "--burst: '0' is out of range 1..512"),
        (["net_null0"], ["--fwd", "nope"], "--fwd: unknown value 'nope'"),
        (["net_null0"], ["--whatever"], "unknown option '--whatever'"),
        (["net_null0"], ["--duration", "x"], "--duration: expected a number of seconds"),
        (["net_null0"], ["--ports", "5"], "--ports: port 5 does not exist (1 port(s) probed: 0=net_null0)"),
        ([], [], "no ports: add virtual devices"),
        (["net_null0"], ["--config", "(0,0,7)"], "--config: lcore 7 is not a worker lcore"),
        (["net_null0", "net_null1", "net_null2"], ["--port-topology", "paired"],
         "paired: needs an even number of ports"),
        ([f"net_pcap0,rx_pcap={dptest.empty_pcap()},tx_pcap=/dev/null"], ["--rxq", "2"],
         "port 0 (net_pcap0): 2 RX queues requested, the device has 1"),
        # Refused by the preflight against the hugepages, or, without
        # hugepages, where the pool is made: one line naming the fix either way.
        (["net_null0"], ["--mbufs", "67108864"], ("preflight: ", "lower --mbufs")),
        (["net_null0"], ["--max-frame", "70000"], "--max-frame: '70000' is out of range"),
    ]

    def test_each_bad_input(self):
        for vdevs, args, message in self.CASES:
            with self.subTest(args=args):
                # --duration bounds the run should an input wrongly be accepted.
                r = dptest.run(vdevs, args + ["--duration", "5"], timeout=30, want_json=False)
                self.assertNotEqual(r.returncode, 0)
                errs = error_lines(r.stderr)
                self.assertEqual(len(errs), 1, r.stderr)
                wanted = message if isinstance(message, tuple) else (message,)
                self.assertTrue(any(w in errs[0] for w in wanted), f"{wanted} not in {errs[0]}")
                self.assertNotIn("Segmentation", r.stderr)

    def test_single_lcore_is_refused(self):
        r = dptest.run(["net_null0"], [], lcores="0", want_json=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no worker lcore", r.stderr)

    def test_bad_eal_argument(self):
        r = subprocess.run([str(dptest.BINARY), "--no-pci", "--in-memory", "--bogus-eal", "--"],
                           capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(len(error_lines(r.stderr)), 1)
        self.assertIn("EAL initialisation failed", r.stderr)

    def test_app_errors_come_before_eal(self):
        r = subprocess.run([str(dptest.BINARY), "--no-pci", "--in-memory", "--", "--burst", "0"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.stderr.strip(), "deltaplane: error: --burst: '0' is out of range 1..512")

    def test_help(self):
        r = subprocess.run([str(dptest.BINARY), "--", "--help"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertIn("--fwd", r.stdout)


class Preflight(unittest.TestCase):
    def test_json(self):
        r = dptest.run(["net_null0", "net_null1"], ["--preflight", "--json"], want_json=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        topics = {f["topic"] for f in doc["findings"]}
        for t in ("hugepages", "mempool", "isolation", "cpufreq", "numa"):
            self.assertIn(t, topics)
        self.assertTrue(doc["ok"])

    def test_undersized_mempool_warns(self):
        r = dptest.run(["net_null0"], ["--preflight", "--mbufs", "1024", "--mbuf-cache", "32"],
                       want_json=False)
        self.assertIn("[warning] mempool", r.stdout)


class Signals(unittest.TestCase):
    """The signal goes in once deltaplane forwards (waited for through
    telemetry): before its handler is installed, a signal would just kill it."""

    def forwarding_app(self):
        app = App(duration=120, stats_period=0.5)
        try:
            app.wait_ready()  # frames received: the handlers are in place
        except BaseException:
            app.close()
            raise
        return app

    def stop_with(self, sig):
        app = self.forwarding_app()
        try:
            app.proc.send_signal(sig)  # our own child, by PID
            rc = app.wait(timeout=30)
            self.assertEqual(rc, 0, app.stderr()[-2000:])
            self.assertIn(f"stopping on signal {int(sig)}", app.stderr())
            summary = app.summary()
        finally:
            app.close()
        dptest.assert_balanced(self, summary)
        self.assertGreater(summary["totals"]["rx_packets"], 0)  # waited for

    def test_sigterm(self):
        self.stop_with(signal.SIGTERM)

    def test_sigint(self):
        self.stop_with(signal.SIGINT)

    def test_second_sigint_forces_exit(self):
        # Two SIGINTs in a row must end the process at once, without the summary.
        app = self.forwarding_app()
        try:
            app.proc.send_signal(signal.SIGINT)
            app.proc.send_signal(signal.SIGINT)
            rc = app.wait(timeout=30)
            err = app.stderr()
        finally:
            app.close()
        self.assertIn(rc, (0, 130), err[-2000:])
        if rc == 130:
            self.assertIn("second SIGINT", err)

    def test_fuzzed_argument_vectors(self):
        # Random mixes of real option names and hostile values: always one clear
        # error line or a clean run (bounded by --duration), never a crash or hang.
        import random
        rng = random.Random(1234)
        names = ["--fwd", "--burst", "--rxq", "--rxd", "--mbufs", "--max-frame", "--ports",
                 "--config", "--stats-period", "--duration", "--model", "--stages", "--mtu",
                 "--tunnel-src", "--tunnel-dst-mac", "--simd", "--ring-size", "--wan-ports",
                 "--keyframe-interval", "--flow-capacity", "--bogus", "--", "-x", "--quiet"]
        values = ["0", "-1", "1", "32", "65536", "99999999999999999999", "abc", "", "(0,0,1)",
                  "(0,0", "rx:1,work:2,tx:3", "1e9", "nan", "0x10", "10.0.0.1", "zz:zz",
                  "io", "pipeline", "avx2", "\u00e9\u00df", "%s%s%n", "1,1", "0-1023"]
        runs = 0
        for _ in range(40):
            args = []
            for _ in range(rng.randint(1, 5)):
                args.append(rng.choice(names))
                if rng.random() < 0.8:
                    args.append(rng.choice(values))
            r = dptest.run(["net_null0", "net_null1"], args + ["--duration", "0.5", "--quiet"],
                           timeout=30, want_json=False)
            runs += 1
            self.assertNotIn(r.returncode, (-11, -6, 139, 134), f"crash on {args}: {r.stderr[-500:]}")
            if r.returncode != 0:
                self.assertEqual(len(error_lines(r.stderr)), 1, f"{args}: {r.stderr[-1000:]}")
        print(f"{runs} fuzzed argument vectors: no crash, no hang")


if __name__ == "__main__":
    dptest.main()
