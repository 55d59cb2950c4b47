// The record tables looked up by header and by name, values in their unit and as shown,
// and SND_UD write planning through the Write table.
#include "core/mbus/mbus_records.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace ambi {
namespace {

using Bytes = std::span<const std::uint8_t>;

/// Indexed by `MbusGroup`.
constexpr std::array<std::string_view, 3> kGroupNames{"settings", "instant", "energy"};

/// The CT ratio record's 6 digits: 4 primary, 2 secondary (manual A2.2).
constexpr std::int64_t kCtSecondaryDigits = 100;

}  // namespace

std::string_view to_string(MbusGroup group) {
  return kGroupNames[static_cast<std::size_t>(group)];
}

const MbusRecordDef* find_mbus_record(Bytes header) {
  const auto defs = mbus_read_records();
  const auto it = std::find_if(defs.begin(), defs.end(), [&](const MbusRecordDef& d) {
    return std::ranges::equal(d.header.view(), header);
  });
  return it == defs.end() ? nullptr : &*it;
}

const MbusRecordDef* find_mbus_record(std::string_view name) {
  const auto defs = mbus_read_records();
  const auto it = std::find_if(defs.begin(), defs.end(),
                               [&](const MbusRecordDef& d) { return d.name == name; });
  return it == defs.end() ? nullptr : &*it;
}

double in_unit(const MbusRecordDef& def, std::int64_t raw) {
  return static_cast<double>(raw) * std::pow(10.0, def.exponent);
}

std::optional<double> mbus_number(const MbusRecordDef& def, std::int64_t raw) {
  if (def.format == MbusFormat::ct_ratio) return std::nullopt;
  return in_unit(def, raw);
}

std::string format_mbus_value(const MbusRecordDef& def, std::int64_t raw) {
  switch (def.format) {
    case MbusFormat::ct_ratio:
      return fmt::format("{}/{}", raw / kCtSecondaryDigits, raw % kCtSecondaryDigits);
    case MbusFormat::tariff:
      return fmt::format("T{}", raw);
    case MbusFormat::scaled:
      break;
  }
  if (def.exponent >= 0) return fmt::format("{}", raw);
  return fmt::format("{:.{}f}", in_unit(def, raw), -def.exponent);
}

std::expected<std::vector<Command>, MbusWriteError> plan_mbus_write(Bytes block) {
  const auto records = parse_records(block);
  if (!records) return std::unexpected(MbusWriteError::malformed);
  const auto defs = mbus_write_records();
  std::vector<Command> commands;
  for (const MbusRecord& record : *records) {
    const auto def = std::find_if(defs.begin(), defs.end(), [&](const MbusWriteDef& d) {
      return std::ranges::equal(d.header.view(), record.header);
    });
    if (def == defs.end()) return std::unexpected(MbusWriteError::not_writable);
    auto command = def->make(record.header[0], record.data);
    if (!command) return std::unexpected(MbusWriteError::bad_value);
    commands.push_back(*command);
  }
  return commands;
}

}  // namespace ambi
