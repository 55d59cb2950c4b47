#pragma once
// What the exporters publish (docs/integrations.md): one entry per register of the A3.2 map
// that a dashboard wants, with how each face names and classes it. Prometheus gets a metric
// family with labels (phase, tariff, direction, quadrant), Home Assistant a sensor with its
// device class, state class and unit. The entries are derived from the one register table
// (core/modbus/modbus_map_table.cpp) by the register's name, so a register added there is
// exported, or refused by the unit tests, never forgotten.
//
// Pure: no I/O. The values themselves come from `MeterReading` (meter_reading.hpp).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/modbus/modbus_map.hpp"

namespace ambi {

/// How Prometheus types a value: the forward, reverse and quadrant energy registers only ever
/// grow (counters); the "total" registers and the day counters follow the combination code,
/// which may make them fall (gauges), as everything else.
enum class MetricKind : std::uint8_t { counter, gauge };

/// How the register's value becomes the exported number.
enum class ExportTransform : std::uint8_t {
  number,      ///< the value in the register's unit (kWh, V...) or the plain number
  is_reverse,  ///< an 'F'/'R' current direction → 0 (forward) or 1 (reverse)
};

/// One exported value: a register and its names on each face.
struct ExportedValue {
  const RegisterDef* reg = nullptr;
  /// The Prometheus metric family, unit suffix included: "ambimeter_voltage_volts",
  /// "ambimeter_active_energy_kilowatthours_total" (forward and reverse),
  /// "ambimeter_active_energy_combined_kilowatthours" (the combination code's totals).
  std::string_view family;
  /// The family's HELP text.
  std::string_view help;
  MetricKind kind = MetricKind::gauge;
  ExportTransform transform = ExportTransform::number;
  /// Labels; every value of one family carries the same label names. "" means the family
  /// has no such label. "all" is the aggregate over phases, tariffs or quadrants.
  std::string_view phase;      ///< "l1", "l2", "l3", "l1_l2", "l1_l3", "l2_l3", "all"
  std::string_view tariff;     ///< "t1" ... "t4", "all"
  std::string_view direction;  ///< "import" (forward), "export" (reverse)
  std::string_view quadrant;   ///< "q1" ... "q4", "all"
  /// Home Assistant: device_class ("energy", "voltage", ...; "" for none), state_class
  /// ("measurement"; "total_increasing" for the forward, reverse and quadrant registers, which
  /// only grow; "total" for the combination code's totals and the day counters, which may
  /// fall; "" for codes) and unit_of_measurement ("kWh"; "" for none).
  std::string_view device_class;
  std::string_view state_class;
  std::string_view unit;
  /// True for the resettable day counters (trip_*): they go back to 0 when a user resets
  /// them, so they are not `total_increasing`.
  bool resettable = false;
};

/// Every exported value, in register address order: the instant values and the energy
/// registers of A3.2 (except Voltage* and Current* at 0x5000 and 0x500A, which the meter
/// reads as 0: C95), the status registers a dashboard shows (error code, power-down
/// counter, quadrants, current directions) and the active tariff.
[[nodiscard]] std::span<const ExportedValue> exported_values();
/// The exported value of register `name` ("l1_voltage"); nullptr when it is not exported.
[[nodiscard]] const ExportedValue* find_exported(std::string_view name);

/// The markdown page of every exported value (docs/exported-values.md).
[[nodiscard]] std::string render_exported_table();

}  // namespace ambi
