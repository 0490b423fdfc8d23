"""Every capture in shared/pcaps through `--fwd io`: frames up to --max-frame come
out byte-identical and in order; longer ones are dropped as "oversize"; non-
Ethernet captures are named in a warning at start-up."""
import os
import tempfile
import unittest

import dptest

MAX_FRAME = 9600


class PcapIo(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        dptest.require_captures()
        cls.files = sorted(p for p in dptest.PCAPS.iterdir() if p.suffix in (".pcap", ".pcapng"))
        if not cls.files:
            raise unittest.SkipTest(f"no captures in {dptest.PCAPS}")
        cls.tmp = tempfile.mkdtemp(prefix="dp-pcapio-")
        vdevs = []
        for i, f in enumerate(cls.files):
            vdevs.append(f"net_pcap{i},rx_pcap={f},tx_pcap={cls.tmp}/out{i}.pcap")
        # One port per capture, each looped back onto itself: one process, one lcore.
        # The run ends once it received every frame of every capture.
        total = sum(len(dptest.read_frames(f)[1]) for f in cls.files)
        cls.result = dptest.run(vdevs, ["--fwd", "io", "--port-topology", "loop", "--quiet",
                                     "--max-frame", str(MAX_FRAME)] + dptest.stop_after(total),
                                timeout=120)

    def test_exit_and_invariant(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr[-2000:])
        dptest.assert_balanced(self, self.result.summary)
        self.assertIn("balanced", self.result.stdout)

    def test_frames_identical_and_in_order(self):
        checked = 0
        for i, f in enumerate(self.files):
            with self.subTest(capture=f.name):
                _, frames = dptest.read_frames(f)
                _, out = dptest.read_frames(os.path.join(self.tmp, f"out{i}.pcap"))
                expected = [fr for fr in frames if len(fr) <= MAX_FRAME]
                self.assertEqual(len(out), len(expected))
                for k, (a, b) in enumerate(zip(out, expected)):
                    self.assertEqual(a, b, f"frame {k} of {f.name} differs")
                checked += len(out)
        self.assertGreater(checked, 2000)
        print(f"{checked} frames compared byte for byte over {len(self.files)} captures")

    def test_oversize_frames_are_counted(self):
        rx = sum(p["rx_packets"] for p in self.result.summary["ports"])
        oversize = self.result.summary["drops"]["oversize"]
        all_frames = [fr for f in self.files for fr in dptest.read_frames(f)[1]]
        self.assertEqual(rx, len(all_frames))
        self.assertEqual(oversize, sum(1 for fr in all_frames if len(fr) > MAX_FRAME))
        self.assertGreaterEqual(oversize, 3)  # BIG TCP x2 and the IPv6 jumbogram

    def test_non_ethernet_captures_warned(self):
        for f in self.files:
            linktype, _ = dptest.read_frames(f)
            with self.subTest(capture=f.name):
                if linktype != dptest.LINKTYPE_ETHERNET:
                    self.assertRegex(self.result.stderr, rf"rx_pcap \S*{f.name} has link type")
                else:
                    self.assertNotRegex(self.result.stderr, rf"rx_pcap \S*{f.name} has link type")


if __name__ == "__main__":
    dptest.main()
