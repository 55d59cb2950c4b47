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

MbapExchange ModbusGateway::serve_into(const MbapView& request, const ModbusQuirks& quirks,
                                       std::vector<std::uint8_t>& out) {
  if (!meters_.empty()) last_request_ = meters_.front()->steady_now();
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
  twin->begin_modbus();
  MbapExchange exchange;
  twin->serve_modbus([&](Meter& m) { exchange = serve_mbap_into(m, request, quirks, out); });
  // A meter without supply stays silent: the gateway's wait for it ends in exception 0B.
  if (exchange.no_supply) return absent_target_mbap_into(request, out);
  return exchange;
}

}  // namespace ambi
