"""tools/bundle.sh: the tarball runs from an empty directory on its own libraries.

The bundle is built from this build (about 15 s), unpacked into an empty
directory and run from there: `--fwd io` on net_null through the bundle's
launcher, with the test's own LD_LIBRARY_PATH/LD_PRELOAD removed. LD_DEBUG=libs
then lists every shared object the process initialised: every DPDK library
(librte_*) must come from the bundle (net_null from its PMD directory, which
only the launcher's -d names), and nothing but glibc and libgcc_s from the
system. Where the test can make a private mount namespace (root, unshare), it
also runs the bundle with the system's DPDK made unloadable (its libraries
replaced by /dev/null, its PMD directory by an empty one), and checks that the
system's own dpdk-testpmd then fails while the bundle's deltaplane and
dpdk-testpmd forward frames.

The directory is made under the build directory, or under ~/.cache when the
build directory itself lies under a world-writable one (a clone in /tmp): the
EAL refuses a PMD directory that has a world-writable ancestor.
"""
import glob
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time
import unittest

import dptest

LIMIT = 64 * 1024 * 1024
FRAMES = 2_000_000
# What a minimal Debian system provides and the bundle deliberately does not carry.
SYSTEM_OK = re.compile(r"/(ld-linux-x86-64\.so\.2|libc\.so\.6|libm\.so\.6|libgcc_s\.so\.1|"
                       r"libdl\.so\.2|libpthread\.so\.0|librt\.so\.1)$")
SYSTEM_LIBDIR = "/usr/lib/x86_64-linux-gnu"


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LD_")}
    env.update(extra)
    return env


def io_args(json_path):
    return ["--fwd", "io", "--max-packets", str(FRAMES), "--idle-timeout", "20", "--quiet",
            "--stats-json", json_path]


def world_writable_ancestor(path):
    return any(p.stat().st_mode & 0o002 for p in (path, *path.parents) if p.exists())


def unpack_parent():
    """Where the EAL will load the bundle's PMDs from: no world-writable ancestor."""
    home_cache = pathlib.Path.home() / ".cache"
    for d in (dptest.BUILD, home_cache):
        if d == home_cache:
            try:
                d.mkdir(parents=True, exist_ok=True)
            except OSError:
                continue
        if not world_writable_ancestor(d.resolve()):
            return d
    return None


class Bundle(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        parent = unpack_parent()
        if parent is None:
            raise unittest.SkipTest("no directory without a world-writable ancestor to unpack "
                                    "the bundle in (the EAL would refuse its PMDs)")
        cls.tmp = pathlib.Path(tempfile.mkdtemp(prefix="dptest-bundle-", dir=parent))
        cls.tarball = cls.tmp / "bundle.tar.gz"
        t0 = time.monotonic()
        cls.built = subprocess.run(["bash", str(dptest.SRC / "tools" / "bundle.sh"), "--build",
                                    str(dptest.BUILD), "--out", str(cls.tarball)],
                                   capture_output=True, text=True, timeout=300)
        cls.build_s = time.monotonic() - t0
        if cls.built.returncode != 0:
            raise AssertionError(f"bundle.sh failed:\n{cls.built.stdout}\n{cls.built.stderr}")
        print(cls.built.stdout.strip(), f"\n(built in {cls.build_s:.1f} s)", flush=True)
        unpack = cls.tmp / "unpacked"
        unpack.mkdir()
        with tarfile.open(cls.tarball) as tar:
            for m in tar.getmembers():
                if m.name.startswith("/") or ".." in pathlib.PurePosixPath(m.name).parts:
                    raise AssertionError(f"unsafe path in the bundle: {m.name}")
            tar.extractall(unpack)
        (cls.root,) = list(unpack.iterdir())
        cls.root = cls.root.resolve()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def loaded_objects(self, debug_prefix):
        """{pid: [paths initialised]} from LD_DEBUG=libs output files."""
        out = {}
        for f in glob.glob(f"{debug_prefix}.*"):
            pid = f.rsplit(".", 1)[1]
            out[pid] = re.findall(r"calling init: (\S+)", pathlib.Path(f).read_text())
        return out

    def test_size_printed_and_under_limit(self):
        self.assertRegex(self.built.stdout, r"size [\d.]+ MiB packed \(\d+ B\)")
        size = self.tarball.stat().st_size
        self.assertLess(size, LIMIT, f"{size} B")
        self.assertLess(self.build_s, 60, "bundle.sh should take under a minute")

    def test_layout(self):
        for p in ("bin/deltaplane", "bin/dpdk-testpmd", "libexec/deltaplane", "libexec/dpdk-testpmd",
                  "lib/librte_eal.so.23", "lib/libstdc++.so.6", "lib/libisal.so.2", "lib/libnuma.so.1",
                  "lib/libpcap.so.0.8", "lib/libhwloc.so.15", "tools/deltaplane-ctl",
                  "bench/scaling.py", "bench/system_bench.py", "MANIFEST.json"):
            with self.subTest(path=p):
                self.assertTrue((self.root / p).exists(), p)
        pmds = list((self.root / "lib" / "dpdk").glob("pmds-*/librte_net_null.so*"))
        self.assertTrue(pmds, "net_null PMD missing")
        self.assertFalse(list((self.root / "lib").glob("libc.so*")), "glibc must come from the system")

    def test_io_uses_only_the_bundle(self):
        debug = self.tmp / "ld-io"
        summary = self.tmp / "io.json"
        cmd = [str(self.root / "bin" / "deltaplane")] + dptest.eal_args(["net_null0", "net_null1"]) + \
            ["--"] + io_args(str(summary))
        self.assertIn("--no-pci", cmd)
        env = clean_env(LD_DEBUG="libs", LD_DEBUG_OUTPUT=str(debug))
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stdout[-1500:] + p.stderr[-1500:])
        s = json.loads(summary.read_text())
        self.assertGreaterEqual(s["totals"]["rx_packets"], FRAMES)
        self.assertGreater(s["totals"]["tx_packets"], 0)
        dptest.assert_balanced(self, s)

        per_pid = self.loaded_objects(debug)
        dp = [objs for objs in per_pid.values() if any("librte_eal" in o for o in objs)]
        self.assertEqual(len(dp), 1, f"one process loads the EAL: {per_pid.keys()}")
        objs = [os.path.realpath(o) for o in dp[0]]
        rte = [o for o in objs if "librte_" in os.path.basename(o)]
        self.assertGreater(len(rte), 20, "the EAL, ethdev and the PMDs")
        outside = [o for o in rte if not o.startswith(str(self.root) + "/")]
        self.assertEqual(outside, [], "DPDK libraries loaded from outside the bundle")
        self.assertTrue(any(re.search(r"/lib/dpdk/pmds-[\d.]+/librte_net_null\.so", o) for o in objs),
                        "net_null should come from the bundle's PMD directory (-d)")
        foreign = [o for o in objs if not o.startswith(str(self.root) + "/") and not SYSTEM_OK.search(o)]
        self.assertEqual(foreign, [], "only glibc and libgcc_s may come from the system")
        print(f"{len(objs)} objects initialised, {len(rte)} of them DPDK, all from the bundle; "
              f"from the system: {sorted({os.path.basename(o) for o in objs if SYSTEM_OK.search(o)})}")

    def namespace_script(self, inner):
        """sh -c text that hides the system's DPDK (in a private mount
        namespace only) and then runs `inner`."""
        return (f"mount -t tmpfs none {SYSTEM_LIBDIR}/dpdk && "
                f"for f in {SYSTEM_LIBDIR}/librte_*.so.*; do "
                f"[ -L \"$f\" ] || mount --bind /dev/null \"$f\" || exit 97; done && {inner}")

    def test_runs_with_system_dpdk_unloadable(self):
        if os.geteuid() != 0 or not shutil.which("unshare"):
            self.skipTest("needs root and unshare(1) for a private mount namespace")
        if not os.path.isdir(f"{SYSTEM_LIBDIR}/dpdk"):
            self.skipTest("no system DPDK to hide (the LD_DEBUG test covers this machine)")
        probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"],
                               capture_output=True, text=True)
        if probe.returncode != 0:
            self.skipTest(f"no private mount namespace here: {probe.stderr.strip()}")
        summary = self.tmp / "ns.json"
        dp = [str(self.root / "bin" / "deltaplane")] + dptest.eal_args(["net_null0"]) + ["--"] + \
            io_args(str(summary))
        # The system's testpmd must fail inside, or nothing was hidden.
        inner = ("if dpdk-testpmd --help >/dev/null 2>&1; then echo SYSTEM-DPDK-STILL-LOADABLE; exit 98; fi; "
                 "exec " + " ".join(f"'{a}'" for a in dp))
        p = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                            self.namespace_script(inner)],
                           capture_output=True, text=True, timeout=120, env=clean_env(), cwd=self.tmp)
        self.assertNotIn("SYSTEM-DPDK-STILL-LOADABLE", p.stdout)
        self.assertEqual(p.returncode, 0, p.stdout[-1500:] + p.stderr[-1500:])
        s = json.loads(summary.read_text())
        self.assertGreaterEqual(s["totals"]["rx_packets"], FRAMES)
        dptest.assert_balanced(self, s)

    def test_testpmd_from_the_bundle(self):
        """The bundled dpdk-testpmd forwards on net_null (the scaling benchmark's reference)."""
        out = self.tmp / "testpmd.txt"
        cmd = [str(self.root / "bin" / "dpdk-testpmd")] + dptest.eal_args(["net_null0"]) + \
            ["--", "--port-topology=loop", "--forward-mode=io", "--auto-start", "--stats-period", "1",
             "--total-num-mbufs=8192"]  # its default pool outgrows 512 MiB without hugepages
        with open(out, "w") as f:
            p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, text=True,
                                 env=clean_env(), cwd=self.tmp)
            try:
                deadline = time.monotonic() + 60  # not a measurement: only ends a hang
                while p.poll() is None and not re.search(r"Rx-pps:\s+[1-9]", out.read_text()):
                    self.assertLess(time.monotonic(), deadline, "testpmd never reported an RX rate")
                    time.sleep(0.1)
            finally:
                if p.poll() is None:
                    p.send_signal(signal.SIGINT)  # our own child, by PID
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        text = out.read_text()
        m = re.search(r"Accumulated forward statistics for all ports\+*\s*RX-packets: (\d+)\s+RX-dropped: "
                      r"\d+\s+RX-total: \d+\s*TX-packets: (\d+)", text)
        self.assertIsNotNone(m, text[-2000:])
        self.assertGreater(int(m.group(1)), 0)
        self.assertGreater(int(m.group(2)), 0)


if __name__ == "__main__":
    dptest.main()
