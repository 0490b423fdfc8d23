"""Helpers for integration tests that run the real deltaplane binary on vdevs.

Standard library only. Every DPDK process started here gets --no-pci, its own
--in-memory EAL (no shared files, nothing to collide with) and, when the machine
has no free hugepages (or DELTAPLANE_TEST_NO_HUGE=1), --no-huge.
"""
import json
import os
import pathlib
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
    (for vdevs such as memif that need more than --in-memory offers)."""
    if no_huge_prefix:
        args = ["-l", lcores, "--no-pci", "--log-level=warning", "--no-huge", "-m", str(mem_mb),
                "--file-prefix", f"{no_huge_prefix}-{unique_prefix()}"]
        for v in vdevs:
            args += ["--vdev", v]
    else:
        args = eal_args(vdevs, lcores, mem_mb)
    cmd = [str(BINARY)] + args + ["--"] + list(app_args)
    if json_path:
        cmd += ["--stats-json", json_path]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def console(vdevs, app_args, commands, lcores="0,1", pause=0.3):
    """Runs deltaplane -i, typing `commands` through a pipe `pause` s apart, then
    closing stdin; returns (returncode, stdout, stderr, JSON summary)."""
    tmp = tempfile.mkdtemp(prefix="dptest-console-")
    cmd = [str(BINARY)] + eal_args(vdevs, lcores) + ["--", "-i"] + list(app_args) + [
        "--stats-json", f"{tmp}/s.json"]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        for c in commands:
            p.stdin.write(c + "\n")
            p.stdin.flush()
            time.sleep(pause)
        out, err = p.communicate(timeout=30)  # closes stdin: end of input
    finally:
        if p.poll() is None:
            p.kill()
    with open(f"{tmp}/s.json") as f:
        return p.returncode, out, err, json.load(f)


def pool_in_use(summary):
    """Mbufs out of every mempool when the summary was taken (0 at a clean exit)."""
    return sum(p["in_use"] for p in summary["mempools"])


def assert_balanced(test, summary):
    """The accounting invariant: rx = tx + sum(drops by reason) + held, held == 0."""
    test.assertIsNotNone(summary, "no JSON summary written")
    t = summary["totals"]
    drops = sum(summary["drops"].values())
    test.assertEqual(t["dropped"], drops)
    test.assertEqual(t["held"], 0)
    test.assertEqual(t["rx_packets"], t["tx_packets"] + drops, f"invariant violated: {t}")
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
    sys.exit(1 if failed or r.testsRun == 0 else 0)
