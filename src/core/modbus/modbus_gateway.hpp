#pragma once
// A Modbus TCP gateway in front of a fleet's meters (PRODUCT.md "Modbus TCP gateway";
// docs/fleet.md): the unit id of a request says who answers. Units 1-247 reach the meter
// with that Modbus id behind the gateway; a unit with nobody behind it gets exception 0B
// (gateway target device failed to respond); unit 255 is the gateway itself; unit 0 is a
// broadcast that every meter executes and nobody answers. Pure: the caller finds the meter
// and serves it (modbus_server.hpp); this file decides the route and answers for the gateway.

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/modbus/modbus_mbap.hpp"
#include "core/modbus/modbus_server.hpp"

namespace ambi {

/// The gateway's own unit id (Inepro's gateway, WAGO 879-9000, answers as itself on 255).
inline constexpr std::uint8_t kGatewayOwnUnit = 0xFF;
/// The highest unit id a meter behind a gateway can have (serial line V1.02 2.2).
inline constexpr std::uint8_t kMaxMeterUnit = 247;

/// Who a request to a gateway is for.
enum class GatewayRoute : std::uint8_t {
  gateway,    ///< unit 255: the gateway answers from its own registers
  meter,      ///< units 1-247: the meter with that id, if there is one (else exception 0B)
  broadcast,  ///< unit 0: every meter executes a write; no reply
  nobody,     ///< units 248-254: no meter can have them: exception 0B
};

[[nodiscard]] constexpr GatewayRoute gateway_route(std::uint8_t unit) {
  if (unit == kGatewayOwnUnit) return GatewayRoute::gateway;
  if (unit == 0) return GatewayRoute::broadcast;
  return unit <= kMaxMeterUnit ? GatewayRoute::meter : GatewayRoute::nobody;
}

/// What the gateway says about itself, in its registers 0x0400-0x040C (read with FC 03 on
/// unit 255, as Inepro's Home Assistant library does to recognise the gateway). Only the
/// device type (330, Inepro article 0330) is publicly known; the other words are this
/// twin's choice, marked unverified in docs/fleet.md.
struct GatewayIdentity {
  std::uint16_t device_type = 330;
  std::uint16_t hardware_version = 0x0100;  ///< 1.00 (unverified)
  std::uint16_t firmware_version = 0x0100;  ///< 1.00 (unverified)
  std::uint32_t serial_bcd = 0;             ///< the gateway's own number (unverified)
  std::uint16_t meters = 0;                 ///< meters configured behind it (unverified)
  std::uint16_t first_unit = 0;             ///< lowest unit id served (unverified)
  std::uint16_t last_unit = 0;              ///< highest unit id served (unverified)
};

/// The first of the gateway's registers and how many there are.
inline constexpr std::uint16_t kGatewayIdentityAddress = 0x0400;
inline constexpr std::uint16_t kGatewayIdentityCount = 13;

/// The gateway's registers 0x0400-0x040C: device type, hardware version, firmware version,
/// serial (2 words, high first), meters, first unit, last unit, then zeros.
[[nodiscard]] std::array<std::uint16_t, kGatewayIdentityCount> gateway_registers(
    const GatewayIdentity& identity);

/// The gateway's answer to a request on its own unit, the PDU appended to `out`: FC 03 (and
/// FC 04) inside 0x0400-0x040C read its registers; any other address 02; writes and other
/// function codes 01; a malformed request its codec exception (03). The response views `out`.
[[nodiscard]] std::optional<Response> append_gateway_pdu(const GatewayIdentity& identity,
                                                         const ParsedRequest& request,
                                                         std::vector<std::uint8_t>& out);

/// An MBAP request answered by the gateway itself (unit 255) or with exception 0B (a unit
/// with nobody behind it), the reply appended to `out` as `serve_mbap_into` does.
[[nodiscard]] MbapExchange serve_gateway_mbap_into(const GatewayIdentity& identity,
                                                   const MbapView& request,
                                                   std::vector<std::uint8_t>& out);
[[nodiscard]] MbapExchange absent_target_mbap_into(const MbapView& request,
                                                   std::vector<std::uint8_t>& out);
/// An MBAP request refused with exception 06 (server device busy): a gateway whose bus
/// queue is full.
[[nodiscard]] MbapExchange busy_gateway_mbap_into(const MbapView& request,
                                                  std::vector<std::uint8_t>& out);

}  // namespace ambi
