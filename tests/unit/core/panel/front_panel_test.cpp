// The front panel's settings mode (manual 7.4-7.6): real button sequences, exact menu pages,
// and what reaches the meter. Every press is 0.5 s after the previous one unless a test says
// otherwise.
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <string_view>

#include "front_panel_test_support.hpp"

namespace ambi {
namespace {

using namespace front_panel_test;

TEST(FrontPanelMenu, ALongPressOfStarOpensTheSelectionPage) {
  Session s;
  s.tap(Button::star);
  EXPECT_EQ(s.mode(), LcdMode::normal);
  s.hold_star();
  EXPECT_EQ(s.mode(), LcdMode::menu);
  EXPECT_EQ(s.menu(), page("7.4", "Select", "Bluetooth", "", -1, true));
  s.tap(Button::right);
  EXPECT_EQ(s.menu(), page("7.4", "Select", "Settings", "", -1, true));
  s.tap(Button::right);
  EXPECT_EQ(s.menu().value, "Bluetooth");
  s.tap(Button::left);
  EXPECT_EQ(s.menu().value, "Settings");
}

TEST(FrontPanelMenu, ChangesTheModbusIdFrom1To5) {
  Session s;
  s.hold_star();
  s.tap(Button::right);
  s.tap(Button::star);
  EXPECT_EQ(s.menu(), page("7.6", "Password", "0000", "", 0, true));
  for (int digit = 1; digit <= 3; ++digit) {
    EXPECT_FALSE(s.tap(Button::star).has_value());
    EXPECT_EQ(s.menu(), page("7.6", "Password", "0000", "", digit, true));
  }
  s.tap(Button::star);
  EXPECT_EQ(s.menu(), page("7.6.1", "Password", "0000"));
  for (int i = 0; i < 5; ++i) s.tap(Button::right);
  EXPECT_EQ(s.menu(), page("7.6.6", "Modbus ID", "001"));
  s.tap(Button::star);
  EXPECT_EQ(s.menu(), page("7.6.6", "Modbus ID", "001", "", 0, true));
  s.tap(Button::star);
  s.tap(Button::star);
  EXPECT_EQ(s.menu(), page("7.6.6", "Modbus ID", "001", "", 2, true));
  for (int i = 0; i < 4; ++i) s.tap(Button::right);
  EXPECT_EQ(s.menu(), page("7.6.6", "Modbus ID", "005", "", 2, true));
  EXPECT_EQ(s.meter.settings().modbus_id, 1);
  const std::optional<PanelCommand> sent = s.tap(Button::star);
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(std::get<SetModbusId>(sent->command).id, 5);
  EXPECT_TRUE(sent->outcome.has_value());
  EXPECT_EQ(s.meter.settings().modbus_id, 5);
  EXPECT_EQ(s.menu(), page("7.6.6", "Modbus ID", "005"));
}

TEST(FrontPanelMenu, AWrongPasswordShowsErrThenTheNormalDisplayAndChangesNothing) {
  Session s;
  const PersistentState before = s.meter.state();
  s.enter_settings("0001");
  LcdMenu err = page("7.6", "Password", "Err");
  err.message = "wrong password";
  EXPECT_EQ(s.menu(), err);
  const std::int64_t at = s.now;
  EXPECT_EQ(s.panel.screen(s.meter, at + FrontPanel::kErrorPageMs - 1).menu, err);
  EXPECT_EQ(s.panel.screen(s.meter, at + FrontPanel::kErrorPageMs).mode, LcdMode::normal);
  s.now += FrontPanel::kErrorPageMs;
  s.tap(Button::star);  // the page is gone: * on the normal display does nothing
  EXPECT_EQ(s.mode(), LcdMode::normal);
  EXPECT_EQ(s.meter.state(), before);

  s.enter_settings("9000");
  EXPECT_EQ(s.menu().value, "Err");
  s.tap(Button::right);  // a press dismisses the page at once
  EXPECT_EQ(s.mode(), LcdMode::normal);
  EXPECT_EQ(s.meter.state(), before);
}

TEST(FrontPanelMenu, ANewPasswordIsNeededFromThenOn) {
  Session s;
  s.enter_settings();
  s.tap(Button::star);  // 7.6.1 Password
  const std::optional<PanelCommand> sent = s.type_all("1234");
  ASSERT_TRUE(sent.has_value());
  EXPECT_TRUE(sent->outcome.has_value());
  EXPECT_EQ(s.meter.settings().password, (std::array<char, 4>{'1', '2', '3', '4'}));
  EXPECT_EQ(s.menu(), page("7.6.1", "Password", "1234"));
  s.hold_star();
  EXPECT_EQ(s.mode(), LcdMode::normal);
  s.enter_settings("0000");
  EXPECT_EQ(s.menu().value, "Err");
  s.tap(Button::star);
  s.enter_settings("1234");
  EXPECT_EQ(s.menu(), page("7.6.1", "Password", "1234"));
}

TEST(FrontPanelMenu, SettingsModeTimesOutAfter30SecondsWithoutAPress) {
  Session s;
  s.hold_star();
  const std::int64_t at = s.now;
  EXPECT_EQ(s.panel.screen(s.meter, at + FrontPanel::kMenuTimeoutMs - 1).mode, LcdMode::menu);
  EXPECT_EQ(s.panel.screen(s.meter, at + FrontPanel::kMenuTimeoutMs).mode, LcdMode::normal);

  s.now += FrontPanel::kMenuTimeoutMs;
  s.enter_settings();
  s.go_to("7.6.6");
  s.tap(Button::star);
  s.tap(Button::right);  // "101" being typed
  EXPECT_EQ(s.menu().value, "101");
  s.now += FrontPanel::kMenuTimeoutMs;
  EXPECT_EQ(s.mode(), LcdMode::normal);
  s.tap(Button::star);  // acts on the normal display: no digit confirmed
  EXPECT_EQ(s.mode(), LcdMode::normal);
  EXPECT_EQ(s.meter.settings().modbus_id, 1);
}

TEST(FrontPanelMenu, EveryPageOf76IsReachableAndShowsItsValue) {
  Session s;
  s.enter_settings();
  const LcdMenu pages[] = {
      page("7.6.1", "Password", "0000"),
      page("7.6.2", "Tariff", "T1"),
      page("7.6.3", "S0 output", "1000", "imp/kWh"),
      page("7.6.4", "Pulse type", "active&reactive"),
      page("7.6.5", "Pulse width", "30", "ms"),
      page("7.6.6", "Modbus ID", "001"),
      page("7.6.7", "Modbus baud", "9600", "bps"),
      page("7.6.8", "Modbus parity", "even"),
      page("7.6.9", "M-bus ID", "000"),
      page("7.6.10", "M-bus baud", "2400", "bps"),
      page("7.6.11", "Backlight", "button"),
      page("7.6.12", "Power down", "1"),
      page("7.6.13", "Trip", "000000.000", "kWh"),
      page("7.6.14", "OBIS", "on"),
      page("7.6.15", "Combination", "C-04"),
      page("7.6.16", "Scroll time", "05", "s"),
      page("7.6.17", "CT ratio", "0005/5", "A"),
      page("7.6", "Exit", ""),
  };
  for (const LcdMenu& expected : pages) {
    EXPECT_EQ(s.menu(), expected);
    s.tap(Button::right);
  }
  EXPECT_EQ(s.menu(), pages[0]);  // wraps around
  s.tap(Button::left);
  EXPECT_EQ(s.menu(), pages[17]);
  s.tap(Button::star);  // Exit
  EXPECT_EQ(s.mode(), LcdMode::normal);
}

TEST(FrontPanelMenu, TheCombinationCodeCannotBeChangedWithTheButtons) {
  Session s;
  s.enter_settings();
  s.go_to("7.6.15");
  const std::uint64_t revision = s.meter.settings_revision();
  EXPECT_FALSE(s.tap(Button::star).has_value());
  EXPECT_EQ(s.menu(), page("7.6.15", "Combination", "C-04"));
  EXPECT_FALSE(s.tap(Button::star).has_value());
  EXPECT_EQ(s.menu(), page("7.6.15", "Combination", "C-04"));
  EXPECT_EQ(s.meter.settings().combination, CombinationCode::forward_minus_reverse);
  EXPECT_EQ(s.meter.settings_revision(), revision);
  ASSERT_TRUE(s.meter.apply(SetCombination{2}, kModbus).has_value());
  EXPECT_EQ(s.menu(), page("7.6.15", "Combination", "C-02"));
}

TEST(FrontPanelMenu, ARefusedValueShowsErrWithTheMetersMessage) {
  Session s;
  s.enter_settings();
  s.go_to("7.6.6");
  s.tap(Button::star);
  s.tap(Button::star);
  s.tap(Button::star);
  s.tap(Button::left);  // "000"
  const std::optional<PanelCommand> sent = s.tap(Button::star);
  ASSERT_TRUE(sent.has_value());
  ASSERT_FALSE(sent->outcome.has_value());
  EXPECT_EQ(sent->outcome.error().kind, Rejection::Kind::out_of_range);
  LcdMenu err = page("7.6.6", "Modbus ID", "Err");
  err.message = "set Modbus ID: Modbus ID 0 out of range 1-247";
  EXPECT_EQ(s.menu(), err);
  EXPECT_EQ(s.meter.settings().modbus_id, 1);
  EXPECT_EQ(s.panel.screen(s.meter, s.now + FrontPanel::kErrorPageMs - 1).menu, err);
  EXPECT_EQ(s.panel.screen(s.meter, s.now + FrontPanel::kErrorPageMs).menu,
            page("7.6.6", "Modbus ID", "001"));
}

TEST(FrontPanelMenu, AnEighthCtRatioChangeIsRefused) {
  Session s;
  for (long i = 0; i < kMaxCtChanges; ++i) {
    ASSERT_TRUE(s.meter.apply(SetCtRatio{10 + 5 * i, 5}, kModbus).has_value());
  }
  s.enter_settings();
  s.go_to("7.6.17");
  EXPECT_EQ(s.menu().value, "0040/5");
  s.tap(Button::star);
  const std::optional<PanelCommand> sent = s.type_all("0050/5");
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->outcome.error().kind, Rejection::Kind::limit_reached);
  EXPECT_EQ(s.menu().value, "Err");
  EXPECT_EQ(s.menu().message,
            "set CT ratio: the CT ratio has been changed 7 times already; no further change is "
            "possible (manual 7.6.17)");
  s.tap(Button::left);  // dismisses the page
  EXPECT_EQ(s.menu(), page("7.6.17", "CT ratio", "0040/5", "A"));
  EXPECT_EQ(s.meter.state().ct, (CtRatio{40, 5}));
}

TEST(FrontPanelMenu, ResetPagesAskForConfirmation) {
  Session s;
  ASSERT_TRUE(s.meter.set_load(one_kilowatt()).has_value());
  s.meter.advance(kHourMs);
  s.enter_settings();
  s.go_to("7.6.13");
  EXPECT_EQ(s.menu(), page("7.6.13", "Trip", "000001.000", "kWh"));
  s.tap(Button::star);
  EXPECT_EQ(s.menu(), page("7.6.13", "Reset Trip?", "no", "", -1, true));
  EXPECT_FALSE(s.tap(Button::star).has_value());  // "no"
  EXPECT_EQ(s.menu(), page("7.6.13", "Trip", "000001.000", "kWh"));
  s.tap(Button::star);
  s.tap(Button::right);
  EXPECT_EQ(s.menu(), page("7.6.13", "Reset Trip?", "yes", "", -1, true));
  const std::optional<PanelCommand> sent = s.tap(Button::star);
  ASSERT_TRUE(sent.has_value());
  EXPECT_TRUE(std::holds_alternative<ResetTripCounter>(sent->command));
  EXPECT_EQ(s.menu(), page("7.6.13", "Trip", "000000.000", "kWh"));
  EXPECT_EQ(s.meter.total(Family::active), 1'000'000);  // the legal register is untouched

  s.tap(Button::left);
  EXPECT_EQ(s.menu(), page("7.6.12", "Power down", "1"));
  s.tap(Button::star);
  EXPECT_EQ(s.menu(), page("7.6.12", "Reset Power down?", "no", "", -1, true));
  s.tap(Button::left);
  ASSERT_TRUE(s.tap(Button::star).has_value());
  EXPECT_EQ(s.meter.state().power_down_counter, 0);
  EXPECT_EQ(s.menu(), page("7.6.12", "Power down", "0"));
}

struct ChoiceCase {
  std::string_view section;
  int steps;  ///< >> presses (negative: << presses) from the present value
  std::string_view shown;
  std::function<bool(const Meter&)> applied;
};

TEST(FrontPanelMenu, ChoicePagesSendTheChosenSetting) {
  const ChoiceCase cases[] = {
      {"7.6.2", 2, "T3",
       [](const Meter& m) { return m.tariff() == 3 && m.state().t3_t4_activated; }},
      {"7.6.3", 1, "100", [](const Meter& m) { return m.settings().s0_rate_centi == 10'000; }},
      {"7.6.3", -3, "0.01", [](const Meter& m) { return m.settings().s0_rate_centi == 1; }},
      {"7.6.4", 1, "forward&reverse",
       [](const Meter& m) { return m.settings().pulse_type == PulseType::forward_reverse; }},
      {"7.6.7", 1, "19200", [](const Meter& m) { return m.settings().modbus_baud_code == 7; }},
      {"7.6.7", 3, "57600", [](const Meter& m) { return m.settings().modbus_baud_code == 9; }},
      {"7.6.8", -1, "odd", [](const Meter& m) { return m.settings().parity == Parity::odd; }},
      {"7.6.10", 2, "9600", [](const Meter& m) { return m.settings().mbus_baud == 9600; }},
      {"7.6.11", -1, "off",
       [](const Meter& m) { return m.settings().backlight == Backlight::off; }},
      {"7.6.11", 1, "on", [](const Meter& m) { return m.settings().backlight == Backlight::on; }},
      {"7.6.14", 1, "off", [](const Meter& m) { return !m.settings().obis; }},
  };
  for (const ChoiceCase& c : cases) {
    Session s;
    s.enter_settings();
    s.go_to(c.section);
    s.tap(Button::star);
    for (int i = 0; i < std::abs(c.steps); ++i) s.tap(c.steps > 0 ? Button::right : Button::left);
    EXPECT_EQ(s.menu().value, c.shown) << c.section;
    EXPECT_TRUE(s.menu().editing) << c.section;
    EXPECT_FALSE(c.applied(s.meter)) << c.section << " before *";
    const std::optional<PanelCommand> sent = s.tap(Button::star);
    ASSERT_TRUE(sent.has_value()) << c.section;
    EXPECT_TRUE(sent->outcome.has_value()) << c.section;
    EXPECT_TRUE(c.applied(s.meter)) << c.section;
    EXPECT_EQ(s.menu().value, c.shown) << c.section;
    EXPECT_FALSE(s.menu().editing) << c.section;
  }
}

struct DigitsCase {
  std::string_view section;
  std::string_view typed;
  std::function<bool(const Meter&)> applied;
};

TEST(FrontPanelMenu, DigitPagesSendTheTypedNumber) {
  const DigitsCase cases[] = {
      {"7.6.5", "45", [](const Meter& m) { return m.settings().pulse_width_ms == 45; }},
      {"7.6.6", "247", [](const Meter& m) { return m.settings().modbus_id == 247; }},
      {"7.6.9", "250", [](const Meter& m) { return m.settings().mbus_id == 250; }},
      {"7.6.16", "10", [](const Meter& m) { return m.settings().lcd_cycle_s == 10; }},
      {"7.6.17", "0500/1", [](const Meter& m) { return m.state().ct == CtRatio{500, 1}; }},
  };
  for (const DigitsCase& c : cases) {
    Session s;
    s.enter_settings();
    s.go_to(c.section);
    s.tap(Button::star);
    const std::optional<PanelCommand> sent = s.type_all(c.typed);
    ASSERT_TRUE(sent.has_value()) << c.section;
    EXPECT_TRUE(sent->outcome.has_value()) << c.section;
    EXPECT_TRUE(c.applied(s.meter)) << c.section;
    EXPECT_EQ(s.menu().value, c.typed) << c.section;
  }
}

TEST(FrontPanelMenu, TheCtRatioPageMovesOverTheSlashAndCyclesTheSecondaryBetween1And5) {
  Session s;
  s.enter_settings();
  s.go_to("7.6.17");
  s.tap(Button::star);
  for (int i = 0; i < 4; ++i) s.tap(Button::star);
  EXPECT_EQ(s.menu(), page("7.6.17", "CT ratio", "0005/5", "A", 5, true));
  s.tap(Button::right);
  EXPECT_EQ(s.menu().value, "0005/1");
  s.tap(Button::right);
  EXPECT_EQ(s.menu().value, "0005/5");
}

TEST(FrontPanelMenu, SelectingBluetoothActivatesItAndShowsTheQrCode) {
  Session s;
  s.hold_star();
  s.tap(Button::star);
  EXPECT_NE(s.meter.status_word() & status_bit::bluetooth_active, 0U);
  LcdMenu qr = page("7.5", "Bluetooth", "QR");
  qr.qr = "19020246";
  EXPECT_EQ(s.menu(), qr);
  EXPECT_TRUE(s.screen().icons.bluetooth);
  s.tap(Button::left);
  EXPECT_EQ(s.mode(), LcdMode::normal);
  EXPECT_TRUE(s.screen().icons.bluetooth);
}

TEST(FrontPanelMenu, ALongPressOfStarLeavesSettingsModeFromAnyPage) {
  Session s;
  s.enter_settings();
  s.go_to("7.6.6");
  s.tap(Button::star);
  s.tap(Button::right);
  s.hold_star();
  EXPECT_EQ(s.mode(), LcdMode::normal);
  EXPECT_EQ(s.meter.settings().modbus_id, 1);
  s.hold_star();
  EXPECT_EQ(s.menu(), page("7.4", "Select", "Bluetooth", "", -1, true));
}

}  // namespace
}  // namespace ambi
