"""Helpers for integration tests that run the real deltaplane binary on vdevs.

Standard library only. Every DPDK process started here gets --no-pci, its own
--in-memory EAL (no shared files, nothing to collide with) and, when the machine
has no free hugepages (or DELTAPLANE_TEST_NO_HUGE=1), --no-huge.
"""
import json
import os
import pathlib
import re
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest

SRC = pathlib.Path(os.environ.get("DELTAPLANE_SRC", pathlib.Path(__file__).resolve().parents[2]))
BUILD = pathlib.Path(os.environ.get("DELTAPLANE_BUILD", SRC / "build"))
SHARED = pathlib.Path(os.environ.get("DELTAPLANE_SHARED", SRC.parent / "shared"))
PCAPS = SHARED / "pcaps"
NO_CAPTURES = (f"needs the captures of {PCAPS}: CI has them, a clone of the repository "
               "alone does not")


def require_captures():
    """Skips (one line) a test that replays ../shared/pcaps when it is absent."""
    if not PCAPS.is_dir():
        raise unittest.SkipTest(NO_CAPTURES)


def empty_pcap():
    """An Ethernet capture with no frames (a port that only sends), made here."""
    path = pathlib.Path(tempfile.gettempdir()) / f"dptest-empty-{os.getpid()}.pcap"
    if not path.exists():
        write_pcap(path, [])
    return path
BINARY = BUILD / "app" / "deltaplane"


def free_hugepages():
    try:
        return int(pathlib.Path("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages").read_text())
    except (OSError, ValueError):
        return 0


def memory_args(mem_mb=512):
    """EAL memory flags: hugepages when enough are free, else --no-huge."""
    if os.environ.get("DELTAPLANE_TEST_NO_HUGE") == "1" or free_hugepages() * 2 < mem_mb:
        return ["--no-huge", "-m", str(mem_mb)]
    return ["-m", str(mem_mb)]


_counter = [0]
_prefixes = []


def unique_prefix():
    _counter[0] += 1
    prefix = f"dptest-{os.getpid()}-{_counter[0]}"
    _prefixes.append(prefix)
    return prefix


def _remove_runtime_dirs():
    """DPDK leaves its runtime directory behind with a --file-prefix; remove ours."""
    import glob
    import shutil
    for prefix in _prefixes:
        for d in glob.glob(f"/var/run/dpdk/*{prefix}"):
            shutil.rmtree(d, ignore_errors=True)


import atexit  # noqa: E402

atexit.register(_remove_runtime_dirs)


def eal_args(vdevs, lcores="0,1", mem_mb=512, extra=()):
    args = ["--lcores" if "@" in lcores else "-l", lcores, "--no-pci", "--log-level=warning"]
    mem = memory_args(mem_mb)
    # --in-memory (no files at all) where hugepages are used; --no-huge cannot
    # be combined with it, so it gets a unique --file-prefix instead.
    args += mem + (["--file-prefix", unique_prefix()] if "--no-huge" in mem else ["--in-memory"])
    for v in vdevs:
        args += ["--vdev", v]
    args += list(extra)
    return args


class Run:
    def __init__(self, proc, stdout, stderr, summary):
        self.returncode = proc.returncode
        self.stdout = stdout
        self.stderr = stderr
        self.summary = summary


def run(vdevs, app_args, timeout=60, lcores="0,1", mem_mb=512, eal_extra=(), want_json=True):
    """Runs deltaplane to completion and returns its output and JSON summary."""
    tmp = tempfile.mkdtemp(prefix="dptest-")
    json_path = os.path.join(tmp, "summary.json")
    cmd = [str(BINARY)] + eal_args(vdevs, lcores, mem_mb, eal_extra) + ["--"] + list(app_args)
    if want_json:
        cmd += ["--stats-json", json_path]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    summary = None
    if os.path.exists(json_path):
        with open(json_path) as f:
            summary = json.load(f)
    return Run(proc, proc.stdout, proc.stderr, summary)


def start(vdevs, app_args, lcores="0,1", mem_mb=512, json_path=None, no_huge_prefix=None):
    """Starts deltaplane in the background; the caller signals and waits.

    no_huge_prefix: run with --no-huge and a unique --file-prefix derived from it
    (for vdevs such as memif that need more than --in-memory offers), kept
    in the returned Popen's file_prefix."""
    prefix = None
    if no_huge_prefix:
        prefix = f"{no_huge_prefix}-{unique_prefix()}"
        args = ["-l", lcores, "--no-pci", "--log-level=warning", "--no-huge", "-m", str(mem_mb),
                "--file-prefix", prefix]
        for v in vdevs:
            args += ["--vdev", v]
    else:
        args = eal_args(vdevs, lcores, mem_mb)
    cmd = [str(BINARY)] + args + ["--"] + list(app_args)
    if json_path:
        cmd += ["--stats-json", json_path]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p.file_prefix = prefix  # with no_huge_prefix: its telemetry socket is in /var/run/dpdk/<it>/
    return p


def wait_until(predicate, timeout=30.0, what=None, interval=0.02):
    """Polls predicate() until it returns something true, and returns that.

    The timeout is not a measurement: it only ends the wait for something that
    is never going to happen (a real failure), so it is far longer than the
    thing takes on a loaded machine. Tests wait with this instead of sleeping
    for a fixed time and hoping the thing happened meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"still waiting after {timeout} s for "
                                 f"{what or getattr(predicate, '__name__', 'a condition')}")
        time.sleep(interval)


def stop_after(frames, quiet_s=20):
    """App arguments that end a run once `frames` frames were received
    (--max-packets), so the counts a test checks do not depend on how fast the
    machine is. Exact when the source makes exactly that many (a capture, a
    synthetic count=). --idle-timeout only ends a run that lost frames: nothing
    received for `quiet_s` seconds."""
    return ["--max-packets", str(frames), "--idle-timeout", str(quiet_s)]


FWD_RX_RE = re.compile(r"Accumulated forward statistics for all ports\+*\n\s*RX-packets: (\d+)")


def console(vdevs, app_args, commands, lcores="0,1"):
    """Runs deltaplane -i, typing `commands` through a pipe, then closing stdin;
    returns (returncode, stdout, stderr, JSON summary).

    A command may be WaitRx(n) instead of a string: it asks `show fwd stats all`
    until the frames received (since the last reset) have grown by n since the
    step began, so a test that needs traffic between `start` and `stop` waits
    for it instead of pausing for a fixed time."""
    tmp = tempfile.mkdtemp(prefix="dptest-console-")
    out_path, err_path = f"{tmp}/stdout.txt", f"{tmp}/stderr.txt"
    cmd = [str(BINARY)] + eal_args(vdevs, lcores) + ["--", "-i"] + list(app_args) + [
        "--stats-json", f"{tmp}/s.json"]
    with open(out_path, "w") as out_f, open(err_path, "w") as err_f:
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=out_f, stderr=err_f, text=True)
        try:
            def typed(c):
                p.stdin.write(c + "\n")
                p.stdin.flush()

            syncs = [0]

            def received():
                """Frames received since the last reset: the reply to one more
                `show fwd stats all`, found as the last one before the echo of a
                unique unknown word typed right after it (commands are read and
                answered in order)."""
                syncs[0] += 1
                marker = f"> dptest-sync-{syncs[0]}\nCommand not found"
                typed("show fwd stats all")
                typed(f"dptest-sync-{syncs[0]}")
                def answered():
                    o = pathlib.Path(out_path).read_text()
                    return o if marker in o else None
                out = wait_until(answered, what="the console's reply to show fwd stats all")
                return int(FWD_RX_RE.findall(out[:out.index(marker)])[-1])

            for c in commands:
                if isinstance(c, WaitRx):
                    start = received()
                    wait_until(lambda: received() - start >= c.frames,
                               what=f"{c.frames} frames through the console's forwarder")
                else:
                    typed(c)
            p.stdin.close()  # end of input
            p.wait(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()  # our own child, by PID
                p.wait()
    with open(f"{tmp}/s.json") as f:
        return (p.returncode, pathlib.Path(out_path).read_text(),
                pathlib.Path(err_path).read_text(), json.load(f))


class WaitRx:
    """A console() step: wait until `frames` more frames were received."""

    def __init__(self, frames):
        self.frames = frames


def pool_in_use(summary):
    """Mbufs out of every mempool when the summary was taken (0 at a clean exit)."""
    return sum(p["in_use"] for p in summary["mempools"])


def assert_balanced(test, summary):
    """The accounting invariant: rx + split = tx + merged + sum(drops by reason) + held,
    held == 0 (merged: frames packed into another's tunnel packet; split: frames
    restored beyond one per tunnel packet)."""
    test.assertIsNotNone(summary, "no JSON summary written")
    t = summary["totals"]
    drops = sum(summary["drops"].values())
    test.assertEqual(t["dropped"], drops)
    test.assertEqual(t["held"], 0)
    test.assertEqual(t["rx_packets"] + t.get("split", 0),
                     t["tx_packets"] + t.get("merged", 0) + drops, f"invariant violated: {t}")
    test.assertTrue(t["balanced"])


# ---- pcap and pcapng reading/writing (frames only, timestamps ignored) ----

LINKTYPE_ETHERNET = 1


def read_frames(path):
    """Returns (linktype, [frame bytes]) for a pcap or pcapng file."""
    data = pathlib.Path(path).read_bytes()
    if len(data) < 24:
        raise ValueError(f"{path}: too short for a capture")
    magic = data[:4]
    if magic == b"\x0a\x0d\x0d\x0a":
        return _read_pcapng(data)
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError(f"{path}: not a pcap file")
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        frames.append(data[off:off + caplen])
        off += caplen
    return linktype, frames


def _read_pcapng(data):
    frames, linktypes, off, endian = [], [], 0, "<"
    while off + 12 <= len(data):
        btype = struct.unpack(endian + "I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            bom = data[off + 8:off + 12]
            endian = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
        blen = struct.unpack(endian + "I", data[off + 4:off + 8])[0]
        body = data[off + 8:off + blen - 4]
        if btype == 1:  # interface description
            linktypes.append(struct.unpack(endian + "H", body[:2])[0])
        elif btype == 6:  # enhanced packet
            caplen = struct.unpack(endian + "I", body[12:16])[0]
            frames.append(body[20:20 + caplen])
        elif btype == 3:  # simple packet
            plen = struct.unpack(endian + "I", body[:4])[0]
            frames.append(body[4:4 + plen])
        if blen < 12:
            break
        off += blen
    return (linktypes[0] if linktypes else LINKTYPE_ETHERNET), frames


def write_pcap(path, frames, linktype=LINKTYPE_ETHERNET):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", i, 0, len(fr), len(fr)))
            f.write(fr)


def main():
    """unittest main that ends with a plain 'N passed, N failed' line."""
    prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    # A test with failing subtests appears once per subtest: count tests.
    failed = len({id(t) if not hasattr(t, "test_case") else id(t.test_case)
                  for t, _ in r.failures + r.errors})
    skipped = len(r.skipped)
    passed = max(r.testsRun - failed - skipped, 0)
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    if failed:
        sys.exit(1)
    if r.testsRun == 0:  # a whole class skipped (setUpClass): meson's skip code
        sys.exit(77 if skipped else 1)
    sys.exit(0)
