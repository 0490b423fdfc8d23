#!/usr/bin/env python3
"""Bytes saved and speed on synthetic traffic: deltaplane's wire formats 1 and 2
vs per-packet DEFLATE (ISA-L igzip, as IPComp would do it) vs raw, on the same
captures: slowly changing records and incompressible random payloads at
several sizes.

The encoder runs for real (`deltaplane --fwd encode --codec N` over net_pcap,
one forwarding core; bytes from its JSON summary, speed from a replay with
net_pcap infinite_rx, v1 and v2 alternating, `--rounds` times, median of each
run's per-second rates, then median and min-max over the rounds); the decoder
replays what its encoder sent (v2: tunnel packets/s scaled to original frames
by frames per packet); DEFLATE runs in dp-deflate-per-packet on one core over
the same frames.

  bench/codec_vs_deflate.py [--out docs/bench] [--seconds 3] [--rounds 3]
"""
import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import system_bench  # noqa: E402

BIN = ROOT / "build" / "app" / "deltaplane"
DEFLATE = ROOT / "build" / "bench" / "codec" / "dp-deflate-per-packet"
VERSIONS = (1, 2)
# net_pcap's infinite_rx takes no chained mbufs: room for a 9000-byte tunnel packet.
JUMBO = ["--mbuf-size", "10240", "--max-frame", "65535"]


def port0_rate(cmd, seconds):
    """Median of port 0's per-second RX rate (Mpps) after the first second."""
    out = system_bench.run_for(cmd, seconds + 30)
    p0 = [r / 1e6 for r in system_bench.deltaplane_rates(out, port=0)[1:]]
    return statistics.median(p0) if p0 else float("nan")


def replay(engine, src, version, seconds):
    return port0_rate([str(BIN), "-l", "0,1", "--no-pci", "--log-level=error"] +
                      system_bench.mem_args() +
                      ["--vdev", f"net_pcap0,rx_pcap={src},infinite_rx=1", "--vdev", "net_null0",
                       "--", "--fwd", engine, "--codec", str(version), "--mtu", "9000",
                       "--stats-period", "1", "--duration", str(seconds)] + JUMBO, seconds)


def spread(xs):
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "runs": xs}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "docs" / "bench"))
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="dp-cvd-"))
    rows = []
    for model in ("slow", "random"):
        for size in ("64", "512", "1500", "imix"):
            src = tmp / f"{model}-{size}.pcap"
            subprocess.run([sys.executable, str(ROOT / "tools" / "gen_traffic.py"), str(src),
                            "--packets", "4000", "--flows", "64", "--model", model, "--size", size,
                            "--seed", "42"], check=True)
            row = {"traffic": model, "size": size}
            for v in VERSIONS:
                js, enc = tmp / f"{model}-{size}-v{v}.json", tmp / f"{model}-{size}-v{v}.pcap"
                subprocess.run([str(BIN), "-l", "0,1", "--no-pci", "--log-level=error"] +
                               system_bench.mem_args() +
                               ["--vdev", f"net_pcap0,rx_pcap={src},tx_pcap={enc}", "--",
                                "--fwd", "encode", "--codec", str(v), "--mtu", "9000",
                                "--idle-timeout", "0.5", "--quiet", "--stats-json", str(js)] +
                               JUMBO,
                               check=True, capture_output=True)
                j = json.loads(js.read_text())
                c = j["codec"]
                row["bytes_in"] = c["enc_bytes_in"]
                row["avg_frame"] = c["enc_bytes_in"] / max(1, c["enc_frames"])
                row[f"v{v}"] = {"bytes_out": c["enc_bytes_out"], "frames": c["enc_frames"],
                                "packets_out": j["totals"]["tx_packets"], "encode": [],
                                "decode": []}
            for _ in range(a.rounds):  # alternating: v1, v2, v1, v2, ...
                for v in VERSIONS:
                    r = row[f"v{v}"]
                    enc = tmp / f"{model}-{size}-v{v}.pcap"
                    r["encode"].append(replay("encode", src, v, a.seconds))
                    # Tunnel packets/s, as original frames/s.
                    per_packet = r["frames"] / max(1, r["packets_out"])
                    r["decode"].append(replay("decode", enc, v, a.seconds) * per_packet)
            for v in VERSIONS:
                r = row[f"v{v}"]
                r["encode"], r["decode"] = spread(r["encode"]), spread(r["decode"])
            d = json.loads(subprocess.run([str(DEFLATE), "--level", "1", str(src)],
                                          capture_output=True, text=True, check=True).stdout)
            row["deflate_bytes_out"], row["deflate_mpps"] = d["bytes_out"], d["mpps"]
            rows.append(row)
            pct = lambda b: 100 * b / row["bytes_in"]  # noqa: E731
            print(f"{model:6s} {size:>4}: v1 {pct(row['v1']['bytes_out']):5.1f}% "
                  f"{row['v1']['encode']['median']:.2f} Mpps, v2 {pct(row['v2']['bytes_out']):5.1f}% "
                  f"{row['v2']['encode']['median']:.2f} Mpps, DEFLATE "
                  f"{pct(row['deflate_bytes_out']):5.1f}% {d['mpps']:.2f} Mpps", flush=True)
    out_dir = pathlib.Path(a.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "codec-vs-deflate.json").write_text(json.dumps(
        {"machine": system_bench.machine(), "argv": sys.argv, "rows": rows}, indent=2))
    md = ["| traffic | size | wire bytes: v1 | v2 | per-packet DEFLATE | encode Mpps v1 | encode Mpps v2 (Gbit/s) | decode Mfps v1 | decode Mfps v2 | DEFLATE Mpps |",
          "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def rate(s):
        return f"{s['median']:.2f} ({s['min']:.2f}-{s['max']:.2f})"
    for r in rows:
        pct = lambda b: f"{100 * b / r['bytes_in']:.1f}%"  # noqa: E731
        gbps = r["v2"]["encode"]["median"] * r["avg_frame"] * 8 / 1e3
        md.append(f"| {r['traffic']} | {r['size']} | {pct(r['v1']['bytes_out'])} | "
                  f"{pct(r['v2']['bytes_out'])} | {pct(r['deflate_bytes_out'])} | "
                  f"{rate(r['v1']['encode'])} | {rate(r['v2']['encode'])} [{gbps:.1f}] | "
                  f"{rate(r['v1']['decode'])} | {rate(r['v2']['decode'])} | "
                  f"{r['deflate_mpps']:.2f} |")
    (out_dir / "codec-vs-deflate.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
