// Argument and config-file parsing: every option, every bad-input path.
#include "config/app_config.hh"

#include <gtest/gtest.h>

#include <fstream>

#include "base/error.hh"

namespace deltaplane::config {
namespace {

AppConfig parse(std::initializer_list<std::string_view> a) {
  std::vector<std::string_view> v(a);
  return parse_args(v).config;
}

std::string error_of(std::initializer_list<std::string_view> a) {
  std::vector<std::string_view> v(a);
  try {
    parse_args(v);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(AppConfig, DefaultsAreSane) {
  AppConfig c = parse({});
  EXPECT_EQ(c.engine, Engine::kIo);
  EXPECT_EQ(c.burst, 32);
  EXPECT_EQ(c.max_frame, 9600u);
  EXPECT_EQ(c.rx_queues, 1);
  EXPECT_TRUE(c.promiscuous);
  EXPECT_EQ(c.stats_period_s, 1.0);
}

TEST(AppConfig, ParsesEveryOption) {
  AppConfig c = parse({"--fwd",
                       "macswap",
                       "--port-topology=chained",
                       "--ports",
                       "0,2-3",
                       "--burst",
                       "64",
                       "--rxq",
                       "4",
                       "--rxd",
                       "512",
                       "--txd=256",
                       "--mbufs",
                       "8191",
                       "--mbuf-cache",
                       "128",
                       "--mbuf-size",
                       "9728",
                       "--max-frame",
                       "9000",
                       "--no-promisc",
                       "--link-wait",
                       "0",
                       "--tx-retry",
                       "8",
                       "--tx-retry-delay",
                       "2",
                       "--stats-period",
                       "0.5",
                       "--duration",
                       "2.5",
                       "--max-packets",
                       "1000",
                       "--idle-timeout",
                       "1",
                       "--stats-json",
                       "/tmp/x.json",
                       "--print-topology",
                       "--quiet"});
  EXPECT_EQ(c.engine, Engine::kMacswap);
  EXPECT_EQ(c.topology, PortTopology::kChained);
  EXPECT_EQ(c.ports, (std::vector<uint16_t>{0, 2, 3}));
  EXPECT_EQ(c.burst, 64);
  EXPECT_EQ(c.rx_queues, 4);
  EXPECT_EQ(c.rx_desc, 512);
  EXPECT_EQ(c.tx_desc, 256);
  EXPECT_EQ(c.mbufs, 8191u);
  EXPECT_EQ(c.mbuf_cache, 128);
  EXPECT_EQ(c.mbuf_data_room, 9728);
  EXPECT_EQ(c.max_frame, 9000u);
  EXPECT_FALSE(c.promiscuous);
  EXPECT_EQ(c.link_wait_ms, 0u);
  EXPECT_EQ(c.tx_retries, 8u);
  EXPECT_EQ(c.tx_retry_delay_us, 2u);
  EXPECT_DOUBLE_EQ(c.stats_period_s, 0.5);
  EXPECT_DOUBLE_EQ(c.duration_s, 2.5);
  EXPECT_EQ(c.max_packets, 1000u);
  EXPECT_DOUBLE_EQ(c.idle_timeout_s, 1.0);
  EXPECT_EQ(c.stats_json, "/tmp/x.json");
  EXPECT_TRUE(c.print_topology);
  EXPECT_TRUE(c.quiet);
}

TEST(AppConfig, PreflightJson) {
  AppConfig c = parse({"--preflight", "--json"});
  EXPECT_TRUE(c.preflight_only);
  EXPECT_TRUE(c.json);
  EXPECT_EQ(error_of({"--json"}), "--json: only valid with --preflight");
}

TEST(AppConfig, HelpIsReported) {
  std::vector<std::string_view> v{"--help"};
  EXPECT_TRUE(parse_args(v).help_requested);
  EXPECT_NE(usage().find("--fwd"), std::string::npos);
}

TEST(AppConfig, BadValuesGiveOnePreciseMessage) {
  EXPECT_EQ(error_of({"--burst", "0"}), "--burst: '0' is out of range 1..512");
  EXPECT_EQ(error_of({"--burst", "513"}), "--burst: '513' is out of range 1..512");
  EXPECT_EQ(error_of({"--burst", "abc"}), "--burst: expected an integer, got 'abc'");
  EXPECT_EQ(error_of({"--burst", "32x"}), "--burst: expected an integer, got '32x'");
  EXPECT_EQ(error_of({"--burst", "-1"}), "--burst: expected an integer, got '-1'");
  EXPECT_EQ(error_of({"--burst", "99999999999999999999999"}),
            "--burst: '99999999999999999999999' is out of range 1..512");
  EXPECT_EQ(error_of({"--burst"}), "--burst: needs a value");
  EXPECT_EQ(error_of({"--burst", "--rxq", "2"}), "--burst: needs a value");
  EXPECT_EQ(error_of({"--fwd", "bogus"}),
            "--fwd: unknown value 'bogus' (expected "
            "io|macswap|rxonly|validate|csum|encode|decode|gateway|txonly|flowgen)");
  EXPECT_EQ(error_of({"--port-topology", "ring"}),
            "--port-topology: unknown value 'ring' (expected auto|paired|chained|loop)");
  EXPECT_EQ(error_of({"--duration", "soon"}),
            "--duration: expected a number of seconds, got 'soon'");
  EXPECT_EQ(error_of({"--duration", "-1"}), "--duration: '-1' is out of range 0..1e+09");
  EXPECT_EQ(error_of({"--duration", "nan"}), "--duration: expected a number of seconds, got 'nan'");
  EXPECT_EQ(error_of({"--stats-period", "inf"}),
            "--stats-period: expected a number of seconds, got 'inf'");
  EXPECT_EQ(error_of({"--max-frame", "63"}), "--max-frame: '63' is out of range 64..65535");
  EXPECT_EQ(error_of({"--rxq", "65"}), "--rxq: '65' is out of range 1..64");
  EXPECT_EQ(error_of({"--rxd", "16"}), "--rxd: '16' is out of range 32..32768");
  EXPECT_EQ(error_of({"--mbufs", "10"}), "--mbufs: '10' is out of range 64..67108864");
  EXPECT_EQ(error_of({"--mbufs", "100", "--mbuf-cache", "64"}),
            "--mbuf-cache: 64 is more than half of --mbufs 100");
  EXPECT_EQ(error_of({"--ports", ""}), "--ports: expected a comma-separated list of port ids");
  EXPECT_EQ(error_of({"--ports=0,0"}), "--ports: port listed twice in '0,0'");
  EXPECT_EQ(error_of({"--ports=3-1"}), "--ports: range '3-1' is reversed");
  EXPECT_EQ(error_of({"--ports=0,"}), "--ports: expected an integer, got ''");
  EXPECT_EQ(error_of({"--stats-json="}), "--stats-json: expected a file name");
  EXPECT_EQ(error_of({"--quiet=yes"}), "--quiet: takes no value");
  EXPECT_EQ(error_of({"--bogus"}), "unknown option '--bogus' (see --help)");
  EXPECT_EQ(error_of({"fwd"}), "unexpected argument 'fwd' (options start with --; see --help)");
  EXPECT_EQ(error_of({"--config-file", "/nonexistent/x.conf"}),
            "--config-file: cannot read '/nonexistent/x.conf'");
  EXPECT_EQ(error_of({"--config-file"}), "--config-file: needs a file name");
}

TEST(AppConfig, CodecAndValidationOptions) {
  AppConfig c = parse({"--fwd",
                       "gateway",
                       "--wan-ports",
                       "1,3",
                       "--mtu",
                       "9000",
                       "--keyframe-interval",
                       "0",
                       "--keyframe-ms",
                       "250",
                       "--flow-capacity",
                       "1024",
                       "--tunnel-src",
                       "10.0.0.1",
                       "--tunnel-dst=10.0.0.2",
                       "--tunnel-port",
                       "4000",
                       "--tunnel-src-mac",
                       "aa:bb:cc:dd:ee:ff",
                       "--simd",
                       "scalar",
                       "--verify-l4-checksum",
                       "on",
                       "--drop-ttl-zero",
                       "off",
                       "--drop-unknown-ethertype",
                       "yes"});
  EXPECT_EQ(c.engine, Engine::kGateway);
  EXPECT_EQ(c.wan_ports, (std::vector<uint16_t>{1, 3}));
  EXPECT_EQ(c.mtu, 9000u);
  EXPECT_EQ(c.keyframe_interval, 0u);
  EXPECT_EQ(c.keyframe_ms, 250u);
  EXPECT_EQ(c.flow_capacity, 1024u);
  EXPECT_EQ(format_ipv4(c.tunnel_src_ip), "10.0.0.1");
  EXPECT_EQ(format_ipv4(c.tunnel_dst_ip), "10.0.0.2");
  EXPECT_EQ(c.tunnel_port, 4000);
  EXPECT_EQ(format_mac(c.tunnel_src_mac), "aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(c.simd, SimdLevel::kScalar);
  EXPECT_TRUE(c.verify_l4_checksum);
  EXPECT_FALSE(c.drop_ttl_zero);
  EXPECT_TRUE(c.drop_unknown_ethertype);
  EXPECT_TRUE(engine_uses_codec(c.engine));
}

TEST(AppConfig, CodecOptionErrors) {
  EXPECT_EQ(error_of({"--wan-ports", "1"}), "--wan-ports: only valid with --fwd gateway");
  EXPECT_EQ(error_of({"--fwd", "gateway", "--ports", "0,1", "--wan-ports", "2"}),
            "--wan-ports: port 2 is not in --ports");
  EXPECT_EQ(error_of({"--mtu", "100"}), "--mtu: '100' is out of range 576..9600");
  EXPECT_EQ(error_of({"--tunnel-src", "10.0.0"}),
            "--tunnel-src: expected an IPv4 address a.b.c.d, got '10.0.0'");
  EXPECT_EQ(error_of({"--tunnel-src", "10.0.0.256"}),
            "--tunnel-src: expected an IPv4 address a.b.c.d, got '10.0.0.256'");
  EXPECT_EQ(error_of({"--tunnel-dst", "1.2.3.4.5"}),
            "--tunnel-dst: expected an IPv4 address a.b.c.d, got '1.2.3.4.5'");
  EXPECT_EQ(error_of({"--tunnel-dst-mac", "aa:bb:cc:dd:ee"}),
            "--tunnel-dst-mac: expected a MAC address aa:bb:cc:dd:ee:ff, got 'aa:bb:cc:dd:ee'");
  EXPECT_EQ(error_of({"--tunnel-dst-mac", "aa:bb:cc:dd:ee:gg"}),
            "--tunnel-dst-mac: expected a MAC address aa:bb:cc:dd:ee:ff, got 'aa:bb:cc:dd:ee:gg'");
  EXPECT_EQ(error_of({"--csum-offload", "on"}),
            "--csum-offload: unknown value 'on' (expected auto|off)");
  EXPECT_FALSE(parse({"--csum-offload", "off"}).csum_offload);
  EXPECT_TRUE(parse({}).csum_offload);
  EXPECT_EQ(error_of({"--verify-l4-checksum", "maybe"}),
            "--verify-l4-checksum: expected on|off, got 'maybe'");
  EXPECT_EQ(error_of({"--simd", "avx512"}),
            "--simd: unknown value 'avx512' (expected auto|scalar|sse42|avx2)");
  EXPECT_EQ(error_of({"--flow-capacity", "10"}),
            "--flow-capacity: '10' is out of range 64..4194304");
}

TEST(AppConfig, LastValueWins) {
  AppConfig c = parse({"--burst", "8", "--burst=16"});
  EXPECT_EQ(c.burst, 16);
}

TEST(QueueMap, ParsesL3fwdSyntax) {
  auto m = parse_queue_map("(0,0,1),(0,1,2), (1,0,1)");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0], (QueueMapping{0, 0, 1}));
  EXPECT_EQ(m[1], (QueueMapping{0, 1, 2}));
  EXPECT_EQ(m[2], (QueueMapping{1, 0, 1}));
  AppConfig c = parse({"--config", "( 0 , 0 , 1 )"});
  ASSERT_EQ(c.queue_map.size(), 1u);
}

TEST(QueueMap, RejectsMalformed) {
  auto err = [](std::string_view s) {
    try {
      parse_queue_map(s);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(err(""), "--config: expected \"(port,queue,lcore),...\", got an empty string");
  EXPECT_EQ(err("(0,0)"), "--config: tuple (0,0) needs 3 fields: port,queue,lcore");
  EXPECT_EQ(err("(0,0,1,2)"), "--config: tuple (0,0,1,2) has more than 3 fields");
  EXPECT_EQ(err("(0,0,1"), "--config: missing ')' in \"(0,0,1\"");
  EXPECT_EQ(err("0,0,1"), "--config: expected '(' at offset 0 in \"0,0,1\"");
  EXPECT_EQ(err("(0,0,1)(1,0,1)"), "--config: expected ',' between tuples at offset 7");
  EXPECT_EQ(err("(0,0,1),"), "--config: trailing ',' in \"(0,0,1),\"");
  EXPECT_EQ(err("(0,x,1)"), "--config: expected an integer, got 'x'");
  EXPECT_EQ(err("(0,0,1),(0,0,2)"), "--config: port 0 queue 0 is mapped twice");
  EXPECT_EQ(err("(2000,0,1)"), "--config: '2000' is out of range 0..1023");
  EXPECT_EQ(err("(0,0,5000)"), "--config: '5000' is out of range 0..1023");
}

TEST(ConfigFile, TurnsLinesIntoArguments) {
  auto a = config_file_args(
      "# comment\nfwd = macswap\n\nburst 64   # trailing\nquiet\nconfig \"(0,0,1)\"\n", "x.conf");
  EXPECT_EQ(a, (std::vector<std::string>{"--fwd", "macswap", "--burst", "64", "--quiet", "--config",
                                         "(0,0,1)"}));
  try {
    config_file_args("ok 1\n--burst 3\n", "y.conf");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "y.conf:2: write option names without dashes ('--burst')");
  }
}

TEST(ConfigFile, IsReadThroughTheCommandLine) {
  std::string path = testing::TempDir() + "/dp_test.conf";
  {
    std::ofstream f(path);
    f << "fwd macswap\nburst = 16\nbogus 1\n";
  }
  EXPECT_EQ(error_of({"--config-file", path}), "unknown option '--bogus' (see --help)");
  {
    std::ofstream f(path);
    f << "fwd macswap\nburst = 16\n";
  }
  AppConfig c = parse({"--config-file", path, "--burst", "8"});
  EXPECT_EQ(c.engine, Engine::kMacswap);
  EXPECT_EQ(c.burst, 8);  // the command line after the file overrides it
  std::vector<std::string_view> selfref;
  {
    std::ofstream f(path);
    f << "config-file " << path << "\n";
  }
  EXPECT_EQ(error_of({"--config-file", path}),
            "--config-file: files include each other too deeply");
}

TEST(AppConfig, GeneratedFramesMustFitOneMbuf) {
  EXPECT_EQ(error_of({"--fwd", "txonly", "--txpkts", "9000"}),
            "--txpkts: 9000 does not fit one mbuf of --mbuf-size 2048 (raise --mbuf-size to at "
            "least 9000)");
  EXPECT_EQ(parse({"--txpkts", "9000", "--mbuf-size", "9000"}).tx_pkt_len, 9000);
  EXPECT_EQ(parse({"--txpkts", "2048"}).tx_pkt_len, 2048);
}

TEST(AppConfig, Backpressure) {
  EXPECT_EQ(parse({}).backpressure, Backpressure::kAuto);
  EXPECT_EQ(parse({"--backpressure", "block"}).backpressure, Backpressure::kBlock);
  EXPECT_EQ(parse({"--backpressure", "drop"}).backpressure, Backpressure::kDrop);
  EXPECT_EQ(error_of({"--backpressure", "wait"}),
            "--backpressure: unknown value 'wait' (expected drop|retry|block|auto)");
}

TEST(AppConfig, HelpGivesEveryNumericRange) {
  const std::string u = usage();
  EXPECT_NE(u.find("--burst V              packets per rx/tx burst [1..512, default 32]"),
            std::string::npos);
  EXPECT_NE(u.find("[0..86400 s, default 1]"), std::string::npos);  // --stats-period
}

}  // namespace
}  // namespace deltaplane::config
