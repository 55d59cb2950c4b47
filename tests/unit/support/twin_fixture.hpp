#pragma once
// A twin in memory for the tests of the twin's service and HTTP layer: a fresh state
// directory, a stepped (or real) clock and a steady clock the test moves by hand.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "temp_dir.hpp"
#include "twin/service/twin.hpp"

namespace ambi {

/// A twin on a fresh state directory with a wall clock the test moves by hand.
class TwinTest : public ::testing::Test {
 protected:
  TwinTest() { twin_ = make(ClockMode::stepped); }
  ~TwinTest() override { twin_.reset(); }
  TwinTest(const TwinTest&) = delete;
  TwinTest& operator=(const TwinTest&) = delete;

  std::unique_ptr<Twin> make(ClockMode mode) {
    auto store = StateStore::open(dir_);
    if (!store) throw std::runtime_error(store.error());
    const StoredState stored = store->load();
    Meter meter = stored.fresh ? Meter() : Meter(stored.loaded.state, stored.loaded.error_code);
    auto twin = std::make_unique<Twin>(std::move(meter), std::move(*store), mode, 1.0,
                                       [this] { return steady_now(); });
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

  /// The fake steady clock the twin reads: `wall_ms_` after its epoch.
  [[nodiscard]] SimClock::WallClock::time_point steady_now() const {
    return SimClock::WallClock::time_point{} + std::chrono::milliseconds(wall_ms_);
  }

  TempDir temp_{"ambi-twin"};
  std::filesystem::path dir_ = temp_.path();
  std::int64_t wall_ms_ = 1'000;  ///< moved by the test only
  std::unique_ptr<Twin> twin_;
};

}  // namespace ambi
