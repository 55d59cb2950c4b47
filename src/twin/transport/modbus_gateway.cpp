#include "twin/transport/modbus_gateway.hpp"

#include <utility>

namespace ambi {

ModbusGateway::ModbusGateway(std::vector<Twin*> meters, GatewayIdentity identity)
    : meters_(std::move(meters)), identity_(identity) {
  subscriptions_.reserve(meters_.size());
  for (Twin* twin : meters_) {
    subscriptions_.push_back(twin->on_link_change([this](const LinkSettings&) { dirty_ = true; }));
  }
}

void ModbusGateway::rebuild() {
  units_.fill(nullptr);
  for (Twin* twin : meters_) {
    const std::uint8_t id = twin->meter().settings().modbus_id;
    if (id >= 1 && id <= kMaxMeterUnit && units_[id] == nullptr) units_[id] = twin;
  }
  dirty_ = false;
}

Twin* ModbusGateway::meter_at(std::uint8_t unit) {
  if (unit == 0 || unit > kMaxMeterUnit) return nullptr;
  if (dirty_) rebuild();
  return units_[unit];
}

MbapExchange ModbusGateway::broadcast(const MbapView& request, const ModbusQuirks& quirks,
                                      std::vector<std::uint8_t>& out) {
  MbapExchange exchange;
  exchange.route = Route::execute_silently;
  exchange.request = parse_request(request.pdu);
  if (is_read_function(function_of(exchange.request))) return exchange;  // nothing to do
  const std::size_t at = out.size();
  for (Twin* twin : meters_) {
    twin->begin_modbus();
    twin->serve_modbus([&](Meter& m) { (void)serve_mbap_into(m, request, quirks, out); });
    out.resize(at);  // a broadcast is answered by nobody
  }
  return exchange;
}

void ModbusGateway::front_bus(GatewayLineOptions options) {
  line_.emplace(options);
}

MbapExchange ModbusGateway::serve_meter(Twin& twin, const MbapView& request,
                                        const ModbusQuirks& quirks,
                                        std::vector<std::uint8_t>& out) {
  twin.begin_modbus();
  MbapExchange exchange;
  twin.serve_modbus([&](Meter& m) { exchange = serve_mbap_into(m, request, quirks, out); });
  return exchange;
}

MbapExchange ModbusGateway::serve_on_bus(const MbapView& request, const ModbusQuirks& quirks,
                                         std::vector<std::uint8_t>& out) {
  const auto now = last_request_;
  const std::size_t request_bytes = request.pdu.size() + 3;  // unit, PDU, CRC on the bus
  const GatewayRoute route = gateway_route(request.unit);
  if (route == GatewayRoute::gateway) return serve_gateway_mbap_into(identity_, request, out);
  if (line_->queued(now) >= line_->options().max_queued)
    return busy_gateway_mbap_into(request, out);
  if (route == GatewayRoute::broadcast) {
    due_ = line_->book(now, request_bytes, BusOutcome::broadcast);
    return broadcast(request, quirks, out);
  }
  // Everyone on the bus at its rate and parity with that id hears the request and answers.
  const auto hears = [](const Twin& twin) {
    const Settings& s = twin.meter().settings();
    return modbus_baud_rate(s.modbus_baud_code) == 9600 && s.parity == Parity::even;
  };
  std::vector<Twin*> answering;
  if (route == GatewayRoute::meter) {
    for (Twin* twin : meters_) {
      if (twin->meter().settings().modbus_id == request.unit && hears(*twin))
        answering.push_back(twin);
    }
  }
  const std::size_t at = out.size();
  MbapExchange exchange;
  for (Twin* twin : answering) {
    out.resize(at);
    exchange = serve_meter(*twin, request, quirks, out);
  }
  if (answering.size() == 1 && !exchange.no_supply && exchange.reply_size > 0) {
    due_ = line_->book(now, request_bytes, BusOutcome::answered, out.size() - at - 4);
    return exchange;
  }
  // Nobody answered, or two replies collided into a bad CRC: the gateway waits out its
  // timeout, then says the target failed to respond.
  out.resize(at);
  due_ = line_->book(now, request_bytes, BusOutcome::silent);
  return absent_target_mbap_into(request, out);
}

MbapExchange ModbusGateway::serve_into(const MbapView& request, const ModbusQuirks& quirks,
                                       std::vector<std::uint8_t>& out) {
  if (!meters_.empty()) last_request_ = meters_.front()->steady_now();
  due_.reset();
  if (line_) return serve_on_bus(request, quirks, out);
  switch (gateway_route(request.unit)) {
    case GatewayRoute::gateway:
      return serve_gateway_mbap_into(identity_, request, out);
    case GatewayRoute::nobody:
      return absent_target_mbap_into(request, out);
    case GatewayRoute::broadcast:
      return broadcast(request, quirks, out);
    case GatewayRoute::meter:
      break;
  }
  Twin* twin = meter_at(request.unit);
  if (twin == nullptr) return absent_target_mbap_into(request, out);
  const MbapExchange exchange = serve_meter(*twin, request, quirks, out);
  // A meter without supply stays silent: the gateway's wait for it ends in exception 0B.
  if (exchange.no_supply) return absent_target_mbap_into(request, out);
  return exchange;
}

}  // namespace ambi
