// The settings table and what is derived from it inside the core: validation, texts and
// the docs table.
#include "core/meter/setting_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "core/meter/meter.hpp"

namespace ambi {
namespace {

using K = SettingKind;
using J = JsonForm;
using S = PersistentState;

template <class E>
constexpr std::int64_t code(E e) {
  return static_cast<std::int64_t>(e);
}
template <class T>
constexpr T narrow(std::int64_t v) {
  return static_cast<T>(v);
}

/// The password's four characters as their number; -1 when one is not a digit.
std::int64_t password_number(const S& s) {
  std::int64_t v = 0;
  for (const char c : s.settings.password) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}
Command password_command(std::int64_t v) {
  const auto digits = fmt::format("{:04}", v % 10'000);
  return SetPassword{{digits[0], digits[1], digits[2], digits[3]}};
}

// clang-format off
constexpr std::array<SettingDef, 18> kTable{{
    {.id = SettingId::modbus_id, .key = "modbus_id", .cli = "modbus-id", .section = "7.6.6",
     .name = "Modbus ID", .label = "Modbus ID (1 - 247)", .lcd = "Modbus ID",
     .kind = K::integer, .json = J::integer, .min = 1, .max = 247, .default_value = 1,
     .app = 1, .example = "10",
     .get = [](const S& s) -> std::int64_t { return s.settings.modbus_id; },
     .command = [](std::int64_t v) -> Command { return SetModbusId{narrow<int>(v)}; }},
    {.id = SettingId::modbus_baud, .key = "modbus_baud", .cli = "baud", .section = "7.6.7",
     .name = "Modbus baud rate", .label = "Baudrate", .lcd = "Modbus baud",
     .kind = K::choice, .json = J::number, .choices = kModbusBaudChoices, .default_value = 6,
     .unit = "bps", .app = 2, .example = "19200",
     .get = [](const S& s) -> std::int64_t { return s.settings.modbus_baud_code; },
     .command = [](std::int64_t v) -> Command { return SetModbusBaud{narrow<int>(v)}; }},
    {.id = SettingId::parity, .key = "parity", .cli = "parity", .section = "7.6.8",
     .name = "parity", .label = "Parity setting", .lcd = "Modbus parity",
     .kind = K::choice, .json = J::text, .choices = kParityChoices, .default_value = 1,
     .app = 7, .example = "none",
     .get = [](const S& s) { return code(s.settings.parity); },
     .command = [](std::int64_t v) -> Command { return SetParity{narrow<int>(v)}; }},
    {.id = SettingId::mbus_id, .key = "mbus_id", .cli = "mbus-id", .section = "7.6.9",
     .name = "M-bus ID", .label = "M-Bus ID (0 - 250)", .lcd = "M-bus ID",
     .kind = K::integer, .json = J::integer, .min = 0, .max = 250, .default_value = 0,
     .app = 3, .example = "5",
     .get = [](const S& s) -> std::int64_t { return s.settings.mbus_id; },
     .command = [](std::int64_t v) -> Command { return SetMbusId{narrow<int>(v)}; }},
    {.id = SettingId::mbus_baud, .key = "mbus_baud", .cli = "mbus-baud", .section = "7.6.10",
     .name = "M-bus baud rate", .label = "M-bus Baud rate", .lcd = "M-bus baud",
     .kind = K::choice, .json = J::number, .choices = kMbusBaudChoices, .by_value = true,
     .default_value = 2400, .unit = "bps", .app = 4, .example = "9600",
     .get = [](const S& s) -> std::int64_t { return s.settings.mbus_baud; },
     .command = [](std::int64_t v) -> Command { return SetMbusBaud{narrow<long>(v)}; }},
    {.id = SettingId::mbus_secondary_id, .key = "mbus_secondary_id", .cli = "secondary-address",
     .section = "A2.1", .name = "M-bus secondary address", .kind = K::bcd8, .json = J::text,
     .default_value = 0x19020246, .example = "45230115",
     .get = [](const S& s) -> std::int64_t { return s.settings.mbus_secondary_id; },
     .command = [](std::int64_t v) -> Command {
       return SetMbusSecondaryId{narrow<std::uint32_t>(v)};
     }},
    {.id = SettingId::s0_rate, .key = "s0_rate", .cli = "s0-rate", .section = "7.6.3",
     .name = "S0 rate", .label = "S0 output rate", .lcd = "S0 output",
     .kind = K::choice, .json = J::number, .choices = kS0RateChoices, .by_value = true,
     .decimals = 2, .default_value = 100'000, .unit = "imp/kWh", .app = 5, .example = "100",
     .get = [](const S& s) -> std::int64_t { return s.settings.s0_rate_centi; },
     .command = [](std::int64_t v) -> Command { return SetS0Rate{narrow<long>(v)}; }},
    {.id = SettingId::pulse_type, .key = "pulse_type", .cli = "pulse-type", .section = "7.6.4",
     .name = "pulse type", .label = "Pulse type", .lcd = "Pulse type",
     .kind = K::choice, .json = J::text, .choices = kPulseTypeChoices, .default_value = 1,
     .app = 10, .example = "forward-reverse",
     .get = [](const S& s) { return code(s.settings.pulse_type); },
     .command = [](std::int64_t v) -> Command { return SetPulseType{narrow<int>(v)}; }},
    {.id = SettingId::pulse_width, .key = "pulse_width_ms", .cli = "pulse-width",
     .section = "7.6.5", .name = "pulse width", .label = "Pulse width (2 - 99)",
     .lcd = "Pulse width", .kind = K::integer, .json = J::integer, .min = 2, .max = 99,
     .default_value = 30, .unit = "ms", .app = 9, .example = "30",
     .get = [](const S& s) -> std::int64_t { return s.settings.pulse_width_ms; },
     .command = [](std::int64_t v) -> Command { return SetPulseWidth{narrow<int>(v)}; }},
    {.id = SettingId::combination, .key = "combination", .cli = "combination",
     .section = "7.6.15", .name = "combination code", .label = "Combination code",
     .lcd = "Combination", .kind = K::choice, .json = J::text, .choices = kCombinationChoices,
     .cli_codes = true, .default_value = 4, .app = 6, .example = "C-03",
     .get = [](const S& s) { return code(s.settings.combination); },
     .command = [](std::int64_t v) -> Command { return SetCombination{narrow<int>(v)}; }},
    {.id = SettingId::lcd_cycle, .key = "lcd_cycle_s", .cli = "lcd-cycle", .section = "7.6.16",
     .name = "LCD cycle time", .lcd = "Scroll time", .kind = K::integer, .json = J::integer,
     .min = 1, .max = 30, .default_value = 5, .unit = "s", .example = "10",
     .get = [](const S& s) -> std::int64_t { return s.settings.lcd_cycle_s; },
     .command = [](std::int64_t v) -> Command { return SetLcdCycle{narrow<int>(v)}; }},
    {.id = SettingId::backlight, .key = "backlight", .cli = "backlight", .section = "7.6.11",
     .name = "backlight mode", .lcd = "Backlight", .kind = K::choice, .json = J::text,
     .choices = kBacklightChoices, .default_value = 2, .example = "off",
     .get = [](const S& s) { return code(s.settings.backlight); },
     .command = [](std::int64_t v) -> Command { return SetBacklight{narrow<int>(v)}; }},
    {.id = SettingId::screen_direction, .key = "screen_direction", .cli = "screen-direction",
     .section = "A3.2 (4032)", .name = "screen direction", .label = "Screen direction",
     .kind = K::choice, .json = J::code, .choices = kScreenDirectionChoices,
     .default_value = 0, .app = 12, .example = "turned",
     .get = [](const S& s) -> std::int64_t { return s.settings.screen_direction; },
     .command = [](std::int64_t v) -> Command { return SetScreenDirection{narrow<int>(v)}; }},
    {.id = SettingId::obis, .key = "obis", .cli = "obis", .section = "7.6.14", .name = "OBIS",
     .label = "OBIS code (LCD part 3)", .lcd = "OBIS", .kind = K::choice, .json = J::boolean,
     .choices = kObisChoices, .default_value = 1, .app = 13, .example = "off",
     .get = [](const S& s) -> std::int64_t { return s.settings.obis ? 1 : 0; },
     .command = [](std::int64_t v) -> Command { return SetObis{v == 1}; }},
    {.id = SettingId::data_type, .key = "data_type", .cli = "data-type",
     .section = "A3.2 (4026)", .name = "data type", .label = "Data type setting",
     .kind = K::choice, .json = J::text, .choices = kDataTypeChoices, .default_value = 1,
     .app = 11, .example = "integer",
     .get = [](const S& s) { return code(s.settings.data_type); },
     .command = [](std::int64_t v) -> Command { return SetDataType{narrow<int>(v)}; }},
    {.id = SettingId::tariff, .key = "tariff", .cli = "tariff", .section = "7.6.2",
     .name = "tariff", .label = "Tariff", .lcd = "Tariff", .kind = K::choice, .json = J::code,
     .choices = kTariffChoices, .cli_codes = true, .default_value = 1, .app = 8, .example = "T2",
     .get = [](const S& s) -> std::int64_t { return s.tariff; },
     .command = [](std::int64_t v) -> Command { return SetTariff{narrow<int>(v)}; }},
    {.id = SettingId::ct_ratio, .key = "ct_ratio", .cli = "ct-ratio", .section = "7.6.17",
     .name = "CT ratio", .lcd = "CT ratio", .kind = K::ct_ratio, .json = J::text,
     .default_value = pack_ct(5, 5), .unit = "A", .example = "500/5",
     .get = [](const S& s) { return pack_ct(s.ct.primary, s.ct.secondary); },
     .command = [](std::int64_t v) -> Command {
       const CtRatio ct = unpack_ct(v);
       return SetCtRatio{ct.primary, ct.secondary};
     }},
    {.id = SettingId::password, .key = "password", .section = "7.6.1", .name = "password",
     .lcd = "Password", .kind = K::digits4, .json = J::hidden, .default_value = 0,
     .example = "1234", .get = password_number, .command = password_command},
}};
// clang-format on

/// `setting(id)` indexes the table by id.
constexpr bool in_id_order() {
  for (std::size_t i = 0; i < kTable.size(); ++i) {
    if (static_cast<std::size_t>(kTable[i].id) != i) return false;
  }
  return true;
}
static_assert(in_id_order(), "kTable rows must follow SettingId");

std::unexpected<Rejection> out_of_range(std::string message) {
  return std::unexpected(Rejection{Rejection::Kind::out_of_range, std::move(message)});
}

std::string with_unit(std::string text, std::string_view unit) {
  return unit.empty() ? text : fmt::format("{} {}", text, unit);
}

/// A by-value choice's value in its unit: 100000 hundredths → "1000.00".
std::string scaled(const SettingDef& def, std::int64_t value) {
  if (def.decimals == 0) return fmt::format("{}", value);
  const auto scale = static_cast<std::int64_t>(std::pow(10, def.decimals));
  const std::int64_t magnitude = value < 0 ? -value : value;
  return fmt::format("{}{}.{:0{}}", value < 0 ? "-" : "", magnitude / scale, magnitude % scale,
                     def.decimals);
}

Outcome<> check_choice(const SettingDef& def, std::int64_t value) {
  if (choice_of_code(def, value) != nullptr) return {};
  if (def.by_value) {
    std::string texts;
    for (const SettingChoice& c : def.choices)
      texts += fmt::format("{}{}", texts.empty() ? "" : ", ", c.text);
    return out_of_range(fmt::format("{} {} not one of {}", def.name,
                                    with_unit(scaled(def, value), def.unit), texts));
  }
  std::string codes;
  for (const SettingChoice& c : def.choices) {
    codes += fmt::format("{}{}={}", codes.empty() ? "" : " ", c.code, c.text);
  }
  return out_of_range(fmt::format("{} code {} out of range ({})", def.name, value, codes));
}

}  // namespace

Outcome<> check_ct_ratio(std::int64_t primary, std::int64_t secondary) {
  if (secondary == 1 && primary >= 1 && primary <= 9999) return {};
  if (secondary == 5 && primary >= 5 && primary <= 9995) return {};
  if (secondary != 1 && secondary != 5) {
    return out_of_range(fmt::format("CT secondary current {} A must be 1 or 5", secondary));
  }
  return out_of_range(fmt::format("CT primary current {} A out of range {} for /{} A", primary,
                                  secondary == 1 ? "1-9999" : "5-9995", secondary));
}

namespace {

Outcome<> check_bcd8(const SettingDef& def, std::int64_t value) {
  const bool fits = value >= 0 && value <= 0xFFFF'FFFF;
  for (int shift = 0; fits && shift < 32; shift += 4) {
    if (((value >> shift) & 0xF) > 9) {
      return out_of_range(fmt::format("{} {:08X} is not 8 BCD digits", def.name, value));
    }
  }
  if (!fits) return out_of_range(fmt::format("{} {} is not 8 BCD digits", def.name, value));
  return {};
}

bool same_text(std::string_view a, std::string_view b, bool any_case) {
  if (!any_case) return a == b;
  const auto lower = [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  };
  return std::ranges::equal(a, b, {}, lower, lower);
}

}  // namespace

std::span<const SettingDef> setting_table() {
  return kTable;
}

const SettingDef& setting(SettingId id) {
  return kTable[static_cast<std::size_t>(id)];
}

const SettingDef* find_setting_by_key(std::string_view key) {
  const auto it = std::ranges::find(kTable, key, &SettingDef::key);
  return it == kTable.end() ? nullptr : &*it;
}

const SettingDef* find_setting_by_cli(std::string_view cli) {
  if (cli.empty()) return nullptr;
  const auto it = std::ranges::find(kTable, cli, &SettingDef::cli);
  return it == kTable.end() ? nullptr : &*it;
}

Outcome<> check_setting(const SettingDef& def, std::int64_t value) {
  switch (def.kind) {
    case K::integer:
      if (value >= def.min && value <= def.max) return {};
      return out_of_range(fmt::format("{} out of range {}-{}",
                                      with_unit(fmt::format("{} {}", def.name, value), def.unit),
                                      def.min, def.max));
    case K::choice:
      return check_choice(def, value);
    case K::bcd8:
      return check_bcd8(def, value);
    case K::ct_ratio:
      return check_ct_ratio(value / 10'000, value % 10'000);
    case K::digits4:
      if (value >= 0 && value <= 9999) return {};
      return out_of_range("password must be exactly 4 digits 0-9");
  }
  return {};
}

const SettingChoice* choice_of_code(const SettingDef& def, std::int64_t code) {
  const auto it = std::ranges::find(def.choices, code, &SettingChoice::code);
  return it == def.choices.end() ? nullptr : &*it;
}

const SettingChoice* choice_of_text(const SettingDef& def, std::string_view text, bool any_case) {
  for (const SettingChoice& c : def.choices) {
    if (same_text(text, c.text, any_case) ||
        (!c.alias.empty() && same_text(text, c.alias, any_case))) {
      return &c;
    }
  }
  return nullptr;
}

std::optional<std::int64_t> decimal_millionths(std::string_view text) {
  constexpr std::int64_t kMillion = 1'000'000;
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view frac =
      dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  const auto digits = [](std::string_view t) {
    return std::ranges::all_of(t, [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() || whole.size() > 12 || !digits(whole) || !digits(frac) ||
      (dot != std::string_view::npos && frac.empty())) {
    return std::nullopt;
  }
  if (frac.size() > 6 && frac.substr(6).find_first_not_of('0') != std::string_view::npos) {
    return std::nullopt;
  }
  std::int64_t v = 0;
  for (const char c : whole) v = v * 10 + (c - '0');
  std::int64_t f = 0;
  for (std::size_t i = 0; i < 6; ++i) f = f * 10 + (i < frac.size() ? frac[i] - '0' : 0);
  return v * kMillion + f;
}

const SettingChoice* choice_of_number(const SettingDef& def, double value) {
  if (!std::isfinite(value) || std::abs(value) > 1e12) return nullptr;
  const std::int64_t wanted = std::llround(value * 1e6);
  for (const SettingChoice& c : def.choices) {
    if (decimal_millionths(c.text) == wanted) return &c;
  }
  return nullptr;
}

std::string setting_text(const SettingDef& def, std::int64_t value) {
  switch (def.kind) {
    case K::integer:
      return fmt::format("{}", value);
    case K::choice: {
      const SettingChoice* c = choice_of_code(def, value);
      return c != nullptr ? std::string(c->text) : fmt::format("code {}", value);
    }
    case K::bcd8:
      return fmt::format("{:08X}", value);
    case K::ct_ratio: {
      const CtRatio ct = unpack_ct(value);
      return fmt::format("{}/{}", ct.primary, ct.secondary);
    }
    case K::digits4:
      return fmt::format("{:04}", value);
  }
  return {};
}

std::string allowed_text(const SettingDef& def) {
  switch (def.kind) {
    case K::integer:
      return def.unit.empty() ? fmt::format("{}-{}", def.min, def.max)
                              : fmt::format("{}-{} ({})", def.min, def.max, def.unit);
    case K::choice: {
      std::string out;
      for (const SettingChoice& c : def.choices) {
        out += fmt::format("{}{}", out.empty() ? "" : "|", c.alias.empty() ? c.text : c.alias);
      }
      if (def.cli_codes) {
        out += fmt::format(" or {}-{}", def.choices.front().code, def.choices.back().code);
      }
      return out;
    }
    case K::bcd8:
      return "8 decimal digits";
    case K::ct_ratio:
      return "P/1 with P 1-9999, P/5 with P 5-9995";
    case K::digits4:
      return "4 digits 0-9";
  }
  return {};
}

std::string render_setting_table() {
  std::string out =
      "<!-- Generated from src/core/meter/setting_table.cpp by "
      "tests/unit/core/meter/setting_docs_test.cpp.\n"
      "     Do not edit: run the unit tests with AMBI_REGEN_DOCS=1 to rewrite it. -->\n"
      "# Settings\n\n"
      "Every setting of the meter as the twin keeps it, declared once "
      "(src/core/meter/setting_table.cpp): the control API's JSON key (`GET /api/v1/state`, "
      "`PUT /api/v1/settings`), the name `ambimeter write` takes, the manual's section, what is "
      "allowed and the factory default. Which face may change which setting is in "
      "docs/spec-decisions.md (C11).\n\n"
      "| JSON key | `write` name | manual | allowed | default | unit | LCD menu | app |\n"
      "|---|---|---|---|---|---|---|---|\n";
  for (const SettingDef& def : kTable) {
    const std::string allowed = def.kind == K::choice ? [&] {
      std::string list;
      for (const SettingChoice& c : def.choices) {
        list += fmt::format("{}`{}`", list.empty() ? "" : ", ", c.text);
      }
      return list;
    }()
                                                      : allowed_text(def);
    out +=
        fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |\n",
                    def.json == J::hidden ? "—" : fmt::format("`{}`", def.key),
                    def.cli.empty() ? "—" : fmt::format("`{}`", def.cli), def.section, allowed,
                    def.id == SettingId::mbus_secondary_id ? "the serial number"
                                                           : setting_text(def, def.default_value),
                    def.unit, def.lcd.empty() ? "—" : def.lcd, def.label.empty() ? "—" : def.label);
  }
  return out;
}

}  // namespace ambi
