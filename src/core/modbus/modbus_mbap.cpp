// MBAP header parsing and encoding, and the one-request TCP server step.
#include "core/modbus/modbus_mbap.hpp"

#include <array>

#include "core/meter/meter.hpp"

namespace ambi {
namespace {

constexpr std::size_t kHeader = 7;  // transaction, protocol, length, unit

}  // namespace

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
  if (rest.size() < kHeader) return MbapNeedMore{};
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
  return MbapView{be16(rest, 0), rest[6], rest.subspan(kHeader, total - kHeader)};
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
  out.reserve(kHeader + pdu.size());
  append_be16(out, transaction);
  append_be16(out, 0);
  append_be16(out, static_cast<std::uint16_t>(pdu.size() + 1));
  out.push_back(unit);
  out.insert(out.end(), pdu.begin(), pdu.end());
  return out;
}

LinkChange serve_mbap_into(Meter& meter, const MbapView& request, const ModbusQuirks& quirks,
                           std::vector<std::uint8_t>& out) {
  if (!meter.powered()) return {};  // a meter without supply is silent (manual 5.8)
  const std::size_t at = out.size();
  append_be16(out, request.transaction);
  append_be16(out, 0);
  append_be16(out, 0);  // the length, once the PDU is known
  out.push_back(request.unit);
  LinkChange link;
  if (!tcp_unit_served(request.unit, meter.settings().modbus_id)) {
    append_exception_pdu(out, request.pdu.empty() ? 0 : request.pdu[0],
                         ExceptionCode::gateway_target_failed);
  } else {
    link = append_pdu_reply(meter, request.pdu, quirks, out);
  }
  const std::size_t pdu_size = out.size() - at - kHeader;
  if (pdu_size == 0) {
    out.resize(at);  // nothing to answer
    return link;
  }
  const auto length = static_cast<std::uint16_t>(pdu_size + 1);
  out[at + 4] = static_cast<std::uint8_t>(length >> 8);
  out[at + 5] = static_cast<std::uint8_t>(length & 0xFFU);
  return link;
}

MbapExchange serve_mbap(Meter& meter, const MbapFrame& frame, const ModbusQuirks& quirks) {
  MbapExchange exchange;
  exchange.link = serve_mbap_into(meter, MbapView{frame.transaction, frame.unit, frame.pdu}, quirks,
                                  exchange.reply);
  return exchange;
}

}  // namespace ambi
