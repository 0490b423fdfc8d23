"""The synthetic traffic source (--synth on a net_null port): a seed repeats a
run bit for bit, its frames are what the reference validator expects, the rate
model loses what a slow consumer cannot take (counted as missed), the TX sink's
rate limit backs the forwarder up without losing count, and bad specs fail
with one clear line before the EAL starts.

Counts are facts, not speeds: runs end on a count (--max-packets), rings larger
than the whole run cannot overflow, and a consumer that must fall behind is
paused (telemetry control,stop) rather than hoped to be slow. How fast the
source, the sink and the generators go is for bench/source_bench.py and
bench/ndr.py."""
import json
import os
import subprocess
import tempfile
import unittest

import dptest
from test_telemetry import App, Tel

TOOL = dptest.BUILD / "tools" / "dp-validate-pcap"


def capture(spec, extra=(), count=4000, lcores="0,1", source_vdev="net_null0", queues=1,
            engine="io"):
    """Runs `engine` from a synthetic port 0 into a pcap on port 1; returns (frames, run).

    queues > 1: that many RX/TX queues per port, the pcap files of port 1's TX
    queues concatenated."""
    tmp = tempfile.mkdtemp(prefix="dp-synth-")
    empty = os.path.join(tmp, "empty.pcap")
    dptest.write_pcap(empty, [])
    outs = [os.path.join(tmp, f"out{q}.pcap") for q in range(queues)]
    pcap = "net_pcap0" + "".join(f",rx_pcap={empty},tx_pcap={o}" for o in outs)
    # count= frames per RX queue, and the run ends once it received them all.
    r = dptest.run([source_vdev, pcap],
                   ["--synth", f"0:{spec},count={count}", "--fwd", engine, "--quiet"] +
                   dptest.stop_after(count * queues) +
                   (["--rxq", str(queues)] if queues > 1 else []) + list(extra),
                   timeout=60, lcores=lcores)
    frames = []
    for o in outs:
        frames += dptest.read_frames(o)[1] if os.path.exists(o) else []
    return frames, r, outs[0]


def assert_same_frames(test, got, want, what):
    """assertEqual for long frame lists: names the first frame that differs
    (unittest's own list diff takes minutes over 20000 frames)."""
    first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), None)
    test.assertIsNone(first, f"{what}: frame {first} differs")
    test.assertEqual(len(got), len(want), what)


class SyntheticSource(unittest.TestCase):
    def test_seed_repeats_bit_for_bit(self):
        spec = "seed=5,flows=300,size=imix,ipv6=0.3,payload=random,invalid=0.02"
        a, ra, _ = capture(spec)
        b, rb, _ = capture(spec)
        c, rc, _ = capture(spec.replace("seed=5", "seed=6"))
        for r in (ra, rb, rc):
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            dptest.assert_balanced(self, r.summary)
        self.assertEqual(len(a), 4000)
        self.assertEqual(a, b, "same seed, different frames")
        self.assertNotEqual(a, c, "different seeds, same frames")
        # The pipeline model forwards the same frames (one flow-affine worker
        # keeps them in order; several would only keep per-flow order).
        # Its three lcores share one CPU here: rings deep enough for the whole
        # run, so scheduler pauses cannot fill them.
        p, rp, _ = capture(spec, ["--model", "pipeline", "--ring-size", "8192"],
                           count=4000, lcores="0@0,1@1,2@1,3@1")
        self.assertEqual(rp.returncode, 0, rp.stderr[-2000:])
        self.assertEqual(sum(rp.summary["drops"].values()), 0, rp.summary["drops"])
        self.assertEqual(p, a)
        self.assertEqual(ra.summary["synthetic"][0]["generated"], 4000)
        print(f"seed 5: {len(a)} frames identical over two rtc runs and a pipeline run")

    def test_bank_replays_the_first_frames(self):
        # bank=N builds the first N frames once and replays them in a cycle.
        spec = "seed=4,flows=50,size=imix,ipv6=0.5,payload=records"
        exact, r1, _ = capture(spec, count=100)
        banked, r2, _ = capture(spec + ",bank=100", count=300)
        for r in (r1, r2):
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            dptest.assert_balanced(self, r.summary)
        self.assertEqual(len(banked), 300)
        self.assertEqual(banked[:100], exact)
        self.assertEqual(banked[100:200], exact)
        self.assertEqual(banked[200:], exact)

    def test_validate_drops_match_reference(self):
        spec = "seed=9,flows=2000,size=60-1500,ipv6=0.5,tcp=0.5,invalid=0.2"
        frames, r, out = capture(spec, count=20000)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        self.assertEqual(len(frames), 20000)
        verdicts = json.loads(subprocess.run([str(TOOL), out], capture_output=True, text=True,
                                             check=True).stdout)["files"][out]
        expected = {}
        for v in verdicts:
            if v != "ok":
                expected["invalid_" + v] = expected.get("invalid_" + v, 0) + 1
        self.assertGreaterEqual(len(expected), 5, expected)
        v = dptest.run(["net_null0"],
                       ["--synth", f"0:{spec},count=20000", "--fwd", "validate", "--quiet",
                        "--port-topology", "loop"] + dptest.stop_after(20000), timeout=60)
        self.assertEqual(v.returncode, 0, v.stderr[-2000:])
        dptest.assert_balanced(self, v.summary)
        got = {k: n for k, n in v.summary["drops"].items() if n and k.startswith("invalid_")}
        self.assertEqual(got, expected)
        # l4-checksum frames pass a validator that does not verify L4 checksums
        # (the default), so the source may announce more invalid frames than drop.
        self.assertGreaterEqual(v.summary["synthetic"][0]["invalid"],
                                sum(1 for x in verdicts if x != "ok"))
        print(f"20000 synthetic frames: drops by reason equal the reference: {got}")

    def test_rate_model_counts_missed(self):
        # An offered rate far above what any lcore forwards, into a 64-slot ring:
        # arrivals that find the ring full are missed, the rest forwarded. The
        # ring lasts 128 ns at 500M/s, less than one poll of 32 random 1500-byte
        # frames takes on any CPU; a slower or descheduled lcore only misses more.
        r = dptest.run(["net_null0"],
                       ["--synth", "0:rate=500M,ring=64,size=1500,payload=random", "--fwd", "io",
                        "--quiet", "--port-topology", "loop"] + dptest.stop_after(100000),
                       timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        dptest.assert_balanced(self, r.summary)
        s = r.summary["synthetic"][0]
        self.assertGreater(s["missed"], 0)
        port0 = next(p for p in r.summary["ports"] if p["port"] == 0)
        self.assertEqual(port0["hw_imissed"], s["missed"])
        self.assertEqual(port0["rx_packets"], s["generated"])
        self.assertGreaterEqual(s["generated"], 100000)
        # A modest rate into a ring deeper than the whole run: no arrival can
        # find it full, however late the lcore polls, so nothing is missed and
        # every frame is made, stamped and sent. (How close the offered rate
        # comes to 200k/s is bench/ndr.py's business.)
        n = 50000
        r = dptest.run(["net_null0"],
                       ["--synth", f"0:rate=200k,size=64,ring=65536,count={n}", "--fwd", "io",
                        "--quiet", "--port-topology", "loop"] + dptest.stop_after(n), timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        dptest.assert_balanced(self, r.summary)
        s = r.summary["synthetic"][0]
        self.assertEqual((s["generated"], s["missed"]), (n, 0), s)
        self.assertEqual(r.summary["totals"]["tx_packets"], n)
        lat = r.summary.get("latency_ns", {})
        self.assertIn("arrival_to_tx", lat, r.summary)
        self.assertEqual(lat["arrival_to_tx"]["count"], n)
        print(f"rate 200k/s, {n} arrivals into 65536 slots: {s['generated']} generated, 0 missed")

    def test_slow_sink_backs_up_without_loss_of_count(self):
        # Port 1's sink takes 1000 frames/s (a token bucket of 64 frames): the
        # forwarder retries, then drops as tx_full; every frame is accounted for
        # and no mbuf leaks. Port 0 sends n frames, port 1 one (count=1).
        n = 200000
        r = dptest.run(["net_null0", "net_null1"],
                       ["--synth", f"0:size=64,count={n}", "--synth", "1:tx-rate=1k,count=1",
                        "--fwd", "io", "--quiet"] + dptest.stop_after(n + 1), timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        dptest.assert_balanced(self, r.summary)
        self.assertEqual(r.summary["totals"]["rx_packets"], n + 1)
        sink = next(s for s in r.summary["synthetic"] if s["port"] == 1)
        port1 = next(p for p in r.summary["ports"] if p["port"] == 1)
        tx_full = r.summary["drops"].get("tx_full", 0)
        # Port 0's n frames went to the sink: taken, or refused (then dropped).
        self.assertEqual(port1["tx_packets"], sink["tx_taken"])
        self.assertEqual(sink["tx_taken"] + tx_full, n)
        self.assertEqual(sum(r.summary["drops"].values()), tx_full)
        self.assertGreaterEqual(sink["tx_refused"], tx_full)  # retries are refused again
        # The bucket never gives more than its depth plus the rate over the run,
        # so most of the n frames were refused (n would take 200 s to drain).
        self.assertLessEqual(sink["tx_taken"], 64 + 1000 * r.summary["elapsed_s"] + 1)
        self.assertGreater(tx_full, 0)
        for pool in r.summary.get("mempools", []):
            self.assertEqual(pool["in_use"], 0, pool)
        print(f"slow sink: took {sink['tx_taken']}, refused {sink['tx_refused']} (retried/dropped "
              f"as tx_full: {tx_full})")

    def test_bad_specs(self):
        cases = [
            (["--synth", "0:flows=0"], "--synth: flows: 0 is out of range"),
            (["--synth", "0:colour=red"], "--synth: colour: unknown key"),
            (["--synth", "0:flows=1", "--synth", "0:flows=2"], "--synth: port 0 is given twice"),
            (["--synth", "5:flows=1"], "--synth: port 5 is not in use"),
        ]
        for args, msg in cases:
            r = dptest.run(["net_null0", "net_null1"], args + ["--duration", "1"], timeout=30,
                           want_json=False)
            self.assertNotEqual(r.returncode, 0, args)
            self.assertIn(msg, r.stderr, args)
            self.assertNotIn("Segmentation", r.stderr)
        tmp = tempfile.mkdtemp(prefix="dp-synth-")
        empty = os.path.join(tmp, "e.pcap")
        dptest.write_pcap(empty, [])
        r = dptest.run([f"net_pcap0,rx_pcap={empty},tx_pcap={tmp}/o.pcap"],
                       ["--synth", "0:flows=1", "--duration", "1"], timeout=30, want_json=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("the synthetic source rides on a net_null vdev", r.stderr)


# Generator lcores: the main lcore and the generator share CPU 0, the
# forwarding lcore has CPU 1 (the main lcore mostly sleeps).
GEN_LCORES = "0@0,1@1,2@0"
GEN_VDEV = "net_null0,no-rx=1"


class GeneratorLcores(unittest.TestCase):
    """lcore=L: frames built on a lcore of their own, queued in a ring per RX queue."""

    def loop_run(self, spec, engine, frames, mem_mb=512):
        """Runs `engine` on port 0 looped back, fed by `spec`, until it received
        `frames` frames; checks it exits balanced and returns (run, the
        synthetic port's summary)."""
        r = dptest.run([GEN_VDEV],
                       ["--synth", f"0:{spec}", "--fwd", engine, "--port-topology", "loop",
                        "--quiet"] + dptest.stop_after(frames), timeout=60, lcores=GEN_LCORES,
                       mem_mb=mem_mb)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        dptest.assert_balanced(self, r.summary)
        return r, r.summary["synthetic"][0]

    def test_same_frames_as_the_inline_source(self):
        for spec in ("seed=5,flows=300,size=imix,ipv6=0.3,payload=random,invalid=0.02",
                     "seed=4,flows=50,size=60-1500,payload=records,bank=100"):
            inline, ri, _ = capture(spec)
            gen, rg, _ = capture(spec + ",lcore=2", lcores=GEN_LCORES, source_vdev=GEN_VDEV)
            for r in (ri, rg):
                self.assertEqual(r.returncode, 0, r.stderr[-2000:])
                dptest.assert_balanced(self, r.summary)
            self.assertEqual(len(gen), 4000)
            self.assertEqual(gen, inline, spec)
            s = rg.summary["synthetic"][0]
            self.assertEqual(s["generator_lcores"], 1)
            self.assertEqual((s["generated"], s["delivered"], s["flushed"]), (4000, 4000, 0))
            self.assertEqual(dptest.pool_in_use(rg.summary), 0)
            self.assertIn("1 generator lcore(s)", rg.stdout)
        print("generator lcore: 2 x 4000 frames identical to the inline source's")

    def test_one_generator_per_queue(self):
        # Two RX queues (two forwarding lcores), a generator lcore each: every
        # queue gets the frames the inline source gives it, in order.
        spec = "seed=3,flows=500,size=64-900,ipv6=0.5,payload=binary"
        inline, ri, _ = capture(spec, count=2000, lcores="0@0,1@1,2@1", queues=2)
        gen, rg, _ = capture(spec + ",lcore=3-4", count=2000, lcores="0@0,1@1,2@1,3@0,4@0",
                             source_vdev=GEN_VDEV, queues=2)
        for r in (ri, rg):
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            dptest.assert_balanced(self, r.summary)
        self.assertEqual(len(gen), 4000)
        self.assertEqual(gen, inline)  # per TX queue file, in order
        s = rg.summary["synthetic"][0]
        self.assertEqual((s["generator_lcores"], s["delivered"]), (2, 4000))
        self.assertGreater(s["generator_mpps_alone"], 0)  # summed over the two
        self.assertEqual(dptest.pool_in_use(rg.summary), 0)

    def test_a_slow_consumer_loses_nothing(self):
        # The encoder takes 1000-byte records from an unpaced generator that
        # keeps its ring full (whether the generator outruns the encoder is a
        # speed, measured by bench/source_bench.py): nothing is lost, and what
        # is left in the ring at stop is freed and counted.
        r, s = self.loop_run("size=1000,payload=records,flows=1000,bank=4096,lcore=2", "encode",
                             100000)
        self.assertEqual(s["missed"], 0)
        self.assertEqual(s["generated"], s["delivered"] + s["flushed"])
        self.assertLessEqual(s["flushed"], 1024)  # one ring (--rxd)
        port0 = next(p for p in r.summary["ports"] if p["port"] == 0)
        self.assertEqual(port0["rx_packets"], s["delivered"])
        self.assertGreaterEqual(s["delivered"], 100000)
        self.assertEqual(dptest.pool_in_use(r.summary), 0)
        self.assertNotIn("arrival_to_tx", r.summary.get("latency_ns", {}))  # no stamps unpaced
        print(f"encode consumer: generator waited {s['generator_full_s']:.2f} s on a full ring, "
              f"busy {s['generator_busy_s']:.2f} s; {s['flushed']} frames freed at stop")

    def test_a_ring_shorter_than_a_burst(self):
        # Unpaced generators wait for room for a burst, or for the whole ring
        # when it is shorter: a 5-slot ring still flows (the run only ends
        # once 100000 frames went through it).
        r, s = self.loop_run("size=64,ring=5,lcore=2", "io", 100000)
        self.assertGreaterEqual(s["delivered"], 100000, s)
        self.assertLessEqual(s["flushed"], 5)
        self.assertEqual(dptest.pool_in_use(r.summary), 0)

    def test_rate_offers_and_misses(self):
        # A modest rate into a ring deeper than the whole run: nothing can be
        # missed or late however the lcores are scheduled; every frame is
        # made, delivered and stamped. (The offered rate's accuracy is for
        # bench/ndr.py.)
        n = 50000
        # (A 65536-slot ring: 262143 mbufs, about 590 MiB; without hugepages the
        # pool and the rest need 1.5 GiB.)
        r, s = self.loop_run(f"rate=200k,size=64,ring=65536,count={n},lcore=2", "io", n,
                             mem_mb=1536)
        self.assertEqual((s["generated"], s["delivered"], s["flushed"]), (n, n, 0), s)
        self.assertEqual((s["missed"], s["late"]), (0, 0), s)
        self.assertEqual(r.summary["latency_ns"]["arrival_to_tx"]["count"], n)
        # Far more than the consumer takes, into a 64-slot ring: the consumer
        # is paused, so arrivals certainly find the ring full; they are missed,
        # counted as the port's imissed, and the invariant still holds.
        app = App(duration=120, stats_period=0, vdevs=[GEN_VDEV], lcores=GEN_LCORES,
                  extra=["--synth", "0:rate=100M,ring=64,size=1500,payload=random,lcore=2",
                         "--fwd", "encode", "--port-topology", "loop", "--quiet"])
        try:
            app.wait_ready()
            with Tel(app.sock_path) as t:
                self.assertEqual(t.value("/deltaplane/control,stop"), {"ok": "forwarding stopped"})
                seen = dptest.wait_until(lambda: t.value("/deltaplane/ports")["0"]["hw_imissed"],
                                         what="arrivals missed while the consumer is paused")
                t.value("/deltaplane/control,start")
                t.value("/deltaplane/control,shutdown")
            self.assertEqual(app.wait(timeout=30), 0, app.stderr()[-2000:])
            summary = app.summary()
        finally:
            app.close()
        dptest.assert_balanced(self, summary)
        s = summary["synthetic"][0]
        port0 = next(p for p in summary["ports"] if p["port"] == 0)
        # The port's figure is taken when forwarding stops, the source's once
        # its generator has stopped too, and a generator on a full ring keeps
        # missing until then: each figure is at least the one before it.
        self.assertLessEqual(seen, port0["hw_imissed"])
        self.assertLessEqual(port0["hw_imissed"], s["missed"])
        self.assertEqual(port0["rx_packets"], s["delivered"])
        self.assertEqual(s["generated"], s["delivered"] + s["flushed"])
        self.assertEqual(dptest.pool_in_use(summary), 0)
        print(f"rate 100M/s into 64 slots: {s['missed']} missed, {s['late']} late, "
              f"{s['delivered']} delivered")

    def test_fill_payload_is_written_once_per_buffer(self):
        # payload=fill: the generators' own pool holds the pattern, so only each
        # frame's first 128 bytes are written. The frames are still bit for bit
        # the inline source's, over enough frames that every buffer is reused
        # under headers of other lengths (IMIX, IPv4/IPv6, TCP/UDP, invalid
        # frames, a bank).
        for spec in ("seed=8,flows=400,size=imix,ipv6=0.4,tcp=0.5,payload=fill,invalid=0.05",
                     "seed=2,flows=60,size=60-1500,ipv6=0.5,payload=fill,bank=500"):
            inline, ri, _ = capture(spec, count=20000)
            gen, rg, _ = capture(spec + ",lcore=2", count=20000, lcores=GEN_LCORES,
                                 source_vdev=GEN_VDEV)
            for r in (ri, rg):
                self.assertEqual(r.returncode, 0, r.stderr[-2000:])
                dptest.assert_balanced(self, r.summary)
            self.assertEqual(len(gen), 20000)
            assert_same_frames(self, gen, inline, spec)
            s = rg.summary["synthetic"][0]
            self.assertEqual((s["generated"], s["head_only"]), (20000, 20000), s)
            own = [p for p in rg.summary["mempools"] if p["name"] == "dp_synth0"]
            self.assertEqual(len(own), 1, rg.summary["mempools"])
            self.assertLess(own[0]["size"], 20000)  # buffers were reused
            self.assertEqual(dptest.pool_in_use(rg.summary), 0)
            self.assertIn("payload already in place in 20000 frames", rg.stdout)
        print("payload=fill: 2 x 20000 frames written 128 bytes deep, identical to the inline "
              "source's")

    def test_payloads_an_engine_rewrote_are_put_back(self):
        # encode rewrites frames in place (deltas): the generator puts the
        # pattern back over what it marked, and the encoded stream is bit for
        # bit the one from the inline source, over enough frames that every
        # buffer is reused. Time-based keyframes are off so both runs send
        # keyframes at the same frames.
        spec = "seed=6,flows=300,size=60-1400,ipv6=0.4,tcp=0.5,payload=fill,invalid=0.02"
        extra = ["--codec", "1", "--keyframe-ms", "0"]
        inline, ri, _ = capture(spec, extra, count=20000, engine="encode")
        gen, rg, _ = capture(spec + ",lcore=2", extra, count=20000, lcores=GEN_LCORES,
                             source_vdev=GEN_VDEV, engine="encode")
        for r in (ri, rg):
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            dptest.assert_balanced(self, r.summary)
        self.assertGreater(len(gen), 19000)  # the invalid frames are dropped
        assert_same_frames(self, gen, inline, "encode")
        s = rg.summary["synthetic"][0]
        self.assertEqual(s["head_only"], 20000, s)
        self.assertGreater(s["restored"], 1000, s)
        self.assertEqual(dptest.pool_in_use(rg.summary), 0)
        # Through the console: io leaves the pattern alone; `set fwd encode`
        # arms the restore before encode sees a frame. Same-size frames of a
        # repeating payload give short deltas: far less than whole frames.
        # Each start waits for frames through the console (WaitRx), not a fixed
        # time: 100000 encoded frames reuse every buffer of the generator's pool.
        rc, out, err, summary = dptest.console(
            [GEN_VDEV], ["--synth", "0:size=1000,payload=fill,lcore=2", "--port-topology", "loop",
                         "--codec", "1"],
            ["start", dptest.WaitRx(1000), "stop", "set fwd encode", "start",
             dptest.WaitRx(100000), "stop", "set fwd io", "start", dptest.WaitRx(1000), "stop",
             "quit"], lcores=GEN_LCORES)
        self.assertEqual(rc, 0, err[-2000:])
        dptest.assert_balanced(self, summary)
        c = summary["synthetic"][0]
        self.assertEqual(c["head_only"], c["generated"], c)
        self.assertGreater(c["restored"], 0, c)
        self.assertLess(c["restored_bytes"] / c["restored"], 200, c)
        self.assertEqual(dptest.pool_in_use(summary), 0)
        print(f"encode over payload=fill: {len(gen)} tunnel packets identical to the inline "
              f"source's ({s['restored']} buffers restored); 1000 B frames: "
              f"{c['restored_bytes'] // c['restored']} B restored per rewritten frame")

    def test_payloads_v2_wrote_over_are_put_back(self):
        # Wire format 2 writes tunnel packets over the mbufs of the frames it
        # packed (chaining more when one does not hold a packet, as at MTU
        # 9000 with 2 KiB buffers): the
        # generator puts the pattern back over every segment, so what the
        # decoder gives back is the inline source's valid frames, bit for bit.
        # (The encoded streams themselves differ from run to run: each
        # encoder starts at a random history position.)
        spec = "seed=6,flows=300,size=60-1400,ipv6=0.4,tcp=0.5,payload=fill,invalid=0.02"
        inline, ri, _ = capture(spec, count=20000, engine="validate")
        wan, rg, wan_path = capture(spec + ",lcore=2", ["--codec", "2", "--mtu", "9000"],
                                    count=20000, lcores=GEN_LCORES, source_vdev=GEN_VDEV,
                                    engine="encode")
        for r in (ri, rg):
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            dptest.assert_balanced(self, r.summary)
        self.assertGreater(len(inline), 19000)  # the invalid frames are dropped
        self.assertLess(len(wan), len(inline))  # frames were packed
        s = rg.summary["synthetic"][0]
        self.assertGreater(s["restored"], 1000, s)
        tmp = tempfile.mkdtemp(prefix="dp-synth-")
        d = dptest.run([f"net_pcap0,rx_pcap={wan_path},tx_pcap={tmp}/dec.pcap"],
                       ["--fwd", "decode", "--port-topology", "loop", "--quiet"] +
                       dptest.stop_after(len(wan)), timeout=60)
        self.assertEqual(d.returncode, 0, d.stderr[-2000:])
        dptest.assert_balanced(self, d.summary)
        assert_same_frames(self, dptest.read_frames(f"{tmp}/dec.pcap")[1], inline,
                           "decode(encode v2 over generator buffers)")
        print(f"encode v2 over payload=fill: {len(wan)} tunnel packets decode to the "
              f"{len(inline)} valid frames of the inline source ({s['restored']} buffers "
              f"restored)")

    def test_bad_generator_setups(self):
        cases = [
            (["net_null0"], GEN_LCORES, "0:lcore=2", "--vdev net_null0,no-rx=1"),
            ([GEN_VDEV], GEN_LCORES, "0:lcore=7", "generator lcore 7 is not a worker lcore"),
            ([GEN_VDEV], GEN_LCORES, "0:lcore=0", "generator lcore 0 is not a worker lcore"),
            ([GEN_VDEV], "0@0,1@1,2@0,3@0", "0:lcore=2-3", "2 generator lcores for 1 RX queue"),
            ([GEN_VDEV], GEN_LCORES, "0:lcore=3-2", "--synth: lcore: range 3-2 is upside down"),
        ]
        for vdevs, lcores, spec, msg in cases:
            r = dptest.run(vdevs, ["--synth", spec, "--port-topology", "loop", "--duration", "1"],
                           timeout=30, lcores=lcores, want_json=False)
            self.assertNotEqual(r.returncode, 0, spec)
            self.assertIn(msg, r.stderr, spec)
            self.assertEqual(r.stderr.count("error:"), 1, r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
