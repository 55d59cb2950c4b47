// NAME=VALUE setting arguments: one table of names, each with its parser, and the two
// protocol writes (Modbus register, M-bus record) that carry the resulting command.
#include "reader/setting_args.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

#include "core/mbus/mbus_records.hpp"
#include "core/meter/setting_table.hpp"
#include "core/modbus/modbus_map.hpp"

namespace ambi {
namespace {

using Parsed = std::expected<Command, std::string>;

std::unexpected<std::string> fail(std::string_view name, std::string_view message) {
  return std::unexpected(fmt::format("{}: {}", name, message));
}
std::unexpected<std::string> not_allowed(const SettingArgDef& arg, std::string_view value) {
  return fail(arg.name, fmt::format("'{}' is not one of {}", value, arg.values));
}

/// A whole decimal number (optional '-'), nothing else.
std::optional<long long> whole(std::string_view text) {
  long long v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

/// The command a value asks for once the meter's own rule for the setting allows it.
Parsed checked(const SettingDef& def, const SettingArgDef& arg, std::int64_t value) {
  if (auto ok = check_setting(def, value); !ok) return fail(arg.name, ok.error().message);
  return def.command(value);
}

Parsed parse_integer(const SettingDef& def, const SettingArgDef& arg, std::string_view value) {
  const auto v = whole(value);
  if (!v)
    return fail(arg.name, fmt::format("'{}' is not a whole number; allowed {}", value, arg.values));
  if (*v < std::numeric_limits<int>::min() || *v > std::numeric_limits<int>::max()) {
    return fail(arg.name, fmt::format("{} out of range {}", value, arg.values));
  }
  return checked(def, arg, *v);
}

/// A value written as a number ("9600", "0.01"): the choice that is that number; for a
/// setting whose code is the value, any other number in its unit goes to the meter's rule.
Parsed parse_number_choice(const SettingDef& def, const SettingArgDef& arg,
                           std::string_view value) {
  const auto millionths = decimal_millionths(value);
  std::int64_t per_code = 1'000'000;
  for (int i = 0; i < def.decimals; ++i) per_code /= 10;
  if (millionths) {
    for (const SettingChoice& c : def.choices) {
      if (decimal_millionths(c.text) == *millionths) return def.command(c.code);
    }
  }
  if (!def.by_value) return not_allowed(arg, value);
  if (!millionths || *millionths % per_code != 0) {
    const std::string what =
        def.decimals == 0 ? std::string("a whole number") : fmt::format("a number of {}", def.unit);
    return fail(arg.name, fmt::format("'{}' is not {}; allowed {}", value, what, arg.values));
  }
  return checked(def, arg, *millionths / per_code);
}

Parsed parse_choice(const SettingDef& def, const SettingArgDef& arg, std::string_view value) {
  if (def.json == JsonForm::number) return parse_number_choice(def, arg, value);
  if (const SettingChoice* c = choice_of_text(def, value, true)) return def.command(c->code);
  if (def.cli_codes) {
    const auto code = whole(value);
    if (code && choice_of_code(def, *code) != nullptr) return def.command(*code);
  }
  return not_allowed(arg, value);
}

Parsed parse_bcd8(const SettingDef& def, const SettingArgDef& arg, std::string_view value) {
  const bool ok =
      value.size() == 8 && std::ranges::all_of(value, [](char c) { return c >= '0' && c <= '9'; });
  if (!ok) return fail(arg.name, fmt::format("'{}' is not {}", value, arg.values));
  std::int64_t bcd = 0;
  for (const char c : value) bcd = bcd << 4 | (c - '0');
  return def.command(bcd);
}

Parsed parse_ct_ratio(const SettingDef& def, const SettingArgDef& arg, std::string_view value) {
  const auto slash = value.find('/');
  const auto primary = whole(value.substr(0, slash));
  const auto secondary =
      slash == std::string_view::npos ? std::nullopt : whole(value.substr(slash + 1));
  const bool ok = primary && secondary && *primary >= 0 && *secondary >= 0 && *primary < 100'000 &&
                  *secondary < 100'000;
  if (!ok) {
    return fail(arg.name, fmt::format("'{}' is not PRIMARY/SECONDARY like 500/5; allowed {}", value,
                                      arg.values));
  }
  if (auto checked_ct = check_ct_ratio(*primary, *secondary); !checked_ct) {
    return fail(arg.name, checked_ct.error().message);
  }
  return def.command(pack_ct(*primary, *secondary));
}

Parsed parse_setting(const SettingDef& def, const SettingArgDef& arg, std::string_view value) {
  switch (def.kind) {
    case SettingKind::integer:
      return parse_integer(def, arg, value);
    case SettingKind::choice:
      return parse_choice(def, arg, value);
    case SettingKind::bcd8:
      return parse_bcd8(def, arg, value);
    case SettingKind::ct_ratio:
      return parse_ct_ratio(def, arg, value);
    case SettingKind::digits4:
      break;
  }
  return not_allowed(arg, value);
}

/// `reset`: not a setting but the two counters the user may set to zero.
constexpr std::string_view kResetName = "reset";
constexpr std::string_view kResetValues = "trip-counter|power-down-counter";

Parsed parse_reset(const SettingArgDef& arg, std::string_view value) {
  const auto same = [&](std::string_view word) {
    return std::ranges::equal(value, word, [](char a, char b) {
      return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
    });
  };
  if (same("trip-counter")) return ResetTripCounter{};
  if (same("power-down-counter")) return ResetPowerDownCounter{};
  return not_allowed(arg, value);
}

/// One NAME=VALUE name: its help, and the setting it writes (null for `reset`).
struct ArgSpec {
  std::string name;
  std::string values;
  std::string example;
  const SettingDef* setting = nullptr;
};

const std::vector<ArgSpec>& arg_specs() {
  static const std::vector<ArgSpec> kSpecs = [] {
    std::vector<ArgSpec> out;
    for (const SettingDef& def : setting_table()) {
      if (def.cli.empty()) continue;
      out.push_back({std::string(def.cli), allowed_text(def),
                     fmt::format("{}={}", def.cli, def.example), &def});
    }
    out.push_back({std::string(kResetName), std::string(kResetValues), "reset=trip-counter"});
    return out;
  }();
  return kSpecs;
}

const std::vector<SettingArgDef>& arg_defs() {
  static const std::vector<SettingArgDef> kDefs = [] {
    std::vector<SettingArgDef> out;
    for (const ArgSpec& spec : arg_specs()) out.push_back({spec.name, spec.values, spec.example});
    return out;
  }();
  return kDefs;
}

constexpr std::string_view kPasswordMessage =
    "the password can only be changed with the meter's buttons (manual 7.6.1)";

// ---- Modbus: the register of the "Write" table (A3.2) that carries a command ----------------

/// A register of the Write table and the value to write there.
struct ModbusTarget {
  std::string_view register_name;
  RegisterValue value;
};
using Target = std::expected<ModbusTarget, std::string>;

std::unexpected<std::string> modbus_cannot(const Command& command, std::string_view hint) {
  return std::unexpected(fmt::format("Modbus cannot {}: {}", command_name(command), hint));
}
constexpr std::string_view kMbusOnly =
    "it is not in the Modbus Write table (manual A3.2); use M-bus";
constexpr std::string_view kBacklightHint =
    "neither Modbus nor M-bus carries the backlight mode; use the buttons or the app (manual "
    "7.6.11)";

constexpr std::int64_t kNanoPerCentiUnit = kNanoPerUnit / 100;

struct ModbusTargetOf {
  const Command& command;
  Target operator()(const SetModbusId& c) const { return ModbusTarget{"modbus_id", c.id}; }
  Target operator()(const SetModbusBaud& c) const { return ModbusTarget{"baud_rate", c.code}; }
  Target operator()(const SetParity& c) const { return ModbusTarget{"parity", c.code}; }
  Target operator()(const SetMbusId&) const { return modbus_cannot(command, kMbusOnly); }
  Target operator()(const SetMbusBaud&) const { return modbus_cannot(command, kMbusOnly); }
  Target operator()(const SetMbusSecondaryId&) const { return modbus_cannot(command, kMbusOnly); }
  Target operator()(const SetS0Rate& c) const {
    return ModbusTarget{"s0_rate", RegisterValue{c.rate_centi} * kNanoPerCentiUnit};
  }
  Target operator()(const SetPulseType& c) const { return ModbusTarget{"pulse_type", c.code}; }
  Target operator()(const SetPulseWidth& c) const { return ModbusTarget{"pulse_width", c.ms}; }
  Target operator()(const SetCombination& c) const {
    return ModbusTarget{"combination_code", c.code};
  }
  Target operator()(const SetLcdCycle& c) const {
    return ModbusTarget{"lcd_cycle_time", c.seconds};
  }
  Target operator()(const SetBacklight&) const { return modbus_cannot(command, kBacklightHint); }
  Target operator()(const SetScreenDirection& c) const {
    return ModbusTarget{"screen_direction", c.direction};
  }
  Target operator()(const SetObis& c) const { return ModbusTarget{"obis", c.on ? 1 : 0}; }
  Target operator()(const SetDataType& c) const { return ModbusTarget{"data_type", c.code}; }
  Target operator()(const SetPassword&) const {
    return std::unexpected(std::string(kPasswordMessage));
  }
  Target operator()(const SetTariff& c) const { return ModbusTarget{"tariff", c.tariff}; }
  Target operator()(const SetCtRatio& c) const {
    return ModbusTarget{"ct_ratio", RegisterValue{c.primary} * 10'000 + c.secondary};
  }
  Target operator()(const ResetPowerDownCounter&) const {
    return ModbusTarget{"power_down_counter", 0};
  }
  Target operator()(const ResetTripCounter&) const { return ModbusTarget{"trip_kwh", 0}; }
};

// ---- M-bus: the record of the "Write" table (A2.2) that carries a command ------------------

/// A record of the Write table and its value: `raw` values are the data bytes themselves
/// (little-endian), the others are written in the record's BCD digits.
struct MbusTarget {
  std::string_view record_name;
  std::int64_t value;
  bool raw;
};
using MbusTargetResult = std::expected<MbusTarget, std::string>;

std::unexpected<std::string> mbus_cannot(const Command& command, std::string_view hint) {
  return std::unexpected(fmt::format("M-bus cannot {}: {}", command_name(command), hint));
}
constexpr std::string_view kModbusOnly =
    "it is not in the M-bus Write table (manual A2.2); use Modbus";

struct MbusTargetOf {
  const Command& command;
  MbusTargetResult operator()(const SetMbusId& c) const {
    return MbusTarget{"mbus_id", c.id, true};
  }
  MbusTargetResult operator()(const SetMbusSecondaryId& c) const {
    return MbusTarget{"secondary_address", c.bcd, true};
  }
  MbusTargetResult operator()(const SetTariff& c) const {
    return MbusTarget{"tariff", c.tariff, false};
  }
  MbusTargetResult operator()(const SetCombination& c) const {
    return MbusTarget{"combination_code", c.code, false};
  }
  MbusTargetResult operator()(const SetS0Rate& c) const {
    return MbusTarget{"s0_rate", c.rate_centi, false};
  }
  MbusTargetResult operator()(const ResetTripCounter&) const {
    return MbusTarget{"trip_reset", 0, false};
  }
  MbusTargetResult operator()(const ResetPowerDownCounter&) const {
    return MbusTarget{"power_down_counter_reset", 0, false};
  }
  MbusTargetResult operator()(const SetMbusBaud&) const {
    return mbus_cannot(
        command,
        "the baud rate changes with a control frame (CI B8-BD, manual A2.2), not a data record");
  }
  MbusTargetResult operator()(const SetBacklight&) const {
    return mbus_cannot(command, kBacklightHint);
  }
  MbusTargetResult operator()(const SetPassword&) const {
    return std::unexpected(std::string(kPasswordMessage));
  }
  template <class C>
  MbusTargetResult operator()(const C&) const {
    return mbus_cannot(command, kModbusOnly);
  }
};

/// The data bytes of `target` for a record of DIF `dif`; nullopt when the value does not fit.
std::optional<std::vector<std::uint8_t>> mbus_data(std::uint8_t dif, const MbusTarget& target) {
  const std::size_t bytes = data_field(dif).bytes;
  if (target.value < 0) return std::nullopt;
  if (!target.raw) {
    if (clamp_to_field(dif, target.value) != target.value) return std::nullopt;
    return encode_value(dif, target.value);
  }
  const auto value = static_cast<std::uint64_t>(target.value);
  if (bytes < 8 && value >> (8 * bytes) != 0) return std::nullopt;
  std::vector<std::uint8_t> out(bytes);
  for (std::size_t i = 0; i < bytes; ++i) {
    out[i] = static_cast<std::uint8_t>((value >> (8 * i)) & 0xFFU);
  }
  return out;
}

/// Whether `decoded` is `value` as the register carries it: exactly, or for a value that
/// travels as a float, within the float's precision (0.1 imp/kWh arrives as 0.100000001).
bool carried(const RegisterDef& def, RegisterValue value, std::optional<RegisterValue> decoded,
             DataType type) {
  if (!decoded) return false;
  if (def.encoding != Encoding::float_abcd || sent_as_integer(def, type)) return *decoded == value;
  const auto error = static_cast<double>(*decoded - value);
  return std::abs(error) <= std::abs(static_cast<double>(value)) * 0x1p-24 + 1.0;
}

std::string names_list() {
  std::string out;
  for (const SettingArgDef& def : arg_defs()) {
    out += fmt::format("{}{}", out.empty() ? "" : ", ", def.name);
  }
  return out;
}

}  // namespace

std::span<const SettingArgDef> setting_arg_defs() {
  return arg_defs();
}

std::expected<Command, std::string> parse_setting_arg(std::string_view arg) {
  const auto eq = arg.find('=');
  const std::string_view name = arg.substr(0, eq);
  const auto& specs = arg_specs();
  const auto spec = std::ranges::find(specs, name, &ArgSpec::name);
  if (eq == std::string_view::npos) {
    const std::string example = spec != specs.end() ? spec->example : "ct-ratio=500/5";
    return std::unexpected(fmt::format("'{}' is not NAME=VALUE; write e.g. {}", arg, example));
  }
  if (name == "password") return std::unexpected(fmt::format("password: {}", kPasswordMessage));
  if (spec == specs.end()) {
    return std::unexpected(
        fmt::format("unknown setting '{}'; valid names: {}", name, names_list()));
  }
  const SettingArgDef help{spec->name, spec->values, spec->example};
  const std::string_view value = arg.substr(eq + 1);
  if (value.empty()) {
    return fail(spec->name,
                fmt::format("no value; allowed {} (e.g. {})", spec->values, spec->example));
  }
  if (spec->setting == nullptr) return parse_reset(help, value);
  return parse_setting(*spec->setting, help, value);
}

std::expected<ModbusWrite, std::string> modbus_write_for(const Command& command, DataType type) {
  const Target target = std::visit(ModbusTargetOf{command}, command);
  if (!target) return std::unexpected(target.error());
  const RegisterDef* def = find_register(target->register_name);
  if (def == nullptr) {
    return std::unexpected(fmt::format("cannot {}: the register map has no register \"{}\"",
                                       command_name(command), target->register_name));
  }
  ModbusWrite write{def->address, std::vector<std::uint16_t>(def->words), def};
  encode_register(*def, target->value, type, write.words);
  if (!carried(*def, target->value, decode_register(*def, write.words, type), type)) {
    return std::unexpected(fmt::format("{}: {} cannot be carried by register 0x{:04X} ({})",
                                       command_name(command), target->value, def->address,
                                       def->name));
  }
  return write;
}

std::expected<std::vector<std::uint8_t>, std::string> mbus_write_for(const Command& command) {
  const MbusTargetResult target = std::visit(MbusTargetOf{command}, command);
  if (!target) return std::unexpected(target.error());
  const auto records = mbus_write_records();
  const auto def = std::ranges::find(records, target->record_name, &MbusWriteDef::name);
  if (def == records.end()) {
    return std::unexpected(fmt::format("cannot {}: the M-bus write table has no record \"{}\"",
                                       command_name(command), target->record_name));
  }
  const auto header = def->header.view();
  const auto data = mbus_data(def->header.dif(), *target);
  if (!data) {
    return std::unexpected(fmt::format("{}: {} does not fit the {}-byte field of M-bus record {}",
                                       command_name(command), target->value,
                                       data_field(def->header.dif()).bytes, def->name));
  }
  std::vector<std::uint8_t> block(header.begin(), header.end());
  block.insert(block.end(), data->begin(), data->end());
  return block;
}

}  // namespace ambi
