// The gateway's own answers: its identity registers on unit 255, exception 0B for nobody.
#include "core/modbus/modbus_gateway.hpp"

namespace ambi {

namespace {

Response append_exception(std::uint8_t function, ExceptionCode code,
                          std::vector<std::uint8_t>& out) {
  const ExceptionResponse exception{function, code};
  encode_response(exception, out);
  return exception;
}

/// Frames the PDU `append` adds to `out` as the reply to `request`.
template <class Append>
MbapExchange mbap_reply(const MbapView& request, std::vector<std::uint8_t>& out, Append&& append) {
  MbapExchange exchange;
  exchange.route = Route::gateway_answer;
  exchange.request = parse_request(request.pdu);
  const std::size_t at = out.size();
  append_mbap_header(out, request.transaction, request.unit);
  exchange.response = std::forward<Append>(append)(exchange.request);
  if (!exchange.response) {
    out.resize(at);
    return exchange;
  }
  finish_mbap(out, at);
  exchange.reply_at = at;
  exchange.reply_size = out.size() - at;
  return exchange;
}

}  // namespace

std::array<std::uint16_t, kGatewayIdentityCount> gateway_registers(
    const GatewayIdentity& identity) {
  return {identity.device_type,
          identity.hardware_version,
          identity.firmware_version,
          static_cast<std::uint16_t>(identity.serial_bcd >> 16),
          static_cast<std::uint16_t>(identity.serial_bcd & 0xFFFF),
          identity.meters,
          identity.first_unit,
          identity.last_unit,
          0,
          0,
          0,
          0,
          0};
}

std::optional<Response> append_gateway_pdu(const GatewayIdentity& identity,
                                           const ParsedRequest& request,
                                           std::vector<std::uint8_t>& out) {
  if (!request) {
    const auto code = request.error().exception();
    if (!code) return std::nullopt;  // an empty PDU: nothing to answer
    return append_exception(request.error().function, *code, out);
  }
  const auto* read = std::get_if<ReadRegistersRequest>(&*request);
  if (read == nullptr)
    return append_exception(function_of(*request), ExceptionCode::illegal_function, out);
  const unsigned end = unsigned{read->address} + read->count;
  if (read->address < kGatewayIdentityAddress ||
      end > unsigned{kGatewayIdentityAddress} + kGatewayIdentityCount) {
    return append_exception(read->function, ExceptionCode::illegal_data_address, out);
  }
  const auto words = gateway_registers(identity);
  out.push_back(read->function);
  out.push_back(static_cast<std::uint8_t>(2 * read->count));
  const std::size_t first = out.size();
  for (unsigned a = read->address; a < end; ++a)
    append_be16(out, words[a - kGatewayIdentityAddress]);
  return ReadRegistersResponse{read->function, RegisterWords{std::span(out).subspan(first)}};
}

MbapExchange serve_gateway_mbap_into(const GatewayIdentity& identity, const MbapView& request,
                                     std::vector<std::uint8_t>& out) {
  return mbap_reply(request, out, [&](const ParsedRequest& parsed) {
    return append_gateway_pdu(identity, parsed, out);
  });
}

MbapExchange absent_target_mbap_into(const MbapView& request, std::vector<std::uint8_t>& out) {
  return mbap_reply(request, out, [&](const ParsedRequest& parsed) -> std::optional<Response> {
    return append_exception(function_of(parsed), ExceptionCode::gateway_target_failed, out);
  });
}

MbapExchange busy_gateway_mbap_into(const MbapView& request, std::vector<std::uint8_t>& out) {
  return mbap_reply(request, out, [&](const ParsedRequest& parsed) -> std::optional<Response> {
    return append_exception(function_of(parsed), ExceptionCode::server_device_busy, out);
  });
}

}  // namespace ambi
