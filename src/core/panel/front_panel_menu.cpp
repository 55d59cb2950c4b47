// The settings menu pages of manual 7.6.1-7.6.17, declared once.
#include "core/panel/front_panel_menu.hpp"

#include <fmt/format.h>

#include <array>
#include <vector>

#include "core/meter/setting_table.hpp"
#include "core/panel/lcd_screen.hpp"

namespace ambi {
namespace {

/// The number written by the decimal digits of `text` (digits only, as the layout makes them).
int number(std::string_view text) {
  int n = 0;
  for (const char c : text) n = n * 10 + (c - '0');
  return n;
}

/// A setting's present value as a menu page shows it: its text, zero-padded to `width`
/// digits for a number typed digit by digit.
template <SettingId Id, int Width = 0>
std::string show(const Meter& m) {
  const SettingDef& def = setting(Id);
  const std::int64_t value = def.get(m.state());
  if (Width > 0) return fmt::format("{:0{}}", value, Width);
  return setting_text(def, value);
}
std::string show_ct(const Meter& m) {
  return format_ct_ratio(m.state().ct);
}
std::string show_power_downs(const Meter& m) {
  return fmt::format("{}", m.state().power_down_counter);
}
std::string show_trip(const Meter& m) {
  return format_kwh(m.trip_total());
}
std::string show_nothing(const Meter&) {
  return {};
}

/// The typed digits as the setting's command (the meter validates it).
template <SettingId Id>
Command parse_number(std::string_view t) {
  return setting(Id).command(number(t));
}
Command parse_password(std::string_view t) {
  return SetPassword{{t[0], t[1], t[2], t[3]}};
}
Command parse_ct(std::string_view t) {
  return SetCtRatio{number(t.substr(0, 4)), number(t.substr(5, 1))};
}

/// A choice page's list, from the settings table: every choice and its command.
template <SettingId Id>
std::span<const MenuChoice> choices() {
  static const std::vector<MenuChoice> kChoices = [] {
    const SettingDef& def = setting(Id);
    std::vector<MenuChoice> out;
    for (const SettingChoice& c : def.choices) out.push_back({c.text, def.command(c.code)});
    return out;
  }();
  return kChoices;
}

constexpr std::array<MenuChoice, 2> kResetPowerDowns{
    {{"no", std::nullopt}, {"yes", ResetPowerDownCounter{}}}};
constexpr std::array<MenuChoice, 2> kResetTrip{{{"no", std::nullopt}, {"yes", ResetTripCounter{}}}};

using E = MenuEdit;
using I = SettingId;

/// A page that edits a setting: its section, title and unit come from the settings table.
MenuItem page(SettingId id, MenuEdit edit, std::string (*shown)(const Meter&),
              std::string_view layout = {}, Command (*parse)(std::string_view) = nullptr,
              std::span<const MenuChoice> list = {}) {
  const SettingDef& def = setting(id);
  return {def.section, def.lcd, def.unit, edit, shown, layout, parse, list};
}

std::vector<MenuItem> make_items() {
  return {
      page(I::password, E::digits, show<I::password, 4>, "dddd", parse_password),
      page(I::tariff, E::choice, show<I::tariff>, {}, nullptr, choices<I::tariff>()),
      page(I::s0_rate, E::choice, show<I::s0_rate>, {}, nullptr, choices<I::s0_rate>()),
      page(I::pulse_type, E::choice, show<I::pulse_type>, {}, nullptr, choices<I::pulse_type>()),
      page(I::pulse_width, E::digits, show<I::pulse_width, 2>, "dd", parse_number<I::pulse_width>),
      page(I::modbus_id, E::digits, show<I::modbus_id, 3>, "ddd", parse_number<I::modbus_id>),
      page(I::modbus_baud, E::choice, show<I::modbus_baud>, {}, nullptr, choices<I::modbus_baud>()),
      page(I::parity, E::choice, show<I::parity>, {}, nullptr, choices<I::parity>()),
      page(I::mbus_id, E::digits, show<I::mbus_id, 3>, "ddd", parse_number<I::mbus_id>),
      page(I::mbus_baud, E::choice, show<I::mbus_baud>, {}, nullptr, choices<I::mbus_baud>()),
      page(I::backlight, E::choice, show<I::backlight>, {}, nullptr, choices<I::backlight>()),
      {"7.6.12", "Power down", "", E::confirm, show_power_downs, "", nullptr, kResetPowerDowns},
      {"7.6.13", "Trip", "kWh", E::confirm, show_trip, "", nullptr, kResetTrip},
      page(I::obis, E::choice, show<I::obis>, {}, nullptr, choices<I::obis>()),
      page(I::combination, E::read_only, show<I::combination>),
      page(I::lcd_cycle, E::digits, show<I::lcd_cycle, 2>, "dd", parse_number<I::lcd_cycle>),
      page(I::ct_ratio, E::digits, show_ct, "dddd/s", parse_ct),
      {"7.6", "Exit", "", E::exit, show_nothing, "", nullptr, {}},
  };
}

}  // namespace

std::span<const MenuItem> menu_items() {
  static const std::vector<MenuItem> kItems = make_items();
  return kItems;
}

std::string_view menu_alphabet(char layout) {
  if (layout == 'd') return "0123456789";
  if (layout == 's') return "15";
  return {};
}

}  // namespace ambi
