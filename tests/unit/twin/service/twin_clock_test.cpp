// The twin reads one injected steady clock: a test moves it by hand, so simulated time on
// a real clock, the communication hold and the busy-poll origin move without sleeping.
#include <gtest/gtest.h>

#include "modbus_test_support.hpp"
#include "twin/service/twin.hpp"
#include "twin_fixture.hpp"

namespace ambi {
namespace {

TEST_F(TwinTest, ARealClockFollowsTheInjectedSteadyClockTimesTheSpeed) {
  twin_.reset();
  twin_ = make(ClockMode::real);
  twin_->restart_clock();
  ASSERT_TRUE(twin_->set_speed(60.0).has_value());
  const std::int64_t start = twin_->meter().now_ms();
  wall_ms_ += 1'500;
  twin_->sync();
  EXPECT_EQ(twin_->meter().now_ms() - start, 90'000);
}

TEST_F(TwinTest, CommunicationStaysActiveForFiveSecondsAfterTheLastRequest) {
  twin_->begin_modbus();
  EXPECT_EQ(twin_->last_request(), steady_now());
  EXPECT_TRUE((twin_->meter().status_word() & status_bit::communication_active) != 0);
  wall_ms_ += std::chrono::milliseconds(Twin::kCommunicationHold).count() - 1;
  twin_->sync();
  EXPECT_TRUE((twin_->meter().status_word() & status_bit::communication_active) != 0);
  wall_ms_ += 1;
  twin_->sync();
  EXPECT_FALSE((twin_->meter().status_word() & status_bit::communication_active) != 0);
}

TEST_F(TwinTest, ANewRequestExtendsTheCommunicationHold) {
  twin_->begin_modbus();
  wall_ms_ += 4'000;
  twin_->begin_modbus();
  wall_ms_ += 4'000;
  twin_->sync();
  EXPECT_TRUE((twin_->meter().status_word() & status_bit::communication_active) != 0);
  wall_ms_ += 1'000;
  twin_->sync();
  EXPECT_FALSE((twin_->meter().status_word() & status_bit::communication_active) != 0);
}

}  // namespace
}  // namespace ambi
