#include "export/mbus_reading.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace ambi {
namespace {

/// raw × 10^exponent in the record's unit → billionths of the register's unit, exactly; the
/// register is in kilo-units where the record is not (kWh against Wh, kW against W).
std::optional<RegisterValue> nano_of(const MbusRecordDef& rec, const RegisterDef& reg,
                                     std::int64_t raw) {
  const std::string_view reg_unit = unit_symbol(reg.unit);
  int shift = rec.exponent + 9;
  if (reg_unit.size() == rec.unit.size() + 1 && reg_unit.starts_with('k') &&
      reg_unit.substr(1) == rec.unit) {
    shift -= 3;
  } else if (reg_unit != rec.unit && !(reg_unit == "-" && rec.unit == "-")) {
    return std::nullopt;  // units that do not convert: not the same quantity
  }
  if (shift < 0 || shift > 12) return std::nullopt;
  RegisterValue v = raw;
  for (int i = 0; i < shift; ++i) v *= 10;
  return v;
}

}  // namespace

std::string register_of_record(const MbusRecordDef& def) {
  std::string name{def.name};
  if (name.ends_with("_wh")) name = name.substr(0, name.size() - 3) + "_kwh";
  if (name.ends_with("_varh")) name = name.substr(0, name.size() - 5) + "_kvarh";
  return find_exported(name) != nullptr ? name : std::string{};
}

MeterReading reading_from_mbus(const MbusReadout& readout) {
  std::vector<RegisterReading> registers;
  for (const MbusValue& v : readout.values) {
    if (v.def == nullptr || !v.value) continue;
    const std::string name = register_of_record(*v.def);
    if (name.empty()) continue;
    const RegisterDef* reg = find_register(name);
    RegisterValue raw = *v.value;
    if (reg->encoding == Encoding::float_abcd) {
      const std::optional<RegisterValue> nano = nano_of(*v.def, *reg, *v.value);
      if (!nano) continue;
      raw = *nano;
    }
    registers.push_back(RegisterReading{reg, {}, raw});
  }
  MeterReading out = reading_from_registers(registers);
  out.serial = fmt::format("{:08X}", readout.header.id_bcd);
  return out;
}

}  // namespace ambi
