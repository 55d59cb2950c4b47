// The twin's front panel: wall time (not simulated time) drives it, a power-up resets it,
// a setting changed with the buttons is saved at once, and the clock's speed can change.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "twin/service/twin.hpp"
#include "twin_fixture.hpp"

namespace ambi {
namespace {

TEST_F(TwinTest, TheMenuTimesOutOnWallTimeWhateverTheSimulatedClockDoes) {
  twin_->press(Button::star, PressLength::long_press);
  ASSERT_TRUE(twin_->advance(3'600'000).has_value());
  EXPECT_EQ(twin_->screen().mode, LcdMode::menu);
  wall_ms_ += FrontPanel::kMenuTimeoutMs - 1;
  EXPECT_EQ(twin_->screen().mode, LcdMode::menu);
  wall_ms_ += 1;
  EXPECT_EQ(twin_->screen().mode, LcdMode::normal);
}

TEST_F(TwinTest, APowerUpResetsThePanel) {
  twin_->press(Button::star, PressLength::long_press);
  twin_->set_power(false);
  EXPECT_EQ(twin_->screen().mode, LcdMode::off);
  twin_->set_power(true);
  EXPECT_EQ(twin_->screen().mode, LcdMode::normal);
  twin_->press(Button::star, PressLength::long_press);
  ASSERT_TRUE(twin_->power_cycle(0).has_value());
  EXPECT_EQ(twin_->screen().mode, LcdMode::normal);
  twin_->press(Button::star, PressLength::long_press);
  twin_->set_power(true);  // already on: no power-up, the menu stays
  EXPECT_EQ(twin_->screen().mode, LcdMode::menu);
}

TEST_F(TwinTest, ASettingChangedWithTheButtonsIsSavedAtOnce) {
  open_modbus_id();
  twin_->press(Button::star, PressLength::short_press);
  twin_->press(Button::star, PressLength::short_press);
  twin_->press(Button::star, PressLength::short_press);
  twin_->press(Button::right, PressLength::short_press);
  const auto sent = twin_->press(Button::star, PressLength::short_press);
  ASSERT_TRUE(sent.has_value());
  EXPECT_TRUE(sent->outcome.has_value());
  EXPECT_EQ(twin_->meter().settings().modbus_id, 2);
  twin_.reset();  // no save on the way out: what is on disk is what the press saved
  auto store = StateStore::open(dir_);
  ASSERT_TRUE(store.has_value());
  EXPECT_EQ(store->load().loaded.state.settings.modbus_id, 2);
}

TEST_F(TwinTest, TheLedFlashesForEnergyAtMostTenTimesASecond) {
  LoadInput load;
  load.phases[0] = PhaseInput{230.0, 10.0, 0.0};
  ASSERT_TRUE(twin_->set_load(load).has_value());
  ASSERT_TRUE(twin_->advance(3'600'000).has_value());  // 2.3 kWh: 23 000 flashes owed
  EXPECT_EQ(twin_->led_flashes(), 1);
  wall_ms_ += 450;
  EXPECT_EQ(twin_->led_flashes(), 5);
  wall_ms_ += 10'000;
  EXPECT_EQ(twin_->led_flashes(), PulseLed::kMaxBacklog);
}

TEST_F(TwinTest, TheSpeedChangesOnARealClockOnly) {
  const auto refused = twin_->set_speed(60.0);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error(), TwinRefusal::clock_is_stepped);
  twin_.reset();
  twin_ = make(ClockMode::real);
  ASSERT_TRUE(twin_->set_speed(3600.0).has_value());
  EXPECT_EQ(twin_->clock().speed(), 3600.0);
}

}  // namespace
}  // namespace ambi
