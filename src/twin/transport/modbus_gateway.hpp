#pragma once
// A Modbus TCP gateway of a fleet (docs/fleet.md): the meters behind it, found by the Modbus
// id each has now (a write of register 4002 moves a meter to another unit, as on the RS485
// side of a real gateway), and the gateway's own answers (core/modbus/modbus_gateway.hpp).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/modbus/gateway_line.hpp"
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

  /// Puts the gateway in front of an RS485 bus with its line timing (`--gateway-timing bus`):
  /// from now on every reply waits until the bus would have carried the request and the
  /// answer (`due`); a meter set to another baud rate or parity than the bus's 9600 8E1, a
  /// meter without supply, a unit nobody has and a unit two meters share all cost the
  /// response timeout and end in exception 0B; a full queue is answered 06 at once.
  void front_bus(GatewayLineOptions options);
  /// When the reply of the last `serve_into` may leave: none for at once.
  [[nodiscard]] std::optional<GatewayLine::Clock::time_point> due() const { return due_; }
  [[nodiscard]] bool fronts_bus() const { return line_.has_value(); }
  /// The link faults of the meter that answered the last `serve_into` that acted on its
  /// reply, "fault 2 (delay)" (for the trace).
  [[nodiscard]] const std::vector<std::string>& fault_causes() const { return fault_causes_; }

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
  /// `serve_into` in front of a bus: books the bus and sets `due_`.
  [[nodiscard]] MbapExchange serve_on_bus(const MbapView& request, const ModbusQuirks& quirks,
                                          std::vector<std::uint8_t>& out);
  /// Serves `request` to `twin`, the reply appended to `out`.
  [[nodiscard]] static MbapExchange serve_meter(Twin& twin, const MbapView& request,
                                                const ModbusQuirks& quirks,
                                                std::vector<std::uint8_t>& out);
  /// `twin`'s link faults on its reply at `out[at..]` as the gateway's RS485 side sees them
  /// (docs/faults.md): false when no usable answer reaches the gateway (it answers 0B); an
  /// exception passes through; a delay is left in `fault_delay_ms_`.
  [[nodiscard]] bool meter_faults(Twin& twin, std::vector<std::uint8_t>& out, std::size_t at);
  std::vector<Twin*> meters_;
  GatewayIdentity identity_;
  std::vector<std::string> fault_causes_;
  std::int64_t fault_delay_ms_ = 0;
  std::optional<GatewayLine> line_;
  std::optional<GatewayLine::Clock::time_point> due_;
  std::array<Twin*, kMaxMeterUnit + 1> units_{};
  bool dirty_ = true;
  std::vector<LinkSubscription> subscriptions_;
  SimClock::WallClock::time_point last_request_{};
};

}  // namespace ambi
