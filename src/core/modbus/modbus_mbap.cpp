// MBAP header parsing and encoding.
#include "core/modbus/modbus_mbap.hpp"

#include <array>

namespace ambi {

std::string_view to_string(MbapError::Reason reason) {
  static constexpr std::array<std::string_view, 2> kNames{"protocol id is not 0",
                                                          "length out of range 2-254"};
  return kNames[static_cast<std::size_t>(reason)];
}

void MbapFramer::push(std::span<const std::uint8_t> bytes) {
  if (error_) return;
  // What was handed out goes now, once per push rather than once per request.
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(head_));
  head_ = 0;
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

MbapViewEvent MbapFramer::next() {
  if (error_) return *error_;
  const auto rest = std::span<const std::uint8_t>(buffer_).subspan(head_);
  if (rest.size() < kMbapHeader) return MbapNeedMore{};
  const std::uint16_t protocol = be16(rest, 2);
  const std::uint16_t length = be16(rest, 4);
  if (protocol != 0) error_ = MbapError{MbapError::Reason::bad_protocol, protocol};
  if (!error_ && (length < kMinMbapLength || length > kMaxMbapLength)) {
    error_ = MbapError{MbapError::Reason::bad_length, length};
  }
  if (error_) {
    buffer_.clear();
    head_ = 0;
    return *error_;
  }
  const std::size_t total = 6 + std::size_t{length};
  if (rest.size() < total) return MbapNeedMore{};
  head_ += total;
  return MbapView{be16(rest, 0), rest[6], rest.subspan(kMbapHeader, total - kMbapHeader),
                  rest.first(total)};
}

MbapEvent MbapFramer::poll() {
  MbapViewEvent event = next();
  if (const auto* view = std::get_if<MbapView>(&event)) {
    return MbapFrame{view->transaction, view->unit, {view->pdu.begin(), view->pdu.end()}};
  }
  if (const auto* error = std::get_if<MbapError>(&event)) return *error;
  return MbapNeedMore{};
}

std::vector<std::uint8_t> encode_mbap(std::uint16_t transaction, std::uint8_t unit,
                                      std::span<const std::uint8_t> pdu) {
  std::vector<std::uint8_t> out;
  out.reserve(kMbapHeader + pdu.size());
  append_mbap_header(out, transaction, unit);
  out.insert(out.end(), pdu.begin(), pdu.end());
  finish_mbap(out, 0);
  return out;
}

void append_mbap_header(std::vector<std::uint8_t>& out, std::uint16_t transaction,
                        std::uint8_t unit) {
  append_be16(out, transaction);
  append_be16(out, 0);  // protocol
  append_be16(out, 0);  // length, set by finish_mbap
  out.push_back(unit);
}

void finish_mbap(std::vector<std::uint8_t>& out, std::size_t at) {
  const auto length = static_cast<std::uint16_t>(out.size() - at - kMbapHeader + 1);
  out[at + 4] = static_cast<std::uint8_t>(length >> 8);
  out[at + 5] = static_cast<std::uint8_t>(length & 0xFFU);
}

}  // namespace ambi
