#!/usr/bin/env python3
"""Seed corpus for packet_fuzz: one file per Ethernet frame of the shared pcaps.

Usage: make_packet_corpus.py PCAP_DIR OUT_DIR STAMP
Each file is one option byte (0x00, default options) followed by the frame.
Reads classic pcap (both byte orders, micro/nano) and pcapng (EPB/SPB) with
the standard library only; other link types than Ethernet are skipped.
"""
import os
import struct
import sys


def pcap_frames(blob):
    magic = blob[:4]
    endian = {b"\xd4\xc3\xb2\xa1": "<", b"\x4d\x3c\xb2\xa1": "<",
              b"\xa1\xb2\xc3\xd4": ">", b"\xa1\xb2\x3c\x4d": ">"}.get(magic)
    if endian is None:
        return
    linktype = struct.unpack(endian + "I", blob[20:24])[0]
    if linktype != 1:
        return
    off = 24
    while off + 16 <= len(blob):
        caplen = struct.unpack(endian + "I", blob[off + 8:off + 12])[0]
        yield blob[off + 16:off + 16 + caplen]
        off += 16 + caplen


def pcapng_frames(blob):
    off, endian, links = 0, "<", []
    while off + 12 <= len(blob):
        btype = struct.unpack(endian + "I", blob[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            endian = "<" if blob[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        blen = struct.unpack(endian + "I", blob[off + 4:off + 8])[0]
        if blen < 12:
            return
        body = blob[off + 8:off + blen - 4]
        if btype == 1:
            links.append(struct.unpack(endian + "H", body[:2])[0])
        elif btype == 6:
            iface, _, _, caplen = struct.unpack(endian + "IIII", body[:16])
            if iface < len(links) and links[iface] == 1:
                yield body[20:20 + caplen]
        off += blen


def main():
    src, out, stamp = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    count = 0
    # The captures of the folder and of its subfolders (pcaps/real).
    paths = sorted(os.path.join(d, n) for d, _, names in os.walk(src) for n in names
                   if n.endswith((".pcap", ".pcapng")))
    for path in paths:
        name = os.path.relpath(path, src).replace(os.sep, "_")
        blob = open(path, "rb").read()
        frames = pcapng_frames(blob) if blob[:4] == b"\x0a\x0d\x0d\x0a" else pcap_frames(blob)
        seen = set()
        for frame in frames:
            key = frame[:128]
            if len(frame) > 4096 or key in seen:
                continue  # keep the corpus small: one frame per distinct header
            seen.add(key)
            with open(os.path.join(out, "%s-%04d" % (name, count)), "wb") as f:
                f.write(b"\x00" + frame)
            count += 1
    with open(stamp, "w") as f:
        f.write("%d seeds\n" % count)


if __name__ == "__main__":
    main()
