// RTU framing by function code and the CRC check.
#include "core/modbus/modbus_rtu.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "core/codec/crc16.hpp"

namespace ambi {
namespace {

constexpr std::size_t kMinRtuFrame = 4;  // unit, function, CRC

/// The length of a request of one function code (V1.1b3, section 6): `fixed` bytes in
/// all, or a byte count at offset `count_at` followed by that many bytes and the CRC.
struct LengthRule {
  std::uint8_t function;
  std::uint8_t fixed;
  std::uint8_t count_at;
};
constexpr std::array<LengthRule, 18> kLengthRules{{
    {0x01, 8, 0},
    {0x02, 8, 0},
    {0x03, 8, 0},
    {0x04, 8, 0},
    {0x05, 8, 0},
    {0x06, 8, 0},
    {0x07, 4, 0},
    {0x08, 8, 0},
    {0x0B, 4, 0},
    {0x0C, 4, 0},
    {0x0F, 0, 6},
    {0x10, 0, 6},
    {0x11, 4, 0},
    {0x14, 0, 2},
    {0x15, 0, 2},
    {0x16, 10, 0},
    {0x17, 0, 10},
    {0x18, 6, 0},
}};

struct Length {
  enum class Kind : std::uint8_t { known, need_more, unknown } kind;
  std::size_t total = 0;
};

Length request_length(std::span<const std::uint8_t> frame) {
  if (frame.size() < 2) return {Length::Kind::need_more};
  const auto rule = std::find_if(kLengthRules.begin(), kLengthRules.end(),
                                 [fc = frame[1]](const LengthRule& r) { return r.function == fc; });
  if (rule == kLengthRules.end()) return {Length::Kind::unknown};
  if (rule->fixed != 0) return {Length::Kind::known, rule->fixed};
  if (frame.size() <= rule->count_at) return {Length::Kind::need_more};
  return {Length::Kind::known, std::size_t{rule->count_at} + 1 + frame[rule->count_at] + 2};
}

}  // namespace

std::string_view to_string(RtuDiscard::Reason reason) {
  static constexpr std::array<std::string_view, 5> kNames{
      "bad CRC", "incomplete frame", "frame too short", "frame too long",
      "frame interrupted by a gap of more than 1.5 characters"};
  return kNames[static_cast<std::size_t>(reason)];
}

void RtuFramer::push(std::span<const std::uint8_t> bytes) {
  if (skipping_) return;
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

RtuEvent RtuFramer::poll() {
  if (skipping_) return RtuNeedMore{};
  const Length length = request_length(buffer_);
  if (length.kind == Length::Kind::known && length.total > kMaxRtuFrame) {
    return discard(RtuDiscard::Reason::too_long, buffer_.size(), true);
  }
  if (length.kind == Length::Kind::known && buffer_.size() >= length.total)
    return take(length.total);
  if (buffer_.size() > kMaxRtuFrame)
    return discard(RtuDiscard::Reason::too_long, buffer_.size(), true);
  return RtuNeedMore{};
}

RtuEvent RtuFramer::on_silence() {
  if (std::exchange(skipping_, false) || buffer_.empty()) {
    buffer_.clear();
    return RtuNeedMore{};
  }
  const Length length = request_length(buffer_);
  RtuEvent event = RtuDiscard{RtuDiscard::Reason::incomplete, buffer_.size()};
  if (buffer_.size() < kMinRtuFrame) {
    event = RtuDiscard{RtuDiscard::Reason::too_short, buffer_.size()};
  } else if (length.kind == Length::Kind::unknown) {
    event = take(buffer_.size());
  } else if (length.kind == Length::Kind::known && buffer_.size() >= length.total) {
    event = take(length.total);
  }
  buffer_.clear();
  skipping_ = false;
  return event;
}

RtuEvent RtuFramer::on_gap() {
  if (skipping_ || buffer_.empty()) return RtuNeedMore{};
  return discard(RtuDiscard::Reason::interrupted, buffer_.size(), true);
}

RtuEvent RtuFramer::take(std::size_t length) {
  const auto frame = std::span(buffer_).first(length);
  if (!rtu_crc_matches(frame)) return discard(RtuDiscard::Reason::bad_crc, buffer_.size(), true);
  RtuFrame out{{frame.begin(), frame.end()}};
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(length));
  return out;
}

RtuEvent RtuFramer::discard(RtuDiscard::Reason reason, std::size_t bytes, bool resync) {
  buffer_.clear();
  skipping_ = resync;
  return RtuDiscard{reason, bytes};
}

std::vector<std::uint8_t> encode_rtu(std::uint8_t unit, std::span<const std::uint8_t> pdu) {
  std::vector<std::uint8_t> out;
  out.reserve(pdu.size() + 3);
  out.push_back(unit);
  out.insert(out.end(), pdu.begin(), pdu.end());
  append_rtu_crc(out);
  return out;
}

void append_rtu_crc(std::vector<std::uint8_t>& frame) {
  const std::uint16_t crc = crc16_modbus(frame);
  frame.push_back(static_cast<std::uint8_t>(crc & 0xFFU));
  frame.push_back(static_cast<std::uint8_t>(crc >> 8));
}

bool rtu_crc_matches(std::span<const std::uint8_t> frame) {
  if (frame.size() < 2) return false;
  const std::size_t body = frame.size() - 2;
  const auto sent = static_cast<std::uint16_t>(frame[body] | (frame[body + 1] << 8));
  return crc16_modbus(frame.first(body)) == sent;
}

}  // namespace ambi
