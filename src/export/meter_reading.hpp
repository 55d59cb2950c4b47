#pragma once
// One meter's exported values at one moment, whoever read them: the twin from its own
// registers (`read_meter`) or a master over Modbus (`reading_from_registers`, the bridge).
// Both go through the same register words and the same decoding (reader/read_plan.hpp), so
// what a dashboard shows of a twin is exactly what it would show of a real meter.
//
// Pure: no I/O.

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "export/exported_values.hpp"
#include "reader/read_plan.hpp"

namespace ambi {

class Meter;

/// One exported value as read.
struct ExportSample {
  const ExportedValue* value = nullptr;
  RegisterValue raw = 0;  ///< as decoded (billionths for Float ABCD)
  double number = 0;      ///< in the value's unit, after its transform
  /// The number as the exporters write it: Float ABCD with the reader's decimals ("230.01",
  /// "8760.000"), everything else as an integer ("0", "3").
  std::string text;
};

/// A meter's identity (its device on Home Assistant, the info metric's labels) and values.
struct MeterReading {
  std::string serial;            ///< 8 digits, as register 0x4000 reads: "19020246"
  std::string meter_code;        ///< "0D03" (0x4002), "" when not read
  std::string software_version;  ///< "1.02"
  std::string hardware_version;
  std::vector<ExportSample> samples;  ///< in `exported_values()` order; unreadable ones left out
};

/// The registers a poller reads to export a meter: identity and every exported value.
[[nodiscard]] std::vector<const RegisterDef*> export_registers();

/// The reading out of registers decoded by `decode_block_reads`. Registers without a value
/// (malformed words, not read) are left out.
[[nodiscard]] MeterReading reading_from_registers(std::span<const RegisterReading> registers);

/// The twin's own reading: the words its Modbus server would send for `export_registers()`
/// (in as few block reads as a master would make), decoded as a master decodes them.
[[nodiscard]] MeterReading read_meter(const Meter& meter);

/// The sample of register `name` in `reading`; nullptr when it has none.
[[nodiscard]] const ExportSample* find_sample(const MeterReading& reading, std::string_view name);

}  // namespace ambi
