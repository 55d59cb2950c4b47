#pragma once
// The front panel for the web page (docs/control-api.md "GET /api/v1/panel"): what the LCD
// shows (core/lcd_screen.hpp), the red LED's flash count and the S0 pulse counts as JSON, and
// the body of POST /api/v1/panel/press.

#include <array>
#include <cstdint>
#include <string_view>

#include "core/panel/front_panel.hpp"
#include "core/panel/lcd_screen.hpp"
#include "twin/http/request_json.hpp"
#include "twin/http/state_json.hpp"

namespace ambi {

/// "off" / "normal" / "menu".
[[nodiscard]] std::string_view to_string(LcdMode mode);

/// {"caption","label","obis","value","unit","detail"}.
[[nodiscard]] Json lcd_line_to_json(const LcdLine& line);
/// {"section","title","value","unit","cursor","editing","message","qr"}.
[[nodiscard]] Json lcd_menu_to_json(const LcdMenu& menu);

/// The panel JSON: {"mode","backlight","turned","software_version","icons","part1","part2",
/// "part3","menu","led":{"flashes"},"s0":[{"pulses"},{"pulses"}]}; every member always
/// present (empty texts where the screen shows nothing).
[[nodiscard]] Json panel_to_json(const LcdScreen& screen, std::int64_t led_flashes,
                                 const std::array<std::uint64_t, 2>& s0_pulses);

/// One press as the page sends it.
struct PanelPress {
  Button button = Button::star;                   ///< which of << * >>
  PressLength length = PressLength::short_press;  ///< held 3 s or more: long_press
};

/// {"button":"left"|"star"|"right","long":bool (optional, false)}; anything else is a 400
/// naming the problem.
[[nodiscard]] ApiResult<PanelPress> panel_press_from_json(const Json& body);

}  // namespace ambi
