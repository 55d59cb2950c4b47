#include "core/panel/front_panel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <vector>

namespace ambi {

std::optional<PanelCommand> FrontPanel::press(Meter& meter, Button button, PressLength length,
                                              std::int64_t now_ms) {
  if (!meter.powered()) {
    reset(now_ms);
    return std::nullopt;
  }
  settle(now_ms);
  last_press_ms_ = now_ms;
  if (button == Button::star && length == PressLength::long_press) {
    choice_ = 0;
    go(stage_ == Stage::normal ? Stage::select : Stage::normal);
    return std::nullopt;
  }
  if (stage_ == Stage::normal) {
    if (button != Button::star) step_part3(meter, delta_of(button), now_ms);
    return std::nullopt;
  }
  static constexpr std::array<Handler, 9> kHandlers{nullptr,
                                                    &FrontPanel::on_select,
                                                    &FrontPanel::on_bluetooth,
                                                    &FrontPanel::on_password,
                                                    &FrontPanel::on_dismiss,
                                                    &FrontPanel::on_browse,
                                                    &FrontPanel::on_edit,
                                                    &FrontPanel::on_choose,
                                                    &FrontPanel::on_dismiss};
  return (this->*kHandlers[static_cast<std::size_t>(stage_)])(meter, button);
}

LcdScreen FrontPanel::screen(const Meter& meter, std::int64_t now_ms) const {
  if (!meter.powered()) return LcdScreen{};
  FrontPanel panel = *this;
  panel.settle(now_ms);
  LcdScreen s;
  s.backlight = backlight(meter, now_ms);
  s.turned = meter.settings().screen_direction == 1;
  s.software_version = fmt::format("{:.2f}", meter.identity().software_version);
  s.icons = lcd_icons(meter);
  s.part1 = lcd_part1(meter, now_ms);
  if (panel.stage_ != Stage::normal) {
    static constexpr std::array<Renderer, 9> kRenderers{nullptr,
                                                        &FrontPanel::render_select,
                                                        &FrontPanel::render_bluetooth,
                                                        &FrontPanel::render_password,
                                                        &FrontPanel::render_wrong_password,
                                                        &FrontPanel::render_browse,
                                                        &FrontPanel::render_edit,
                                                        &FrontPanel::render_choose,
                                                        &FrontPanel::render_refused};
    s.mode = LcdMode::menu;
    s.menu = (panel.*kRenderers[static_cast<std::size_t>(panel.stage_)])(meter);
    return s;
  }
  s.mode = LcdMode::normal;
  if (meter.stopped()) {
    s.part2.caption = "Err";
    s.part2.value = fmt::format("{:02X}", meter.error_code());
    return s;
  }
  s.part2 = lcd_part2(meter, now_ms);
  const std::vector<LcdLine> pages = lcd_part3_pages(meter);
  s.part3 = pages[panel.part3_index(meter, now_ms, pages.size())];
  return s;
}

void FrontPanel::reset(std::int64_t now_ms) {
  *this = FrontPanel{};
  part3_since_ms_ = now_ms;
}

/// Applies the timeouts due by `now_ms`: settings mode closes after kMenuTimeoutMs without a
/// press (7.6); an "Err" page gives way after kErrorPageMs.
void FrontPanel::settle(std::int64_t now_ms) {
  if (stage_ == Stage::normal || !last_press_ms_) return;
  const std::int64_t idle = now_ms - *last_press_ms_;
  const bool error_page_over = idle >= kErrorPageMs && stage_ == Stage::wrong_password;
  if (idle >= kMenuTimeoutMs || error_page_over) {
    go(Stage::normal);
  } else if (idle >= kErrorPageMs && stage_ == Stage::refused) {
    go(Stage::browse);
  }
}

/// Part 3 (7.3, 7.6.16): the page chosen at `part3_since_ms_` stays one scroll time (or
/// kManualHoldMs when chosen by hand), then each following page one scroll time.
std::size_t FrontPanel::part3_index(const Meter& meter, std::int64_t now_ms,
                                    std::size_t count) const {
  const std::int64_t cycle = std::max<std::int64_t>(1, meter.settings().lcd_cycle_s) * 1000;
  const std::int64_t dwell = part3_manual_ ? std::max(cycle, kManualHoldMs) : cycle;
  const std::int64_t elapsed = now_ms - part3_since_ms_;
  const std::int64_t steps = elapsed < dwell ? 0 : 1 + (elapsed - dwell) / cycle;
  return (part3_page_ + static_cast<std::size_t>(steps % static_cast<std::int64_t>(count))) % count;
}

void FrontPanel::step_part3(const Meter& meter, int delta, std::int64_t now_ms) {
  const std::size_t count = lcd_part3_pages(meter).size();
  part3_page_ = wrap(part3_index(meter, now_ms, count), delta, count);
  part3_since_ms_ = now_ms;
  part3_manual_ = true;
}

bool FrontPanel::backlight(const Meter& meter, std::int64_t now_ms) const {
  switch (meter.settings().backlight) {
    case Backlight::on:
      return true;
    case Backlight::off:
      return false;
    case Backlight::button:
      break;
  }
  return last_press_ms_ && now_ms >= *last_press_ms_ && now_ms - *last_press_ms_ < kBacklightMs;
}

int FrontPanel::delta_of(Button button) {
  if (button == Button::left) return -1;
  return button == Button::right ? 1 : 0;
}

std::size_t FrontPanel::wrap(std::size_t index, int delta, std::size_t count) {
  const auto n = static_cast<std::int64_t>(count);
  return static_cast<std::size_t>(((static_cast<std::int64_t>(index) + delta) % n + n) % n);
}

const MenuItem& FrontPanel::item() const {
  return menu_items()[item_];
}

std::optional<PanelCommand> FrontPanel::apply(Meter& meter, const Command& command) {
  Outcome<> outcome = meter.apply(command, Origin{Source::buttons, std::nullopt});
  if (outcome) {
    go(Stage::browse);
  } else {
    message_ = outcome.error().message;
    go(Stage::refused);
  }
  return PanelCommand{command, std::move(outcome)};
}

}  // namespace ambi
