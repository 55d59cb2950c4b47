// The bus behind a gateway as time (core/modbus/gateway_line.hpp): at 9600 baud a character
// takes 11 bits, 1145.83 µs (a frame's time rounded up to the µs), and t3.5 is 4011 µs.
#include "core/modbus/gateway_line.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>

namespace ambi {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using Clock = GatewayLine::Clock;

constexpr microseconds kT35{4011};
/// `n` characters at 9600 baud.
constexpr microseconds chars(std::int64_t n) {
  return microseconds{(n * 11'000'000 + 9599) / 9600};
}
const Clock::time_point t0 = Clock::time_point{} + std::chrono::hours(1);

TEST(GatewayLine, AnAnsweredReadTakesBothFramesAndTheSilenceBetween) {
  GatewayLine line({});
  // FC 03 read of 56 registers: 8 bytes out, 117 bytes back.
  const auto end = line.book(t0, 8, BusOutcome::answered, 117);
  ASSERT_TRUE(end);
  EXPECT_EQ(*end - t0, chars(8) + kT35 + chars(117));
}

TEST(GatewayLine, RequestsQueueForTheOneBus) {
  GatewayLine line({});
  const auto first = line.book(t0, 8, BusOutcome::answered, 9);
  // A second request arriving at once waits for the first, and t3.5 after it.
  const auto second = line.book(t0, 8, BusOutcome::answered, 9);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*second - *first, kT35 + chars(8) + kT35 + chars(9));
  EXPECT_EQ(line.queued(t0), 2U);
  EXPECT_EQ(line.queued(*first), 1U);
  EXPECT_EQ(line.queued(*second), 0U);
  // One arriving after the bus went quiet starts at once.
  const auto later = *second + milliseconds(50);
  EXPECT_EQ(*line.book(later, 8, BusOutcome::answered, 9) - later, chars(8) + kT35 + chars(9));
}

TEST(GatewayLine, NobodyAnsweringCostsTheTimeout) {
  GatewayLine line({.timeout = milliseconds(300)});
  const auto end = line.book(t0, 8, BusOutcome::silent);
  ASSERT_TRUE(end);
  EXPECT_EQ(*end - t0, chars(8) + milliseconds(300));
  // The next request starts when the gateway gave up.
  EXPECT_EQ(*line.book(t0, 8, BusOutcome::answered, 9) - *end, chars(8) + kT35 + chars(9));
}

TEST(GatewayLine, ABroadcastEndsWithItsFrameAndHoldsTheBusForTheTurnaround) {
  GatewayLine line({.broadcast_delay = milliseconds(100)});
  const auto end = line.book(t0, 8, BusOutcome::broadcast);
  ASSERT_TRUE(end);
  EXPECT_EQ(*end - t0, chars(8));
  const auto next = line.book(t0, 8, BusOutcome::answered, 9);
  EXPECT_EQ(*next - t0, chars(8) + milliseconds(100) + chars(8) + kT35 + chars(9));
}

TEST(GatewayLine, AFullQueueRefusesTheNextRequest) {
  GatewayLine line({.max_queued = 2});
  EXPECT_TRUE(line.book(t0, 8, BusOutcome::answered, 9));
  const auto second = line.book(t0, 8, BusOutcome::answered, 9);
  EXPECT_TRUE(second);
  EXPECT_FALSE(line.book(t0, 8, BusOutcome::answered, 9));
  EXPECT_TRUE(line.book(*second, 8, BusOutcome::answered, 9));  // room again once one ended
}

}  // namespace
}  // namespace ambi
