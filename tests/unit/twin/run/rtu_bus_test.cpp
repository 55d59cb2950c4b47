// A master talking over a meter's reply on an RS485 bus (RtuBus::talk_over,
// docs/shared-lines.md "A master that talks over a reply"): what the line carries instead of
// the reply's bytes not yet sent. 9600 baud 8E1: a bit takes 104.17 µs, a character 11 bits.
#include "twin/transport/rtu_bus.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <vector>

namespace ambi {
namespace {

using Bytes = std::vector<std::uint8_t>;
using std::chrono::microseconds;

/// `bits` bit times at 9600 baud, rounded up to the µs (so that they floor back to `bits`).
microseconds bits(std::int64_t n) {
  return microseconds{(n * 1'000'000 + 9599) / 9600};
}

RtuBus bus() {
  return RtuBus({}, LineSettings{9600, Parity::even}, 7);
}

TEST(RtuBusTalkOver, BytesThatCoincideWithTheSameBytesLeaveTheReplyAsItWas) {
  RtuBus line = bus();
  const Bytes reply{0x01, 0x03, 0x04, 0x12, 0x34};
  EXPECT_EQ(line.talk_over(reply, Bytes{0x01, 0x03}, microseconds{0}), reply);
  EXPECT_EQ(line.talk_overs(), 1U);
}

TEST(RtuBusTalkOver, AMasterSendingAfterTheReplyHasLeftChangesNothing) {
  RtuBus line = bus();
  const Bytes reply{0x01, 0x03};
  EXPECT_EQ(line.talk_over(reply, Bytes{0x55, 0xAA}, bits(2 * 11)), reply);
}

TEST(RtuBusTalkOver, ACharacterOnTopOfTheFirstGarblesItAndTheRestLeavesClean) {
  // 0x00 against 0xFF from the same start bit: every data bit disagrees, so the receiver
  // reads a seeded mix of both, and the parity bit (0 for both) decides nothing. The
  // master's one character ends at a character boundary: the reply's next bytes are clean.
  RtuBus line = bus();
  const Bytes reply{0x00, 0x03, 0x05};
  const Bytes got = line.talk_over(reply, Bytes{0xFF}, microseconds{0});
  ASSERT_EQ(got.size(), 3U);
  EXPECT_EQ(got[1], 0x03);
  EXPECT_EQ(got[2], 0x05);
}

TEST(RtuBusTalkOver, AFrameFiveBitsIntoTheReplyGarblesIt) {
  // A read request sent 5 bits into the reply's unsent bytes: both transmitters drive the
  // line for 8 characters; what the master reads is no longer the reply, and no longer than
  // it.
  RtuBus line = bus();
  const Bytes reply{0x01, 0x03, 0x04, 0x00, 0x00, 0x12, 0x34, 0xAB, 0xCD};
  const Bytes request{0x01, 0x03, 0x40, 0x00, 0x00, 0x02, 0xD1, 0xCB};
  const Bytes got = line.talk_over(reply, request, bits(5));
  EXPECT_NE(got, reply);
  EXPECT_LE(got.size(), reply.size());
}

TEST(RtuBusTalkOver, AMasterThatStartedFirstGarblesFromTheReplysStart) {
  // The master began 3 bits before the reply's next byte: the line is read from where the
  // reply's bytes begin, the master's leading bits are not part of what the reply carries.
  RtuBus line = bus();
  const Bytes reply{0x11, 0x22, 0x33, 0x44};
  const Bytes got = line.talk_over(reply, Bytes{0x0F, 0xF0, 0x0F, 0xF0}, -bits(3));
  EXPECT_NE(got, reply);
  EXPECT_LE(got.size(), reply.size());
}

TEST(RtuBusTalkOver, IsReproducibleForOneSeed) {
  const Bytes reply{0x01, 0x03, 0x04, 0x00, 0x00, 0x12, 0x34};
  const Bytes master{0x02, 0x06, 0x40, 0x03, 0x00, 0x05};
  RtuBus a = bus();
  RtuBus b = bus();
  EXPECT_EQ(a.talk_over(reply, master, bits(4)), b.talk_over(reply, master, bits(4)));
}

}  // namespace
}  // namespace ambi
