// The front panel's normal display (manual 7.1-7.3, 7.6.11, 8.1) and the red pulse LED.
#include <gtest/gtest.h>

#include <string>

#include "core/panel/pulse_led.hpp"
#include "front_panel_test_support.hpp"

namespace ambi {
namespace {

using namespace front_panel_test;

TEST(FrontPanelDisplay, ShowsVersionAndAllThreePartsWhenIdle) {
  Session s;
  ASSERT_TRUE(s.meter.set_load(one_kilowatt()).has_value());
  s.meter.advance(kHourMs);
  const LcdScreen screen = s.panel.screen(s.meter, 0);
  EXPECT_EQ(screen.mode, LcdMode::normal);
  EXPECT_EQ(screen.software_version, "1.02");
  EXPECT_FALSE(screen.backlight);  // button mode, nothing pressed yet
  EXPECT_FALSE(screen.turned);
  EXPECT_EQ(screen.part1.value, "19020246");
  EXPECT_EQ(screen.part2.obis, "1.8.1");
  EXPECT_EQ(screen.part2.value, "000001.000");
  EXPECT_EQ(screen.part3.caption, "Dir");
  EXPECT_EQ(screen.part3.label, "L1");
  EXPECT_EQ(screen.menu, LcdMenu{});
  EXPECT_EQ(screen.icons.ct_ratio, "0005/5");
  EXPECT_TRUE(screen.icons.import_arrow);
}

std::string part3_at(const Session& s, std::int64_t t) {
  const LcdLine line = s.panel.screen(s.meter, t).part3;
  return line.caption + " " + line.label;
}

TEST(FrontPanelDisplay, Part3ScrollsByItselfEveryScrollTime) {
  Session s;
  EXPECT_EQ(part3_at(s, 0), "Dir L1");
  EXPECT_EQ(part3_at(s, 4'999), "Dir L1");
  EXPECT_EQ(part3_at(s, 5'000), "Dir L2");
  EXPECT_EQ(part3_at(s, 10'000), "Dir L3");
  EXPECT_EQ(part3_at(s, 15'000), "Trip Total");
  EXPECT_EQ(part3_at(s, 46 * 5'000), "Dir L1");  // 46 pages, then round again
  ASSERT_TRUE(s.meter.apply(SetLcdCycle{30}, kModbus).has_value());
  EXPECT_EQ(part3_at(s, 29'999), "Dir L1");
  EXPECT_EQ(part3_at(s, 30'000), "Dir L2");
}

TEST(FrontPanelDisplay, ArrowButtonsStepThroughPart3AndHoldThePage) {
  Session s;
  s.now = 500;
  s.tap(Button::right);  // at 1 s
  EXPECT_EQ(part3_at(s, 1'000), "Dir L2");
  EXPECT_EQ(part3_at(s, 1'000 + FrontPanel::kManualHoldMs - 1), "Dir L2");
  EXPECT_EQ(part3_at(s, 1'000 + FrontPanel::kManualHoldMs), "Dir L3");
  EXPECT_EQ(part3_at(s, 1'000 + FrontPanel::kManualHoldMs + 5'000), "Trip Total");
  s.tap(Button::left);
  s.tap(Button::left);
  EXPECT_EQ(part3_at(s, s.now), "C-04 L3");  // wrapped back to the last page
  s.tap(Button::star);                       // a short * leaves part 3 alone
  EXPECT_EQ(part3_at(s, s.now), "C-04 L3");
}

TEST(FrontPanelDisplay, TheBacklightFollowsItsSetting) {
  Session s;
  EXPECT_FALSE(s.screen().backlight);
  s.tap(Button::right);
  const std::int64_t at = s.now;
  EXPECT_TRUE(s.panel.screen(s.meter, at + FrontPanel::kBacklightMs - 1).backlight);
  EXPECT_FALSE(s.panel.screen(s.meter, at + FrontPanel::kBacklightMs).backlight);
  ASSERT_TRUE(s.meter.apply(SetBacklight{0}, kModbus).has_value());
  EXPECT_TRUE(s.panel.screen(s.meter, at + 10 * FrontPanel::kBacklightMs).backlight);
  ASSERT_TRUE(s.meter.apply(SetBacklight{1}, kModbus).has_value());
  s.tap(Button::right);
  EXPECT_FALSE(s.screen().backlight);
}

TEST(FrontPanelDisplay, TheScreenTurnsWithTheScreenDirectionSetting) {
  Session s;
  ASSERT_TRUE(s.meter.apply(SetScreenDirection{1}, kModbus).has_value());
  EXPECT_TRUE(s.screen().turned);
}

TEST(FrontPanelDisplay, WithoutSupplyTheLcdIsDarkAndPressesDoNothing) {
  Session s;
  s.hold_star();
  s.meter.power_off();
  EXPECT_EQ(s.screen(), LcdScreen{});
  s.hold_star();
  s.tap(Button::right);
  s.meter.power_on();
  EXPECT_EQ(s.mode(), LcdMode::normal);
  EXPECT_FALSE(s.screen().backlight);
}

TEST(FrontPanelDisplay, AStoppedMeterShowsItsErrorCode) {
  Meter m(PersistentState{},
          error_bit::both_copies_bad | error_bit::main_corrupt | error_bit::backup_corrupt);
  m.power_on();
  const LcdScreen screen = FrontPanel{}.screen(m, 0);
  EXPECT_EQ(screen.mode, LcdMode::normal);
  EXPECT_EQ(screen.part2.caption, "Err");
  EXPECT_EQ(screen.part2.value, "61");
  EXPECT_EQ(screen.part3, LcdLine{});
}

TEST(FrontPanelLed, FlashesOncePerTenthOfAWattHour) {
  Meter m;
  m.power_on();
  ASSERT_TRUE(m.set_load(one_kilowatt()).has_value());
  PulseLed led;
  EXPECT_EQ(led.update(led_energy_mwh(m), 0), 0);  // the baseline
  m.advance(3'600);                                // 1 Wh
  EXPECT_EQ(led.update(led_energy_mwh(m), 3'600), 10);
  EXPECT_TRUE(led.lit(3'600));
  EXPECT_TRUE(led.lit(3'649));
  EXPECT_FALSE(led.lit(3'650));
  EXPECT_TRUE(led.lit(3'700));
  EXPECT_EQ(led.flashes(3'699), 1);
  EXPECT_EQ(led.flashes(4'499), 9);
  EXPECT_EQ(led.flashes(4'500), 10);
  EXPECT_TRUE(led.lit(4'549));
  EXPECT_FALSE(led.lit(4'550));
  EXPECT_FALSE(led.lit(4'600));
  EXPECT_EQ(led.flashes(100'000), 10);
}

TEST(FrontPanelLed, ShowsAtMostTenFlashesASecond) {
  Meter m;
  m.power_on();
  LoadInput load;
  for (auto& p : load.phases) p = PhaseInput{1000.0, 100.0, 0.0};  // 300 kW
  ASSERT_TRUE(m.set_load(load).has_value());
  PulseLed led;
  led.update(led_energy_mwh(m), 0);
  for (std::int64_t t = 100; t <= 2'000; t += 100) {
    m.advance(100);
    EXPECT_EQ(led.update(led_energy_mwh(m), t), 83 + (t % 300 == 0 ? 1 : 0)) << t;
  }
  EXPECT_EQ(led.flashes(2'000), 20);
  EXPECT_EQ(led.flashes(60'000), 29);  // one second of backlog after the last update
}

TEST(FrontPanelLed, CountsTheSecondarySideWhateverTheCtRatio) {
  Meter m;
  m.power_on();
  ASSERT_TRUE(m.apply(SetCtRatio{500, 5}, kModbus).has_value());
  LoadInput load;
  load.phases[0] = PhaseInput{250.0, 400.0, 0.0};  // 100 kW primary, 1 kW secondary
  ASSERT_TRUE(m.set_load(load).has_value());
  PulseLed led;
  led.update(led_energy_mwh(m), 0);
  m.advance(3'600);
  EXPECT_EQ(led.update(led_energy_mwh(m), 3'600), 10);
}

}  // namespace
}  // namespace ambi
