"""Fault injection on vdevs, each run asserting the accounting invariant and
that no mbuf leaks (mempool in-use back to what the ports still hold):

- TX into a net_ring port whose ring nobody drains (TX-only via --config);
- a port whose link goes down and up while traffic flows (net_ring supports
  rte_eth_dev_set_link_down/up; /deltaplane/control link_down=P, link_up=P);
- the control/data hand-over under stress: telemetry clients pausing,
  resuming, resetting and retuning the forwarder while it runs flat out.

Slow TX (a sink that takes 1000 frames/s) is in test_synth.py; mempool
exhaustion, tiny rings and signals under load in test_pipeline.py and
test_engines.py.

Nothing here depends on how fast the machine is: runs end on a count, and
what must happen while one goes on is waited for (dptest.wait_until)."""
import threading
import time
import unittest

import dptest
from test_telemetry import App, Tel


class Faults(unittest.TestCase):
    def test_tx_ring_never_drained(self):
        # Exactly N frames (count=N, and --max-packets N ends the run on them).
        n = 200000
        r = dptest.run(["net_null0", "net_ring0"],
                       ["--synth", f"0:size=64,count={n}", "--fwd", "io", "--config", "(0,0,1)",
                        "--quiet"] + dptest.stop_after(n), timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        self.assertIn("port 1 is TX-only", r.stderr)
        dptest.assert_balanced(self, r.summary)
        self.assertEqual(r.summary["totals"]["rx_packets"], n)
        ring_port = next(p for p in r.summary["ports"] if p["port"] == 1)
        # The ring (1024 slots, 1023 usable) filled once; everything after that
        # was retried, then dropped as tx_full.
        self.assertEqual(ring_port["tx_packets"], 1023)
        self.assertEqual(r.summary["drops"]["tx_full"], n - 1023)
        self.assertEqual(sum(r.summary["drops"].values()), n - 1023)
        # The only mbufs still in use are the ones sitting in the undrained ring.
        self.assertEqual(dptest.pool_in_use(r.summary), 1023)
        print(f"undrained net_ring: 1023 sent, {r.summary['drops']['tx_full']} dropped as tx_full,"
              f" 1023 mbufs held by the ring, none leaked")

    def test_link_down_and_up(self):
        # 1 Mpps from port 0 into port 1 (net_ring, looped back to 0) until the
        # test shuts it down; each step waits for what it checks.
        app = App(duration=120, stats_period=0, vdevs=["net_null0", "net_ring0"],
                  extra=["--synth", "0:rate=1M,ring=65536", "--fwd", "io"])
        try:
            app.wait_ready()
            with Tel(app.sock_path) as t:
                def port1_tx():
                    return t.value("/deltaplane/ports")["1"]["tx_packets"]

                def drops():
                    return t.value("/deltaplane/drops").get("link_down", 0)
                dptest.wait_until(lambda: port1_tx() > 0, what="frames sent on port 1")
                self.assertEqual(t.value("/deltaplane/control,link_down=1"), {"ok": "port 1 link down"})
                self.assertIn("down", t.value("/deltaplane/ports")["1"]["link"])
                # A burst dropped as link_down means the (only) forwarding lcore
                # has seen the flag: from then on nothing more leaves port 1.
                d0 = dptest.wait_until(drops, what="a burst dropped as link_down")
                frozen = port1_tx()
                dptest.wait_until(lambda: drops() > d0, what="more link_down drops")
                self.assertEqual(port1_tx(), frozen, "frames sent while the link was down")
                self.assertEqual(t.value("/deltaplane/control,link_up=1"), {"ok": "port 1 link up"})
                dptest.wait_until(lambda: port1_tx() > frozen,
                                  what="traffic on port 1 after the link came back")
                # Drivers that cannot change their link say so.
                err = t.value("/deltaplane/control,link_down=0")
                self.assertIn("cannot set its link down", err.get("error", ""), err)
                err = t.value("/deltaplane/control,link_down=7")
                self.assertIn("port 7 is not in use", err.get("error", ""), err)
                self.assertEqual(t.value("/deltaplane/control,shutdown"), {"ok": "shutting down"})
            self.assertEqual(app.wait(timeout=30), 0, app.stderr()[-2000:])
            s = app.summary()
            dptest.assert_balanced(self, s)
            self.assertGreater(s["drops"]["link_down"], d0)
            self.assertEqual(dptest.pool_in_use(s), 0)
            self.assertIn("port 1 (net_ring0) link down", app.stderr())
            self.assertIn("port 1 (net_ring0) link up", app.stderr())
            print(f"link down/up: {s['drops']['link_down']} dropped as link_down, "
                  f"{s['totals']['tx_packets']} sent, balanced, no mbuf in use")
        finally:
            app.close()

    def test_control_stress(self):
        # Four clients change the forwarder's state as fast as they can while
        # it encodes synthetic traffic, each for a fixed number of rounds (not
        # a fixed time: the load is the same on any machine); afterwards
        # nothing is lost or leaked.
        rounds = 500
        app = App(duration=120, stats_period=0.1, vdevs=["net_null0", "net_null1"],
                  extra=["--synth", "0:flows=5000,size=imix", "--synth", "1:flows=100,size=64",
                         "--fwd", "encode", "--quiet"])
        errors = []
        counts = [0] * 4
        together = threading.Barrier(4)

        def client(i, cmds):
            try:
                together.wait(timeout=60)  # the four connect at once, then all work at once
                with Tel(app.sock_path) as t:
                    together.wait(timeout=60)
                    for _ in range(rounds):
                        for c in cmds:
                            v = t.value(c)
                            if v is None or (isinstance(v, dict) and "error" in v):
                                errors.append((c, v))
                            counts[i] += 1
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(("client", repr(e)))
                together.abort()  # the others stop waiting for this one
        try:
            app.wait_ready()
            plans = [["/deltaplane/control,stop", "/deltaplane/stats", "/deltaplane/control,start"],
                     ["/deltaplane/control,reset", "/deltaplane/drops", "/deltaplane/lcores"],
                     ["/deltaplane/control,keyframe_interval=1", "/deltaplane/flows",
                      "/deltaplane/control,keyframe_interval=64"],
                     ["/deltaplane/control,stats_period=0.1", "/deltaplane/mempools",
                      "/deltaplane/control,stats_period=0"]]
            threads = [threading.Thread(target=client, args=(i, p)) for i, p in enumerate(plans)]
            started = time.monotonic()
            for th in threads:
                th.start()
            for th in threads:
                th.join(timeout=120)
            took = time.monotonic() - started
            self.assertFalse(any(th.is_alive() for th in threads), "a client is stuck")
            self.assertEqual(errors, [])
            self.assertEqual(counts, [rounds * 3] * 4)
            with Tel(app.sock_path) as t:
                t.value("/deltaplane/control,start")
                # the last reset may have just zeroed the counters: wait for traffic
                dptest.wait_until(lambda: t.value("/deltaplane/stats")["rx_packets"] > 0,
                                  what="forwarding after the stress")
                t.value("/deltaplane/control,shutdown")
            self.assertEqual(app.wait(timeout=30), 0, app.stderr()[-2000:])
            s = app.summary()
            dptest.assert_balanced(self, s)
            self.assertEqual(dptest.pool_in_use(s), 0)
            print(f"control stress: {sum(counts)} telemetry requests in {took:.1f} s while "
                  f"forwarding {s['totals']['rx_packets']} frames; balanced, no mbuf in use")
        finally:
            app.close()

if __name__ == "__main__":
    unittest.main(verbosity=2)
