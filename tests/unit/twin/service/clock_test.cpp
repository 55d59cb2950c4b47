#include "twin/service/clock.hpp"

#include <gtest/gtest.h>

namespace ambi {
namespace {

using namespace std::chrono_literals;

TEST(ScaledElapsed, RoundsDownToWholeMilliseconds) {
  EXPECT_EQ(scaled_elapsed_ms(1'999'999ns, 1.0), 1);
  EXPECT_EQ(scaled_elapsed_ms(2ms, 1.0), 2);
  EXPECT_EQ(scaled_elapsed_ms(50ms, 3600.0), 180'000);
  EXPECT_EQ(scaled_elapsed_ms(1s, 0.5), 500);
}

TEST(ScaledElapsed, StaysExactForAYearOfWallTime) {
  EXPECT_EQ(scaled_elapsed_ms(std::chrono::hours(24 * 365), 1.0), 31'536'000'000);
}

TEST(SimClock, RealModeFollowsTheWallClockFromItsStart) {
  const auto start = SimClock::WallClock::time_point{} + 10s;
  const SimClock clock(ClockMode::real, 60.0, 1000, start);
  EXPECT_EQ(clock.target_ms(start), 1000);
  EXPECT_EQ(clock.target_ms(start + 1s), 61'000);
}

TEST(SimClock, RealModeRefusesManualSteps) {
  SimClock clock(ClockMode::real, 1.0, 0, SimClock::WallClock::now());
  EXPECT_FALSE(clock.advance(1000));
}

TEST(SimClock, SteppedModeMovesOnlyWhenAdvanced) {
  const auto start = SimClock::WallClock::time_point{};
  SimClock clock(ClockMode::stepped, 1.0, 5, start);
  EXPECT_EQ(clock.target_ms(start + 1h), 5);
  EXPECT_TRUE(clock.advance(31'536'000'000));
  EXPECT_EQ(clock.target_ms(start), 31'536'000'005);
  EXPECT_FALSE(clock.advance(-1));
}

}  // namespace
}  // namespace ambi
