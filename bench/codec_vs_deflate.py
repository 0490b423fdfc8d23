#!/usr/bin/env python3
"""Bytes saved and speed: deltaplane's delta codec vs per-packet DEFLATE (ISA-L
igzip, as IPComp would do it) vs raw, on the same captures: slowly changing
records and incompressible random payloads at several sizes.

The encoder runs for real (`deltaplane --fwd encode` over net_pcap, one forwarding
core; bytes from its JSON summary, speed from a replay with net_pcap infinite_rx);
DEFLATE runs in dp-deflate-per-packet on one core over the same frames.

  bench/codec_vs_deflate.py [--out docs/bench]
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import system_bench  # noqa: E402

BIN = ROOT / "build" / "app" / "deltaplane"
DEFLATE = ROOT / "build" / "bench" / "codec" / "dp-deflate-per-packet"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "docs" / "bench"))
    ap.add_argument("--seconds", type=int, default=3)
    a = ap.parse_args()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="dp-cvd-"))
    rows = []
    for model in ("slow", "random"):
        for size in ("64", "512", "1500", "imix"):
            src = tmp / f"{model}-{size}.pcap"
            subprocess.run([sys.executable, str(ROOT / "tools" / "gen_traffic.py"), str(src),
                            "--packets", "4000", "--flows", "64", "--model", model, "--size", size,
                            "--seed", "42"], check=True)
            js = tmp / f"{model}-{size}.json"
            subprocess.run([str(BIN), "-l", "0,1", "--no-pci", "--log-level=error"] +
                           system_bench.mem_args() +
                           ["--vdev", f"net_pcap0,rx_pcap={src},tx_pcap={tmp}/enc.pcap", "--",
                            "--fwd", "encode", "--mtu", "9000", "--idle-timeout", "0.5", "--quiet",
                            "--stats-json", str(js)], check=True, capture_output=True)
            c = json.loads(js.read_text())["codec"]
            # Encoder speed on one core: replay the capture endlessly.
            cmd = [str(BIN), "-l", "0,1", "--no-pci", "--log-level=error"] + system_bench.mem_args() + [
                "--vdev", f"net_pcap0,rx_pcap={src},infinite_rx=1", "--vdev", "net_null0", "--",
                "--fwd", "encode", "--mtu", "9000", "--stats-period", "1", "--duration", str(a.seconds)]
            out = system_bench.run_for(cmd, a.seconds + 30)
            rates = system_bench.deltaplane_rates(out)[1:]
            # Port 0 carries the capture; port 1 (net_null) adds its own frames:
            # count only port 0's rate.
            p0 = [float(x.split()[3]) for x in out.splitlines()
                  if x.strip().startswith("0 ") and len(x.split()) > 4 and "net_" not in x][1:]
            enc_mpps = sorted(p0)[len(p0) // 2] if p0 else float("nan")
            # Decoder speed on one core: replay what the encoder produced.
            cmd = [str(BIN), "-l", "0,1", "--no-pci", "--log-level=error"] + system_bench.mem_args() + [
                "--vdev", f"net_pcap0,rx_pcap={tmp}/enc.pcap,infinite_rx=1", "--vdev", "net_null0", "--",
                "--fwd", "decode", "--stats-period", "1", "--duration", str(a.seconds)]
            out = system_bench.run_for(cmd, a.seconds + 30)
            p0 = [float(x.split()[3]) for x in out.splitlines()
                  if x.strip().startswith("0 ") and len(x.split()) > 4 and "net_" not in x][1:]
            dec_mpps = sorted(p0)[len(p0) // 2] if p0 else float("nan")
            d = json.loads(subprocess.run([str(DEFLATE), "--level", "1", str(src)],
                                          capture_output=True, text=True, check=True).stdout)
            row = {"traffic": model, "size": size, "bytes_in": c["enc_bytes_in"],
                   "delta_bytes_out": c["enc_bytes_out"], "deflate_bytes_out": d["bytes_out"],
                   "delta_mpps": enc_mpps, "decode_mpps": dec_mpps, "deflate_mpps": d["mpps"],
                   "avg_frame": c["enc_bytes_in"] / max(1, c["enc_frames"]),
                   "keyframes": c["enc_keyframes"], "deltas": c["enc_deltas"], "bypass": c["enc_bypass"]}
            rows.append(row)
            print(f"{model:6s} {size:>4}: raw {row['bytes_in']} B, delta {row['delta_bytes_out']} B "
                  f"({100 * row['delta_bytes_out'] / row['bytes_in']:.1f}%) at {enc_mpps:.2f} Mpps, "
                  f"DEFLATE {row['deflate_bytes_out']} B ({100 * row['deflate_bytes_out'] / row['bytes_in']:.1f}%) "
                  f"at {d['mpps']:.2f} Mpps", flush=True)
    out_dir = pathlib.Path(a.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "codec-vs-deflate.json").write_text(json.dumps(
        {"machine": system_bench.machine(), "rows": rows}, indent=2))
    md = ["| traffic | size | wire bytes: raw | delta codec | per-packet DEFLATE | encode Mpps (Gbit/s) per core | decode Mpps per core | DEFLATE Mpps per core |",
          "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        gbps = r["delta_mpps"] * r["avg_frame"] * 8 / 1e3
        md.append(f"| {r['traffic']} | {r['size']} | 100% | {100 * r['delta_bytes_out'] / r['bytes_in']:.1f}% | "
                  f"{100 * r['deflate_bytes_out'] / r['bytes_in']:.1f}% | {r['delta_mpps']:.2f} ({gbps:.1f}) | "
                  f"{r['decode_mpps']:.2f} | {r['deflate_mpps']:.2f} |")
    (out_dir / "codec-vs-deflate.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
