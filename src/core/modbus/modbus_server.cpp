// Routing by unit id and the one-frame server steps of RTU and TCP.
#include "core/modbus/modbus_server.hpp"

#include "core/meter/meter.hpp"

namespace ambi {

Route rtu_route(std::uint8_t unit, std::uint8_t own_id, std::uint8_t function,
                const ModbusQuirks& quirks) {
  if (unit == own_id) return Route::execute_and_reply;
  if (unit != 0) return Route::ignore;
  if (!is_read_function(function)) return Route::execute_silently;
  return quirks.answer_unit_zero ? Route::execute_and_reply : Route::ignore;
}

RtuExchange route_rtu(const Meter& meter, const RtuFrame& frame, const ModbusQuirks& quirks) {
  RtuExchange exchange;
  exchange.unit = frame.unit();
  exchange.request = parse_request(frame.pdu());
  exchange.route =
      rtu_route(exchange.unit, meter.settings().modbus_id, function_of(exchange.request), quirks);
  exchange.no_supply = !meter.powered();
  return exchange;
}

void serve_rtu(Meter& meter, RtuExchange& exchange, const ModbusQuirks& quirks) {
  if (!meter.powered()) {  // no supply, no transceiver (manual 5.8)
    exchange.no_supply = true;
    return;
  }
  if (exchange.route == Route::ignore) return;
  exchange.reply_unit = meter.settings().modbus_id;
  std::vector<std::uint8_t>& reply = exchange.reply;
  reply.reserve(kMaxRtuFrame);  // the CRC appended below moves no response bytes
  reply.push_back(exchange.reply_unit);
  PduAnswer answer = append_pdu_reply(meter, exchange.request, quirks, reply);
  exchange.link = answer.link;
  if (exchange.route == Route::execute_silently || !answer.response) {
    reply.clear();
    return;
  }
  append_rtu_crc(reply);
  exchange.response = answer.response;
}

RtuExchange serve_rtu(Meter& meter, const RtuFrame& frame, const ModbusQuirks& quirks) {
  RtuExchange exchange = route_rtu(meter, frame, quirks);
  serve_rtu(meter, exchange, quirks);
  return exchange;
}

MbapExchange serve_mbap_into(Meter& meter, const MbapView& request, const ModbusQuirks& quirks,
                             std::vector<std::uint8_t>& out) {
  MbapExchange exchange;
  exchange.request = parse_request(request.pdu);
  exchange.route = tcp_route(request.unit, meter.settings().modbus_id);
  if (!meter.powered()) {  // a meter without supply is silent (manual 5.8)
    exchange.no_supply = true;
    return exchange;
  }
  const std::size_t at = out.size();
  append_mbap_header(out, request.transaction, request.unit);
  if (exchange.route == Route::gateway_answer) {
    const ExceptionResponse gateway{function_of(exchange.request),
                                    ExceptionCode::gateway_target_failed};
    encode_response(gateway, out);
    exchange.response = gateway;
  } else {
    PduAnswer answer = append_pdu_reply(meter, exchange.request, quirks, out);
    exchange.response = answer.response;
    exchange.link = answer.link;
  }
  if (!exchange.response) {
    out.resize(at);  // nothing to answer
    return exchange;
  }
  finish_mbap(out, at);
  exchange.reply_at = at;
  exchange.reply_size = out.size() - at;
  return exchange;
}

MbapReply serve_mbap(Meter& meter, const MbapFrame& frame, const ModbusQuirks& quirks) {
  MbapReply reply;
  const MbapExchange exchange = serve_mbap_into(
      meter, MbapView{frame.transaction, frame.unit, frame.pdu, {}}, quirks, reply.reply);
  reply.link = exchange.link;
  return reply;
}

}  // namespace ambi
