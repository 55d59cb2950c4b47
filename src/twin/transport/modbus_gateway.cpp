#include "twin/transport/modbus_gateway.hpp"

#include <utility>

#include "core/codec/crc16.hpp"

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
    twin->serve_modbus(ModbusFraming::tcp,
                       [&](Meter& m) { (void)serve_mbap_into(m, request, quirks, out); });
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
  twin.serve_modbus(ModbusFraming::tcp,
                    [&](Meter& m) { exchange = serve_mbap_into(m, request, quirks, out); });
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
  if (answering.size() == 1 && !exchange.no_supply && exchange.reply_size > 0 &&
      meter_faults(*answering.front(), out, at)) {
    due_ = line_->book(now, request_bytes, BusOutcome::answered, out.size() - at - 4);
    if (fault_delay_ms_ > 0 && due_) *due_ += std::chrono::milliseconds(fault_delay_ms_);
    return exchange;
  }
  // Nobody answered, or two replies collided into a bad CRC: the gateway waits out its
  // timeout, then says the target failed to respond.
  out.resize(at);
  due_ = line_->book(now, request_bytes, BusOutcome::silent);
  return absent_target_mbap_into(request, out);
}

bool ModbusGateway::meter_faults(Twin& twin, std::vector<std::uint8_t>& out, std::size_t at) {
  if (!twin.has_link_faults() || out.size() < at + 8) return true;
  // The reply as the meter sends it on the gateway's RS485 side: | unit | PDU | CRC |.
  const std::span<const std::uint8_t> mbap = std::span(out).subspan(at);
  std::vector<std::uint8_t> rtu(mbap.begin() + 6, mbap.end());
  const std::uint16_t crc = crc16_modbus(rtu);
  rtu.push_back(static_cast<std::uint8_t>(crc & 0xFFU));
  rtu.push_back(static_cast<std::uint8_t>(crc >> 8U));
  FaultedReply faulted = twin.fault_reply(rtu, ReplyFraming::rtu);
  if (!faulted.changed()) return true;
  fault_causes_ = std::move(faulted.causes);
  fault_delay_ms_ = faulted.delay_ms;
  const std::vector<std::uint8_t>& got = faulted.bytes;
  // Lost, cut, damaged or from another unit: the gateway has no answer to pass on.
  if (faulted.dropped || got.size() < 4 || got[0] != rtu[0] ||
      crc16_modbus(std::span(got).first(got.size() - 2)) !=
          static_cast<std::uint16_t>(got[got.size() - 2] | (got[got.size() - 1] << 8U))) {
    return false;
  }
  const std::size_t length = got.size() - 2;  // unit + PDU
  out.resize(at + 6);
  out[at + 4] = static_cast<std::uint8_t>(length >> 8U);
  out[at + 5] = static_cast<std::uint8_t>(length & 0xFFU);
  out.insert(out.end(), got.begin(), got.end() - 2);
  return true;
}

MbapExchange ModbusGateway::serve_into(const MbapView& request, const ModbusQuirks& quirks,
                                       std::vector<std::uint8_t>& out) {
  if (!meters_.empty()) last_request_ = meters_.front()->steady_now();
  due_.reset();
  fault_causes_.clear();
  fault_delay_ms_ = 0;
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
  const std::size_t at = out.size();
  const MbapExchange exchange = serve_meter(*twin, request, quirks, out);
  if (exchange.reply_size > 0 && !meter_faults(*twin, out, at)) {
    out.resize(at);
    return absent_target_mbap_into(request, out);
  }
  if (fault_delay_ms_ > 0) due_ = last_request_ + std::chrono::milliseconds(fault_delay_ms_);
  // A meter without supply stays silent: the gateway's wait for it ends in exception 0B.
  if (exchange.no_supply) return absent_target_mbap_into(request, out);
  return exchange;
}

}  // namespace ambi
