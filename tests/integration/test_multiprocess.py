"""DPDK secondary processes attach to a running deltaplane: dpdk-proc-info reads
the port statistics, dpdk-dumpcap captures live traffic through rte_pdump.

Multi-process needs the primary's shared memory as files: a --file-prefix,
hugepages, and neither --in-memory nor --huge-unlink. Without free hugepages the
tests are skipped. Every run gets --no-pci and a unique prefix; the hugepage
files /dev/hugepages/<prefix>map_* and the runtime dir /var/run/dpdk/<prefix>
are removed afterwards, always.
"""
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dptest  # noqa: E402
from test_telemetry import Tel  # noqa: E402

RUNTIME_DIR = "/var/run/dpdk"
HUGEPAGES_NEEDED = 64  # 2 MiB pages: deltaplane on two net_null ports needs ~40 MiB


def skip_reason():
    if os.getuid() != 0:
        return "needs root (DPDK runtime dir /var/run/dpdk and /dev/hugepages)"
    free = dptest.free_hugepages()
    if os.environ.get("DELTAPLANE_TEST_NO_HUGE") == "1" or free < HUGEPAGES_NEEDED:
        return (f"multi-process needs hugepages: {free} free 2 MiB pages, need "
                f"{HUGEPAGES_NEEDED} (echo 512 > /proc/sys/vm/nr_hugepages); with --no-huge "
                f"secondary processes cannot attach")
    if not os.path.isdir("/dev/hugepages"):
        return "hugetlbfs is not mounted on /dev/hugepages"
    return None


def telemetry(sock_path, cmd):
    with Tel(sock_path) as t:  # connects as test_telemetry's tests do (see Tel)
        return t.value(cmd)


class Primary:
    """deltaplane as a multi-process primary with a file prefix."""

    def __init__(self, duration=200):
        self.prefix = f"dpmp-{os.getpid()}-{time.monotonic_ns() % 1000000}"
        self.tmp = tempfile.mkdtemp(prefix="dpmp-")
        self.json_path = os.path.join(self.tmp, "summary.json")
        self.sock_path = os.path.join(RUNTIME_DIR, self.prefix, "dpdk_telemetry.v2")
        cmd = [str(dptest.BINARY), "-l", "0,1", "--no-pci", "--log-level=warning",
               "--file-prefix", self.prefix, "--vdev", "net_null0", "--vdev", "net_null1",
               "--", "--duration", str(duration), "--stats-period", "0",
               "--stats-json", self.json_path]
        self.out = open(os.path.join(self.tmp, "stdout.txt"), "w+")
        self.err = open(os.path.join(self.tmp, "stderr.txt"), "w+")
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=self.err)

    def stderr(self):
        self.err.flush()
        return pathlib.Path(self.err.name).read_text()

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"deltaplane exited with {self.proc.returncode}: "
                                     f"{self.stderr()[-2000:]}")
            if os.path.exists(self.sock_path):
                try:
                    s = telemetry(self.sock_path, "/deltaplane/stats")
                    if "error" not in s and s["rx_packets"] > 0:
                        return
                except (OSError, ValueError, KeyError):
                    pass
            time.sleep(0.1)
        raise AssertionError(f"deltaplane not ready after {timeout} s: {self.stderr()[-2000:]}")

    def shutdown(self, timeout=15):
        """Asks deltaplane to stop through telemetry; returns its exit status."""
        telemetry(self.sock_path, "/deltaplane/control,shutdown")
        return self.proc.wait(timeout=timeout)

    def summary(self):
        with open(self.json_path) as f:
            return json.load(f)

    def cleanup(self):
        if self.proc.poll() is None:  # our own child, by PID
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()
        self.err.close()
        for f in pathlib.Path("/dev/hugepages").glob(f"{self.prefix}map_*"):
            f.unlink(missing_ok=True)
        shutil.rmtree(os.path.join(RUNTIME_DIR, self.prefix), ignore_errors=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


@unittest.skipIf(skip_reason(), skip_reason() or "")
class MultiProcess(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.app = Primary(duration=200)  # a safety net: test_zz_shutdown ends it
        try:
            cls.app.wait_ready()
        except BaseException:
            cls.app.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.app.proc.poll() is None:
                rc = cls.app.shutdown()
                cls.rc = rc
        finally:
            prefix = cls.app.prefix
            cls.app.cleanup()
            leftovers = list(pathlib.Path("/dev/hugepages").glob(f"{prefix}map_*"))
            assert not leftovers, f"hugepage files left: {leftovers}"
            assert not os.path.exists(os.path.join(RUNTIME_DIR, prefix))

    def test_proc_info_stats(self):
        tool = shutil.which("dpdk-proc-info")
        if not tool:
            self.skipTest("dpdk-proc-info not installed")
        r = subprocess.run([tool, "--file-prefix", self.app.prefix, "--no-pci",
                            "--log-level=error", "--", "--stats"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        m = re.search(r"NIC statistics for port 0\s+#+\s+RX-packets:\s+(\d+)", r.stdout)
        self.assertIsNotNone(m, r.stdout[:2000])
        self.assertGreater(int(m.group(1)), 0)
        self.assertIn("NIC statistics for port 1", r.stdout)
        self.assertIsNone(self.app.proc.poll(), "the primary died")

    def test_dumpcap(self):
        tool = shutil.which("dpdk-dumpcap")
        if not tool:
            self.skipTest("dpdk-dumpcap not installed")
        out = os.path.join(self.app.tmp, "capture.pcapng")
        r = subprocess.run([tool, f"--file-prefix={self.app.prefix}", "-i", "net_null0",
                            "-c", "20", "-w", out], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        linktype, frames = dptest.read_frames(out)
        self.assertEqual(linktype, dptest.LINKTYPE_ETHERNET)
        self.assertGreaterEqual(len(frames), 20, r.stderr)
        self.assertTrue(all(len(f) == 64 for f in frames), {len(f) for f in frames})
        # the capture ended, its callbacks are gone; forwarding goes on
        a = telemetry(self.app.sock_path, "/deltaplane/stats")["rx_packets"]
        dptest.wait_until(lambda: telemetry(self.app.sock_path, "/deltaplane/stats")["rx_packets"] > a,
                          what="forwarding to go on after dpdk-dumpcap")

    def test_zz_shutdown_balanced(self):
        # runs last (alphabetical order): the secondaries are gone, the primary
        # still accounts for every frame
        self.assertEqual(self.app.shutdown(), 0, self.app.stderr()[-2000:])
        dptest.assert_balanced(self, self.app.summary())


if __name__ == "__main__":
    dptest.main()
