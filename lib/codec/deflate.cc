#include "codec/deflate.hh"

#include <isa-l/igzip_lib.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

namespace deltaplane::codec {

struct DeflateContext::State {
  isal_zstream stream;
  inflate_state inflate;
  std::vector<std::uint8_t> level_buf;
};

namespace {

std::size_t level_buf_size(int level) {
  switch (level) {
    case 0: return ISAL_DEF_LVL0_DEFAULT;
    case 1: return ISAL_DEF_LVL1_DEFAULT;
    case 2: return ISAL_DEF_LVL2_DEFAULT;
    case 3: return ISAL_DEF_LVL3_DEFAULT;
    default: throw std::invalid_argument("deflate level must be 0..3");
  }
}

constexpr std::size_t kMaxLen = std::numeric_limits<std::uint32_t>::max();

}  // namespace

DeflateContext::DeflateContext(int level) : state_(std::make_unique<State>()), level_(level) {
  state_->level_buf.resize(level_buf_size(level));
}

DeflateContext::~DeflateContext() = default;

std::size_t DeflateContext::compress(const std::uint8_t* in, std::size_t n, std::uint8_t* out,
                                     std::size_t capacity) noexcept {
  if (n > kMaxLen || capacity == 0) return 0;
  isal_zstream& s = state_->stream;
  isal_deflate_stateless_init(&s);
  s.level = static_cast<std::uint32_t>(level_);
  s.level_buf = state_->level_buf.empty() ? nullptr : state_->level_buf.data();
  s.level_buf_size = static_cast<std::uint32_t>(state_->level_buf.size());
  s.next_in = const_cast<std::uint8_t*>(in);  // igzip only reads it
  s.avail_in = static_cast<std::uint32_t>(n);
  s.next_out = out;
  s.avail_out = static_cast<std::uint32_t>(capacity < kMaxLen ? capacity : kMaxLen);
  s.end_of_stream = 1;
  s.flush = NO_FLUSH;
  s.gzip_flag = IGZIP_DEFLATE;
  if (isal_deflate_stateless(&s) != COMP_OK || s.avail_in != 0) return 0;
  return s.total_out;
}

bool DeflateContext::decompress(const std::uint8_t* in, std::size_t in_len, std::uint8_t* out,
                                std::size_t n) noexcept {
  if (in_len > kMaxLen || n > kMaxLen) return false;
  inflate_state& s = state_->inflate;
  isal_inflate_init(&s);
  s.next_in = const_cast<std::uint8_t*>(in);
  s.avail_in = static_cast<std::uint32_t>(in_len);
  s.next_out = out;
  s.avail_out = static_cast<std::uint32_t>(n);
  s.crc_flag = ISAL_DEFLATE;
  const int rc = isal_inflate_stateless(&s);
  return rc == ISAL_DECOMP_OK && s.block_state == ISAL_BLOCK_FINISH && s.total_out == n &&
         s.avail_in == 0;
}

}  // namespace deltaplane::codec
