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
        dptest.require_captures()
        cls.files = sorted(p for p in dptest.PCAPS.iterdir()
                           if p.suffix in (".pcap", ".pcapng") and dptest.read_frames(p)[0] == 1)
        out = subprocess.run([str(TOOL)] + [str(f) for f in cls.files], capture_output=True,
                             text=True, check=True).stdout
        cls.reference = json.loads(out)

    def run_validate(self, simd):
        tmp = tempfile.mkdtemp(prefix="dp-validate-")
        vdevs = [f"net_pcap{i},rx_pcap={f},tx_pcap={tmp}/out{i}.pcap" for i, f in enumerate(self.files)]
        total = sum(len(dptest.read_frames(f)[1]) for f in self.files)  # the run ends on them
        r = dptest.run(vdevs, ["--fwd", "validate", "--port-topology", "loop", "--quiet",
                               "--simd", simd] + dptest.stop_after(total), timeout=120)
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


def _sum16(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(int.from_bytes(b[i:i + 2], "big") for i in range(0, len(b), 2))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def checksums_ok(fr):
    """(ip_ok, l4_ok) for untagged IPv4/IPv6 TCP/UDP frames; None if not such a frame."""
    et = fr[12:14]
    if et == b"\x08\x00":
        ihl = (fr[14] & 15) * 4
        ip = fr[14:14 + ihl]
        total = int.from_bytes(fr[16:18], "big")
        if fr[20:22] != b"\x40\x00" and (int.from_bytes(fr[20:22], "big") & 0x3FFF):
            return None  # fragment
        proto = fr[23]
        l4 = fr[14 + ihl:14 + total]
        pseudo = fr[26:34] + bytes([0, proto]) + len(l4).to_bytes(2, "big")
        ip_ok = _sum16(ip) == 0xFFFF
    elif et == b"\x86\xdd":
        proto = fr[20]
        plen = int.from_bytes(fr[18:20], "big")
        l4 = fr[54:54 + plen]
        pseudo = fr[22:54] + len(l4).to_bytes(4, "big") + bytes([0, 0, 0, proto])
        ip_ok = True
    else:
        return None
    if proto not in (6, 17):
        return None
    return ip_ok, _sum16(pseudo + l4) == 0xFFFF


class CsumEngine(unittest.TestCase):
    def test_fixes_and_verifies_checksums(self):
        dptest.require_captures()
        tmp = tempfile.mkdtemp(prefix="dp-csum-")
        files = [dptest.PCAPS / n for n in ("tls_ciphers.pcap", "http_espn.pcapng", "afs.pcap",
                                            "ip_frag_source.pcapng", "icmpv6.pcap")]
        vdevs = [f"net_pcap{i},rx_pcap={f},tx_pcap={tmp}/out{i}.pcap" for i, f in enumerate(files)]
        total = sum(len(dptest.read_frames(f)[1]) for f in files)  # the run ends on them
        r = dptest.run(vdevs, ["--fwd", "csum", "--port-topology", "loop", "--quiet"] +
                       dptest.stop_after(total), timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        dptest.assert_balanced(self, r.summary)
        checked = 0
        for i, f in enumerate(files):
            _, frames = dptest.read_frames(f)
            _, out = dptest.read_frames(f"{tmp}/out{i}.pcap")
            for fr, orig in zip(out, [x for x in frames if len(x) <= 9600]):
                self.assertEqual(len(fr), len(orig))
                ok = checksums_ok(fr)
                if ok is None:
                    continue
                self.assertEqual(ok, (True, True), f"{f.name}: checksum still wrong")
                checked += 1
        cs = r.summary["checksums"]
        print(f"{checked} frames verified; engine: {cs}")
        self.assertGreater(checked, 1000)
        self.assertGreater(cs["l4_fixed"], 100)  # tls_ciphers was captured before offload filled them
        # net_pcap has no checksum offload: auto falls back to software, says so.
        self.assertEqual(cs["offloaded"], 0)
        self.assertIn("no TX checksum offload on this device", r.stderr)

    def test_offload_off_is_software_only(self):
        dptest.require_captures()
        tmp = tempfile.mkdtemp(prefix="dp-csum-off-")
        f = dptest.PCAPS / "tls_ciphers.pcap"
        r = dptest.run([f"net_pcap0,rx_pcap={f},tx_pcap={tmp}/out.pcap"],
                       ["--fwd", "csum", "--csum-offload", "off", "--quiet"] +
                       dptest.stop_after(len(dptest.read_frames(f)[1])))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("no TX checksum offload", r.stderr)
        self.assertGreater(r.summary["checksums"]["l4_fixed"], 100)


if __name__ == "__main__":
    dptest.main()
