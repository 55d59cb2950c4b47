// The twin's front panel: wall time (not simulated time) drives it, a power-up resets it,
// a setting changed with the buttons is saved at once, and the clock's speed can change.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "app/twin.hpp"

namespace ambi {
namespace {

namespace fs = std::filesystem;

/// A twin on a fresh state directory with a wall clock the test moves by hand.
class TwinPanelTest : public ::testing::Test {
 protected:
  TwinPanelTest() {
    std::string templ = "/tmp/ambi-twin-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = templ;
    twin_ = make(ClockMode::stepped);
  }
  ~TwinPanelTest() override {
    twin_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  TwinPanelTest(const TwinPanelTest&) = delete;
  TwinPanelTest& operator=(const TwinPanelTest&) = delete;

  std::unique_ptr<Twin> make(ClockMode mode) {
    auto store = StateStore::open(dir_);
    if (!store) throw std::runtime_error(store.error());
    const StoredState stored = store->load();
    Meter meter = stored.fresh ? Meter() : Meter(stored.loaded.state, stored.loaded.error_code);
    auto twin = std::make_unique<Twin>(std::move(meter), std::move(*store),
                                       SimClock(mode, 1.0, 0, SimClock::WallClock::now()),
                                       [this] { return wall_ms_; });
    twin->set_power(true);
    return twin;
  }
  /// Long *, Settings, password 0000, then >> to 7.6.6 Modbus ID.
  void open_modbus_id() {
    twin_->press(Button::star, PressLength::long_press);
    twin_->press(Button::right, PressLength::short_press);
    for (int i = 0; i < 5; ++i) twin_->press(Button::star, PressLength::short_press);
    for (int i = 0; i < 5; ++i) twin_->press(Button::right, PressLength::short_press);
    ASSERT_EQ(twin_->screen().menu.section, "7.6.6");
  }

  fs::path dir_;
  std::int64_t wall_ms_ = 1'000;
  std::unique_ptr<Twin> twin_;
};

TEST_F(TwinPanelTest, TheMenuTimesOutOnWallTimeWhateverTheSimulatedClockDoes) {
  twin_->press(Button::star, PressLength::long_press);
  ASSERT_TRUE(twin_->advance(3'600'000).has_value());
  EXPECT_EQ(twin_->screen().mode, LcdMode::menu);
  wall_ms_ += FrontPanel::kMenuTimeoutMs - 1;
  EXPECT_EQ(twin_->screen().mode, LcdMode::menu);
  wall_ms_ += 1;
  EXPECT_EQ(twin_->screen().mode, LcdMode::normal);
}

TEST_F(TwinPanelTest, APowerUpResetsThePanel) {
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

TEST_F(TwinPanelTest, ASettingChangedWithTheButtonsIsSavedAtOnce) {
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

TEST_F(TwinPanelTest, TheLedFlashesForEnergyAtMostTenTimesASecond) {
  LoadInput load;
  load.phases[0] = PhaseInput{230.0, 10.0, 0.0};
  ASSERT_TRUE(twin_->set_load(load).has_value());
  ASSERT_TRUE(twin_->advance(3'600'000).has_value());  // 2.3 kWh: 23 000 flashes owed
  EXPECT_EQ(twin_->led_flashes(), 1);
  wall_ms_ += 450;
  EXPECT_EQ(twin_->led_flashes(), 5);
  wall_ms_ += 10'000;
  EXPECT_EQ(twin_->led_flashes(), PulseLed::kMaxBacklog);
  EXPECT_EQ(twin_->panel_json().at("led").at("flashes"), PulseLed::kMaxBacklog);
}

TEST_F(TwinPanelTest, TheSpeedChangesOnARealClockOnly) {
  const auto refused = twin_->set_speed(60.0);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().status, 409U);
  twin_.reset();
  twin_ = make(ClockMode::real);
  ASSERT_TRUE(twin_->set_speed(3600.0).has_value());
  EXPECT_EQ(twin_->clock().speed(), 3600.0);
  EXPECT_EQ(twin_->time_json().at("speed"), 3600.0);
}

}  // namespace
}  // namespace ambi
