#include "twin/http/panel_json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace ambi {
namespace {

constexpr std::array<std::string_view, 3> kModeNames{"off", "normal", "menu"};
constexpr std::array<std::pair<std::string_view, Button>, 3> kButtons{
    {{"left", Button::left}, {"star", Button::star}, {"right", Button::right}}};

std::unexpected<ApiError> bad_press(std::string message) {
  return std::unexpected(ApiError{400, std::move(message)});
}

Json icons_to_json(const LcdIcons& icons) {
  return Json{{"tariff", icons.tariff},
              {"bluetooth", icons.bluetooth},
              {"communication", icons.communication},
              {"ct_ratio", icons.ct_ratio},
              {"import_arrow", icons.import_arrow},
              {"export_arrow", icons.export_arrow}};
}

}  // namespace

std::string_view to_string(LcdMode mode) {
  return kModeNames[static_cast<std::size_t>(mode)];
}

Json lcd_line_to_json(const LcdLine& line) {
  return Json{{"caption", line.caption}, {"label", line.label}, {"obis", line.obis},
              {"value", line.value},     {"unit", line.unit},   {"detail", line.detail}};
}

Json lcd_menu_to_json(const LcdMenu& menu) {
  return Json{{"section", menu.section}, {"title", menu.title},   {"value", menu.value},
              {"unit", menu.unit},       {"cursor", menu.cursor}, {"editing", menu.editing},
              {"message", menu.message}, {"qr", menu.qr}};
}

Json panel_to_json(const LcdScreen& screen, std::int64_t led_flashes,
                   const std::array<std::uint64_t, 2>& s0_pulses) {
  return Json{{"mode", to_string(screen.mode)},
              {"backlight", screen.backlight},
              {"turned", screen.turned},
              {"software_version", screen.software_version},
              {"icons", icons_to_json(screen.icons)},
              {"part1", lcd_line_to_json(screen.part1)},
              {"part2", lcd_line_to_json(screen.part2)},
              {"part3", lcd_line_to_json(screen.part3)},
              {"menu", lcd_menu_to_json(screen.menu)},
              {"led", {{"flashes", led_flashes}}},
              {"s0", Json::array({{{"pulses", s0_pulses[0]}}, {{"pulses", s0_pulses[1]}}})}};
}

ApiResult<PanelPress> panel_press_from_json(const Json& body) {
  for (const auto& [name, value] : body.items()) {
    if (name != "button" && name != "long") {
      return bad_press(fmt::format("unknown member \"{}\"; expected button, long", name));
    }
  }
  const auto button = body.find("button");
  if (button == body.end()) return bad_press("missing \"button\": \"left\", \"star\" or \"right\"");
  PanelPress press;
  const std::string name = button->is_string() ? button->get<std::string>() : std::string();
  const auto known = std::ranges::find(kButtons, name, &std::pair<std::string_view, Button>::first);
  if (known == kButtons.end()) {
    return bad_press(
        fmt::format("\"button\" must be \"left\", \"star\" or \"right\", got {}", button->dump()));
  }
  press.button = known->second;
  if (const auto held = body.find("long"); held != body.end()) {
    if (!held->is_boolean())
      return bad_press(fmt::format("\"long\" must be true or false, got {}", held->dump()));
    if (held->get<bool>()) press.length = PressLength::long_press;
  }
  return press;
}

}  // namespace ambi
