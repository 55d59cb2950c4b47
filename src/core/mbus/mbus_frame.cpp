// M-bus telegram framing and encoding (EN 13757-2).
#include "core/mbus/mbus_frame.hpp"

#include <algorithm>
#include <array>
#include <numeric>

namespace ambi {
namespace {

constexpr std::size_t kShortLength = 5;
constexpr std::size_t kLongOverhead = 6;  // 68 L L 68 ... CS 16
constexpr std::uint8_t kMinL = 3;         // C A CI

constexpr bool is_start(std::uint8_t byte) {
  return byte == kMbusAck || byte == kMbusShortStart || byte == kMbusLongStart;
}

}  // namespace

MbusFrame mbus_single() {
  return MbusFrame{};
}

MbusFrame mbus_short(std::uint8_t c, std::uint8_t a) {
  return MbusFrame{MbusFrameKind::short_frame, c, a, 0, {}};
}

MbusFrame mbus_long(std::uint8_t c, std::uint8_t a, std::uint8_t ci,
                    std::span<const std::uint8_t> data) {
  const MbusFrameKind kind = data.empty() ? MbusFrameKind::control : MbusFrameKind::long_frame;
  return MbusFrame{kind, c, a, ci, {data.begin(), data.end()}};
}

std::uint8_t mbus_checksum(std::span<const std::uint8_t> bytes) {
  return static_cast<std::uint8_t>(std::accumulate(
      bytes.begin(), bytes.end(), 0U, [](unsigned s, std::uint8_t b) { return s + b; }));
}

std::vector<std::uint8_t> encode_mbus(const MbusFrame& frame) {
  if (frame.kind == MbusFrameKind::single) return {kMbusAck};
  if (frame.kind == MbusFrameKind::short_frame) {
    const std::array<std::uint8_t, 2> body{frame.c, frame.a};
    return {kMbusShortStart, frame.c, frame.a, mbus_checksum(body), kMbusStop};
  }
  const std::size_t data_size = frame.kind == MbusFrameKind::control ? 0 : frame.data.size();
  if (data_size > kMbusMaxData) return {};
  const auto length = static_cast<std::uint8_t>(kMinL + data_size);
  std::vector<std::uint8_t> out{kMbusLongStart, length,  length,  kMbusLongStart,
                                frame.c,        frame.a, frame.ci};
  out.insert(out.end(), frame.data.begin(),
             frame.data.begin() + static_cast<std::ptrdiff_t>(data_size));
  out.push_back(mbus_checksum(std::span(out).subspan(4)));
  out.push_back(kMbusStop);
  return out;
}

std::string_view to_string(MbusDiscard::Reason reason) {
  static constexpr std::array<std::string_view, 4> kNames{"garbage", "bad header", "bad stop byte",
                                                          "bad checksum"};
  return kNames[static_cast<std::size_t>(reason)];
}

void MbusFramer::forget_polled() {
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(polled_));
  polled_ = 0;
}

MbusEvent MbusFramer::take(std::size_t bytes, MbusEvent event) {
  polled_ = bytes;
  return event;
}

void MbusFramer::push(std::span<const std::uint8_t> bytes) {
  forget_polled();
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

MbusEvent MbusFramer::poll() {
  forget_polled();
  if (buffer_.empty()) return MbusNeedMore{};
  const auto start = std::find_if(buffer_.begin(), buffer_.end(), is_start);
  if (start != buffer_.begin()) {
    return drop(MbusDiscard::Reason::garbage, static_cast<std::size_t>(start - buffer_.begin()));
  }
  if (buffer_[0] == kMbusAck) return take(1, mbus_single());
  return buffer_[0] == kMbusShortStart ? short_frame() : long_frame();
}

MbusEvent MbusFramer::drop(MbusDiscard::Reason reason, std::size_t bytes) {
  return take(bytes, MbusDiscard{reason, bytes});
}

MbusEvent MbusFramer::short_frame() {
  if (buffer_.size() < kShortLength) return MbusNeedMore{};
  if (buffer_[4] != kMbusStop) return drop(MbusDiscard::Reason::bad_stop, 1);
  if (mbus_checksum(std::span(buffer_).subspan(1, 2)) != buffer_[3]) {
    return drop(MbusDiscard::Reason::bad_checksum, kShortLength);
  }
  return take(kShortLength, mbus_short(buffer_[1], buffer_[2]));
}

MbusEvent MbusFramer::long_frame() {
  if (buffer_.size() < 4) return MbusNeedMore{};
  const std::uint8_t length = buffer_[1];
  if (buffer_[2] != length || buffer_[3] != kMbusLongStart || length < kMinL) {
    return drop(MbusDiscard::Reason::bad_header, 1);
  }
  const std::size_t total = length + kLongOverhead;
  if (buffer_.size() < total) return MbusNeedMore{};
  if (buffer_[total - 1] != kMbusStop) return drop(MbusDiscard::Reason::bad_stop, 1);
  const auto body = std::span(buffer_).subspan(4, length);
  if (mbus_checksum(body) != buffer_[total - 2]) {
    return drop(MbusDiscard::Reason::bad_checksum, total);
  }
  return take(total, mbus_long(body[0], body[1], body[2], body.subspan(3)));
}

}  // namespace ambi
