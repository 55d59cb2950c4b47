#pragma once
// The meter's settings (manual 7.6, A3.2, A2.2, A4 settings table) with their defaults,
// ranges and the validation every command path shares.

#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace ambi {

/// Combination code C-01..C-05 (manual 7.6.15). Default C-04; C-05 is a one-way door.
enum class CombinationCode : std::uint8_t {
  forward_only = 1,
  reverse_only = 2,
  forward_plus_reverse = 3,
  forward_minus_reverse = 4,
  netted_forward_minus_reverse = 5,
};

/// Modbus parity, coded as register 4011 (1 even, 2 none, 3 odd).
enum class Parity : std::uint8_t { even = 1, none = 2, odd = 3 };

/// S0 pulse type, coded as register 4022 (manual 7.6.4).
enum class PulseType : std::uint8_t { active_reactive = 1, forward_reverse = 2 };

/// Backlight mode (manual 7.6.11).
enum class Backlight : std::uint8_t { on = 0, off = 1, button = 2 };

/// Data type setting, register 4026 (1 standard float, 2 integer).
enum class DataType : std::uint8_t { standard = 1, integer = 2 };

/// One value a coded setting can take: the code the meter stores (and its register or
/// record carries), the word the control API, `ambimeter write`, the LCD and the docs use,
/// the app's wording, and another spelling `ambimeter write` also takes.
struct SettingChoice {
  std::int64_t code;
  std::string_view text;        ///< "even", "9600", "C-04", "0.01"
  std::string_view label;       ///< the app's (manual A4): "Even", "C-04 Forward - Reverse"
  std::string_view alias = {};  ///< another spelling for the command line: "active-reactive"
};

/// The choices of every coded setting, in the order of their codes (the LCD menu's order).
inline constexpr std::array<SettingChoice, 10> kModbusBaudChoices{{
    {1, "300", "300"},
    {2, "600", "600"},
    {3, "1200", "1200"},
    {4, "2400", "2400"},
    {5, "4800", "4800"},
    {6, "9600", "9600"},
    {7, "19200", "19200"},
    {8, "38400", "38400"},
    {9, "57600", "57600"},  // "56700" in 5.5/7.6.7/A3.1/A4 is a typo (R2)
    {10, "115200", "115200"},
}};
inline constexpr std::array<SettingChoice, 3> kParityChoices{
    {{1, "even", "Even"}, {2, "none", "None"}, {3, "odd", "Odd"}}};
inline constexpr std::array<SettingChoice, 6> kMbusBaudChoices{{{300, "300", "300"},
                                                                {600, "600", "600"},
                                                                {1200, "1200", "1200"},
                                                                {2400, "2400", "2400"},
                                                                {4800, "4800", "4800"},
                                                                {9600, "9600", "9600"}}};
/// S0 rates stored in hundredths of imp/kWh (7.6.3).
inline constexpr std::array<SettingChoice, 8> kS0RateChoices{{{1'000'000, "10000", "10000"},
                                                              {200'000, "2000", "2000"},
                                                              {100'000, "1000", "1000"},
                                                              {10'000, "100", "100"},
                                                              {1'000, "10", "10"},
                                                              {100, "1", "1"},
                                                              {10, "0.1", "0.1"},
                                                              {1, "0.01", "0.01"}}};
inline constexpr std::array<SettingChoice, 2> kPulseTypeChoices{
    {{1, "active&reactive", "Active & reactive", "active-reactive"},
     {2, "forward&reverse", "Forward & reverse", "forward-reverse"}}};
inline constexpr std::array<SettingChoice, 5> kCombinationChoices{
    {{1, "C-01", "C-01 Forward only"},
     {2, "C-02", "C-02 Reverse only"},
     {3, "C-03", "C-03 Forward + Reverse"},
     {4, "C-04", "C-04 Forward - Reverse"},
     {5, "C-05", "C-05 Forward - Reverse (10), final"}}};
inline constexpr std::array<SettingChoice, 3> kBacklightChoices{
    {{0, "on", "On"}, {1, "off", "Off"}, {2, "button", "Button"}}};
inline constexpr std::array<SettingChoice, 2> kScreenDirectionChoices{
    {{0, "standard", "Standard"}, {1, "turned", "Turn 180 degrees"}}};
inline constexpr std::array<SettingChoice, 2> kObisChoices{{{0, "off", "OFF"}, {1, "on", "ON"}}};
inline constexpr std::array<SettingChoice, 2> kDataTypeChoices{
    {{1, "standard", "Standard"}, {2, "integer", "Integer"}}};
inline constexpr std::array<SettingChoice, 4> kTariffChoices{
    {{1, "T1", "T1"}, {2, "T2", "T2"}, {3, "T3", "T3"}, {4, "T4", "T4"}}};

namespace detail {
/// The whole number a choice's text writes ("9600"); 0 for other text.
constexpr std::uint32_t number_of(std::string_view text) {
  std::uint32_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return v;
}
template <std::size_t N>
constexpr std::array<std::uint32_t, N> texts_as_numbers(const std::array<SettingChoice, N>& c) {
  std::array<std::uint32_t, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = number_of(c[i].text);
  return out;
}
template <std::size_t N>
constexpr std::array<std::uint32_t, N> codes_of(const std::array<SettingChoice, N>& c) {
  std::array<std::uint32_t, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = static_cast<std::uint32_t>(c[i].code);
  return out;
}
}  // namespace detail

/// The Modbus baud rates of register 4004: index code-1 gives the rate.
inline constexpr std::array<std::uint32_t, 10> kModbusBauds =
    detail::texts_as_numbers(kModbusBaudChoices);
/// M-bus baud rates (manual 7.6.10, A2.1), in the order of CI B8-BD.
inline constexpr std::array<std::uint32_t, 6> kMbusBauds = detail::codes_of(kMbusBaudChoices);
/// S0 rates in hundredths of imp/kWh (manual 7.6.3): 10000 ... 0.01 imp/kWh.
inline constexpr std::array<std::uint32_t, 8> kS0RatesCenti = detail::codes_of(kS0RateChoices);

/// A CT ratio primary/secondary (manual 7.6.17).
struct CtRatio {
  std::uint16_t primary = 5;   ///< A: 1-9999 for /1 A, 5-9995 for /5 A
  std::uint8_t secondary = 5;  ///< A: 1 or 5
  friend constexpr bool operator==(const CtRatio&, const CtRatio&) = default;
};

/// Every user setting of the meter. Defaults are the factory state (PRODUCT.md rulings).
struct Settings {
  std::uint8_t modbus_id = 1;         ///< 1-247
  std::uint8_t modbus_baud_code = 6;  ///< 1-10, 6 = 9600
  Parity parity = Parity::even;
  std::uint8_t mbus_id = 0;               ///< 0-250
  std::uint32_t mbus_baud = 2400;         ///< one of kMbusBauds
  std::uint32_t s0_rate_centi = 100'000;  ///< one of kS0RatesCenti (1000 imp/kWh)
  PulseType pulse_type = PulseType::active_reactive;
  std::uint8_t pulse_width_ms = 30;  ///< 2-99
  CombinationCode combination = CombinationCode::forward_minus_reverse;
  std::uint8_t lcd_cycle_s = 5;  ///< 1-30 (scroll time, 7.6.16)
  Backlight backlight = Backlight::button;
  std::uint8_t screen_direction = 0;  ///< 0 standard, 1 turned 180°
  bool obis = true;
  DataType data_type = DataType::standard;
  std::array<char, 4> password{'0', '0', '0', '0'};
  std::uint32_t mbus_secondary_id = 0;  ///< 8 BCD digits as a number; set from serial
  friend bool operator==(const Settings&, const Settings&) = default;
};

/// Why a command was refused. The message names the problem and the allowed values.
struct Rejection {
  enum class Kind : std::uint8_t {
    out_of_range,   ///< a value outside the manual's range
    locked,         ///< a one-way door already closed (C-05, T3/T4 display)
    limit_reached,  ///< 8th CT ratio change
    wrong_password,
    not_allowed,  ///< this path may not change this setting
    powered_off,
    storage_failed,  ///< the meter stopped with error XX (manual 8.1)
  };
  Kind kind;
  std::string message;
};

template <class T = void>
using Outcome = std::expected<T, Rejection>;

/// The validation every path shares (Modbus, M-bus, buttons, app, API) is the settings
/// table's: core/meter/setting_table.hpp (`check_setting`).

/// The rate of a Modbus baud code (1-10); 0 when the code is invalid.
[[nodiscard]] std::uint32_t modbus_baud_rate(int code);
/// The Modbus baud code of a rate; nullopt when the rate is not in register 4004's set.
[[nodiscard]] std::optional<int> modbus_baud_code_of(long rate);

/// Short names used in logs, JSON and docs ("C-04", "even", "active&reactive"...).
[[nodiscard]] std::string_view to_string(CombinationCode code);
[[nodiscard]] std::string_view to_string(Parity parity);
[[nodiscard]] std::string_view to_string(PulseType type);
[[nodiscard]] std::string_view to_string(Backlight mode);
[[nodiscard]] std::string_view to_string(DataType type);

}  // namespace ambi
