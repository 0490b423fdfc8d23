#!/usr/bin/env python3
"""Wire bytes and speed of the codec on real captures, the way a user runs it:
each capture of ../shared/pcaps and ../shared/pcaps/real goes through
`deltaplane --fwd validate`, then `--fwd encode` and `--fwd decode` on net_pcap
(wire format 1 and 2, --mtu 1500 and 9000), and the decoded frames are compared
with the validated ones byte for byte. Next to them: per-packet DEFLATE (zlib
level 6 + a 4-byte IPComp header, the frame as it is when that is not smaller,
RFC 3173) and a DEFLATE stream over the whole capture (a bound no loss-tolerant
codec is held to: it needs every earlier frame).

Speed: the encoder and decoder engines replaying the validated mix endlessly
(net_pcap infinite_rx, one forwarding core), median of per-second rates; and
the codec library alone per capture (dp-codec-bench, best of 3). Bytes against
speed for each --codec-level, and a loss experiment: collateral loss through a
simulated WAN at 0.1, 1 and 5% loss (dp-codec-bench, LOSS_SEEDS seeds), and at
1% on generated slowly changing records (tools/gen_traffic.py, as the
integration tests make them).

  bench/codec_v2.py [--out docs/bench] [--seconds 3] [--rounds 3]
                    [--skip-speed | --speed-only | --library-only]
Writes codec-v2.json, codec-v2.md and codec-v2-levels.png.
"""
import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import zlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "integration"))
import system_bench  # noqa: E402
import dptest  # noqa: E402

BENCH = dptest.BUILD / "bench" / "codec" / "dp-codec-bench"


def log(*a):
    print(*a, flush=True)


def captures():
    shared = dptest.SHARED / "pcaps"
    return sorted(p for d in (shared, shared / "real") for p in d.iterdir()
                  if p.suffix in (".pcap", ".pcapng"))


def deflate_per_packet(frames):
    out = 0
    for f in frames:
        c = len(zlib.compress(f, 6)) - 6 + 4  # raw DEFLATE (no zlib header/trailer) + IPComp
        out += c if c < len(f) else len(f)
    return out


def deflate_stream(frames):
    co = zlib.compressobj(6)
    return len(co.compress(b"".join(frames)) + co.flush())


def run_ok(vdevs, args, what):
    r = dptest.run(vdevs, args, timeout=600)
    if r.returncode != 0:
        raise SystemExit(f"{what} failed: {r.stderr[-2000:]}")
    return r


def validated(src, tmp):
    """The frames deltaplane's validator keeps, read as net_pcap reads them."""
    n = len(dptest.read_frames(src)[1])
    out = tmp / (src.name + ".valid.pcap")
    if n == 0:
        dptest.write_pcap(out, [])
        return out, []
    run_ok([f"net_pcap0,rx_pcap={src},tx_pcap={out}"],
           ["--fwd", "validate", "--quiet"] + dptest.stop_after(n, 5), f"validate {src.name}")
    return out, dptest.read_frames(out)[1]


def codec_run(valid, frames, tmp, version, mtu):
    """Encodes and decodes one capture; returns wire bytes and whether every
    frame came back."""
    if not frames:
        return {"wire_bytes": 0, "lossless": True}
    enc, dec = tmp / "enc.pcap", tmp / "dec.pcap"
    common = ["--codec", str(version), "--mtu", str(mtu), "--quiet", "--keyframe-ms", "0",
              "--max-frame", "65535", "--mbuf-size", "10240"]
    e = run_ok([f"net_pcap0,rx_pcap={valid},tx_pcap={enc}"],
               ["--fwd", "encode"] + common + dptest.stop_after(len(frames), 5), "encode")
    wire = dptest.read_frames(enc)[1]
    d = run_ok([f"net_pcap0,rx_pcap={enc},tx_pcap={dec}"],
               ["--fwd", "decode"] + common + dptest.stop_after(len(wire), 5), "decode")
    back = dptest.read_frames(dec)[1]
    return {"wire_bytes": sum(len(w) for w in wire), "packets": len(wire),
            "lossless": back == frames, "encoder": e.summary["codec"],
            "decoder_drops": {k: v for k, v in d.summary["drops"].items() if v}}


def engine_speed(mix, enc_mix, engine, version, mtu, seconds):
    """Median frames/s and bits/s (of original frames) of one engine replaying
    a capture endlessly on one core."""
    src = mix if engine == "encode" else enc_mix
    cmd = [str(dptest.BINARY), "-l", "0,1", "--no-pci", "--log-level=error"] + \
        system_bench.mem_args() + [
        "--vdev", f"net_pcap0,rx_pcap={src},infinite_rx=1", "--vdev", "net_null0", "--",
        "--fwd", engine, "--codec", str(version), "--mtu", str(mtu), "--stats-period", "1",
        "--duration", str(seconds), "--max-frame", "65535", "--mbuf-size", "10240",
        "--port-topology", "paired"]
    out = system_bench.run_for(cmd, seconds + 60)
    # Port 0 replays the capture: its RX rate in frames (or tunnel packets)/s.
    rx = system_bench.deltaplane_rates(out, port=0)[1:]
    return statistics.median(rx) if rx else float("nan")


LEVELS = (1, 2, 3)  # --codec-level; 2 is the default (codec::v2::kDefaultLevel)


def library(files, mtu, level, extra=()):
    out = subprocess.run([str(BENCH), "--convert-links", "--rounds", "3", "--mtu", str(mtu),
                          "--level", str(level)] + list(extra) + [str(f) for f in files],
                         capture_output=True, text=True, check=True).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return {pathlib.Path(r["file"]).name if r["file"] != "total" else "total": r for r in rows}


# Collateral loss is lumpy (one lost packet may hold what many frames copy):
# 10 seeds put level 2 at 0.64x on the captures at MTU 1500, 40 at 1.35x.
LOSS_SEEDS = 30


def records_capture(tmp):
    """Slowly changing records, as test_codec.py's slow chain makes them."""
    p = tmp / "records.pcap"
    if not p.exists():
        subprocess.run([sys.executable, str(ROOT / "tools" / "gen_traffic.py"), str(p), "--packets", "4000",
                        "--flows", "40", "--model", "slow", "--size", "200-1400", "--seed", "7"], check=True)
    return p


def loss_experiment(files, mtu, level, records):
    res = {}
    for name, inputs, loss in [("", files, 0.001), ("", files, 0.01), ("", files, 0.05),
                               (" records", [records], 0.01)]:
        lost = coll = altered = 0
        for seed in range(1, LOSS_SEEDS + 1):
            t = library(inputs, mtu, level, ["--loss", str(loss), "--seed", str(seed),
                                              "--reorder", "0", "--rounds", "1"])["total"]
            lost += t["lost_on_wire"]
            coll += t["collateral"]
            altered += t["altered"]
        key = str(loss) + name
        res[key] = {"lost_on_wire": lost, "collateral": coll, "altered": altered,
                    "ratio": coll / lost if lost else 0.0}
        log(f"  loss {loss:.1%}{name} mtu {mtu} level {level}: lost {lost}, collateral {coll} "
            f"({res[key]['ratio']:.2f}x), altered {altered}")
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "docs" / "bench"))
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3, help="speed runs per setting, alternating")
    ap.add_argument("--skip-speed", action="store_true",
                    help="bytes only (a loaded machine): no engine speed, the library's not reported")
    ap.add_argument("--speed-only", action="store_true",
                    help="keep the bytes of an earlier --out codec-v2.json, measure speed again")
    ap.add_argument("--library-only", action="store_true",
                    help="keep the engine results of an earlier run, measure the library again")
    a = ap.parse_args()
    dptest.require_captures = lambda: None
    if not (dptest.SHARED / "pcaps").is_dir():
        raise SystemExit(f"needs the captures of {dptest.SHARED / 'pcaps'}")
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="dp-codec-v2-"))
    doc = {"benchmark": "codec_v2", "machine": system_bench.machine(), "captures": [],
           "argv": sys.argv}
    totals = {}
    mix_frames = []
    if a.speed_only or a.library_only:
        doc = json.loads((pathlib.Path(a.out) / "codec-v2.json").read_text())
        doc["argv"] = sys.argv
    if a.library_only:
        files = captures()
        doc["library"] = {str(mtu): {str(level): library(files, mtu, level)["total"]
                                     for level in LEVELS} for mtu in (1500, 9000)}
        doc["loss_seeds"] = LOSS_SEEDS
        doc["loss"] = {str(level): {str(mtu): loss_experiment(files, mtu, level, records_capture(tmp))
                                    for mtu in (1500, 9000)} for level in LEVELS}
        write_outputs(doc, pathlib.Path(a.out))
        return
    for src in captures():
        valid, frames = validated(src, tmp)
        mix_frames += frames
        if a.speed_only:
            continue
        raw = sum(len(f) for f in frames)
        row = {"capture": str(src.relative_to(dptest.SHARED / "pcaps")), "frames": len(frames),
               "bytes": raw, "deflate_per_packet": deflate_per_packet(frames),
               "deflate_stream": deflate_stream(frames) if frames else 0}
        for version in (1, 2):
            for mtu in (1500, 9000):
                r = codec_run(valid, frames, tmp, version, mtu)
                row[f"v{version}_{mtu}"] = r
        doc["captures"].append(row)
        for k in ("frames", "bytes", "deflate_per_packet", "deflate_stream"):
            totals[k] = totals.get(k, 0) + row[k]
        for version in (1, 2):
            for mtu in (1500, 9000):
                key = f"v{version}_{mtu}"
                totals[key] = totals.get(key, 0) + row[key]["wire_bytes"]
                totals[key + "_lossless"] = totals.get(key + "_lossless", True) and row[key]["lossless"]
        pct = lambda x: 100 * x / raw if raw else 100.0  # noqa: E731
        log(f"{row['capture']:34s} {len(frames):5d} frames {raw:8d} B: v1 {pct(row['v1_9000']['wire_bytes']):5.1f}% "
            f"v2 {pct(row['v2_9000']['wire_bytes']):5.1f}% (9000) {pct(row['v2_1500']['wire_bytes']):5.1f}% (1500) "
            f"DEFLATE/pkt {pct(row['deflate_per_packet']):5.1f}% stream {pct(row['deflate_stream']):5.1f}% "
            f"lossless {all(row[k]['lossless'] for k in row if k.startswith('v'))}")
    mix = tmp / "mix.pcap"
    dptest.write_pcap(mix, mix_frames)
    if not a.speed_only:
        doc["totals"] = totals
        files = captures()
        doc["library"] = {str(mtu): {str(level): library(files, mtu, level)["total"]
                                     for level in LEVELS} for mtu in (1500, 9000)}
        doc["loss_seeds"] = LOSS_SEEDS
        doc["loss"] = {str(level): {str(mtu): loss_experiment(files, mtu, level, records_capture(tmp))
                                    for mtu in (1500, 9000)} for level in LEVELS}
        if a.skip_speed:  # measured on a machine that may be busy: not a speed
            for levels in doc["library"].values():
                for r in levels.values():
                    r.pop("encode_gbps", None)
                    r.pop("decode_gbps", None)

    if not a.skip_speed:
        doc["speed"] = speed(mix, mix_frames, tmp, a.seconds, a.rounds)

    write_outputs(doc, pathlib.Path(a.out))


def write_outputs(doc, out):
    out.mkdir(parents=True, exist_ok=True)
    (out / "codec-v2.json").write_text(json.dumps(doc, indent=1))
    write_markdown(doc, out / "codec-v2.md")
    plot_levels(doc, out / "codec-v2-levels.png")
    log(f"wrote {out}/codec-v2.{{json,md}} and codec-v2-levels.png")


def speed(mix, mix_frames, tmp, seconds, rounds):
    """Encode and decode engines on the validated mix, every setting once per
    round, alternating; median and min-max of the rounds, in original frames."""
    raw = sum(len(f) for f in mix_frames)
    settings = [(v, mtu) for v in (1, 2) for mtu in (1500, 9000)]
    wire = {}
    for version, mtu in settings:
        enc_mix = tmp / f"enc-mix-{version}-{mtu}.pcap"
        run_ok([f"net_pcap0,rx_pcap={mix},tx_pcap={enc_mix}"],
               ["--fwd", "encode", "--codec", str(version), "--mtu", str(mtu), "--quiet",
                "--max-frame", "65535", "--mbuf-size", "10240"] +
               dptest.stop_after(len(mix_frames), 5), "encode mix")
        wire[(version, mtu)] = (enc_mix, len(dptest.read_frames(enc_mix)[1]))
    runs = {s: {"encode": [], "decode": []} for s in settings}
    for _ in range(rounds):
        for version, mtu in settings:
            enc_mix, packets = wire[(version, mtu)]
            runs[(version, mtu)]["encode"].append(
                engine_speed(mix, enc_mix, "encode", version, mtu, seconds))
            # The decoder's input is tunnel packets: scaled by frames per packet.
            runs[(version, mtu)]["decode"].append(
                engine_speed(mix, enc_mix, "decode", version, mtu, seconds) *
                len(mix_frames) / max(1, packets))
    out = {}
    for version, mtu in settings:
        s = {}
        for what in ("encode", "decode"):
            fps = runs[(version, mtu)][what]
            s[f"{what}_mfps"] = statistics.median(fps) / 1e6
            s[f"{what}_mfps_min"], s[f"{what}_mfps_max"] = min(fps) / 1e6, max(fps) / 1e6
            s[f"{what}_gbps"] = s[f"{what}_mfps"] * 1e6 * raw * 8 / len(mix_frames) / 1e9
            s[f"{what}_runs_fps"] = fps
        out[f"v{version}_{mtu}"] = s
        log(f"speed v{version} mtu {mtu}: encode {s['encode_mfps']:.3f} Mfps "
            f"({s['encode_gbps']:.2f} Gbit/s), decode {s['decode_mfps']:.3f} Mfps "
            f"({s['decode_gbps']:.2f} Gbit/s) of original frames")
    return out


def write_markdown(doc, path):
    t = doc["totals"]
    pct = lambda x, raw: f"{100 * x / raw:.1f}%" if raw else "-"  # noqa: E731
    lines = ["| capture | frames | bytes | v1 9000 | v2 9000 | v1 1500 | v2 1500 | DEFLATE per packet | DEFLATE stream | lossless |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in doc["captures"] + [dict(capture="**total**", **{k: t[k] for k in ("frames", "bytes", "deflate_per_packet", "deflate_stream")},
                                     **{k: {"wire_bytes": t[k], "lossless": t[k + "_lossless"]}
                                        for k in ("v1_9000", "v2_9000", "v1_1500", "v2_1500")})]:
        raw = r["bytes"]
        lossless = all(r[k]["lossless"] for k in ("v1_9000", "v2_9000", "v1_1500", "v2_1500"))
        lines.append(f"| {r['capture']} | {r['frames']} | {raw} | {pct(r['v1_9000']['wire_bytes'], raw)} | "
                     f"{pct(r['v2_9000']['wire_bytes'], raw)} | {pct(r['v1_1500']['wire_bytes'], raw)} | "
                     f"{pct(r['v2_1500']['wire_bytes'], raw)} | {pct(r['deflate_per_packet'], raw)} | "
                     f"{pct(r['deflate_stream'], raw)} | {'yes' if lossless else 'NO'} |")
    lines += ["", "Codec library alone (dp-codec-bench, all captures, non-Ethernet links converted), by level:", "",
              "| MTU | level | wire bytes | encode Gbit/s | decode Gbit/s |", "|---|---|---:|---:|---:|"]
    for mtu, levels in doc["library"].items():
        for level, r in levels.items():
            speed = (f"{r['encode_gbps']:.2f} | {r['decode_gbps']:.2f}" if "encode_gbps" in r
                     else "not measured | not measured")
            lines.append(f"| {mtu} | {level} | {100 * r['ratio']:.1f}% | {speed} |")
    lines += ["", f"Loss experiment (dp-codec-bench, {doc.get('loss_seeds', 10)} seeds, frames; level 2 is the "
              "default; records: generated slowly changing records):", "",
              "| level | MTU | loss | lost on the wire | collateral | ratio | altered |",
              "|---|---|---|---:|---:|---:|---:|"]
    for level, mtus in doc["loss"].items():
        for mtu, rows in mtus.items():
            for loss, r in rows.items():
                rate, _, what = loss.partition(" ")
                lines.append(f"| {level} | {mtu} | {float(rate):.1%}{' ' + what if what else ''} | "
                             f"{r['lost_on_wire']} | "
                             f"{r['collateral']} | {r['ratio']:.2f}x | {r['altered']} |")
    if "speed" in doc:
        lines += ["", "Engines on one core, replaying the validated mix (original frames; "
                  "median and min-max of the rounds, settings alternating):", "",
                  "| codec | MTU | encode Mfps | encode Gbit/s | decode Mfps | decode Gbit/s |",
                  "|---|---|---:|---:|---:|---:|"]
        for k, s in doc["speed"].items():
            v, mtu = k.split("_")
            lines.append(f"| {v} | {mtu} | {s['encode_mfps']:.3f} ({s['encode_mfps_min']:.3f}-"
                         f"{s['encode_mfps_max']:.3f}) | {s['encode_gbps']:.2f} | "
                         f"{s['decode_mfps']:.3f} ({s['decode_mfps_min']:.3f}-"
                         f"{s['decode_mfps_max']:.3f}) | {s['decode_gbps']:.2f} |")
    path.write_text("\n".join(lines) + "\n")


def plot_levels(doc, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("no matplotlib: no plot (run under /usr/bin/python3)")
        return
    if any("encode_gbps" not in r for levels in doc["library"].values() for r in levels.values()):
        log("no speed measured: the levels plot is left as it was")
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    for mtu, levels in doc["library"].items():
        xs = [levels[lv]["encode_gbps"] for lv in sorted(levels)]
        ys = [100 * levels[lv]["ratio"] for lv in sorted(levels)]
        ax.plot(xs, ys, marker="o", label=f"--mtu {mtu}")
        for lv, x, y in zip(sorted(levels), xs, ys):
            ax.annotate(f"level {lv}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    t = doc["totals"]
    ax.axhline(100 * t["deflate_per_packet"] / t["bytes"], ls="--", c="gray", label="per-packet DEFLATE")
    ax.axhline(100 * t["deflate_stream"] / t["bytes"], ls=":", c="gray", label="DEFLATE stream (bound)")
    ax.set_xlabel("encode Gbit/s per core (library)")
    ax.set_ylabel("wire bytes, % of original")
    ax.set_title("codec v2: bytes against speed, all captures")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
