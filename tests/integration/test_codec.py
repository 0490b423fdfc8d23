"""The delta codec end to end with real processes, in wire format 2 (the
default) and 1 (--codec 1): pcap -> encode -> pcap -> decode -> pcap gives back
every valid input frame byte for byte and in order; a hostile WAN (loss,
duplication, reordering, bit flips) between them makes the decoder drop and
count, never emit a frame that was not sent; two gateways facing each other
over memif carry traffic both ways losslessly."""
import os
import random
import subprocess
import sys
import tempfile
import unittest

import dptest
from test_telemetry import CTL, Tel, runtime_dir

GEN = dptest.SRC / "tools" / "gen_traffic.py"
TUNNEL_PORT = 56855
MAGIC = b"\x44\x50"


def is_tunnel(fr):
    if len(fr) >= 44 and fr[42:44] == MAGIC:
        return True
    if len(fr) < 42 or fr[12:14] != b"\x08\x00" or fr[23] != 17:
        return False
    ihl = (fr[14] & 15) * 4
    return len(fr) >= 14 + ihl + 4 and int.from_bytes(fr[14 + ihl + 2:14 + ihl + 4], "big") == TUNNEL_PORT


def is_subsequence(sub, seq):
    it = iter(seq)
    return all(any(x == y for y in it) for x in sub)


def frames_in(paths):
    return sum(len(dptest.read_frames(p)[1]) for p in paths)


def chain(test, tmp, inputs, enc_args=(), dec_args=(), mem_mb=512):
    """Encodes each input capture on its own port, then decodes the result."""
    # Each run ends once it received every frame of its captures (stop_after).
    enc_vdevs = [f"net_pcap{i},rx_pcap={p},tx_pcap={tmp}/enc{i}.pcap" for i, p in enumerate(inputs)]
    e = dptest.run(enc_vdevs, ["--fwd", "encode", "--port-topology", "loop", "--quiet"] +
                   dptest.stop_after(frames_in(inputs)) + list(enc_args), timeout=120, mem_mb=mem_mb)
    test.assertEqual(e.returncode, 0, e.stderr[-3000:])
    dptest.assert_balanced(test, e.summary)
    dec_vdevs = [f"net_pcap{i},rx_pcap={tmp}/enc{i}.pcap,tx_pcap={tmp}/dec{i}.pcap"
                 for i in range(len(inputs))]
    d = dptest.run(dec_vdevs, ["--fwd", "decode", "--port-topology", "loop", "--quiet"] +
                   dptest.stop_after(frames_in(f"{tmp}/enc{i}.pcap" for i in range(len(inputs)))) +
                   list(dec_args), timeout=120, mem_mb=mem_mb)
    test.assertEqual(d.returncode, 0, d.stderr[-3000:])
    dptest.assert_balanced(test, d.summary)
    return e, d


class EncodeDecodeChain(unittest.TestCase):
    def test_every_capture_round_trips(self):
        tmp = tempfile.mkdtemp(prefix="dp-chain-")
        dptest.require_captures()
        files = sorted(p for p in dptest.PCAPS.iterdir()
                       if p.suffix in (".pcap", ".pcapng") and dptest.read_frames(p)[0] == 1)
        # One encoder stream per port: the decoder holds all 25 at once (at
        # the default level, 4 MiB of history each, and the encoder's index).
        e, d = chain(self, tmp, files, enc_args=["--flow-capacity", "1024"],
                     dec_args=["--flow-capacity", "1024", "--peer-streams", "32"], mem_mb=1024)
        self.assertEqual(sum(d.summary["drops"].values()), 0, d.summary["drops"])
        total_in = total_out = 0
        for i, f in enumerate(files):
            with self.subTest(capture=f.name):
                _, frames = dptest.read_frames(f)
                _, out = dptest.read_frames(f"{tmp}/dec{i}.pcap")
                self.assertTrue(is_subsequence(out, frames), "decoded frames are not the input in order")
                total_in += len(frames)
                total_out += len(out)
        # Everything the encoder did not drop (validator verdicts, oversize) came back.
        # What the encoder carried: its tunnel packets hold several frames
        # (merged), a frame too long for one packet takes several (split).
        t = e.summary["totals"]
        self.assertEqual(total_out, t["tx_packets"] + t["merged"] - t["split"])
        self.assertEqual(total_in - total_out, sum(e.summary["drops"].values()))
        print(f"{total_out} of {total_in} frames restored byte for byte; encoder drops: "
              f"{ {k: v for k, v in e.summary['drops'].items() if v} }")

    def slow_chain(self, version):
        tmp = tempfile.mkdtemp(prefix="dp-slow-")
        src = f"{tmp}/slow.pcap"
        subprocess.run([sys.executable, str(GEN), src, "--packets", "4000", "--flows", "40",
                        "--model", "slow", "--size", "200-1400", "--seed", "7"], check=True)
        # No time-based keyframes: the byte counts depend on the frames only.
        e, d = chain(self, tmp, [src], enc_args=["--keyframe-ms", "0", "--codec", version],
                     dec_args=["--codec", version])
        _, frames = dptest.read_frames(src)
        _, out = dptest.read_frames(f"{tmp}/dec0.pcap")
        self.assertEqual(out, frames)
        c = e.summary["codec"]
        self.assertEqual(c["version"], int(version))
        sent_fraction = c["enc_bytes_out"] / c["enc_bytes_in"]
        print(f"wire format {version}: the encoder sent {100 * sent_fraction:.1f}% of the "
              f"original bytes")
        return e, d, sent_fraction

    def test_slowly_changing_traffic_is_compressed_v1(self):
        e, d, sent = self.slow_chain("1")
        c = e.summary["codec"]
        self.assertLess(sent, 0.30)
        self.assertGreater(c["enc_deltas"], c["enc_keyframes"])
        self.assertEqual(d.summary["codec"]["dec_deltas"], c["enc_deltas"])

    def test_slowly_changing_traffic_is_compressed_v2(self):
        e, d, sent = self.slow_chain("2")
        c, dc = e.summary["codec"], d.summary["codec"]
        # Measured 6-7% here (v1: ~17%): several frames per tunnel packet,
        # headers as fields, payloads copied from the flow's reference.
        self.assertLess(sent, 0.15)
        self.assertGreater(c["v2_hdr_compressed"], c["v2_hdr_new_context"])
        self.assertGreater(c["v2_aligned_bytes"], 0)
        self.assertLess(c["v2_packets"], c["enc_frames"] / 2)
        self.assertEqual(dc["v2_dec_packets"], c["v2_packets"])
        self.assertEqual(dc["v2_dec_frames"], c["enc_frames"])
        self.assertEqual(e.summary["totals"]["merged"], c["enc_frames"] - c["v2_packets"])
        self.assertEqual(d.summary["totals"]["split"], c["enc_frames"] - c["v2_packets"])

    def test_incompressible_traffic_bypasses(self):
        tmp = tempfile.mkdtemp(prefix="dp-rand-")
        src = f"{tmp}/rand.pcap"
        subprocess.run([sys.executable, str(GEN), src, "--packets", "1000", "--model", "random",
                        "--seed", "3"], check=True)
        for version in ("1", "2"):
            with self.subTest(codec=version):
                e, _ = chain(self, tmp, [src], enc_args=["--codec", version],
                             dec_args=["--codec", version])
                _, frames = dptest.read_frames(src)
                _, out = dptest.read_frames(f"{tmp}/dec0.pcap")
                self.assertEqual(out, frames)
                c = e.summary["codec"]
                if version == "1":  # deltas never pay on random payloads
                    self.assertEqual(c["enc_deltas"], 0)
                    self.assertGreater(c["enc_bypass"], 0)
                else:
                    # Never more than raw plus a bounded overhead: 1% and the
                    # tunnel headers of one packet (v1 adds its headers to
                    # every keyframe).
                    self.assertLessEqual(c["enc_bytes_out"], c["enc_bytes_in"] * 1.01 + 66)
                    # Random flows are found incompressible and leave the history.
                    self.assertGreater(c["v2_transient"] + c["enc_bypass"], 0)


class FlowFlood(unittest.TestCase):
    def test_more_flows_than_table_capacity(self):
        tmp = tempfile.mkdtemp(prefix="dp-flood-")
        src = f"{tmp}/flood.pcap"
        subprocess.run([sys.executable, str(GEN), src, "--packets", "6000", "--flows", "2000",
                        "--model", "slow", "--size", "100-600", "--seed", "9"], check=True)
        e, d = chain(self, tmp, [src], enc_args=["--flow-capacity", "64"])
        _, frames = dptest.read_frames(src)
        _, out = dptest.read_frames(f"{tmp}/dec0.pcap")
        self.assertEqual(out, frames)
        c = e.summary["codec"]
        print(f"2000 flows through a 64-flow table: {c['enc_flow_evictions']} evictions, "
              f"{c['enc_flows']} flows held at exit")
        self.assertGreater(c["enc_flow_evictions"], 1000)
        self.assertLessEqual(c["enc_flows"], 64)
        self.assertEqual(c["enc_flows_new"] - c["enc_flow_evictions"], c["enc_flows"])


class HostileWan(unittest.TestCase):
    def hostile_run(self, level):
        """Encodes synthetic records at `level`, takes the tunnel packets through
        a WAN that loses, flips bits, duplicates and reorders, decodes: the
        frames restored and the frames sent."""
        tmp = tempfile.mkdtemp(prefix="dp-hostile-")
        src = f"{tmp}/slow.pcap"
        subprocess.run([sys.executable, str(GEN), src, "--packets", "4000", "--flows", "24",
                        "--model", "slow", "--size", "100-1400", "--seed", "11"], check=True)
        e = dptest.run([f"net_pcap0,rx_pcap={src},tx_pcap={tmp}/enc.pcap"],
                       ["--fwd", "encode", "--quiet", "--keyframe-interval", "32",
                        "--keyframe-ms", "0", "--codec-level", str(level)] +
                       dptest.stop_after(frames_in([src])))
        self.assertEqual(e.returncode, 0, e.stderr)
        _, enc = dptest.read_frames(f"{tmp}/enc.pcap")
        rng = random.Random(5)
        wan, flipped = [], 0
        for fr in enc:
            r = rng.random()
            if r < 0.10:
                continue  # lost
            fr = bytearray(fr)
            if is_tunnel(fr) and rng.random() < 0.10:
                bit = rng.randrange(len(fr) * 8)
                fr[bit // 8] ^= 1 << (bit % 8)
                flipped += 1
            wan.append(bytes(fr))
            if r > 0.95:
                wan.append(bytes(fr))  # duplicated
        for i in range(0, len(wan) - 1, 7):  # reordered
            if rng.random() < 0.5:
                wan[i], wan[i + 1] = wan[i + 1], wan[i]
        dptest.write_pcap(f"{tmp}/wan.pcap", wan)
        d = dptest.run([f"net_pcap0,rx_pcap={tmp}/wan.pcap,tx_pcap={tmp}/dec.pcap"],
                       ["--fwd", "decode", "--quiet", "--codec-level", str(level)] +
                       dptest.stop_after(len(wan)))
        self.assertEqual(d.returncode, 0, d.stderr)
        dptest.assert_balanced(self, d.summary)
        _, frames = dptest.read_frames(src)
        originals = set(frames)
        _, out = dptest.read_frames(f"{tmp}/dec.pcap")
        strangers = [o for o in out if o not in originals]
        self.assertEqual(strangers, [], f"{len(strangers)} emitted frames were never sent")
        drops = {k: v for k, v in d.summary["drops"].items() if v}
        print(f"level {level}: {len(enc)} encoded, {len(wan)} crossed the WAN ({flipped} with a "
              f"flipped bit), {len(out)} restored, drops {drops}")
        self.assertGreater(sum(drops.values()), flipped // 2)
        return out, frames

    def test_loss_duplication_reordering_bitflips(self):
        # About 20% of the tunnel packets are lost or corrupted: a frame goes
        # with its packet and with those it copies from (collateral loss; at
        # 1% loss it stays under 2x at levels 1 and 2, docs/performance.md).
        # Level 1, the one for lossy links, brings more than a third through
        # (about half, measured); the default, whose frames may depend on 5
        # other packets, more than a sixth (about a fifth, measured).
        for level, floor in ((1, 3), (2, 6)):
            with self.subTest(level=level):
                out, frames = self.hostile_run(level)
                self.assertGreater(len(out), len(frames) // floor)


class Gateways(unittest.TestCase):
    def test_two_gateways_over_memif_both_ways(self):
        tmp = tempfile.mkdtemp(prefix="dp-gw-")
        a_in, b_in = f"{tmp}/a_in.pcap", f"{tmp}/b_in.pcap"
        subprocess.run([sys.executable, str(GEN), a_in, "--packets", "2000", "--model", "slow",
                        "--seed", "21"], check=True)
        subprocess.run([sys.executable, str(GEN), b_in, "--packets", "1500", "--model", "slow",
                        "--size", "64-300", "--seed", "22"], check=True)
        _, a_frames = dptest.read_frames(a_in)
        _, b_frames = dptest.read_frames(b_in)
        total = len(a_frames) + len(b_frames)  # what each gateway receives, LAN + WAN
        sock = f"{tmp}/memif.sock"
        # Each gateway runs until the test shuts it down (--duration is only a
        # safety net), once telemetry shows both received everything: no
        # quiet spell has to outlast the other's start-up.
        common = ["--fwd", "gateway", "--link-wait", "60000", "--tx-retry", "1000",
                  "--tx-retry-delay", "100", "--keyframe-ms", "0", "--quiet", "--duration", "200"]
        # Gateway A: port 0 LAN (pcap), port 1 WAN (memif server). B: port 0 WAN
        # (memif client), port 1 LAN. B stops first: DPDK 22.11's memif can crash
        # in its interrupt thread when both peers close at the same instant.
        a = dptest.start([f"net_pcap0,rx_pcap={a_in},tx_pcap={tmp}/a_out.pcap",
                          f"net_memif0,role=server,socket={sock}"], common,
                         json_path=f"{tmp}/a.json", no_huge_prefix="gwa")
        b = None
        socks = {"A": os.path.join(runtime_dir(), a.file_prefix, "dpdk_telemetry.v2")}
        try:
            # A's EAL is up (its memif server listens) once its telemetry socket is.
            dptest.wait_until(lambda: os.path.exists(socks["A"]) or a.poll() is not None,
                              what="gateway A's start-up")
            b = dptest.start([f"net_memif0,role=client,socket={sock}",
                              f"net_pcap0,rx_pcap={b_in},tx_pcap={tmp}/b_out.pcap"],
                             common + ["--wan-ports", "0"], json_path=f"{tmp}/b.json",
                             no_huge_prefix="gwb")
            socks["B"] = os.path.join(runtime_dir(), b.file_prefix, "dpdk_telemetry.v2")

            # Each gateway's LAN port: what it received (its own LAN's frames)
            # and sent (the other LAN's, decoded). The WAN carries fewer
            # packets than frames (several frames per tunnel packet).
            lan = {"A": ("0", len(a_frames), len(b_frames)), "B": ("1", len(b_frames), len(a_frames))}

            def lan_done(g):
                port, rx, tx = lan[g]
                try:
                    with Tel(socks[g]) as t:  # {"error": "not forwarding"} during start-up
                        p = t.value("/deltaplane/ports").get(port, {})
                        return p.get("rx_packets", 0) >= rx and p.get("tx_packets", 0) >= tx
                except OSError:  # not up yet
                    return False

            def done():
                for p in (a, b):
                    if p.poll() is not None:
                        raise AssertionError(f"a gateway exited early: {p.communicate()[1][-2000:]}")
                return all(lan_done(g) for g in socks)
            dptest.wait_until(done, timeout=60, what="each LAN's frames across the WAN")
            # Telemetry and deltaplane-ctl show what the codec did, per path.
            for g, (_, rx, tx) in lan.items():
                with Tel(socks[g]) as t:
                    c = t.value("/deltaplane/codec")
                self.assertEqual((c["active"], c["wire_format"]), (1, 2), c)
                self.assertEqual((c["enc_frames"], c["v2_dec_frames"]), (rx, tx), c)
                self.assertLess(c["enc_bytes_out"], c["enc_bytes_in"] / 2, c)  # slow records
                self.assertGreater(c["v2_hdr_compressed"], 0, c)
                view = subprocess.run([sys.executable, str(CTL), "-s", socks[g], "codec"],
                                      capture_output=True, text=True, timeout=30)
                self.assertEqual(view.returncode, 0, view.stderr)
                self.assertIn("headers against flow context", view.stdout)
                self.assertIn(f"encoder: {rx} frames", view.stdout)
                if g == "A":
                    print(f"deltaplane-ctl codec, gateway A:\n{view.stdout}")
            for g, p in (("B", b), ("A", a)):
                with Tel(socks[g]) as t:
                    t.value("/deltaplane/control,shutdown")
                _, err = p.communicate(timeout=60)
                self.assertEqual(p.returncode, 0, f"gateway {g}: {err[-2000:]}")
        finally:
            for p in (a, b):
                if p is not None and p.poll() is None:
                    p.kill()  # our own children, by PID
                    p.communicate()
        _, at_b = dptest.read_frames(f"{tmp}/b_out.pcap")
        _, at_a = dptest.read_frames(f"{tmp}/a_out.pcap")
        self.assertEqual(at_b, a_frames, "A -> B direction")
        self.assertEqual(at_a, b_frames, "B -> A direction")
        import json
        for j in ("a", "b"):
            with open(f"{tmp}/{j}.json") as f:
                s = json.load(f)
            dptest.assert_balanced(self, s)
            self.assertGreater(s["codec"]["v2_packets"], 0)
            self.assertGreater(s["codec"]["v2_dec_frames"], 0)
        self.assertLess(total, 2 * 3500)  # (what each LAN sent, for the record)

if __name__ == "__main__":
    dptest.main()
