#pragma once
// Commands that change the meter, from any path. Each is validated by the meter model
// against the same rules whether it arrives by Modbus, M-bus, buttons, the app or the API.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

#include "core/meter/settings.hpp"

namespace ambi {

struct SetModbusId {
  int id;
};
struct SetModbusBaud {
  int code;
};  ///< register 4004 code 1-10
struct SetParity {
  int code;
};  ///< 1 even, 2 none, 3 odd
struct SetMbusId {
  int id;
};
struct SetMbusBaud {
  long baud;
};
struct SetMbusSecondaryId {
  std::uint32_t bcd;
};  ///< 8 BCD digits, e.g. 0x45230115
struct SetS0Rate {
  long rate_centi;
};  ///< hundredths of imp/kWh
struct SetPulseType {
  int code;
};  ///< 1 active&reactive, 2 forward&reverse
struct SetPulseWidth {
  int ms;
};
struct SetCombination {
  int code;
};  ///< 1-5
struct SetLcdCycle {
  int seconds;
};
struct SetBacklight {
  int mode;
};  ///< 0 on, 1 off, 2 button
struct SetScreenDirection {
  int direction;
};  ///< 0 standard, 1 turned
struct SetObis {
  bool on;
};
struct SetDataType {
  int code;
};  ///< 1 standard, 2 integer
struct SetPassword {
  std::array<char, 4> digits;
};
struct SetTariff {
  int tariff;
};  ///< 1-4
struct SetCtRatio {
  long primary;
  long secondary;
};
struct ResetPowerDownCounter {};
struct ResetTripCounter {};

using Command =
    std::variant<SetModbusId, SetModbusBaud, SetParity, SetMbusId, SetMbusBaud, SetMbusSecondaryId,
                 SetS0Rate, SetPulseType, SetPulseWidth, SetCombination, SetLcdCycle, SetBacklight,
                 SetScreenDirection, SetObis, SetDataType, SetPassword, SetTariff, SetCtRatio,
                 ResetPowerDownCounter, ResetTripCounter>;

/// Where a command comes from. The manual restricts some settings to some paths:
/// the password only by buttons (7.6.1), the combination code not by buttons (7.6.15).
enum class Source : std::uint8_t { modbus, mbus, buttons, app };

/// The path and, for the app (Bluetooth / control API), the password typed with it.
struct Origin {
  Source source = Source::modbus;
  std::optional<std::array<char, 4>> password;
};

/// A short name of the command for logs and messages ("set modbus id").
[[nodiscard]] std::string_view command_name(const Command& command);

}  // namespace ambi
