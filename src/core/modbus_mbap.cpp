// MBAP header parsing and encoding, and the one-request TCP server step.
#include "core/modbus_mbap.hpp"

#include <array>

#include "core/meter.hpp"

namespace ambi {
namespace {

constexpr std::size_t kHeader = 7;  // transaction, protocol, length, unit

std::uint16_t be16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}
void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xFFU));
}

}  // namespace

std::string_view to_string(MbapError::Reason reason) {
  static constexpr std::array<std::string_view, 2> kNames{"protocol id is not 0",
                                                          "length out of range 2-254"};
  return kNames[static_cast<std::size_t>(reason)];
}

void MbapFramer::push(std::span<const std::uint8_t> bytes) {
  if (!error_) buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

MbapEvent MbapFramer::poll() {
  if (error_) return *error_;
  if (buffer_.size() < kHeader) return MbapNeedMore{};
  const std::uint16_t protocol = be16(buffer_, 2);
  const std::uint16_t length = be16(buffer_, 4);
  if (protocol != 0) error_ = MbapError{MbapError::Reason::bad_protocol, protocol};
  if (!error_ && (length < kMinMbapLength || length > kMaxMbapLength)) {
    error_ = MbapError{MbapError::Reason::bad_length, length};
  }
  if (error_) {
    buffer_.clear();
    return *error_;
  }
  const std::size_t total = 6 + std::size_t{length};
  if (buffer_.size() < total) return MbapNeedMore{};
  MbapFrame frame{
      be16(buffer_, 0),
      buffer_[6],
      {buffer_.begin() + kHeader, buffer_.begin() + static_cast<std::ptrdiff_t>(total)}};
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(total));
  return frame;
}

std::vector<std::uint8_t> encode_mbap(std::uint16_t transaction, std::uint8_t unit,
                                      std::span<const std::uint8_t> pdu) {
  std::vector<std::uint8_t> out;
  out.reserve(kHeader + pdu.size());
  put16(out, transaction);
  put16(out, 0);
  put16(out, static_cast<std::uint16_t>(pdu.size() + 1));
  out.push_back(unit);
  out.insert(out.end(), pdu.begin(), pdu.end());
  return out;
}

MbapExchange serve_mbap(Meter& meter, const MbapFrame& frame, const ModbusQuirks& quirks) {
  const std::uint8_t function = frame.pdu.empty() ? 0 : frame.pdu[0];
  if (!tcp_unit_served(frame.unit, meter.settings().modbus_id)) {
    return {encode_mbap(frame.transaction, frame.unit,
                        exception_pdu(function, ExceptionCode::gateway_target_failed)),
            {}};
  }
  ModbusReply reply = handle_pdu(meter, frame.pdu, quirks);
  if (reply.pdu.empty()) return {{}, reply.link};
  return {encode_mbap(frame.transaction, frame.unit, reply.pdu), reply.link};
}

}  // namespace ambi
