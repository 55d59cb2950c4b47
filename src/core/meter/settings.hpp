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

/// The Modbus baud codes of register 4004: index code-1 gives the rate.
inline constexpr std::array<std::uint32_t, 10> kModbusBauds{300,  600,   1200,  2400,  4800,
                                                            9600, 19200, 38400, 57600, 115200};
/// M-bus baud rates (manual 7.6.10, A2.1).
inline constexpr std::array<std::uint32_t, 6> kMbusBauds{300, 600, 1200, 2400, 4800, 9600};
/// S0 rates in hundredths of imp/kWh (manual 7.6.3): 10000 ... 0.01 imp/kWh.
inline constexpr std::array<std::uint32_t, 8> kS0RatesCenti{1'000'000, 200'000, 100'000, 10'000,
                                                            1'000,     100,     10,      1};

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

/// Validators shared by every path (Modbus, M-bus, buttons, app, API).
[[nodiscard]] Outcome<> check_modbus_id(int id);
[[nodiscard]] Outcome<> check_modbus_baud_code(int code);
[[nodiscard]] Outcome<> check_parity(int code);
[[nodiscard]] Outcome<> check_mbus_id(int id);
[[nodiscard]] Outcome<> check_mbus_baud(long baud);
[[nodiscard]] Outcome<> check_s0_rate_centi(long rate_centi);
[[nodiscard]] Outcome<> check_pulse_width(int ms);
[[nodiscard]] Outcome<> check_lcd_cycle(int seconds);
[[nodiscard]] Outcome<> check_ct_ratio(long primary, long secondary);
[[nodiscard]] Outcome<> check_password_text(std::string_view digits);
[[nodiscard]] Outcome<> check_bcd8(std::uint32_t value);

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
