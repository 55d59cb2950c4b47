// Bytes as the trace, the docs and the messages write them.
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

}  // namespace
}  // namespace ambi
