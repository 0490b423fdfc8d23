"""docs/architecture.md, "Adding an engine", is true: a copy of the source tree
gets a new engine by exactly its steps (one header, one catalog line, the
header's include beside the others in the registry), builds, and the new engine
runs: --fwd knows it, --help lists it, and the frames come out as it made them.

The engine added here, `ttl`, decrements the IPv4 TTL and patches the header
checksum (RFC 1624); the test checks both on every frame.
"""
import pathlib
import shutil
import subprocess
import tempfile
import unittest

import dptest

HEADER = r'''// ttl: decrements the IPv4 TTL and patches the header checksum (RFC 1624).
#pragma once

#include <rte_mbuf.h>

#include "engines/engine.hh"

namespace deltaplane::engines {

struct TtlEngine {
  static constexpr bool kTouchesData = true;
  static constexpr Lengths kLengths = Lengths::kUnchanged;
  explicit TtlEngine(const EngineEnv&) noexcept {}
  uint16_t process(rte_mbuf** pkts, uint16_t n, const Stream&) noexcept {
    for (uint16_t i = 0; i < n; ++i) {
      uint8_t* p = rte_pktmbuf_mtod(pkts[i], uint8_t*);
      if (pkts[i]->data_len < 34 || p[12] != 0x08 || p[13] != 0x00 || p[22] == 0) continue;
      p[22] -= 1;
      uint32_t sum = static_cast<uint32_t>(p[24] << 8 | p[25]) + 0x0100;  // ~HC' = ~HC + ~m + m'
      sum = (sum & 0xffff) + (sum >> 16);
      p[24] = static_cast<uint8_t>(sum >> 8);
      p[25] = static_cast<uint8_t>(sum);
    }
    return n;
  }
};

}  // namespace deltaplane::engines
'''


def ipv4_checksum_ok(f):
    s = sum(int.from_bytes(f[14 + i:16 + i], "big") for i in range(0, 20, 2))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s == 0xFFFF


class AddEngine(unittest.TestCase):
    def test_one_header_one_line(self):
        tmp = pathlib.Path(tempfile.mkdtemp(prefix="dp-add-engine-"))
        try:
            self.build_and_run(tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def build_and_run(self, tmp):
        src = tmp / "src"
        files = subprocess.run(["git", "-C", str(dptest.SRC), "ls-files", "-co", "--exclude-standard"],
                               capture_output=True, text=True, check=True).stdout.split()
        for f in files:
            if (dptest.SRC / f).is_file():
                (src / f).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(dptest.SRC / f, src / f)
        # The three steps of docs/architecture.md.
        (src / "lib/engines/ttl.hh").write_text(HEADER)
        catalog = (src / "lib/config/engines.hh").read_text()
        last = '"sends UDP frames over --flows flows (testpmd flowgen)")'
        self.assertIn(last, catalog)
        catalog = catalog.replace(last, last + ' \\\n  X(Ttl, "ttl", kForwards, "decrements the IPv4 TTL")')
        (src / "lib/config/engines.hh").write_text(catalog)
        registry = (src / "lib/engines/registry.cc").read_text()
        registry = registry.replace('#include "engines/rxonly.hh"\n',
                                    '#include "engines/rxonly.hh"\n#include "engines/ttl.hh"\n')
        (src / "lib/engines/registry.cc").write_text(registry)

        build = tmp / "build"
        subprocess.run(["meson", "setup", str(build), str(src), "-Dtests=false", "-Dbenchmarks=false"],
                       check=True, capture_output=True)
        r = subprocess.run(["ninja", "-C", str(build), "app/deltaplane"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout[-3000:])
        binary = build / "app" / "deltaplane"
        help_text = subprocess.run([str(binary), "--", "--help"], capture_output=True, text=True).stdout
        self.assertRegex(help_text, r"\n  ttl +decrements the IPv4 TTL\n")
        self.assertIn("|flowgen|ttl", help_text)

        frames = [bytes.fromhex("0011223344550066778899aa080045000032") +
                  bytes([0x1c, i, 0x40, 0x00, 64 - i % 8, 0x11]) + b"\0\0" +
                  bytes([10, 0, 0, 1, 10, 0, 0, 2]) + bytes(30) for i in range(50)]
        fixed = []
        for f in frames:  # give each frame its right checksum first
            b = bytearray(f)
            s = sum(int.from_bytes(b[14 + i:16 + i], "big") for i in range(0, 20, 2))
            while s >> 16:
                s = (s & 0xFFFF) + (s >> 16)
            b[24:26] = (~s & 0xFFFF).to_bytes(2, "big")
            fixed.append(bytes(b))
        dptest.write_pcap(tmp / "in.pcap", fixed)
        args = ([str(binary)] + dptest.eal_args([f"net_pcap0,rx_pcap={tmp}/in.pcap,tx_pcap={tmp}/out.pcap"]) +
                ["--", "--fwd", "ttl", "--quiet"] + dptest.stop_after(len(fixed)))
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        _, out = dptest.read_frames(tmp / "out.pcap")
        self.assertEqual(len(out), len(fixed))
        for a, b in zip(fixed, out):
            self.assertEqual(b[22], a[22] - 1)
            self.assertTrue(ipv4_checksum_ok(b))
            self.assertEqual(b[:22] + b[23:24] + b[26:], a[:22] + a[23:24] + a[26:])


if __name__ == "__main__":
    dptest.main()
