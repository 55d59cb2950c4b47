// The M-bus link layer (EN 13757-2): every telegram format encoded and parsed, checksum,
// stop byte and length checks, resynchronisation, and parsing at every split point.
#include "core/mbus/mbus_frame.hpp"

#include <gtest/gtest.h>

#include <variant>

#include "mbus_test_support.hpp"

namespace ambi {
namespace {

using namespace mbus_test;

/// Every event of `bytes` pushed in the given pieces, polled after each piece.
std::vector<MbusEvent> events_of(const std::vector<Bytes>& pieces) {
  MbusFramer framer;
  std::vector<MbusEvent> out;
  for (const Bytes& piece : pieces) {
    framer.push(piece);
    for (MbusEvent e = framer.poll(); !std::holds_alternative<MbusNeedMore>(e); e = framer.poll()) {
      out.push_back(e);
    }
  }
  return out;
}
std::vector<MbusEvent> events_of(const Bytes& bytes) {
  return events_of(std::vector<Bytes>{bytes});
}

// | single |
//   E5
TEST(MbusFrame, EncodesTheSingleCharacter) {
  EXPECT_EQ(encode_mbus(mbus_single()), hex("E5"));
}

// | start | C  | A  | CS | stop |   REQ_UD2 to address 1
//   10      5B   01   5C   16
TEST(MbusFrame, EncodesAShortFrame) {
  EXPECT_EQ(encode_mbus(mbus_short(0x5B, 0x01)), hex("10 5B 01 5C 16"));
}

// | 68 L  L  68 | C  | A  | CI | CS | 16 |   baud rate 2400 to address 1 (A2.2 Write)
//   68 03 03 68   53   01   BB   0F   16
TEST(MbusFrame, EncodesAControlFrame) {
  const MbusFrame frame = mbus_long(0x53, 0x01, 0xBB);
  EXPECT_EQ(frame.kind, MbusFrameKind::control);
  EXPECT_EQ(encode_mbus(frame), hex("68 03 03 68 53 01 BB 0F 16"));
}

// | 68 L  L  68 | C  | A  | CI | DIF VIF value | CS | 16 |   primary address 1 (A2.2 Write)
//   68 06 06 68   53   01   51   01  7A  01      21   16
TEST(MbusFrame, EncodesALongFrame) {
  const MbusFrame frame = mbus_long(0x53, 0x01, 0x51, hex("01 7A 01"));
  EXPECT_EQ(frame.kind, MbusFrameKind::long_frame);
  EXPECT_EQ(encode_mbus(frame), hex("68 06 06 68 53 01 51 01 7A 01 21 16"));
}

TEST(MbusFrame, RefusesToEncodeMoreDataThanOneFrameCarries) {
  EXPECT_EQ(encode_mbus(mbus_long(0x08, 0, 0x72, Bytes(kMbusMaxData, 0))).size(), kMbusMaxFrame);
  EXPECT_TRUE(encode_mbus(mbus_long(0x08, 0, 0x72, Bytes(kMbusMaxData + 1, 0))).empty());
}

TEST(MbusFrame, ParsesEveryFormatBackToBack) {
  const Bytes stream =
      hex("E5  10 5B 01 5C 16  68 03 03 68 53 01 BB 0F 16  68 06 06 68 53 01 51 01 7A 01 21 16");
  const std::vector<MbusEvent> expected{mbus_single(), mbus_short(0x5B, 0x01),
                                        mbus_long(0x53, 0x01, 0xBB),
                                        mbus_long(0x53, 0x01, 0x51, hex("01 7A 01"))};
  EXPECT_EQ(events_of(stream), expected);
}

TEST(MbusFrame, ParsesTheSameTelegramsWhenSplitAtEveryIndex) {
  const Bytes stream =
      cat(hex("10 40 01 41 16"), telegram("68 0B 0B 68 53 FD 52 01 00 07 13 CD 25 01 02"),
          hex("E5"), telegram("68 03 03 68 53 01 BB"));
  const std::vector<MbusEvent> whole = events_of(stream);
  ASSERT_EQ(whole.size(), 4U);
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    const Bytes head(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(split));
    const Bytes tail(stream.begin() + static_cast<std::ptrdiff_t>(split), stream.end());
    EXPECT_EQ(events_of({head, tail}), whole) << "split at " << split;
  }
  std::vector<Bytes> bytewise;
  for (const std::uint8_t b : stream) bytewise.push_back({b});
  EXPECT_EQ(events_of(bytewise), whole);
}

TEST(MbusFrame, WaitsForTheWholeTelegram) {
  MbusFramer framer;
  framer.push(hex("68 06 06 68 53 01 51 01 7A 01 21"));
  EXPECT_EQ(framer.poll(), MbusEvent{MbusNeedMore{}});
  EXPECT_EQ(framer.buffered(), 11U);
  framer.push(hex("16"));
  EXPECT_EQ(framer.poll(), MbusEvent{mbus_long(0x53, 0x01, 0x51, hex("01 7A 01"))});
  EXPECT_EQ(framer.buffered(), 0U);
}

// | 10 5B 01 | CS 5D (should be 5C) | 16 |  → the whole telegram is dropped
TEST(MbusFrame, DropsAShortFrameWithABadChecksumWhole) {
  const std::vector<MbusEvent> expected{MbusDiscard{MbusDiscard::Reason::bad_checksum, 5},
                                        mbus_single()};
  EXPECT_EQ(events_of(hex("10 5B 01 5D 16 E5")), expected);
}

// | 68 06 06 68 53 01 51 01 7A 01 | CS 22 (should be 21) | 16 |
TEST(MbusFrame, DropsALongFrameWithABadChecksumWhole) {
  const std::vector<MbusEvent> expected{MbusDiscard{MbusDiscard::Reason::bad_checksum, 12}};
  EXPECT_EQ(events_of(hex("68 06 06 68 53 01 51 01 7A 01 22 16")), expected);
}

// | 68 06 05 68 | ... L fields differ: only the start byte goes; 06 05 are garbage; the
// second 68 starts no valid header either (L 10 ≠ 5B); resynchronised on the 10.
TEST(MbusFrame, ResynchronisesAfterUnequalLengthFields) {
  const std::vector<MbusEvent> expected{
      MbusDiscard{MbusDiscard::Reason::bad_header, 1}, MbusDiscard{MbusDiscard::Reason::garbage, 2},
      MbusDiscard{MbusDiscard::Reason::bad_header, 1}, mbus_short(0x5B, 0x01)};
  EXPECT_EQ(events_of(hex("68 06 05 68 10 5B 01 5C 16")), expected);
}

// | 68 02 02 68 | L = 2 cannot hold C, A and CI
TEST(MbusFrame, RejectsALengthBelowThree) {
  const std::vector<MbusEvent> expected{
      MbusDiscard{MbusDiscard::Reason::bad_header, 1}, MbusDiscard{MbusDiscard::Reason::garbage, 2},
      MbusDiscard{MbusDiscard::Reason::bad_header, 1}, mbus_short(0x40, 0x01)};
  EXPECT_EQ(events_of(hex("68 02 02 68 10 40 01 41 16")), expected);
}

// A stray 10 before a long frame: no stop byte where the short frame would end, so only
// the 10 is dropped and the long frame behind it is found.
TEST(MbusFrame, FindsATelegramBehindAFalseStart) {
  const Bytes stream = cat(hex("10"), telegram("68 03 03 68 53 01 BB"));
  const std::vector<MbusEvent> expected{MbusDiscard{MbusDiscard::Reason::bad_stop, 1},
                                        mbus_long(0x53, 0x01, 0xBB)};
  EXPECT_EQ(events_of(stream), expected);
}

TEST(MbusFrame, DropsGarbageUpToTheNextStartByte) {
  const std::vector<MbusEvent> expected{MbusDiscard{MbusDiscard::Reason::garbage, 3},
                                        mbus_short(0x40, 0x01)};
  EXPECT_EQ(events_of(hex("00 FF 16 10 40 01 41 16")), expected);
}

TEST(MbusFrame, ParsesTheLongestTelegram) {
  const Bytes data(kMbusMaxData, 0xAA);
  const Bytes bytes = encode_mbus(mbus_long(0x08, 0x05, 0x72, data));
  ASSERT_EQ(bytes[1], 0xFF);
  EXPECT_EQ(events_of(bytes), std::vector<MbusEvent>{mbus_long(0x08, 0x05, 0x72, data)});
}

TEST(MbusFrame, ChecksumIsTheSumModulo256) {
  EXPECT_EQ(mbus_checksum(hex("53 FD 52 01 00 07 13 CD 25 01 02")), 0xB2);
  EXPECT_EQ(mbus_checksum(hex("FF 02")), 0x01);
}

TEST(MbusFrame, NamesEveryDiscardReason) {
  EXPECT_EQ(to_string(MbusDiscard::Reason::garbage), "garbage");
  EXPECT_EQ(to_string(MbusDiscard::Reason::bad_checksum), "bad checksum");
}

// | 00 FF 16 | 10 40 01 41 16 | 68 03 03 68 53 01 BB 0F 16 | 10 5B (incomplete)
//   garbage    short frame      control frame                 held
TEST(MbusFrame, ShowsTheBytesEachEventConsumedAndHoldsTheRest) {
  MbusFramer framer;
  const Bytes control = telegram("68 03 03 68 53 01 BB");
  framer.push(cat(hex("00 FF 16 10 40 01 41 16"), control, hex("10 5B")));
  EXPECT_EQ(framer.poll(), MbusEvent{(MbusDiscard{MbusDiscard::Reason::garbage, 3})});
  EXPECT_EQ(Bytes(framer.polled().begin(), framer.polled().end()), hex("00 FF 16"));
  EXPECT_EQ(framer.poll(), MbusEvent{mbus_short(0x40, 0x01)});
  EXPECT_EQ(Bytes(framer.polled().begin(), framer.polled().end()), hex("10 40 01 41 16"));
  EXPECT_EQ(framer.buffered(), control.size() + 2);
  EXPECT_EQ(framer.poll(), MbusEvent{mbus_long(0x53, 0x01, 0xBB)});
  EXPECT_EQ(Bytes(framer.polled().begin(), framer.polled().end()), control);
  EXPECT_EQ(framer.poll(), MbusEvent{MbusNeedMore{}});
  EXPECT_TRUE(framer.polled().empty());
  EXPECT_EQ(framer.buffered(), 2U);
  framer.push(hex("01 5C 16"));
  EXPECT_EQ(framer.poll(), MbusEvent{mbus_short(0x5B, 0x01)});
  EXPECT_EQ(Bytes(framer.polled().begin(), framer.polled().end()), hex("10 5B 01 5C 16"));
  EXPECT_EQ(framer.buffered(), 0U);
}

}  // namespace
}  // namespace ambi
