// Bytes as the trace, the docs and the messages write them, and back.
#include "core/codec/hex.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace ambi {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(HexBytes, AreSpacedUpperCasePairs) {
  EXPECT_EQ(hex_bytes(Bytes{0x01, 0xAB, 0x0F}), "01 AB 0F");
  EXPECT_EQ(hex_bytes(Bytes{}), "");
}

TEST(HexBytes, ALongRunIsCutAndCounted) {
  const Bytes bytes(20, 0xE5);
  EXPECT_EQ(hex_bytes(bytes, 3), "E5 E5 E5 ... (20 bytes)");
  EXPECT_EQ(hex_bytes(bytes, 20), hex_bytes(bytes));
}

TEST(ParseHex, ReadsPairsOfEitherCaseInTokens) {
  EXPECT_EQ(parse_hex("01 06 4003 000a"), (Bytes{0x01, 0x06, 0x40, 0x03, 0x00, 0x0A}));
  EXPECT_EQ(parse_hex("  10\t5B\n01 "), (Bytes{0x10, 0x5B, 0x01}));
  EXPECT_EQ(parse_hex(""), Bytes{});
}

TEST(ParseHex, RefusesAnOddTokenOrANonHexDigit) {
  EXPECT_EQ(parse_hex("01 063"), std::nullopt);  // not re-paired across tokens
  EXPECT_EQ(parse_hex("0 1"), std::nullopt);
  EXPECT_EQ(parse_hex("01 0G"), std::nullopt);
  EXPECT_EQ(parse_hex("0x01"), std::nullopt);
}

TEST(ParseHex, ReadsWhatHexBytesWrote) {
  const Bytes bytes{0x00, 0x7F, 0x80, 0xFF};
  EXPECT_EQ(parse_hex(hex_bytes(bytes)), bytes);
}

}  // namespace
}  // namespace ambi
