"""`--fwd validate` on every Ethernet capture: the per-reason drop counts equal
what the reference validator (dp-validate-pcap) says, and exactly the frames it
calls valid come out, in order. Also run with each --simd level."""
import json
import subprocess
import tempfile
import unittest

import dptest

TOOL = dptest.BUILD / "tools" / "dp-validate-pcap"


class ValidateEngine(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.files = sorted(p for p in dptest.PCAPS.iterdir()
                           if p.suffix in (".pcap", ".pcapng") and dptest.read_frames(p)[0] == 1)
        out = subprocess.run([str(TOOL)] + [str(f) for f in cls.files], capture_output=True,
                             text=True, check=True).stdout
        cls.reference = json.loads(out)

    def run_validate(self, simd):
        tmp = tempfile.mkdtemp(prefix="dp-validate-")
        vdevs = [f"net_pcap{i},rx_pcap={f},tx_pcap={tmp}/out{i}.pcap" for i, f in enumerate(self.files)]
        r = dptest.run(vdevs, ["--fwd", "validate", "--port-topology", "loop", "--idle-timeout", "1",
                               "--quiet", "--simd", simd], timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        dptest.assert_balanced(self, r.summary)
        return tmp, r.summary

    def check(self, simd):
        tmp, summary = self.run_validate(simd)
        expected = {}
        compared = 0
        for i, f in enumerate(self.files):
            verdicts = self.reference["files"][str(f)]
            _, frames = dptest.read_frames(f)
            _, out = dptest.read_frames(f"{tmp}/out{i}.pcap")
            # Frames over --max-frame (9600) never reach the validator.
            want = [fr for fr, v in zip(frames, verdicts) if v == "ok" and len(fr) <= 9600]
            self.assertEqual(out, want, f"{f.name}: forwarded frames differ from the reference")
            for fr, v in zip(frames, verdicts):
                if v != "ok" and len(fr) <= 9600:
                    expected["invalid_" + v] = expected.get("invalid_" + v, 0) + 1
            compared += len(frames)
        got = {k: v for k, v in summary["drops"].items() if v and k.startswith("invalid_")}
        self.assertEqual(got, expected)
        print(f"--simd {simd}: {compared} frames, drops by reason {got}")

    def test_auto(self):
        self.check("auto")

    def test_scalar(self):
        self.check("scalar")

    def test_sse(self):
        self.check("sse")


if __name__ == "__main__":
    dptest.main()
