#!/usr/bin/env python3
"""Seed corpus for codec_v2_fuzz (see the modes in codec_v2_fuzz.cc).

Usage: make_codec_v2_corpus.py PCAP_DIR OUT_DIR STAMP
Writes, with the standard library only:
  - frame seeds (modes 1 and 2): runs of up to 12 Ethernet frames of each
    capture of PCAP_DIR (skipped when it is absent), and synthetic flows
    (IPv4/IPv6, TCP with timestamps/UDP, slowly changing records, a jumbo
    frame that the encoder splits), each frame as [length: 2 bytes LE][bytes];
  - payload seeds (mode 0): valid v2 tunnel payloads of raw records, so the
    fuzzer starts past the header checks, the first one also in fragments.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_packet_corpus import pcap_frames, pcapng_frames  # noqa: E402

# ---- CRC-32C (Castagnoli), reflected, as lib/codec/checksum.hh ----
_TABLE = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _TABLE.append(_c)


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(ipv6, tcp, payload, seq=1000, ipid=1, ts=None, sport=40000):
    eth = bytes.fromhex("020000000002020000000001") + (b"\x86\xdd" if ipv6 else b"\x08\x00")
    proto = 6 if tcp else 17
    if tcp:
        opts = b"\x01\x01\x08\x0a" + struct.pack("!II", ts, ts // 2) if ts is not None else b""
        l4 = struct.pack("!HHIIBBHHH", sport, 443, seq, 7777, (20 + len(opts)) // 4 << 4, 0x18,
                         501, 0, 0) + opts
    else:
        l4 = struct.pack("!HHHH", sport, 53, 8 + len(payload), 0)
    seg = l4 + payload
    if ipv6:
        src, dst = bytes.fromhex("fd0000dd" + "00" * 11 + "01"), bytes.fromhex("20010002" + "00" * 11 + "02")
        ip = struct.pack("!IHBB", 0x60000000, len(seg), proto, 64) + src + dst
        pseudo = src + dst + struct.pack("!IxxxB", len(seg), proto)
    else:
        src, dst = bytes([10, 0, 0, 1]), bytes([198, 18, 0, 2])
        ip = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(seg), ipid, 0x4000, 64, proto, 0) + src + dst
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        pseudo = src + dst + struct.pack("!xBH", proto, len(seg))
    off = 16 if tcp else 6
    c = csum(pseudo + seg)
    seg = seg[:off] + struct.pack("!H", c if c or tcp else 0xFFFF) + seg[off + 2:]
    return eth + ip + seg


def records(n, size):
    out = []
    for i in range(n):
        rec = ('{"id":%d,"seq":%d,"ts":%d,"temp":%d.%d,"name":"sensor-07"}' %
               (7, i, 1700000000 + i, 20 + i % 5, i % 10)).encode()
        out.append((rec * (size // len(rec) + 1))[:size])
    return out


def framed(frames):
    return b"".join(struct.pack("<H", len(f)) + f for f in frames)


def v2_packet(frames, hpos, history_log=18):
    """A tunnel payload of raw whole records (HeaderMode kWhole | kRecRaw)."""
    def varint(v):
        b = b""
        while v >= 0x80:
            b += bytes([v & 0x7F | 0x80])
            v >>= 7
        return b + bytes([v])
    # kind, len, CRC-32C, the bytes (a raw record has no body_len).
    recs = b"".join(bytes([8]) + varint(len(f)) + struct.pack("!I", crc32c(f)) + f
                    for f in frames)
    flags = (history_log - 16) << 4
    head = struct.pack("!HBBHIBB", 0x4450, 2, flags, 1, hpos, len(frames), 0)
    body = head + b"\0\0\0\0" + recs + b"\0"  # no literals
    return body[:12] + struct.pack("!I", crc32c(body)) + body[16:]


def fragments(packet, count):
    """A v2 payload cut into `count` fragments (kFlagFragment): each its own
    16-byte header (index and count in bytes 10-11), the whole packet's
    length, and its share of the bytes."""
    stride = (len(packet) + count - 1) // count
    out = []
    for k in range(count):
        part = packet[k * stride:(k + 1) * stride]
        head = struct.pack("!HBBHIBB", 0x4450, 2, 2, struct.unpack("!H", packet[4:6])[0],
                           struct.unpack("!I", packet[6:10])[0], k, count)
        body = head + b"\0\0\0\0" + struct.pack("!H", len(packet)) + part
        out.append(body[:12] + struct.pack("!I", crc32c(body)) + body[16:])
    return out


def main():
    src, out, stamp = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    count = 0

    def write(name, blob):
        nonlocal count
        with open(os.path.join(out, name), "wb") as f:
            f.write(blob)
        count += 1

    # Synthetic flows: mode 1 (byte 0 = 1) and 2 (byte 0 = 2), option byte varied.
    flows = []
    for ipv6 in (False, True):
        for tcp in (False, True):
            fs = [frame(ipv6, tcp, p, seq=1000 + 300 * i, ipid=1 + i, ts=(5000 + i) if tcp else None)
                  for i, p in enumerate(records(10, 300))]
            flows.append(("%s-%s" % ("ipv6" if ipv6 else "ipv4", "tcp" if tcp else "udp"), fs))
    flows.append(("jumbo", [frame(False, True, p, seq=1 + 8000 * i) for i, p in enumerate(records(2, 8000))]))
    flows.append(("tiny", [b"\x01", b"", bytes(14), bytes(60)]))
    for name, fs in flows:
        for opt in (0x00, 0x05, 0x32, 0x7B):
            write("synth-%s-%02x" % (name, opt), bytes([1, opt]) + framed(fs))
        write("synth-%s-forged" % name, bytes([2, 0x10]) + framed(fs) + b"\0\0" +
              bytes(range(7, 7 + 60)))

    # Captures: runs of frames (mode 1).
    paths = []
    for d in (src, os.path.join(src, "real")):
        if os.path.isdir(d):
            paths += sorted(os.path.join(d, n) for n in os.listdir(d))
    for path in paths:
        if os.path.isfile(path):
            name = os.path.basename(path)
            blob = open(path, "rb").read()
            frames = pcapng_frames(blob) if blob[:4] == b"\x0a\x0d\x0d\x0a" else pcap_frames(blob)
            frames = [f for f in frames if len(f) <= 9000]
            for run in range(0, min(len(frames), 36), 12):
                write("pcap-%s-%d" % (name, run), bytes([1, run // 12]) + framed(frames[run:run + 12]))

    # Tunnel payloads (mode 0, sealed): a stream of raw records, in order.
    fs = flows[0][1]
    payloads, hpos = [], 4096
    for i in range(0, len(fs), 3):
        payloads.append(v2_packet(fs[i:i + 3], hpos))
        hpos += sum(len(f) for f in fs[i:i + 3])
    write("payloads-sealed", bytes([0, 1]) + framed(payloads))
    # The same stream with its first packet in fragments, the last one first.
    frags = fragments(payloads[0], 3)
    write("payloads-fragments", bytes([0, 0]) + framed([frags[2], frags[0], frags[1]] + payloads[1:]))
    write("payloads-raw", bytes([0, 0]) + framed(payloads))

    with open(stamp, "w") as f:
        f.write("%d seeds\n" % count)


if __name__ == "__main__":
    main()
