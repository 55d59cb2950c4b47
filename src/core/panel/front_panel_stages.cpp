// The settings-mode stages of the front panel (manual 7.4-7.6): one press handler and one
// page renderer per stage.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "core/panel/front_panel.hpp"

namespace ambi {
namespace {

constexpr std::array<std::string_view, 2> kSelectOptions{"Bluetooth", "Settings"};
constexpr std::size_t kSettingsOption = 1;
constexpr std::string_view kDigits = "0123456789";

LcdMenu menu_page(std::string_view section, std::string_view title, std::string value,
                  std::string_view unit = {}) {
  LcdMenu m;
  m.section = std::string(section);
  m.title = std::string(title);
  m.value = std::move(value);
  m.unit = std::string(unit);
  return m;
}

bool editable(char layout) {
  return !menu_alphabet(layout).empty();
}

}  // namespace

/// 7.4: << >> choose Bluetooth or Settings; * selects.
std::optional<PanelCommand> FrontPanel::on_select(Meter& meter, Button button) {
  if (button != Button::star) {
    choice_ = wrap(choice_, delta_of(button), kSelectOptions.size());
  } else if (choice_ == kSettingsOption) {
    text_ = "0000";
    cursor_ = 0;
    go(Stage::password);
  } else {
    meter.set_bluetooth_active(true);
    go(Stage::bluetooth);
  }
  return std::nullopt;
}

/// 7.5: the QR page; any press returns to the normal display (Bluetooth stays active).
std::optional<PanelCommand> FrontPanel::on_bluetooth(Meter&, Button) {
  go(Stage::normal);
  return std::nullopt;
}

/// 7.6: four digits, each cycled 0-9 with << >> and confirmed with *.
std::optional<PanelCommand> FrontPanel::on_password(Meter& meter, Button button) {
  if (button != Button::star) {
    cycle_char(kDigits, delta_of(button));
    return std::nullopt;
  }
  if (++cursor_ < text_.size()) return std::nullopt;
  const auto& password = meter.settings().password;
  const bool right = std::equal(password.begin(), password.end(), text_.begin(), text_.end());
  item_ = 0;
  go(right ? Stage::browse : Stage::wrong_password);
  return std::nullopt;
}

/// Any press dismisses an "Err" page early.
std::optional<PanelCommand> FrontPanel::on_dismiss(Meter&, Button) {
  go(stage_ == Stage::refused ? Stage::browse : Stage::normal);
  return std::nullopt;
}

/// 7.6: << >> browse the menu pages, * edits the page shown.
std::optional<PanelCommand> FrontPanel::on_browse(Meter& meter, Button button) {
  if (button != Button::star) {
    item_ = wrap(item_, delta_of(button), menu_items().size());
  } else {
    open_item(meter);
  }
  return std::nullopt;
}

std::optional<PanelCommand> FrontPanel::on_edit(Meter& meter, Button button) {
  if (button != Button::star) {
    cycle_char(menu_alphabet(item().layout[cursor_]), delta_of(button));
    return std::nullopt;
  }
  next_position();
  if (cursor_ < text_.size()) return std::nullopt;
  return apply(meter, item().parse(text_));
}

std::optional<PanelCommand> FrontPanel::on_choose(Meter& meter, Button button) {
  const auto choices = item().choices;
  if (button != Button::star) {
    choice_ = wrap(choice_, delta_of(button), choices.size());
    return std::nullopt;
  }
  const auto& command = choices[choice_].command;
  if (!command) {
    go(Stage::browse);
    return std::nullopt;
  }
  return apply(meter, *command);
}

/// Starts editing the page shown: digits from the present value, a choice list on the
/// present value ("no" for a reset), nothing for a read-only page, "Exit" leaves.
void FrontPanel::open_item(const Meter& meter) {
  const MenuItem& it = item();
  const std::string shown = it.show(meter);
  if (it.edit == MenuEdit::digits) {
    text_ = shown;
    cursor_ = 0;
    if (!editable(it.layout[0])) next_position();
    go(Stage::edit);
  } else if (it.edit == MenuEdit::choice || it.edit == MenuEdit::confirm) {
    const auto found = std::find_if(it.choices.begin(), it.choices.end(),
                                    [&](const MenuChoice& c) { return c.text == shown; });
    choice_ = found == it.choices.end() ? 0 : static_cast<std::size_t>(found - it.choices.begin());
    go(Stage::choose);
  } else if (it.edit == MenuEdit::exit) {
    go(Stage::normal);
  }
}

/// Moves the character under the cursor `delta` steps through `alphabet`, wrapping.
void FrontPanel::cycle_char(std::string_view alphabet, int delta) {
  const std::size_t at = alphabet.find(text_[cursor_]);
  const std::size_t next = at == std::string_view::npos ? 0 : wrap(at, delta, alphabet.size());
  text_[cursor_] = alphabet[next];
}

/// Moves the cursor to the next editable position, or past the end when there is none.
void FrontPanel::next_position() {
  const std::string_view layout = item().layout;
  do {
    ++cursor_;
  } while (cursor_ < layout.size() && !editable(layout[cursor_]));
}

LcdMenu FrontPanel::render_select(const Meter&) const {
  LcdMenu m = menu_page("7.4", "Select", std::string(kSelectOptions[choice_]));
  m.editing = true;
  return m;
}

LcdMenu FrontPanel::render_bluetooth(const Meter& meter) const {
  LcdMenu m = menu_page("7.5", "Bluetooth", "QR");
  m.qr = fmt::format("{:08X}", meter.identity().serial_bcd);
  return m;
}

LcdMenu FrontPanel::render_password(const Meter&) const {
  LcdMenu m = menu_page("7.6", "Password", text_);
  m.cursor = static_cast<int>(cursor_);
  m.editing = true;
  return m;
}

LcdMenu FrontPanel::render_wrong_password(const Meter&) const {
  LcdMenu m = menu_page("7.6", "Password", "Err");
  m.message = "wrong password";
  return m;
}

LcdMenu FrontPanel::render_browse(const Meter& meter) const {
  const MenuItem& it = item();
  return menu_page(it.section, it.title, it.show(meter), it.unit);
}

LcdMenu FrontPanel::render_edit(const Meter&) const {
  const MenuItem& it = item();
  LcdMenu m = menu_page(it.section, it.title, text_, it.unit);
  m.cursor = static_cast<int>(cursor_);
  m.editing = true;
  return m;
}

/// A choice list shows the option under selection; a reset asks "Reset ...?" no / yes.
LcdMenu FrontPanel::render_choose(const Meter&) const {
  const MenuItem& it = item();
  const bool reset = it.edit == MenuEdit::confirm;
  LcdMenu m =
      menu_page(it.section, reset ? fmt::format("Reset {}?", it.title) : std::string(it.title),
                std::string(it.choices[choice_].text), reset ? "" : it.unit);
  m.editing = true;
  return m;
}

LcdMenu FrontPanel::render_refused(const Meter&) const {
  const MenuItem& it = item();
  LcdMenu m = menu_page(it.section, it.title, "Err");
  m.message = message_;
  return m;
}

}  // namespace ambi
