#pragma once
// The settings menu of the front panel (manual 7.6.1-7.6.17) as a table: one row per page,
// saying how the page shows its value, how << >> * edit it, and which Command a confirmed
// edit sends to the meter (with Origin buttons, so the meter's own validation applies).

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/meter/commands.hpp"
#include "core/meter/meter.hpp"

namespace ambi {

/// How a menu page edits its value.
enum class MenuEdit : std::uint8_t {
  digits,     ///< digit by digit: << >> cycle the digit under the cursor, * moves on
  choice,     ///< << >> cycle through a list, * confirms
  confirm,    ///< a reset: << >> choose "no"/"yes", * confirms (7.6.12, 7.6.13)
  read_only,  ///< shown only (7.6.15: not settable by buttons)
  exit,       ///< leaves the settings menu
};

/// One entry of a choice list; `command` empty for the "no" of a confirmation.
struct MenuChoice {
  std::string_view text;
  std::optional<Command> command;
};

/// One page of the settings menu.
struct MenuItem {
  std::string_view section;  ///< "7.6.6"
  std::string_view title;    ///< "Modbus ID"
  std::string_view unit;     ///< "ms", "s", "imp/kWh", "kWh" or empty
  MenuEdit edit;
  std::string (*show)(const Meter&);  ///< the present value as the page shows it
  /// digits: one character per position of `show`'s text: 'd' a digit 0-9, 's' a CT
  /// secondary current (1 or 5); any other character is fixed ('/').
  std::string_view layout;
  Command (*parse)(std::string_view text);  ///< digits: the edited text → command; else null
  std::span<const MenuChoice> choices;      ///< choice and confirm
};

/// The menu pages in order: 7.6.1 ... 7.6.17, then "Exit".
[[nodiscard]] std::span<const MenuItem> menu_items();

/// The characters a 'd' or 's' layout position cycles through.
[[nodiscard]] std::string_view menu_alphabet(char layout);

}  // namespace ambi
