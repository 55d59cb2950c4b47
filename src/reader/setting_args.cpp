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
#include "core/modbus/modbus_map.hpp"

namespace ambi {
namespace {

using Parsed = std::expected<Command, std::string>;
using Parser = Parsed (*)(std::string_view value, const SettingArgDef& def);

std::unexpected<std::string> fail(const SettingArgDef& def, std::string_view message) {
  return std::unexpected(fmt::format("{}: {}", def.name, message));
}
std::unexpected<std::string> not_allowed(const SettingArgDef& def, std::string_view value) {
  return fail(def, fmt::format("'{}' is not one of {}", value, def.values));
}

/// A whole decimal number (optional '-'), nothing else.
std::optional<long long> whole(std::string_view text) {
  long long v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

/// A whole number that fits an int, else the one-line reason.
std::expected<int, std::string> whole_int(std::string_view value, const SettingArgDef& def) {
  const auto v = whole(value);
  if (!v) {
    return fail(def, fmt::format("'{}' is not a whole number; allowed {}", value, def.values));
  }
  if (*v < std::numeric_limits<int>::min() || *v > std::numeric_limits<int>::max()) {
    return fail(def, fmt::format("{} out of range {}", value, def.values));
  }
  return static_cast<int>(*v);
}

/// A whole number checked by the meter's own validator, made into command `C`.
template <class C, auto Check>
Parsed checked(std::string_view value, const SettingArgDef& def) {
  const auto v = whole_int(value, def);
  if (!v) return std::unexpected(v.error());
  if (auto ok = Check(*v); !ok) return fail(def, ok.error().message);
  return C{*v};
}

Parsed parse_modbus_baud(std::string_view value, const SettingArgDef& def) {
  const auto v = whole(value);
  const auto code = v ? modbus_baud_code_of(static_cast<long>(*v)) : std::nullopt;
  if (!code) return not_allowed(def, value);
  return SetModbusBaud{*code};
}

/// A named choice (ASCII case-insensitive) and the code it stands for.
struct Choice {
  std::string_view text;
  int code;
};
bool same_text(std::string_view a, std::string_view b) {
  const auto lower = [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  };
  return std::ranges::equal(a, b, {}, lower, lower);
}
template <class C, const auto& kChoices>
Parsed choice(std::string_view value, const SettingArgDef& def) {
  for (const Choice& c : kChoices) {
    if (same_text(value, c.text)) return C{c.code};
  }
  return not_allowed(def, value);
}
constexpr std::array<Choice, 3> kParities{{{"even", 1}, {"none", 2}, {"odd", 3}}};
constexpr std::array<Choice, 4> kPulseTypes{{{"active-reactive", 1},
                                             {"forward-reverse", 2},
                                             {"active&reactive", 1},
                                             {"forward&reverse", 2}}};
constexpr std::array<Choice, 10> kCombinations{{{"C-01", 1},
                                                {"C-02", 2},
                                                {"C-03", 3},
                                                {"C-04", 4},
                                                {"C-05", 5},
                                                {"1", 1},
                                                {"2", 2},
                                                {"3", 3},
                                                {"4", 4},
                                                {"5", 5}}};
constexpr std::array<Choice, 3> kBacklights{{{"on", 0}, {"off", 1}, {"button", 2}}};
constexpr std::array<Choice, 2> kScreens{{{"standard", 0}, {"turned", 1}}};
constexpr std::array<Choice, 2> kDataTypes{{{"standard", 1}, {"integer", 2}}};
constexpr std::array<Choice, 8> kTariffs{
    {{"T1", 1}, {"T2", 2}, {"T3", 3}, {"T4", 4}, {"1", 1}, {"2", 2}, {"3", 3}, {"4", 4}}};

Parsed parse_obis(std::string_view value, const SettingArgDef& def) {
  if (same_text(value, "on")) return SetObis{true};
  if (same_text(value, "off")) return SetObis{false};
  return not_allowed(def, value);
}

Parsed parse_reset(std::string_view value, const SettingArgDef& def) {
  if (same_text(value, "trip-counter")) return ResetTripCounter{};
  if (same_text(value, "power-down-counter")) return ResetPowerDownCounter{};
  return not_allowed(def, value);
}

Parsed parse_secondary(std::string_view value, const SettingArgDef& def) {
  const bool ok =
      value.size() == 8 && std::ranges::all_of(value, [](char c) { return c >= '0' && c <= '9'; });
  if (!ok) return fail(def, fmt::format("'{}' is not {}", value, def.values));
  std::uint32_t bcd = 0;
  for (const char c : value) bcd = bcd << 4 | static_cast<std::uint32_t>(c - '0');
  return SetMbusSecondaryId{bcd};
}

/// "1000", "0.1", "0.01" → hundredths; nullopt for anything that is not a multiple of 0.01.
std::optional<long long> hundredths(std::string_view text) {
  const auto dot = text.find('.');
  const std::string_view int_part = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  const bool digits_only = std::ranges::all_of(frac, [](char c) { return c >= '0' && c <= '9'; });
  if (int_part.empty() || int_part.front() == '-' || !digits_only ||
      (dot != std::string_view::npos && frac.empty())) {
    return std::nullopt;
  }
  const std::string_view cents = frac.substr(0, std::min<std::size_t>(frac.size(), 2));
  if (frac.size() > 2 && frac.substr(2).find_first_not_of('0') != std::string_view::npos) {
    return std::nullopt;
  }
  const auto units = whole(int_part);
  const auto centi = cents.empty() ? std::optional<long long>{0} : whole(cents);
  if (!units || !centi || *units > 1'000'000'000) return std::nullopt;
  return *units * 100 + *centi * (cents.size() == 1 ? 10 : 1);
}

Parsed parse_s0_rate(std::string_view value, const SettingArgDef& def) {
  const auto centi = hundredths(value);
  if (!centi) {
    return fail(def, fmt::format("'{}' is not a number of imp/kWh; allowed {}", value, def.values));
  }
  if (auto ok = check_s0_rate_centi(static_cast<long>(*centi)); !ok) {
    return fail(def, ok.error().message);
  }
  return SetS0Rate{static_cast<long>(*centi)};
}

Parsed parse_ct_ratio(std::string_view value, const SettingArgDef& def) {
  const auto slash = value.find('/');
  const auto primary = whole(value.substr(0, slash));
  const auto secondary =
      slash == std::string_view::npos ? std::nullopt : whole(value.substr(slash + 1));
  const bool ok = primary && secondary && *primary >= 0 && *secondary >= 0 && *primary < 100'000 &&
                  *secondary < 100'000;
  if (!ok) {
    return fail(def, fmt::format("'{}' is not PRIMARY/SECONDARY like 500/5; allowed {}", value,
                                 def.values));
  }
  if (auto checked = check_ct_ratio(static_cast<long>(*primary), static_cast<long>(*secondary));
      !checked) {
    return fail(def, checked.error().message);
  }
  return SetCtRatio{static_cast<long>(*primary), static_cast<long>(*secondary)};
}

struct SettingSpec {
  SettingArgDef def;
  Parser parse;
};
constexpr std::array<SettingSpec, 18> kSpecs{{
    {{"modbus-id", "1-247", "modbus-id=10"}, checked<SetModbusId, check_modbus_id>},
    {{"baud", "300|600|1200|2400|4800|9600|19200|38400|57600|115200", "baud=19200"},
     parse_modbus_baud},
    {{"parity", "even|none|odd", "parity=none"}, choice<SetParity, kParities>},
    {{"mbus-id", "0-250", "mbus-id=5"}, checked<SetMbusId, check_mbus_id>},
    {{"mbus-baud", "300|600|1200|2400|4800|9600", "mbus-baud=9600"},
     checked<SetMbusBaud, check_mbus_baud>},
    {{"secondary-address", "8 decimal digits", "secondary-address=45230115"}, parse_secondary},
    {{"s0-rate", "10000|2000|1000|100|10|1|0.1|0.01", "s0-rate=100"}, parse_s0_rate},
    {{"pulse-type", "active-reactive|forward-reverse", "pulse-type=forward-reverse"},
     choice<SetPulseType, kPulseTypes>},
    {{"pulse-width", "2-99 (ms)", "pulse-width=30"}, checked<SetPulseWidth, check_pulse_width>},
    {{"combination", "C-01|C-02|C-03|C-04|C-05 or 1-5", "combination=C-03"},
     choice<SetCombination, kCombinations>},
    {{"lcd-cycle", "1-30 (s)", "lcd-cycle=10"}, checked<SetLcdCycle, check_lcd_cycle>},
    {{"backlight", "on|off|button", "backlight=off"}, choice<SetBacklight, kBacklights>},
    {{"screen-direction", "standard|turned", "screen-direction=turned"},
     choice<SetScreenDirection, kScreens>},
    {{"obis", "on|off", "obis=off"}, parse_obis},
    {{"data-type", "standard|integer", "data-type=integer"}, choice<SetDataType, kDataTypes>},
    {{"tariff", "T1|T2|T3|T4 or 1-4", "tariff=T2"}, choice<SetTariff, kTariffs>},
    {{"ct-ratio", "P/1 with P 1-9999, P/5 with P 5-9995", "ct-ratio=500/5"}, parse_ct_ratio},
    {{"reset", "trip-counter|power-down-counter", "reset=trip-counter"}, parse_reset},
}};

constexpr std::array<SettingArgDef, kSpecs.size()> kDefs = [] {
  std::array<SettingArgDef, kSpecs.size()> defs{};
  for (std::size_t i = 0; i < kSpecs.size(); ++i) defs[i] = kSpecs[i].def;
  return defs;
}();

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
  for (const SettingArgDef& def : kDefs) {
    out += fmt::format("{}{}", out.empty() ? "" : ", ", def.name);
  }
  return out;
}

}  // namespace

std::span<const SettingArgDef> setting_arg_defs() {
  return kDefs;
}

std::expected<Command, std::string> parse_setting_arg(std::string_view arg) {
  const auto eq = arg.find('=');
  const std::string_view name = arg.substr(0, eq);
  const auto spec =
      std::ranges::find(kSpecs, name, [](const SettingSpec& s) { return s.def.name; });
  if (eq == std::string_view::npos) {
    const std::string_view example = spec != kSpecs.end() ? spec->def.example : "ct-ratio=500/5";
    return std::unexpected(fmt::format("'{}' is not NAME=VALUE; write e.g. {}", arg, example));
  }
  if (name == "password") return std::unexpected(fmt::format("password: {}", kPasswordMessage));
  if (spec == kSpecs.end()) {
    return std::unexpected(
        fmt::format("unknown setting '{}'; valid names: {}", name, names_list()));
  }
  const std::string_view value = arg.substr(eq + 1);
  if (value.empty()) {
    return fail(spec->def,
                fmt::format("no value; allowed {} (e.g. {})", spec->def.values, spec->def.example));
  }
  return spec->parse(value, spec->def);
}

std::expected<ModbusWrite, std::string> modbus_write_for(const Command& command, DataType type) {
  const Target target = std::visit(ModbusTargetOf{command}, command);
  if (!target) return std::unexpected(target.error());
  const RegisterDef* def = find_register(target->register_name);
  if (def == nullptr) {
    return std::unexpected(fmt::format("cannot {}: the register map has no register \"{}\"",
                                       command_name(command), target->register_name));
  }
  ModbusWrite write{def->address, std::vector<std::uint16_t>(def->words)};
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
