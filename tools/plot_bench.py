#!/usr/bin/python3
"""Plots a bench/system_bench.py result file: Mpps per engine and size, deltaplane
next to testpmd. Needs Debian's python3-matplotlib (run with /usr/bin/python3).
Reads result files only: it starts no DPDK process (the runs used --no-pci).

  tools/plot_bench.py docs/bench/system-pcap.json docs/bench/system-pcap.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    src, dst = sys.argv[1], sys.argv[2]
    r = json.load(open(src))
    rows = r["table"]
    sizes = sorted({x["size"] for x in rows}, key=lambda s: (s == "imix", int(s) if s.isdigit() else 0))
    engines = list(dict.fromkeys(x["engine"] for x in rows))
    fig, axes = plt.subplots(1, len(sizes), figsize=(4.2 * len(sizes), 4), squeeze=False)
    for ax, size in zip(axes[0], sizes):
        xs, dp, tp = [], [], []
        for e in engines:
            row = next((x for x in rows if x["engine"] == e and x["size"] == size), None)
            if not row:
                continue
            xs.append(e)
            dp.append(row["deltaplane"]["median"])
            tp.append(row["testpmd"]["median"] if "testpmd" in row else 0)
        idx = range(len(xs))
        ax.bar([i - 0.2 for i in idx], dp, width=0.4, label="deltaplane")
        ax.bar([i + 0.2 for i in idx], tp, width=0.4, label="dpdk-testpmd")
        ax.set_xticks(list(idx))
        ax.set_xticklabels(xs, rotation=30)
        ax.set_title(f"{size} B" if size.isdigit() else size.upper())
        ax.set_ylabel("Mpps (1 core)")
    axes[0][0].legend()
    m = r["machine"]
    fig.suptitle(f"deltaplane vs testpmd, {r['vdev']} vdevs, git {m['git_revision']}, {m['cpu']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(dst, dpi=90)


if __name__ == "__main__":
    main()
