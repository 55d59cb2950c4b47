// The timing of the serial lines, for slave and master alike.
#include "core/codec/line_timing.hpp"

#include <gtest/gtest.h>

namespace ambi {
namespace {

TEST(RtuSilence, IsThreeAndAHalfCharactersOrFixedAboveNineteenKilobaud) {
  EXPECT_EQ(line_timing::rtu_t35(9600).count(), 4011);
  EXPECT_EQ(line_timing::rtu_t35(19200).count(), 2006);
  EXPECT_EQ(line_timing::rtu_t35(38400).count(), 1750);
  EXPECT_EQ(line_timing::rtu_t15(9600).count(), 1719);  // 1.5 × 11 bits
  EXPECT_EQ(line_timing::rtu_t15(19200).count(), 860);
  EXPECT_EQ(line_timing::rtu_t15(38400).count(), 750);
  EXPECT_EQ(line_timing::rtu_t35(115200).count(), 1750);
}

TEST(RtuCharacterTime, IsElevenBitsAtTheBaudRate) {
  EXPECT_EQ(line_timing::character_time(9600).count(), 1146);
  EXPECT_EQ(line_timing::character_time(115200).count(), 96);
  EXPECT_EQ(line_timing::character_time(300).count(), 36667);
}

TEST(MbusGap, IsTenCharactersAtTheBaudRateButAtLeast100Ms) {
  EXPECT_EQ(line_timing::mbus_gap(300).count(), 367);
  EXPECT_EQ(line_timing::mbus_gap(2400).count(), 100);
  EXPECT_EQ(line_timing::mbus_gap(9600).count(), 100);
  EXPECT_EQ(line_timing::mbus_gap(0).count(), 100);
}

TEST(MbusReplyWindow, Is330BitTimesPlus50Ms) {
  EXPECT_EQ(line_timing::mbus_reply_window(2400).count(), 137'500 + 50'000);
  EXPECT_EQ(line_timing::mbus_reply_window(9600).count(), 34'375 + 50'000);
}

}  // namespace
}  // namespace ambi
