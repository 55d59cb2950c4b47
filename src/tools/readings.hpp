#pragma once
// What a reader tool got from a meter, whatever the protocol: named values with their unit,
// their text as a person reads it and where in the meter they came from. Modbus readings
// decode through the register map (core/modbus/modbus_map.hpp, reader/read_plan.hpp), M-bus
// readings through the record table (core/mbus/mbus_records.hpp): the tables the twin serves from.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/mbus/mbus_readout.hpp"
#include "reader/read_plan.hpp"
#include "tools/mbus_master.hpp"
#include "tools/modbus_client.hpp"

namespace ambi {

/// One value read from a meter.
struct MeterValue {
  std::string name;         ///< snake_case, as in the register or record table
  std::string description;  ///< what it is, as the table (or the manual) words it
  std::string group;        ///< identity, settings, status, instant, energy
  std::string where;        ///< "0x5002" (Modbus) or the record header "02 FD C7 FC 01" (M-bus)
  std::optional<double> number;  ///< the value in `unit`; nullopt for text-only values
  std::string text;              ///< as shown to a person: "230.01", "C-04", "19020246"
  std::string unit;              ///< "V", "kWh"; empty for plain numbers and codes
};

/// Which values a read asks for: groups (empty: every group) and names (empty: every value
/// of the groups). Names may be written with '-' or '_'.
struct ReadSelection {
  std::vector<std::string> groups;
  std::vector<std::string> names;
};

/// The registers `selection` names; the error names an unknown group or register and
/// lists the valid groups.
[[nodiscard]] std::expected<std::vector<const RegisterDef*>, std::string> select_registers(
    const ReadSelection& selection);

/// Registers as read and decoded, with the data type (4026) they were decoded under.
struct DecodedRegisters {
  std::vector<RegisterReading> registers;  ///< in the order wanted
  DataType type = DataType::standard;
};

/// Reads `wanted` from Modbus unit `unit` as `read_modbus` does, without turning the values
/// into text: what the bridge exports through export/meter_reading.hpp.
[[nodiscard]] std::expected<DecodedRegisters, ModbusClientError> read_modbus_registers(
    ModbusClient& client, std::uint8_t unit, const std::vector<const RegisterDef*>& wanted);

/// Reads `wanted` from Modbus unit `unit` in as few block reads as the map allows (plus one
/// read of the data type register 4026 when a Float ABCD register is wanted and 4026 is not).
[[nodiscard]] std::expected<std::vector<MeterValue>, ModbusClientError> read_modbus(
    ModbusClient& client, std::uint8_t unit, const std::vector<const RegisterDef*>& wanted);

/// Every value of a decoded RSP_UD (the data header first), filtered by `selection`.
/// The error names an unknown group or record name.
[[nodiscard]] std::expected<std::vector<MeterValue>, std::string> mbus_readings(
    const MbusReadout& readout, const ReadSelection& selection);

}  // namespace ambi
