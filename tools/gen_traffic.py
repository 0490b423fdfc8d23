#!/usr/bin/env python3
"""Writes a pcap of synthetic, valid Ethernet/IPv4/UDP-or-TCP traffic from a seed.

Payload models:
  slow    - slowly changing records: each flow repeats a JSON record whose
            counter and timestamp fields change from packet to packet
            (what the delta codec is for);
  random  - incompressible random bytes;
  repeat  - the same payload again and again.

  tools/gen_traffic.py out.pcap --packets 5000 --flows 32 --model slow --size 64-1400 --seed 1
Standard library only; headers carry correct lengths and IPv4 checksums (UDP
checksum 0, TCP checksum computed).
"""
import argparse
import random
import struct


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def frame(src_mac, dst_mac, src_ip, dst_ip, proto, sport, dport, payload, seq=0):
    if proto == 17:
        l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    else:
        hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x18, 65535, 0, 0)
        pseudo = struct.pack("!4s4sBBH", src_ip, dst_ip, 0, 6, len(hdr) + len(payload))
        c = csum(pseudo + hdr + payload)
        l4 = hdr[:16] + struct.pack("!H", c) + hdr[18:] + payload
    total = 20 + len(l4)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, proto, 0, src_ip, dst_ip)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    f = dst_mac + src_mac + b"\x08\x00" + ip + l4
    return f + b"\0" * max(0, 60 - len(f))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--packets", type=int, default=5000)
    ap.add_argument("--flows", type=int, default=32)
    ap.add_argument("--model", choices=["slow", "random", "repeat"], default="slow")
    ap.add_argument("--size", default="64-1400",
                    help="frame size N, range A-B, or imix (64/576/1500 in 7:4:1, per flow)")
    ap.add_argument("--tcp", type=float, default=0.5, help="fraction of TCP flows")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    imix = a.size == "imix"
    if not imix:
        lo, _, hi = a.size.partition("-")
        lo, hi = int(lo), int(hi or lo)
    flows = []
    for i in range(a.flows):
        size = rng.choice([64] * 7 + [576] * 4 + [1500]) if imix else rng.randint(lo, hi)
        flows.append({
            "src_ip": bytes([10, 1, i >> 8 & 255, i & 255]), "dst_ip": bytes([10, 2, 0, 1 + i % 200]),
            "sport": 1024 + rng.randrange(60000), "dport": rng.choice([80, 443, 5000, 8080]),
            "proto": 6 if rng.random() < a.tcp else 17, "size": size, "n": 0, "seq": rng.randrange(1 << 32),
            "base": bytes(rng.getrandbits(8) for _ in range(max(size, 64))),
            "name": rng.choice(["sensor", "meter", "gateway", "pump"]) + str(i),
        })
    src_mac, dst_mac = bytes.fromhex("020000000a01"), bytes.fromhex("020000000a02")
    with open(a.out, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        t = 1_700_000_000.0
        for k in range(a.packets):
            f = flows[rng.randrange(len(flows))]
            f["n"] += 1
            l4hdr = 8 if f["proto"] == 17 else 20
            plen = max(0, f["size"] - 14 - 20 - l4hdr)
            if a.model == "random":
                payload = bytes(rng.getrandbits(8) for _ in range(plen))
            elif a.model == "repeat":
                payload = f["base"][:plen]
            else:
                rec = ('{"device":"%s","seq":%010d,"ts":%.6f,"temp":%.2f,"status":"ok","pad":"'
                       % (f["name"], f["n"], t, 20 + (f["n"] % 50) / 10)).encode()
                payload = (rec + f["base"][: max(0, plen - len(rec) - 2)].hex().encode()[: max(0, plen - len(rec) - 2)] + b'"}')[:plen]
                payload += b" " * (plen - len(payload))
            fr = frame(src_mac, dst_mac, f["src_ip"], f["dst_ip"], f["proto"], f["sport"], f["dport"],
                       payload, f["seq"])
            f["seq"] = (f["seq"] + len(payload)) & 0xFFFFFFFF
            t += 0.0001
            out.write(struct.pack("<IIII", int(t), int(t * 1e6) % 1_000_000, len(fr), len(fr)))
            out.write(fr)


if __name__ == "__main__":
    main()
