// Readings from a meter: selection, Modbus block reads, M-bus records.
#include "tools/readings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <utility>

#include "core/codec/hex.hpp"

namespace ambi {
namespace {

constexpr std::string_view kGroupNames = "identity, settings, status, instant, energy, all";

std::string snake(std::string_view name) {
  std::string out{name};
  std::ranges::replace(out, '-', '_');
  return out;
}

bool group_wanted(const ReadSelection& selection, std::string_view group) {
  return selection.groups.empty() ||
         std::ranges::any_of(selection.groups,
                             [group](const std::string& g) { return g == group || g == "all"; });
}

std::expected<void, std::string> check_groups(const ReadSelection& selection) {
  for (const std::string& g : selection.groups) {
    if (g != "all" && !parse_register_group(g)) {
      return std::unexpected{
          fmt::format("unknown group \"{}\"; the groups are {}", g, kGroupNames)};
    }
  }
  return {};
}

std::string plain_unit(std::string_view symbol) {
  return symbol == "-" ? std::string{} : std::string{symbol};
}

/// A value that travelled as an IEEE single, as the shortest decimal that reads back as the
/// same single: 2.3, not 2.299999952 (the float nearest 2.3).
double shortest_float(double value) {
  const std::string text = fmt::format("{}", static_cast<float>(value));
  return std::strtod(text.c_str(), nullptr);
}

const RegisterDef* data_type_register() {
  return find_register("data_type");
}

}  // namespace

std::expected<std::vector<const RegisterDef*>, std::string> select_registers(
    const ReadSelection& selection) {
  if (auto ok = check_groups(selection); !ok) return std::unexpected{ok.error()};
  std::vector<const RegisterDef*> out;
  if (!selection.names.empty()) {
    for (const std::string& name : selection.names) {
      const RegisterDef* def = find_register(snake(name));
      if (def == nullptr || !register_group(*def)) {
        return std::unexpected{fmt::format(
            "no register is called \"{}\"; see docs/modbus-registers.md for the names", name)};
      }
      out.push_back(def);
    }
    return out;
  }
  for (const RegisterDef* def : all_registers()) {
    if (const auto group = register_group(*def);
        group && group_wanted(selection, to_string(*group))) {
      out.push_back(def);
    }
  }
  return out;
}

std::expected<DecodedRegisters, ModbusClientError> read_modbus_registers(
    ModbusClient& client, std::uint8_t unit, const std::vector<const RegisterDef*>& wanted) {
  const RegisterDef* type_def = data_type_register();
  const bool needs_type = std::ranges::any_of(
      wanted, [](const RegisterDef* d) { return d->encoding == Encoding::float_abcd; });
  std::vector<const RegisterDef*> planned = wanted;
  const bool type_wanted = std::ranges::find(wanted, type_def) != wanted.end();
  if (needs_type && !type_wanted) planned.push_back(type_def);
  const std::vector<BlockRead> plan = plan_block_reads(planned);
  std::vector<std::vector<std::uint16_t>> replies;
  for (const BlockRead& block : plan) {
    auto words = client.read(unit, block.start, block.count);
    if (!words) return std::unexpected{words.error()};
    replies.push_back(std::move(*words));
  }
  DecodedRegisters out;
  for (const RegisterReading& r :
       decode_block_reads(std::span{&type_def, 1}, plan, replies, DataType::standard)) {
    if (r.value == static_cast<RegisterValue>(DataType::integer)) out.type = DataType::integer;
  }
  out.registers = decode_block_reads(wanted, plan, replies, out.type);
  return out;
}

std::expected<std::vector<MeterValue>, ModbusClientError> read_modbus(
    ModbusClient& client, std::uint8_t unit, const std::vector<const RegisterDef*>& wanted) {
  auto decoded = read_modbus_registers(client, unit, wanted);
  if (!decoded) return std::unexpected{decoded.error()};
  const DataType type = decoded->type;
  std::vector<MeterValue> out;
  for (const RegisterReading& r : decoded->registers) {
    MeterValue reading{
        .name = std::string{r.def->name},
        .description = std::string{r.def->description},
        .group = std::string{to_string(register_group(*r.def).value_or(RegisterGroup::status))},
        .where = fmt::format("0x{:04X}", r.def->address),
        .number = std::nullopt,
        .text = "?",
        .unit = plain_unit(unit_symbol(r.def->unit))};
    if (r.value) {
      reading.number = register_number(*r.def, *r.value);
      if (r.def->encoding == Encoding::float_abcd && type == DataType::standard) {
        reading.number = shortest_float(*reading.number);
      }
      reading.text = format_register(*r.def, *r.value);
    }
    out.push_back(std::move(reading));
  }
  return out;
}

namespace {

std::vector<MeterValue> header_readings(const MbusDataHeader& h) {
  auto text = [](std::string name, std::string description, std::string value) {
    return MeterValue{.name = std::move(name),
                      .description = std::move(description),
                      .group = "identity",
                      .where = "header",
                      .number = std::nullopt,
                      .text = std::move(value),
                      .unit = ""};
  };
  auto number = [](std::string name, std::string description, double value) {
    return MeterValue{.name = std::move(name),
                      .description = std::move(description),
                      .group = "identity",
                      .where = "header",
                      .number = value,
                      .text = fmt::format("{}", value),
                      .unit = ""};
  };
  return {text("secondary_address", "Secondary address", fmt::format("{:08X}", h.id_bcd)),
          text("manufacturer", "Manufacturer", manufacturer_letters(h.manufacturer)),
          number("version", "Version", h.version),
          text("medium", "Medium", fmt::format("0x{:02X}", h.medium)),
          number("access_number", "Access number", h.access_number),
          text("status", "Status", fmt::format("0x{:02X}", h.status))};
}

}  // namespace

std::expected<std::vector<MeterValue>, std::string> mbus_readings(const MbusReadout& readout,
                                                                  const ReadSelection& selection) {
  if (auto ok = check_groups(selection); !ok) return std::unexpected{ok.error()};
  std::vector<MeterValue> all = header_readings(readout.header);
  for (const MbusValue& v : readout.values) {
    if (v.def == nullptr) continue;
    MeterValue r{.name = std::string{v.def->name},
                 .description = std::string{v.def->description},
                 .group = std::string{to_string(v.def->group)},
                 .where = hex_bytes(v.record.header),
                 .number = std::nullopt,
                 .text = "?",
                 .unit = plain_unit(v.def->unit)};
    if (v.value) {
      r.number = mbus_number(*v.def, *v.value);
      r.text = format_mbus_value(*v.def, *v.value);
    }
    all.push_back(std::move(r));
  }
  std::vector<MeterValue> out;
  for (const std::string& name : selection.names) {
    const auto it = std::ranges::find(all, snake(name), &MeterValue::name);
    if (it == all.end()) {
      return std::unexpected{
          fmt::format("no M-bus record is called \"{}\"; see docs/mbus-records.md", name)};
    }
    out.push_back(*it);
  }
  if (!selection.names.empty()) return out;
  std::ranges::copy_if(all, std::back_inserter(out),
                       [&](const MeterValue& r) { return group_wanted(selection, r.group); });
  return out;
}

}  // namespace ambi
