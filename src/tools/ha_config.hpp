#pragma once
// `ambimeter config home-assistant`: a Home Assistant `modbus:` YAML for an Ambition 2PU CT,
// one hub with a sensor per useful register of the A3.2 map (instantaneous values, energy,
// status), each with the data type the meter sends it in, scale, precision, unit, device
// class and state class. Rendered from the register table and classed by the exporters'
// shared table (export/exported_values.hpp); pure (the caller prints it).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/meter/settings.hpp"
#include "core/modbus/modbus_map.hpp"

namespace ambi {

/// How Home Assistant reaches the meter (the hub's `type`).
enum class HaTransport : std::uint8_t {
  tcp,         ///< Modbus TCP: a gateway (Inepro 0330) or the twin
  rtuovertcp,  ///< RTU frames over TCP (a transparent serial server)
  serial,      ///< RTU on an RS485 adapter
};
/// Parses "tcp", "rtuovertcp" (or "rtu-over-tcp") or "serial".
[[nodiscard]] std::optional<HaTransport> parse_ha_transport(std::string_view text);

/// Everything the YAML depends on. The defaults are the meter's factory settings (manual
/// 7.6.6-7.6.8, A3.1: Modbus id 1, 9600 baud, even parity, 8 data bits, 1 stop bit) and
/// its default data type, Float ABCD (4026 = 1).
struct HaConfigOptions {
  std::string name = "Ambition";  ///< the hub's name and the sensors' prefix
  HaTransport transport = HaTransport::tcp;
  std::string host = "127.0.0.1";
  int port = 502;
  std::string serial_port = "/dev/ttyUSB0";
  int baudrate = 9600;
  char parity = 'E';  ///< 'E', 'N' or 'O'
  /// The meters' Modbus ids (HA's `slave`): one hub for all of them, as HA takes one hub
  /// per host and port (or serial port).
  std::vector<int> units = {1};
  DataType data_type = DataType::standard;
  int scan_interval = 10;         ///< seconds, instantaneous values and status
  int energy_scan_interval = 60;  ///< seconds, energy registers
  std::vector<RegisterGroup> groups = {RegisterGroup::instant, RegisterGroup::energy,
                                       RegisterGroup::status};
};

/// How Home Assistant classes a register: device class, state class and unit ("" for
/// none), and the decimals shown.
struct HaClasses {
  std::string_view device_class;
  std::string_view state_class;
  std::string_view unit;
  int decimals = 0;  ///< V and Hz 2, A, kW, kvar, kVA, PF, kWh and kvarh 3, codes 0
};
/// The classes of a register worth a sensor, from the exporters' shared table
/// (export/exported_values.hpp, C95); nullopt for a register it does not export, and for
/// the current directions, whose 'F'/'R' a Modbus sensor cannot turn into a number.
[[nodiscard]] std::optional<HaClasses> ha_classes(const RegisterDef& def);

/// One sensor of the YAML.
struct HaSensor {
  const RegisterDef* reg = nullptr;
  HaClasses classes{};
  std::string name{};            ///< "Ambition L1 Voltage"
  std::string unique_id{};       ///< "ambition_l1_voltage"
  std::string_view data_type{};  ///< "float32", "int32", "int16", "uint16", "uint32"
  double scale = 1.0;
  int precision = 0;
  int scan_interval = 0;
  int unit = 1;  ///< the meter's Modbus id
};
/// The sensors of `options.groups` for each unit in turn, in address order; the tariff
/// register (0x6048, the active tariff) counts as status. With several units, names and ids
/// carry the unit after the prefix ("Ambition 2 L1 Voltage", "ambition_2_l1_voltage").
[[nodiscard]] std::vector<HaSensor> ha_sensors(const HaConfigOptions& options);

/// The YAML: a comment naming the meter, its data type and how it was made, then
/// `modbus:` with one hub and its `sensors:`.
[[nodiscard]] std::string render_home_assistant(const HaConfigOptions& options);

/// `text` as a Home Assistant id: lower case, runs of anything but [a-z0-9] as one '_',
/// none at either end ("Ambition 2PU CT" → "ambition_2pu_ct").
[[nodiscard]] std::string ha_slug(std::string_view text);

}  // namespace ambi
