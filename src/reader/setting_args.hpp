#pragma once
// The NAME=VALUE arguments of `ambimeter write` (manual A3.2 "Write", A2.2 "Write"): parsed
// into the meter's own Command, checked by the same validators every path uses, and turned
// into the Modbus register write or the M-bus SND_UD record that carries it.

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/meter/commands.hpp"
#include "core/meter/settings.hpp"

namespace ambi {

struct RegisterDef;

/// One setting a user may write by name.
struct SettingArgDef {
  std::string_view name;     ///< kebab-case: "modbus-id", "ct-ratio", "reset"
  std::string_view values;   ///< the allowed values as help text: "1-247", "T1|T2|T3|T4"
  std::string_view example;  ///< a valid NAME=VALUE: "ct-ratio=500/5"
};
/// Every name `parse_setting_arg` accepts, in the order help lists them.
[[nodiscard]] std::span<const SettingArgDef> setting_arg_defs();

/// Parses "NAME=VALUE" into the command it asks for. Names: modbus-id, baud (a rate: 9600),
/// parity (even|none|odd), mbus-id, mbus-baud, secondary-address (8 digits), s0-rate
/// (imp/kWh: 1000, 0.01 ...), pulse-type (active-reactive|forward-reverse), pulse-width (ms),
/// combination (C-01..C-05 or 1-5), lcd-cycle (s), backlight (on|off|button),
/// screen-direction (standard|turned), obis (on|off), data-type (standard|integer),
/// tariff (T1-T4 or 1-4), ct-ratio (P/S), reset (trip-counter|power-down-counter).
/// Words match without regard to case; pulse-type also takes the API's "active&reactive".
/// The error is one line naming the problem and the allowed values, using the meter's own
/// validation message where one exists ("modbus-id: Modbus ID 300 out of range 1-247");
/// "password=..." is refused: only the buttons change it (manual 7.6.1).
[[nodiscard]] std::expected<Command, std::string> parse_setting_arg(std::string_view arg);

/// One Modbus write: FC 06 when `words` has one word, else FC 16.
struct ModbusWrite {
  std::uint16_t start = 0;
  std::vector<std::uint16_t> words;
  const RegisterDef* def = nullptr;  ///< the register at `start` (never null in a result)
  /// `def` follows from `start`, so it takes no part.
  friend bool operator==(const ModbusWrite& a, const ModbusWrite& b) {
    return a.start == b.start && a.words == b.words;
  }
};
/// The register write of the "Write" table that carries `command` when the meter's data
/// type is `type`. Round-trips: `plan_write(start, words, type)` gives `command` back.
/// The error names why Modbus cannot carry it (the password is set only with the buttons,
/// the M-bus settings only over M-bus) or that the value does not fit the register (more
/// BCD digits than it has, a float beyond range). Ranges are left to the meter (exception 03).
[[nodiscard]] std::expected<ModbusWrite, std::string> modbus_write_for(const Command& command,
                                                                       DataType type);

/// The SND_UD (CI 51) record block that carries `command`. Round-trips through
/// `plan_mbus_write`. The error names why M-bus cannot carry it (M-bus writes only the
/// records of A2.2's Write table; its baud rate changes with a control frame, CI B8-BD) or
/// that the value does not fit the record's data field.
[[nodiscard]] std::expected<std::vector<std::uint8_t>, std::string> mbus_write_for(
    const Command& command);

}  // namespace ambi
