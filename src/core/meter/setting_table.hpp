#pragma once
// Every setting of the meter declared once (manual 7.6, A2.2, A3.2, A4): its names on each
// face, the manual section, its range or choices, its default, unit and LCD page. The
// meter's validation, the storage check, the LCD menu's choices, `ambimeter write`'s
// NAME=VALUE grammar and help, the control API's JSON both ways, the schema the web page
// builds its form from and docs/settings.md are all derived from this table. Adding a
// setting means one row here plus the code that acts on it (a Command, its handler in
// meter_commands.cpp and its place in Settings).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/meter/commands.hpp"
#include "core/meter/settings.hpp"

namespace ambi {

struct PersistentState;

enum class SettingId : std::uint8_t {
  modbus_id,
  modbus_baud,
  parity,
  mbus_id,
  mbus_baud,
  mbus_secondary_id,
  s0_rate,
  pulse_type,
  pulse_width,
  combination,
  lcd_cycle,
  backlight,
  screen_direction,
  obis,
  data_type,
  tariff,
  ct_ratio,
  password,
};

/// What a setting's value is.
enum class SettingKind : std::uint8_t {
  integer,   ///< a whole number in [min, max]
  choice,    ///< one of `choices` (its code)
  bcd8,      ///< 8 decimal digits, kept as BCD (the M-bus secondary address)
  ct_ratio,  ///< PRIMARY/SECONDARY A, packed as primary × 10000 + secondary (`pack_ct`)
  digits4,   ///< 4 digits 0-9 (the password), kept as their number
};

/// How the control API's JSON writes a value (GET /api/v1/state "settings", PUT settings).
enum class JsonForm : std::uint8_t {
  integer,  ///< the value as a JSON integer
  number,   ///< a choice's text as a JSON number (9600, 0.01)
  text,     ///< a choice's text (or the bcd8 / ct_ratio text) as a JSON string
  code,     ///< a choice's code as a JSON integer (the text is accepted too)
  boolean,  ///< a 0/1 choice as false/true (0 and 1 are accepted too)
  hidden,   ///< never shown nor set through the API (the password)
};

/// One row of the table.
struct SettingDef {
  SettingId id = SettingId::modbus_id;
  std::string_view key = {};      ///< JSON: "modbus_id"
  std::string_view cli = {};      ///< `ambimeter write`: "modbus-id"; empty: not writable there
  std::string_view section = {};  ///< manual: "7.6.6"
  std::string_view name = {};     ///< in messages: "Modbus ID"
  std::string_view label = {};    ///< the app's wording (A4)
  std::string_view lcd = {};      ///< the LCD menu page's title; empty: not on the menu
  SettingKind kind = SettingKind::integer;
  JsonForm json = JsonForm::integer;
  std::int64_t min = 0;  ///< integer: the range
  std::int64_t max = 0;
  std::span<const SettingChoice> choices = {};
  /// choice: the code is the value itself, in units of 10^-decimals of `unit` (the M-bus
  /// baud rate, the S0 rate in hundredths); else the code stands for its text.
  bool by_value = false;
  int decimals = 0;
  bool cli_codes = false;  ///< `ambimeter write` takes the codes too ("tariff=2")
  std::int64_t default_value = 0;
  std::string_view unit = {};  ///< "ms", "s", "bps", "imp/kWh", "A"; empty for none
  int app = 0;  ///< position on the app's settings page (A4's order), from 1; 0: not there
  std::string_view example = {};  ///< a valid value for help texts: "10"
  std::int64_t (*get)(const PersistentState& state) = nullptr;
  Command (*command)(std::int64_t value) = nullptr;
};

/// Every setting, in the order of the manual's settings menu where it has one.
[[nodiscard]] std::span<const SettingDef> setting_table();
/// The row of `id`.
[[nodiscard]] const SettingDef& setting(SettingId id);
/// The row whose JSON key or command-line name is `name`; null when there is none.
[[nodiscard]] const SettingDef* find_setting_by_key(std::string_view key);
[[nodiscard]] const SettingDef* find_setting_by_cli(std::string_view cli);

/// Whether `value` is allowed; the refusal names the setting, the value and what is allowed
/// ("Modbus ID 300 out of range 1-247", "parity code 4 out of range (1=even 2=none 3=odd)").
[[nodiscard]] Outcome<> check_setting(const SettingDef& def, std::int64_t value);
[[nodiscard]] inline Outcome<> check_setting(SettingId id, std::int64_t value) {
  return check_setting(setting(id), value);
}

/// The CT ratio's rule (7.6.17): /1 A with primary 1-9999 A, /5 A with 5-9995 A.
[[nodiscard]] Outcome<> check_ct_ratio(std::int64_t primary, std::int64_t secondary);

/// The choice of `def` with `code`; null when there is none.
[[nodiscard]] const SettingChoice* choice_of_code(const SettingDef& def, std::int64_t code);
/// The choice whose text (or alias) is `text`, ASCII case ignored when `any_case`.
[[nodiscard]] const SettingChoice* choice_of_text(const SettingDef& def, std::string_view text,
                                                  bool any_case);
/// The choice whose text is the number `value` (9600, 0.01), compared in millionths: the
/// one rule by which a number becomes a choice, from JSON, the command line or a register.
[[nodiscard]] const SettingChoice* choice_of_number(const SettingDef& def, double value);
/// A decimal text ("0.01", "1000.00") as millionths; nullopt for anything else.
[[nodiscard]] std::optional<std::int64_t> decimal_millionths(std::string_view text);

/// The value as the meter shows it: a choice's text, the number, "45230115", "500/5".
[[nodiscard]] std::string setting_text(const SettingDef& def, std::int64_t value);
/// What `ambimeter write` and the docs list as allowed: "1-247", "even|none|odd",
/// "T1|T2|T3|T4 or 1-4", "8 decimal digits".
[[nodiscard]] std::string allowed_text(const SettingDef& def);

/// The CT ratio packed into one value, and back.
[[nodiscard]] constexpr std::int64_t pack_ct(std::int64_t primary, std::int64_t secondary) {
  return primary * 10'000 + secondary;
}
[[nodiscard]] constexpr CtRatio unpack_ct(std::int64_t packed) {
  return CtRatio{static_cast<std::uint16_t>(packed / 10'000),
                 static_cast<std::uint8_t>(packed % 10'000)};
}

/// docs/settings.md: the table as markdown.
[[nodiscard]] std::string render_setting_table();

}  // namespace ambi
