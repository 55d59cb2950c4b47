// The settings menu pages of manual 7.6.1-7.6.17, declared once.
#include "core/panel/front_panel_menu.hpp"

#include <fmt/format.h>

#include <array>

#include "core/panel/lcd_screen.hpp"

namespace ambi {
namespace {

/// The number written by the decimal digits of `text` (digits only, as the layout makes them).
int number(std::string_view text) {
  int n = 0;
  for (const char c : text) n = n * 10 + (c - '0');
  return n;
}

std::string show_password(const Meter& m) {
  return std::string(m.settings().password.begin(), m.settings().password.end());
}
std::string show_tariff(const Meter& m) {
  return fmt::format("T{}", m.tariff());
}
std::string show_s0_rate(const Meter& m);
std::string show_pulse_type(const Meter& m) {
  return std::string(to_string(m.settings().pulse_type));
}
std::string show_pulse_width(const Meter& m) {
  return fmt::format("{:02}", m.settings().pulse_width_ms);
}
std::string show_modbus_id(const Meter& m) {
  return fmt::format("{:03}", m.settings().modbus_id);
}
std::string show_modbus_baud(const Meter& m) {
  return fmt::format("{}", modbus_baud_rate(m.settings().modbus_baud_code));
}
std::string show_parity(const Meter& m) {
  return std::string(to_string(m.settings().parity));
}
std::string show_mbus_id(const Meter& m) {
  return fmt::format("{:03}", m.settings().mbus_id);
}
std::string show_mbus_baud(const Meter& m) {
  return fmt::format("{}", m.settings().mbus_baud);
}
std::string show_backlight(const Meter& m) {
  return std::string(to_string(m.settings().backlight));
}
std::string show_power_downs(const Meter& m) {
  return fmt::format("{}", m.state().power_down_counter);
}
std::string show_trip(const Meter& m) {
  return format_kwh(m.trip_total());
}
std::string show_obis(const Meter& m) {
  return m.settings().obis ? "on" : "off";
}
std::string show_combination(const Meter& m) {
  return std::string(to_string(m.settings().combination));
}
std::string show_scroll(const Meter& m) {
  return fmt::format("{:02}", m.settings().lcd_cycle_s);
}
std::string show_ct(const Meter& m) {
  return format_ct_ratio(m.state().ct);
}
std::string show_nothing(const Meter&) {
  return {};
}

Command parse_password(std::string_view t) {
  return SetPassword{{t[0], t[1], t[2], t[3]}};
}
Command parse_pulse_width(std::string_view t) {
  return SetPulseWidth{number(t)};
}
Command parse_modbus_id(std::string_view t) {
  return SetModbusId{number(t)};
}
Command parse_mbus_id(std::string_view t) {
  return SetMbusId{number(t)};
}
Command parse_scroll(std::string_view t) {
  return SetLcdCycle{number(t)};
}
Command parse_ct(std::string_view t) {
  return SetCtRatio{number(t.substr(0, 4)), number(t.substr(5, 1))};
}

constexpr std::array<MenuChoice, 4> kTariffs{
    {{"T1", SetTariff{1}}, {"T2", SetTariff{2}}, {"T3", SetTariff{3}}, {"T4", SetTariff{4}}}};
/// 7.6.3, in the order of kS0RatesCenti.
constexpr std::array<MenuChoice, 8> kS0Rates{{{"10000", SetS0Rate{1'000'000}},
                                              {"2000", SetS0Rate{200'000}},
                                              {"1000", SetS0Rate{100'000}},
                                              {"100", SetS0Rate{10'000}},
                                              {"10", SetS0Rate{1'000}},
                                              {"1", SetS0Rate{100}},
                                              {"0.1", SetS0Rate{10}},
                                              {"0.01", SetS0Rate{1}}}};
constexpr std::array<MenuChoice, 2> kPulseTypes{
    {{"active&reactive", SetPulseType{1}}, {"forward&reverse", SetPulseType{2}}}};
/// Register 4004's ten rates (R2), codes 1-10.
constexpr std::array<MenuChoice, 10> kModbusBauds{{{"300", SetModbusBaud{1}},
                                                   {"600", SetModbusBaud{2}},
                                                   {"1200", SetModbusBaud{3}},
                                                   {"2400", SetModbusBaud{4}},
                                                   {"4800", SetModbusBaud{5}},
                                                   {"9600", SetModbusBaud{6}},
                                                   {"19200", SetModbusBaud{7}},
                                                   {"38400", SetModbusBaud{8}},
                                                   {"57600", SetModbusBaud{9}},
                                                   {"115200", SetModbusBaud{10}}}};
constexpr std::array<MenuChoice, 3> kParities{
    {{"even", SetParity{1}}, {"none", SetParity{2}}, {"odd", SetParity{3}}}};
constexpr std::array<MenuChoice, 6> kMbusBauds{{{"300", SetMbusBaud{300}},
                                                {"600", SetMbusBaud{600}},
                                                {"1200", SetMbusBaud{1200}},
                                                {"2400", SetMbusBaud{2400}},
                                                {"4800", SetMbusBaud{4800}},
                                                {"9600", SetMbusBaud{9600}}}};
constexpr std::array<MenuChoice, 3> kBacklights{
    {{"on", SetBacklight{0}}, {"off", SetBacklight{1}}, {"button", SetBacklight{2}}}};
constexpr std::array<MenuChoice, 2> kObis{{{"on", SetObis{true}}, {"off", SetObis{false}}}};
constexpr std::array<MenuChoice, 2> kResetPowerDowns{
    {{"no", std::nullopt}, {"yes", ResetPowerDownCounter{}}}};
constexpr std::array<MenuChoice, 2> kResetTrip{{{"no", std::nullopt}, {"yes", ResetTripCounter{}}}};

std::string show_s0_rate(const Meter& m) {
  for (std::size_t i = 0; i < kS0RatesCenti.size(); ++i) {
    if (kS0RatesCenti[i] == m.settings().s0_rate_centi) return std::string(kS0Rates[i].text);
  }
  return {};
}

using E = MenuEdit;
constexpr std::array<MenuItem, 18> kItems{{
    {"7.6.1", "Password", "", E::digits, show_password, "dddd", parse_password, {}},
    {"7.6.2", "Tariff", "", E::choice, show_tariff, "", nullptr, kTariffs},
    {"7.6.3", "S0 output", "imp/kWh", E::choice, show_s0_rate, "", nullptr, kS0Rates},
    {"7.6.4", "Pulse type", "", E::choice, show_pulse_type, "", nullptr, kPulseTypes},
    {"7.6.5", "Pulse width", "ms", E::digits, show_pulse_width, "dd", parse_pulse_width, {}},
    {"7.6.6", "Modbus ID", "", E::digits, show_modbus_id, "ddd", parse_modbus_id, {}},
    {"7.6.7", "Modbus baud", "bps", E::choice, show_modbus_baud, "", nullptr, kModbusBauds},
    {"7.6.8", "Modbus parity", "", E::choice, show_parity, "", nullptr, kParities},
    {"7.6.9", "M-bus ID", "", E::digits, show_mbus_id, "ddd", parse_mbus_id, {}},
    {"7.6.10", "M-bus baud", "bps", E::choice, show_mbus_baud, "", nullptr, kMbusBauds},
    {"7.6.11", "Backlight", "", E::choice, show_backlight, "", nullptr, kBacklights},
    {"7.6.12", "Power down", "", E::confirm, show_power_downs, "", nullptr, kResetPowerDowns},
    {"7.6.13", "Trip", "kWh", E::confirm, show_trip, "", nullptr, kResetTrip},
    {"7.6.14", "OBIS", "", E::choice, show_obis, "", nullptr, kObis},
    {"7.6.15", "Combination", "", E::read_only, show_combination, "", nullptr, {}},
    {"7.6.16", "Scroll time", "s", E::digits, show_scroll, "dd", parse_scroll, {}},
    {"7.6.17", "CT ratio", "A", E::digits, show_ct, "dddd/s", parse_ct, {}},
    {"7.6", "Exit", "", E::exit, show_nothing, "", nullptr, {}},
}};

}  // namespace

std::span<const MenuItem> menu_items() {
  return kItems;
}

std::string_view menu_alphabet(char layout) {
  if (layout == 'd') return "0123456789";
  if (layout == 's') return "15";
  return {};
}

}  // namespace ambi
