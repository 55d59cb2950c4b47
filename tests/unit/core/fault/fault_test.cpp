// Faults on a Modbus link (core/fault/fault.hpp): what each kind does to the bytes of
// a reply, windows and probabilities, and that the draws are the same for the same seed.
#include "core/fault/fault.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "core/codec/crc16.hpp"

namespace ambi {
namespace {

using Bytes = std::vector<std::uint8_t>;

/// | 01 | 03 | 04 | 19 02 02 46 | CRC |: meter 1's serial.
Bytes rtu_reply() {
  Bytes b{0x01, 0x03, 0x04, 0x19, 0x02, 0x02, 0x46};
  const std::uint16_t crc = crc16_modbus(b);
  b.push_back(static_cast<std::uint8_t>(crc & 0xFFU));
  b.push_back(static_cast<std::uint8_t>(crc >> 8U));
  return b;
}
/// | tid 0007 | 0000 | len 0007 | 01 | 03 | 04 | 19 02 02 46 |.
const Bytes kMbap{0x00, 0x07, 0x00, 0x00, 0x00, 0x07, 0x01, 0x03, 0x04, 0x19, 0x02, 0x02, 0x46};

FaultedReply one(Fault f, const Bytes& reply, ReplyFraming framing, std::int64_t now_ms = 0) {
  std::vector<Fault> faults{f};
  return apply_link_faults(faults, now_ms, reply, framing);
}

Fault of(FaultKind kind) {
  Fault f;
  f.id = 3;
  f.kind = kind;
  return f;
}

bool crc_ok(const Bytes& b) {
  const std::uint16_t crc = crc16_modbus(std::span(b).first(b.size() - 2));
  return b[b.size() - 2] == (crc & 0xFFU) && b.back() == (crc >> 8U);
}

TEST(Fault, NoReplyDropsIt) {
  const FaultedReply r = one(of(FaultKind::no_reply), rtu_reply(), ReplyFraming::rtu);
  EXPECT_TRUE(r.dropped);
  EXPECT_EQ(r.causes, (std::vector<std::string>{"fault 3 (no-reply)"}));
}

TEST(Fault, ABadCrcFailsTheCheckOnRtuAndLeavesTcpAlone) {
  const FaultedReply r = one(of(FaultKind::bad_crc), rtu_reply(), ReplyFraming::rtu);
  EXPECT_FALSE(crc_ok(r.bytes));
  const Bytes clean = rtu_reply();
  EXPECT_EQ(Bytes(r.bytes.begin(), r.bytes.end() - 1), Bytes(clean.begin(), clean.end() - 1));
  EXPECT_FALSE(one(of(FaultKind::bad_crc), kMbap, ReplyFraming::mbap).changed());
}

TEST(Fault, WrongUnitIsAWellFormedFrameFromTheNextUnit) {
  const FaultedReply r = one(of(FaultKind::wrong_unit), rtu_reply(), ReplyFraming::rtu);
  EXPECT_EQ(r.bytes[0], 0x02);
  EXPECT_TRUE(crc_ok(r.bytes));
  EXPECT_EQ(one(of(FaultKind::wrong_unit), kMbap, ReplyFraming::mbap).bytes[6], 0x02);
}

TEST(Fault, WrongTransactionCountsTheIdOnOnTcpOnly) {
  EXPECT_EQ(one(of(FaultKind::wrong_transaction), kMbap, ReplyFraming::mbap).bytes[1], 0x08);
  EXPECT_FALSE(one(of(FaultKind::wrong_transaction), rtu_reply(), ReplyFraming::rtu).changed());
}

TEST(Fault, AnExceptionReplacesTheData) {
  Fault f = of(FaultKind::exception);
  f.exception_code = 0x06;
  const FaultedReply r = one(f, rtu_reply(), ReplyFraming::rtu);
  ASSERT_EQ(r.bytes.size(), 5U);
  EXPECT_EQ(Bytes(r.bytes.begin(), r.bytes.begin() + 3), (Bytes{0x01, 0x83, 0x06}));
  EXPECT_TRUE(crc_ok(r.bytes));
  EXPECT_EQ(one(f, kMbap, ReplyFraming::mbap).bytes,
            (Bytes{0x00, 0x07, 0x00, 0x00, 0x00, 0x03, 0x01, 0x83, 0x06}));
}

TEST(Fault, TruncateKeepsHalfOrWhatItIsTold) {
  EXPECT_EQ(one(of(FaultKind::truncate), rtu_reply(), ReplyFraming::rtu).bytes.size(), 4U);
  Fault f = of(FaultKind::truncate);
  f.keep_bytes = 2;
  EXPECT_EQ(one(f, rtu_reply(), ReplyFraming::rtu).bytes, (Bytes{0x01, 0x03}));
}

TEST(Fault, GarbageGoesBeforeOrAfter) {
  Fault f = of(FaultKind::garbage);
  f.garbage_bytes = 3;
  const Bytes before = one(f, rtu_reply(), ReplyFraming::rtu).bytes;
  EXPECT_EQ(Bytes(before.begin() + 3, before.end()), rtu_reply());
  f.after = true;
  const Bytes after = one(f, rtu_reply(), ReplyFraming::rtu).bytes;
  EXPECT_EQ(Bytes(after.begin(), after.begin() + 9), rtu_reply());
  EXPECT_EQ(after.size(), 12U);
}

TEST(Fault, BitErrorsFlipAboutTheRateAndTheSameSeedFlipsTheSameBits) {
  Fault f = of(FaultKind::bit_errors);
  f.bit_error_rate = 0.1;
  const Bytes reply(1000, 0x00);
  std::vector<Fault> a{f};
  std::vector<Fault> b{f};
  const Bytes x = apply_link_faults(a, 0, reply, ReplyFraming::mbap).bytes;
  const Bytes y = apply_link_faults(b, 0, reply, ReplyFraming::mbap).bytes;
  EXPECT_EQ(x, y);
  int ones = 0;
  for (const std::uint8_t byte : x) ones += __builtin_popcount(byte);
  EXPECT_GT(ones, 650);  // 800 expected of 8000 bits
  EXPECT_LT(ones, 950);
  // The next reply draws afresh.
  EXPECT_NE(apply_link_faults(a, 0, reply, ReplyFraming::mbap).bytes, x);
}

TEST(Fault, ADelayAddsItsJitterFromTheSeed) {
  Fault f = of(FaultKind::delay);
  f.delay_ms = 100;
  f.jitter_ms = 50;
  std::vector<Fault> faults{f};
  for (int i = 0; i < 20; ++i) {
    const FaultedReply r = apply_link_faults(faults, 0, rtu_reply(), ReplyFraming::rtu);
    EXPECT_GE(r.delay_ms, 100);
    EXPECT_LE(r.delay_ms, 150);
    EXPECT_EQ(r.bytes, rtu_reply());
  }
}

TEST(Fault, ActsOnlyInItsWindowAndCountsWhatItDid) {
  Fault f = of(FaultKind::no_reply);
  f.start_ms = 1000;
  f.end_ms = 2000;
  std::vector<Fault> faults{f};
  EXPECT_FALSE(apply_link_faults(faults, 999, rtu_reply(), ReplyFraming::rtu).dropped);
  EXPECT_TRUE(apply_link_faults(faults, 1000, rtu_reply(), ReplyFraming::rtu).dropped);
  EXPECT_FALSE(apply_link_faults(faults, 2000, rtu_reply(), ReplyFraming::rtu).dropped);
  EXPECT_EQ(faults[0].seen, 1U);
  EXPECT_EQ(faults[0].applied, 1U);
}

TEST(Fault, AProbabilityHitsAboutThatShareReproducibly) {
  Fault f = of(FaultKind::no_reply);
  f.probability = 0.25;
  f.seed = 77;
  std::vector<Fault> a{f};
  std::vector<Fault> b{f};
  int hits = 0;
  for (int i = 0; i < 1000; ++i) {
    const bool x = apply_link_faults(a, 0, rtu_reply(), ReplyFraming::rtu).dropped;
    EXPECT_EQ(x, apply_link_faults(b, 0, rtu_reply(), ReplyFraming::rtu).dropped);
    hits += x ? 1 : 0;
  }
  EXPECT_GT(hits, 200);
  EXPECT_LT(hits, 300);
  EXPECT_EQ(a[0].applied, static_cast<std::uint64_t>(hits));
}

/// | 10 | 5B | 00 | 5B | 16 |-shaped short frame and an E5.
const Bytes kMbusShort{0x10, 0x08, 0x05, 0x0D, 0x16};
const Bytes kE5{0xE5};

TEST(Fault, OnMbusABadChecksumAndAWrongAddressKeepTheFrameShape) {
  const Bytes bad = one(of(FaultKind::bad_crc), kMbusShort, ReplyFraming::mbus).bytes;
  EXPECT_EQ(bad, (Bytes{0x10, 0x08, 0x05, 0xF2, 0x16}));
  const Bytes moved = one(of(FaultKind::wrong_unit), kMbusShort, ReplyFraming::mbus).bytes;
  EXPECT_EQ(moved, (Bytes{0x10, 0x08, 0x06, 0x0E, 0x16}));  // A + 1, the checksum fits
  EXPECT_FALSE(one(of(FaultKind::bad_crc), kE5, ReplyFraming::mbus).changed());
  EXPECT_FALSE(one(of(FaultKind::exception), kMbusShort, ReplyFraming::mbus).changed());
}

TEST(Fault, ACollisionWithItselfGarblesAnE5ByWiredAnd) {
  const FaultedReply r = one(of(FaultKind::collision), kE5, ReplyFraming::mbus);
  EXPECT_TRUE(r.changed());
  EXPECT_NE(r.bytes, kE5);  // shifted by the seed's bits: not one clean E5
  // The same seed, the same garble.
  EXPECT_EQ(one(of(FaultKind::collision), kE5, ReplyFraming::mbus).bytes, r.bytes);
  EXPECT_NE(one(of(FaultKind::collision), rtu_reply(), ReplyFraming::rtu).bytes, rtu_reply());
}

TEST(Fault, KindsHaveTheirNames) {
  EXPECT_EQ(fault_kind("bad-crc"), FaultKind::bad_crc);
  EXPECT_EQ(to_string(FaultKind::wrong_transaction), "wrong-transaction");
  EXPECT_FALSE(fault_kind("bad_crc"));
}

}  // namespace
}  // namespace ambi
