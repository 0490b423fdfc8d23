"""Engines on vdevs: macswap swaps exactly the MAC addresses; net_null runs for
--duration and exits with a consistent summary; rxonly consumes everything."""
import os
import random
import tempfile
import unittest

import dptest


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
                       ["--fwd", "macswap", "--idle-timeout", "0.5", "--quiet"])
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
        self.assertGreater(r.summary["totals"]["rx_packets"], 1000)
        self.assertGreaterEqual(r.summary["elapsed_s"], 2.0)
        self.assertLess(r.summary["elapsed_s"], 3.0)
        self.assertGreaterEqual(r.stdout.count("---- deltaplane stats"), 2)
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
        r = dptest.run(["net_null0"], ["--fwd", "rxonly", "--duration", "1", "--quiet"])
        self.assertEqual(r.returncode, 0, r.stderr)
        dptest.assert_balanced(self, r.summary)
        self.assertEqual(r.summary["totals"]["tx_packets"], 0)
        self.assertEqual(r.summary["drops"]["consumed"], r.summary["totals"]["rx_packets"])

    def test_generators(self):
        for engine, extra in (("txonly", ["--txpkts", "128"]), ("flowgen", ["--flows", "300"])):
            with self.subTest(engine=engine):
                tmp = tempfile.mkdtemp(prefix="dp-gen-")
                out = f"{tmp}/out.pcap"
                r = dptest.run([f"net_pcap0,rx_pcap={dptest.PCAPS}/empty.pcap,tx_pcap={out}"],
                               ["--fwd", engine, "--tx-rate", "20000", "--duration", "1",
                                "--quiet"] + extra)
                self.assertEqual(r.returncode, 0, r.stderr)
                dptest.assert_balanced(self, r.summary)
                _, frames = dptest.read_frames(out)
                # Paced to 20 kpps for about one second.
                self.assertGreater(len(frames), 10000)
                self.assertLess(len(frames), 30000)
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
        r = dptest.run(["net_null0", "net_null1"], ["--fwd", "macswap", "--cycles", "--duration",
                                                    "1", "--quiet"])
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
        r = dptest.run(["net_null0", "net_null1"],
                       ["--rxq", "2", "--duration", "1", "--quiet", "--print-topology"],
                       lcores="0@0,1@1,2@1")
        self.assertEqual(r.returncode, 0, r.stderr)
        dptest.assert_balanced(self, r.summary)
        self.assertIn("lcore 2 -> cpu 1", r.stdout)
        busy = [l for l in r.summary["lcores"] if l["rx_packets"] > 0]
        self.assertEqual(len(busy), 2)


if __name__ == "__main__":
    dptest.main()
