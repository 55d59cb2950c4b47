#pragma once
// The meter's front panel (manual 7): the three capacitive buttons << * >> and what the LCD
// shows, as a pure state machine. Time comes in as milliseconds of meter time with every
// call; nothing here reads a clock. Timeouts are evaluated lazily from the time of the last
// press, so `screen` is a pure function of the presses so far, the meter and `now_ms`.
//
// Normal display (7.1-7.3): parts 1 and 2 scroll by themselves every 10 s; << and >> step
// through part 3 (Total - L1 - L2 - L3 of each quantity), which also scrolls by itself every
// "scroll time" seconds (7.6.16), holding a page chosen by hand for kManualHoldMs.
//
// Settings mode: a long press of * (> 3 s) opens the selection page (7.4): << >> choose
// Bluetooth (7.5: * activates it and shows the QR page) or Settings (7.6: * asks for the
// 4-digit password, each digit cycled 0-9 with << >> and confirmed with *). A right password
// opens the menu pages 7.6.1-7.6.17 and "Exit"; << >> browse, * edits, and a confirmed edit is
// applied as a Command from Origin buttons, so the meter validates it ("Err" page on a
// refusal). Without a press for kMenuTimeoutMs, or on another long press of *, the panel
// returns to the normal display, discarding an edit in progress.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/meter/commands.hpp"
#include "core/meter/meter.hpp"
#include "core/panel/front_panel_menu.hpp"
#include "core/panel/lcd_screen.hpp"

namespace ambi {

/// The three capacitive touch buttons (7.6): << left, * middle, >> right.
enum class Button : std::uint8_t { left, star, right };

/// A touch shorter than kLongPressMs, or one held at least that long (7.4: "> 3 seconds").
/// The caller (the web page) decides which one a touch was; only * has a long meaning,
/// a long << or >> acts as a short one.
enum class PressLength : std::uint8_t { short_press, long_press };

/// A command a press sent to the meter, with the meter's answer.
struct PanelCommand {
  Command command;
  Outcome<> outcome;
};

/// The panel's state: which page is shown, what is being typed, when the last press came.
/// The meter is passed in with every call; the panel holds no reference to it.
class FrontPanel {
 public:
  /// Holding * this long opens the settings mode (7.4).
  static constexpr std::int64_t kLongPressMs = 3'000;
  /// Settings mode closes after this long without a press (7.6).
  static constexpr std::int64_t kMenuTimeoutMs = 30'000;
  /// An "Err" page stays this long unless a press dismisses it first.
  static constexpr std::int64_t kErrorPageMs = 3'000;
  /// Backlight in button mode: lit this long after the last press (7.6.11).
  static constexpr std::int64_t kBacklightMs = 60'000;
  /// A part-3 page chosen with << >> stays at least this long before scrolling resumes.
  static constexpr std::int64_t kManualHoldMs = 30'000;

  /// Handles one press at `now_ms`. Returns the command it applied to `meter`, if any.
  /// Without supply (`!meter.powered()`) the panel is dark: the press only resets it.
  std::optional<PanelCommand> press(Meter& meter, Button button, PressLength length,
                                    std::int64_t now_ms);
  /// A short press.
  std::optional<PanelCommand> press(Meter& meter, Button button, std::int64_t now_ms) {
    return press(meter, button, PressLength::short_press, now_ms);
  }

  /// What the LCD shows at `now_ms` (timeouts and scrolling applied).
  [[nodiscard]] LcdScreen screen(const Meter& meter, std::int64_t now_ms) const;

  /// Back to the normal display with part 3 on its first page, backlight timer expired, as
  /// after a power-up (call it when the supply returns).
  void reset(std::int64_t now_ms);

 private:
  /// normal display; 7.4 selection; 7.5 QR page; 7.6 password and its "Err" page; menu
  /// browsing, digit editing, choice list (or reset confirmation), refusal "Err" page.
  enum class Stage : std::uint8_t {
    normal,
    select,
    bluetooth,
    password,
    wrong_password,
    browse,
    edit,
    choose,
    refused,
  };
  using Handler = std::optional<PanelCommand> (FrontPanel::*)(Meter&, Button);
  using Renderer = LcdMenu (FrontPanel::*)(const Meter&) const;

  /// -1 for <<, +1 for >>, 0 for *.
  static int delta_of(Button button);
  /// `index + delta` modulo `count`: lists wrap around at both ends.
  static std::size_t wrap(std::size_t index, int delta, std::size_t count);
  void settle(std::int64_t now_ms);
  void go(Stage stage) { stage_ = stage; }
  [[nodiscard]] std::size_t part3_index(const Meter& meter, std::int64_t now_ms,
                                        std::size_t count) const;
  void step_part3(const Meter& meter, int delta, std::int64_t now_ms);
  [[nodiscard]] const MenuItem& item() const;
  std::optional<PanelCommand> apply(Meter& meter, const Command& command);
  void open_item(const Meter& meter);
  void cycle_char(std::string_view alphabet, int delta);
  void next_position();
  [[nodiscard]] bool backlight(const Meter& meter, std::int64_t now_ms) const;

  std::optional<PanelCommand> on_select(Meter& meter, Button button);
  std::optional<PanelCommand> on_bluetooth(Meter& meter, Button button);
  std::optional<PanelCommand> on_password(Meter& meter, Button button);
  std::optional<PanelCommand> on_dismiss(Meter& meter, Button button);
  std::optional<PanelCommand> on_browse(Meter& meter, Button button);
  std::optional<PanelCommand> on_edit(Meter& meter, Button button);
  std::optional<PanelCommand> on_choose(Meter& meter, Button button);

  [[nodiscard]] LcdMenu render_select(const Meter& meter) const;
  [[nodiscard]] LcdMenu render_bluetooth(const Meter& meter) const;
  [[nodiscard]] LcdMenu render_password(const Meter& meter) const;
  [[nodiscard]] LcdMenu render_wrong_password(const Meter& meter) const;
  [[nodiscard]] LcdMenu render_browse(const Meter& meter) const;
  [[nodiscard]] LcdMenu render_edit(const Meter& meter) const;
  [[nodiscard]] LcdMenu render_choose(const Meter& meter) const;
  [[nodiscard]] LcdMenu render_refused(const Meter& meter) const;

  Stage stage_ = Stage::normal;
  std::optional<std::int64_t> last_press_ms_;
  std::size_t item_ = 0;        ///< menu page (browse, edit, choose, refused)
  std::size_t choice_ = 0;      ///< select: 0 Bluetooth 1 Settings; choose: list index
  std::string text_;            ///< password or digits being edited
  std::size_t cursor_ = 0;      ///< position in `text_`
  std::string message_;         ///< the refusal shown on the "Err" page
  std::size_t part3_page_ = 0;  ///< part-3 page shown from `part3_since_ms_`
  std::int64_t part3_since_ms_ = 0;
  bool part3_manual_ = false;  ///< that page was chosen by hand
};

}  // namespace ambi
