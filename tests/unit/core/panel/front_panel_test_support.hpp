#pragma once
// Helpers of the front panel tests: a powered meter with its panel and a clock that moves
// 0.5 s per press, expected menu pages, and button sequences written as a user types them.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/panel/front_panel.hpp"

namespace ambi::front_panel_test {

inline constexpr std::int64_t kHourMs = 3'600'000;
inline const Origin kModbus{Source::modbus, {}};

inline LcdMenu page(std::string_view section, std::string_view title, std::string_view value,
                    std::string_view unit = "", int cursor = -1, bool editing = false) {
  LcdMenu m;
  m.section = std::string(section);
  m.title = std::string(title);
  m.value = std::string(value);
  m.unit = std::string(unit);
  m.cursor = cursor;
  m.editing = editing;
  return m;
}

inline LoadInput one_kilowatt() {
  LoadInput load;
  load.phases[0] = PhaseInput{250.0, 4.0, 0.0};
  return load;
}

/// A powered meter, its panel, and the meter time of the last press.
struct Session {
  Meter meter;
  FrontPanel panel;
  std::int64_t now = 0;

  Session() { meter.power_on(); }

  std::optional<PanelCommand> tap(Button b) {
    now += 500;
    return panel.press(meter, b, now);
  }
  void hold_star() {
    now += FrontPanel::kLongPressMs + 500;
    panel.press(meter, Button::star, PressLength::long_press, now);
  }
  [[nodiscard]] LcdScreen screen() const { return panel.screen(meter, now); }
  [[nodiscard]] LcdMenu menu() const { return screen().menu; }
  [[nodiscard]] LcdMode mode() const { return screen().mode; }

  /// Moves the character under the cursor forward to `target` with >>, then confirms it.
  std::optional<PanelCommand> type(char target, std::string_view alphabet) {
    const LcdMenu m = menu();
    const auto from = alphabet.find(m.value[static_cast<std::size_t>(m.cursor)]);
    const auto to = alphabet.find(target);
    const std::size_t steps = (to + alphabet.size() - from) % alphabet.size();
    for (std::size_t i = 0; i < steps; ++i) tap(Button::right);
    return tap(Button::star);
  }
  /// Types `text` over a digits page or the password page, skipping the '/' of a CT ratio
  /// (whose position 5 is the secondary, 1 or 5); returns the last press's command.
  std::optional<PanelCommand> type_all(std::string_view text) {
    std::optional<PanelCommand> last;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] != '/') last = type(text[i], i == 5 ? "15" : "0123456789");
    }
    return last;
  }
  /// Long press, choose Settings, type the password.
  void enter_settings(std::string_view password = "0000") {
    hold_star();
    tap(Button::right);
    tap(Button::star);
    type_all(password);
  }
  /// Browses with >> to the page of `section` (at most one round).
  void go_to(std::string_view section) {
    for (int i = 0; i < 18 && menu().section != section; ++i) tap(Button::right);
    ASSERT_EQ(menu().section, section);
  }
};

}  // namespace ambi::front_panel_test
