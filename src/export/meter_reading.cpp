#include "export/meter_reading.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/meter/meter.hpp"

namespace ambi {
namespace {

constexpr std::array<std::string_view, 4> kIdentity{"serial_number", "meter_code",
                                                    "software_version", "hardware_version"};

ExportSample sample_of(const ExportedValue& value, RegisterValue raw) {
  ExportSample s;
  s.value = &value;
  s.raw = raw;
  const RegisterDef& def = *value.reg;
  if (value.transform == ExportTransform::is_reverse) {
    const bool reverse = raw == 'R';
    s.number = reverse ? 1 : 0;
    // One character, not operator=(const char*): g++ 12 at -O3 sees a false -Wrestrict there.
    s.text.assign(1, reverse ? '1' : '0');
  } else if (def.encoding == Encoding::float_abcd) {
    s.number = register_number(def, raw);
    s.text = format_register(def, raw);
  } else {
    s.number = static_cast<double>(raw);
    s.text = fmt::format("{}", raw);
  }
  return s;
}

void take_identity(MeterReading& out, const RegisterDef& def, RegisterValue value) {
  const std::string text = format_register(def, value);
  if (def.name == "serial_number") out.serial = text;
  if (def.name == "meter_code") out.meter_code = text;
  if (def.name == "software_version") out.software_version = text;
  if (def.name == "hardware_version") out.hardware_version = text;
}

}  // namespace

std::vector<const RegisterDef*> export_registers() {
  std::vector<const RegisterDef*> out;
  out.reserve(kIdentity.size() + exported_values().size());
  for (std::string_view name : kIdentity) out.push_back(find_register(name));
  for (const ExportedValue& v : exported_values()) out.push_back(v.reg);
  std::ranges::sort(out, {}, &RegisterDef::address);
  return out;
}

MeterReading reading_from_registers(std::span<const RegisterReading> registers) {
  MeterReading out;
  for (const RegisterReading& r : registers) {
    if (r.def == nullptr || !r.value) continue;
    take_identity(out, *r.def, *r.value);
  }
  for (const ExportedValue& v : exported_values()) {
    const auto it = std::ranges::find(registers, v.reg, &RegisterReading::def);
    if (it == registers.end()) continue;
    if (const auto& value = it->value; value) out.samples.push_back(sample_of(v, *value));
  }
  return out;
}

MeterReading read_meter(const Meter& meter) {
  // The same registers and block reads for every meter: planned once (a fleet's scrape reads
  // up to a thousand meters).
  static const std::vector<const RegisterDef*> kWanted = export_registers();
  static const std::vector<BlockRead> kPlan = plan_block_reads(kWanted);
  std::vector<std::vector<std::uint16_t>> replies;
  replies.reserve(kPlan.size());
  for (const BlockRead& b : kPlan) {
    replies.push_back(read_words(meter, b.start, b.count).value_or(std::vector<std::uint16_t>{}));
  }
  const std::vector<RegisterReading> decoded =
      decode_block_reads(kWanted, kPlan, replies, meter.settings().data_type);
  return reading_from_registers(decoded);
}

const ExportSample* find_sample(const MeterReading& reading, std::string_view name) {
  const auto it = std::ranges::find_if(
      reading.samples, [&](const ExportSample& s) { return s.value->reg->name == name; });
  return it == reading.samples.end() ? nullptr : &*it;
}

}  // namespace ambi
