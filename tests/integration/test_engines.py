"""Engines on vdevs: macswap swaps exactly the MAC addresses; net_null runs for
--duration and exits with a consistent summary; rxonly consumes everything.

No assertion depends on how fast this machine is: runs whose counts are
checked end on a count (--max-packets), and what must have happened while a
run goes on is waited for through telemetry."""
import os
import random
import re
import tempfile
import unittest

import dptest
from test_telemetry import App, Tel


def random_frames(n, seed=7):
    rng = random.Random(seed)
    frames = []
    for _ in range(n):
        size = rng.choice([60, 64, 128, 511, 1514, 3000, 9000])
        frames.append(bytes(rng.getrandbits(8) for _ in range(size)))
    return frames


class Macswap(unittest.TestCase):
    def test_swaps_only_the_addresses(self):
        tmp = tempfile.mkdtemp(prefix="dp-macswap-")
        frames = random_frames(300)
        dptest.write_pcap(f"{tmp}/in.pcap", frames)
        r = dptest.run([f"net_pcap0,rx_pcap={tmp}/in.pcap,tx_pcap={tmp}/out.pcap"],
                       ["--fwd", "macswap", "--quiet"] + dptest.stop_after(len(frames)))
        self.assertEqual(r.returncode, 0, r.stderr)
        dptest.assert_balanced(self, r.summary)
        _, out = dptest.read_frames(f"{tmp}/out.pcap")
        self.assertEqual(len(out), len(frames))
        for a, b in zip(out, frames):
            self.assertEqual(a[0:6], b[6:12])
            self.assertEqual(a[6:12], b[0:6])
            self.assertEqual(a[12:], b[12:])


class NullPorts(unittest.TestCase):
    def test_duration_and_summary(self):
        r = dptest.run(["net_null0", "net_null1"], ["--fwd", "io", "--duration", "2",
                                                    "--stats-period", "0.5"])
        self.assertEqual(r.returncode, 0, r.stderr)
        dptest.assert_balanced(self, r.summary)
        # It ran its duration (that it stops at all is the run's own timeout).
        self.assertGreaterEqual(r.summary["elapsed_s"], 2.0)
        # Periodic stats (how many fit in 2 s is the scheduler's business; that
        # they come at all is waited for in test_telemetry's control sequence):
        # each is stamped at least one period in and before the end.
        stamps = [float(x) for x in re.findall(r"---- deltaplane stats at ([\d.]+) s", r.stdout)]
        self.assertEqual(stamps, sorted(stamps))
        for t in stamps:
            self.assertGreaterEqual(t, 0.5)
            self.assertLessEqual(t, r.summary["elapsed_s"] + 0.05)
        self.assertIn("==== deltaplane summary", r.stdout)
        ports = {p["port"]: p for p in r.summary["ports"]}
        # Paired topology: what port 0 receives leaves through port 1 and back.
        self.assertEqual(ports[0]["rx_packets"], ports[1]["tx_packets"])
        self.assertEqual(ports[1]["rx_packets"], ports[0]["tx_packets"])

    def test_auto_start_with_duration_runs_unattended(self):
        r = dptest.run(["net_null0", "net_null1"], ["--auto-start", "--duration", "1", "--quiet"])
        self.assertEqual(r.returncode, 0, r.stderr)
        dptest.assert_balanced(self, r.summary)

    def test_rxonly_consumes(self):
        r = dptest.run(["net_null0"], ["--fwd", "rxonly", "--quiet"] + dptest.stop_after(100000))
        self.assertEqual(r.returncode, 0, r.stderr)
        dptest.assert_balanced(self, r.summary)
        self.assertGreaterEqual(r.summary["totals"]["rx_packets"], 100000)
        self.assertEqual(r.summary["totals"]["tx_packets"], 0)
        self.assertEqual(r.summary["drops"]["consumed"], r.summary["totals"]["rx_packets"])

    def test_generators(self):
        for engine, extra in (("txonly", ["--txpkts", "128"]), ("flowgen", ["--flows", "300"])):
            with self.subTest(engine=engine):
                tmp = tempfile.mkdtemp(prefix="dp-gen-")
                out = f"{tmp}/out.pcap"
                # Paced (--tx-rate) so the token bucket's path runs; how close
                # the pace comes to 20 kpps is bench/system_bench.py's business.
                # Generated frames count as received: --max-packets ends the run.
                r = dptest.run([f"net_pcap0,rx_pcap={dptest.empty_pcap()},tx_pcap={out}"],
                               ["--fwd", engine, "--tx-rate", "20000", "--quiet"] + extra +
                               dptest.stop_after(2000))
                self.assertEqual(r.returncode, 0, r.stderr)
                dptest.assert_balanced(self, r.summary)
                _, frames = dptest.read_frames(out)
                self.assertEqual(len(frames), r.summary["totals"]["tx_packets"])
                self.assertGreaterEqual(len(frames), 2000)
                sizes = {len(f) for f in frames}
                self.assertEqual(sizes, {128} if engine == "txonly" else {64})
                if engine == "flowgen":
                    flows = {f[26:30] + f[34:36] for f in frames}
                    self.assertEqual(len(flows), 300)
                else:
                    self.assertEqual(len(set(frames)), 1)
                # Valid IPv4 header checksum on every frame.
                for f in frames[:100]:
                    ip = f[14:34]
                    s = sum(int.from_bytes(ip[i:i + 2], "big") for i in range(0, 20, 2))
                    while s >> 16:
                        s = (s & 0xFFFF) + (s >> 16)
                    self.assertEqual(s, 0xFFFF)

    def test_cycles_per_stage(self):
        r = dptest.run(["net_null0", "net_null1"], ["--fwd", "macswap", "--cycles", "--quiet"] +
                       dptest.stop_after(100000))
        self.assertEqual(r.returncode, 0, r.stderr)
        c = r.summary["cycles_per_packet"]
        for stage in ("rx", "engine", "tx"):
            self.assertGreater(c[stage], 0)
        self.assertIn("cycles per packet: rx+admit", r.stdout)

    def test_max_packets_stops(self):
        r = dptest.run(["net_null0", "net_null1"], ["--max-packets", "1000000", "--quiet"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreaterEqual(r.summary["totals"]["rx_packets"], 1000000)
        dptest.assert_balanced(self, r.summary)

    def test_without_hugepages(self):
        os.environ["DELTAPLANE_TEST_NO_HUGE"] = "1"
        try:
            r = dptest.run(["net_null0", "net_null1"], ["--duration", "1", "--quiet"])
        finally:
            del os.environ["DELTAPLANE_TEST_NO_HUGE"]
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("running without hugepages", r.stderr)
        dptest.assert_balanced(self, r.summary)

    def test_multi_queue_rss_two_lcores(self):
        # Several lcores on one CPU (this machine has two): slower, still correct.
        # Both lcores forward: waited for through telemetry, then shut down.
        app = App(duration=120, stats_period=0, lcores="0@0,1@1,2@1",
                  extra=["--rxq", "2", "--quiet", "--print-topology"])
        try:
            app.wait_ready()
            with Tel(app.sock_path) as t:
                dptest.wait_until(lambda: all(t.value("/deltaplane/lcores")[l]["rx_packets"] > 0
                                              for l in ("1", "2")),
                                  what="frames on both forwarding lcores")
                t.value("/deltaplane/control,shutdown")
            self.assertEqual(app.wait(timeout=30), 0, app.stderr()[-2000:])
            s = app.summary()
            dptest.assert_balanced(self, s)
            self.assertIn("lcore 2 -> cpu 1", app.stdout())
            busy = [l for l in s["lcores"] if l["rx_packets"] > 0]
            self.assertEqual(len(busy), 2)
        finally:
            app.close()


if __name__ == "__main__":
    dptest.main()
