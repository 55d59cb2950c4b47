#pragma once
// Sets of Modbus unit ids for the tools that talk to many meters behind one gateway or on one
// bus: `log --units all|1-10,20` (docs/tools.md), and the probe that finds who answers, shared
// with `scan`.

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tools/meter_uri.hpp"
#include "tools/modbus_client.hpp"

namespace ambi {

/// What `--units` names: every unit that answers at the start (`all`), or the listed ones.
struct UnitList {
  bool all = false;                 ///< "all": units 1-247, those that answer a probe
  std::vector<std::uint8_t> units;  ///< the listed units, ascending, each once (empty for all)
};

/// Parses `all` or a comma-separated list of unit ids and ranges within 1-247 ("1-10,20,30-40").
/// The error is one line naming the form.
[[nodiscard]] std::expected<UnitList, std::string> parse_unit_list(std::string_view text);

/// `uri` with the defaults of a probe where silence is the common answer: no retries, and a
/// short wait (300 ms on TCP; 150 ms plus the line time of 40 characters on a serial line),
/// unless the URI gives its own.
[[nodiscard]] MeterUri probe_uri(MeterUri uri);

/// What a unit answered to the probe, a read of the serial number (0x4000+2).
enum class ProbeAnswer : std::uint8_t {
  data,       ///< a device is there
  empty,      ///< exception 0A or 0B: a gateway says nobody is there
  exception,  ///< another exception: a device, but not an Ambition?
  garbled,    ///< a bad reply: two devices with this id?
  silent,     ///< no answer within the timeout
};

struct UnitProbe {
  std::uint8_t unit = 0;
  ProbeAnswer answer = ProbeAnswer::silent;
  std::uint8_t exception_code = 0;  ///< for `exception`
};

/// Called after each probe with the units probed so far and the devices found; false stops.
using ProbeProgress = std::function<bool(std::size_t done, std::size_t found)>;

/// Probes each unit of `candidates` in order. Where a gateway answers 0A/0B for its empty
/// units, silence is not the norm but a gateway that was busy: the silent units are asked
/// once more at the end, with `second_timeout` (the client's timeout is restored after). A
/// link that fails is the error.
[[nodiscard]] std::expected<std::vector<UnitProbe>, ModbusClientError> probe_units(
    ModbusClient& client, std::span<const std::uint8_t> candidates,
    std::chrono::milliseconds first_timeout, std::chrono::milliseconds second_timeout,
    const ProbeProgress& progress = {});

/// The units of `candidates` at which a device answers the probe with data, in the order
/// given (`probe_units`, keeping `data`).
[[nodiscard]] std::expected<std::vector<std::uint8_t>, ModbusClientError> find_units(
    ModbusClient& client, std::span<const std::uint8_t> candidates,
    std::chrono::milliseconds first_timeout, std::chrono::milliseconds second_timeout);

/// Units as ranges for messages: "1-52,200".
[[nodiscard]] std::string units_text(std::span<const std::uint8_t> units);

/// Every unit id a gateway routes to meters: 1-247.
[[nodiscard]] std::vector<std::uint8_t> every_unit();

/// What a Modbus TCP gateway says about itself at unit 255 (FC 03 0x0400 x 13; docs/fleet.md:
/// only the device type is publicly known, the rest is the twin's layout, unverified).
struct GatewayIdentity {
  std::uint16_t device_type = 0;  ///< 330: Inepro article 0330
  std::uint16_t hardware_version = 0;
  std::uint16_t firmware_version = 0;
  std::string serial_number;  ///< 8 BCD digits as text
  int meters = 0;             ///< meters behind it
  int first_unit = 0;
  int last_unit = 0;
};

/// Inepro's gateway device type (register 0x0400 of unit 255).
inline constexpr std::uint16_t kGatewayDeviceType = 330;
/// The unit id a Modbus TCP gateway answers for itself.
inline constexpr std::uint8_t kGatewayUnit = 255;

/// Decodes the 13 words of 0x0400 read at unit 255; nullopt unless the device type is 330.
[[nodiscard]] std::optional<GatewayIdentity> decode_gateway_identity(
    std::span<const std::uint16_t> words);

/// Asks unit 255 whether it is an Inepro gateway; nullopt when it is not (an exception, no
/// answer, another device type). Only Modbus TCP has a unit 255 of its own.
[[nodiscard]] std::optional<GatewayIdentity> probe_gateway(ModbusClient& client);

}  // namespace ambi
