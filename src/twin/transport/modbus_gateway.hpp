#pragma once
// A Modbus TCP gateway of a fleet (docs/fleet.md): the meters behind it, found by the Modbus
// id each has now (a write of register 4002 moves a meter to another unit, as on the RS485
// side of a real gateway), and the gateway's own answers (core/modbus/modbus_gateway.hpp).

#include <array>
#include <cstdint>
#include <vector>

#include "core/modbus/modbus_gateway.hpp"
#include "twin/service/twin.hpp"

namespace ambi {

class ModbusGateway {
 public:
  /// The gateway in front of `meters` (each outlives it), saying `identity` about itself.
  ModbusGateway(std::vector<Twin*> meters, GatewayIdentity identity);

  /// Serves one MBAP request as the gateway routes it (`gateway_route`), the reply appended
  /// to `out` as `serve_mbap_into` does: a meter's request goes through its twin (brought to
  /// now, marked communicating, saved after a change); a broadcast write is executed by
  /// every meter and answered by none.
  [[nodiscard]] MbapExchange serve_into(const MbapView& request, const ModbusQuirks& quirks,
                                        std::vector<std::uint8_t>& out);

  /// The meter that answers `unit` now, if any (the first one, should two share an id).
  [[nodiscard]] Twin* meter_at(std::uint8_t unit);
  [[nodiscard]] const std::vector<Twin*>& meters() const { return meters_; }
  [[nodiscard]] const GatewayIdentity& identity() const { return identity_; }
  /// When the last request arrived (steady clock), for the event loop's busy-poll window.
  [[nodiscard]] SimClock::WallClock::time_point last_request() const { return last_request_; }

 private:
  void rebuild();
  /// Unit 0: a write executed by every meter; a read by none; no reply either way.
  [[nodiscard]] MbapExchange broadcast(const MbapView& request, const ModbusQuirks& quirks,
                                       std::vector<std::uint8_t>& out);
  std::vector<Twin*> meters_;
  GatewayIdentity identity_;
  std::array<Twin*, kMaxMeterUnit + 1> units_{};
  bool dirty_ = true;
  std::vector<LinkSubscription> subscriptions_;
  SimClock::WallClock::time_point last_request_{};
};

}  // namespace ambi
