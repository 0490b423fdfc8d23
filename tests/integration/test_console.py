"""The interactive console (-i): testpmd's commands through a pipe and through a
pseudo-terminal (tab completion), and --auto-start; the summary still balances."""
import os
import pty
import select
import subprocess
import time
import unittest

import dptest


def console(commands, extra=()):
    return dptest.console(["net_null0", "net_null1"], extra, commands)


class Console(unittest.TestCase):
    def test_testpmd_commands(self):
        # WaitRx: the console is asked until frames went through, instead of
        # typing the next command a fixed time later.
        rc, out, err, s = console(["help", "show config fwd", "start", dptest.WaitRx(1),
                                   "show port stats all",
                                   "set fwd macswap", "stop", "set fwd macswap", "set burst 64",
                                   "start", "show fwd stats all", "clear port stats all", "stop",
                                   "set fwd bogus", "set burst 0", "quit"])
        self.assertEqual(rc, 0, err)
        for text in ["set fwd <engine>", "io packet forwarding, model rtc, burst 32, stopped",
                     "Forwarding started: engine io, burst 32",
                     "NIC statistics for port 0", "Rx-pps:", "error: stop forwarding first",
                     "Accumulated forward statistics for all ports",
                     "Set macswap packet forwarding mode", "Number of packets per burst set to 64",
                     "Forwarding started: engine macswap, burst 64",
                     "NIC statistics for all ports cleared", "Bad arguments",
                     "error: burst must be 1..512"]:
            self.assertIn(text, out)
        dptest.assert_balanced(self, s)
        self.assertGreater(s["totals"]["rx_packets"], 0)

    def test_auto_start_and_end_of_input(self):
        rc, out, err, s = console([dptest.WaitRx(1000), "show port stats all"],
                                  extra=["--auto-start"])
        self.assertEqual(rc, 0, err)
        self.assertIn("Forwarding started", out)
        self.assertIn("Telling cores to stop", out)  # end of input stops forwarding
        dptest.assert_balanced(self, s)
        self.assertGreaterEqual(s["totals"]["rx_packets"], 1000)  # waited for above

    def test_completion_on_a_terminal(self):
        master, slave = pty.openpty()
        cmd = [str(dptest.BINARY)] + dptest.eal_args(["net_null0"]) + ["--", "-i"]
        p = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=subprocess.DEVNULL)
        os.close(slave)
        buf = b""

        def read_until(token, timeout=30):
            nonlocal buf
            end = time.time() + timeout
            while token not in buf and time.time() < end:
                r, _, _ = select.select([master], [], [], 0.2)
                if r:
                    try:
                        buf += os.read(master, 4096)
                    except OSError:
                        break
            return token in buf

        try:
            self.assertTrue(read_until(b"deltaplane> "), buf[-500:])
            os.write(master, b"set fwd mac\t")
            self.assertTrue(read_until(b"set fwd macswap"), buf[-500:])
            os.write(master, b"\n")
            self.assertTrue(read_until(b"Set macswap packet forwarding mode"), buf[-500:])
            os.write(master, b"quit\n")
            p.wait(timeout=20)
        finally:
            if p.poll() is None:
                p.kill()
            os.close(master)
        self.assertEqual(p.returncode, 0)


if __name__ == "__main__":
    dptest.main()
