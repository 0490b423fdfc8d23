"""The gateway pair: README command 1 (tools/demo.sh, two gateways in one
process across an in-process WAN link) ends with a verdict that is checked,
not assumed, so a corrupted WAN makes it say NO; and what the WAN brings is
validated before it reaches the LAN, so no frame the encoder never took gets
through (truncated, bit-flipped, duplicated tunnel packets)."""
import json
import os
import random
import subprocess
import sys
import tempfile
import unittest

import dptest

GEN = dptest.SRC / "tools" / "gen_traffic.py"
DEMO = dptest.SRC / "tools" / "demo.sh"


def demo(wire="clean", frames="60000"):
    """tools/demo.sh unpaced: it ends when every frame has crossed, whatever the
    machine's speed, so what the verdict compares does not depend on timing."""
    tmp = tempfile.mkdtemp(prefix="dp-demo-")
    env = dict(os.environ, RATE="0", FRAMES=frames, WIRE=wire, JSON=f"{tmp}/summary.json")
    env["DELTAPLANE_BINARY"] = str(dptest.BINARY.resolve())
    r = subprocess.run([str(DEMO)], capture_output=True, text=True, timeout=120, env=env)
    summary = None
    if os.path.exists(f"{tmp}/summary.json"):
        with open(f"{tmp}/summary.json") as f:
            summary = json.load(f)
    return r, summary


class Demo(unittest.TestCase):
    def test_clean_wan_is_lossless_and_saves_bytes(self):
        r, s = demo()
        self.assertEqual(r.returncode, 0, r.stdout[-2000:] + r.stderr[-2000:])
        self.assertIn("lossless: YES", r.stdout)
        dptest.assert_balanced(self, s)
        a = s["audit"]
        self.assertTrue(a["lossless"])
        # Every frame the two LANs generated entered an encoder (less what the
        # modelled RX rings missed) and left the other side's decoder.
        generated = sum(x["generated"] for x in s["synthetic"])
        self.assertEqual(a["frames_in"], generated)
        self.assertEqual(a["frames_out"], a["frames_in"])
        self.assertLess(a["wan_bytes"], a["lan_bytes"])

    def test_corrupted_wan_is_reported(self):
        r, s = demo(wire="flip=0.01,loss=0.002,dup=0.002,seed=3")
        self.assertEqual(r.returncode, 1, r.stdout[-2000:] + r.stderr[-2000:])
        self.assertIn("lossless: NO", r.stdout)
        self.assertIn("NOT lossless", r.stdout)
        dptest.assert_balanced(self, s)
        self.assertFalse(s["audit"]["lossless"])
        self.assertGreater(s["audit"]["wan_link"]["flipped"], 0)


class WanValidation(unittest.TestCase):
    def test_only_frames_that_entered_the_encoder_reach_the_lan(self):
        tmp = tempfile.mkdtemp(prefix="dp-wanval-")
        src = f"{tmp}/in.pcap"
        subprocess.run([sys.executable, str(GEN), src, "--packets", "3000", "--flows", "30",
                        "--model", "slow", "--size", "60-1400", "--seed", "4"], check=True)
        # Each run ends once it received its whole capture (not after a quiet second).
        e = dptest.run([f"net_pcap0,rx_pcap={src},tx_pcap={tmp}/enc.pcap"],
                       ["--fwd", "encode", "--quiet"] +
                       dptest.stop_after(len(dptest.read_frames(src)[1])))
        self.assertEqual(e.returncode, 0, e.stderr[-2000:])
        _, enc = dptest.read_frames(f"{tmp}/enc.pcap")
        rng = random.Random(9)
        wan, cut, flipped, dups = [], 0, 0, 0
        for fr in enc:
            tunnel = fr[12:14] == b"\x08\x00" and fr[23] == 17
            r = rng.random()
            if tunnel and r < 0.05:
                fr = fr[:rng.randrange(16, 39)]  # cut short on the WAN
                cut += 1
            elif tunnel and r < 0.10:
                b = bytearray(fr)
                bit = rng.randrange(len(b) * 8)
                b[bit // 8] ^= 1 << (bit % 8)
                fr = bytes(b)
                flipped += 1
            wan.append(fr)
            if tunnel and rng.random() < 0.05:
                wan.append(fr)
                dups += 1
        dptest.write_pcap(f"{tmp}/wan.pcap", wan)
        d = dptest.run([f"net_pcap0,rx_pcap={tmp}/wan.pcap,tx_pcap={tmp}/lan.pcap"],
                       ["--fwd", "decode", "--quiet"] + dptest.stop_after(len(wan)))
        self.assertEqual(d.returncode, 0, d.stderr[-2000:])
        dptest.assert_balanced(self, d.summary)
        _, frames = dptest.read_frames(src)
        _, lan = dptest.read_frames(f"{tmp}/lan.pcap")
        entered = set(frames)
        strangers = [f for f in lan if f not in entered]
        self.assertEqual(len(strangers), 0,
                         f"{len(strangers)} frames reached the LAN that never entered the encoder, "
                         f"e.g. {strangers[:1]!r}")
        drops = {k: v for k, v in d.summary["drops"].items() if v}
        # The cut packets are refused by the validator (runt, truncated IPv4).
        self.assertGreaterEqual(sum(v for k, v in drops.items() if k.startswith("invalid_")), cut)
        print(f"{cut} cut short, {flipped} bit-flipped, {dups} duplicated tunnel packets: "
              f"{len(lan)} frames reached the LAN, all of them sent; drops {drops}")


if __name__ == "__main__":
    dptest.main()
