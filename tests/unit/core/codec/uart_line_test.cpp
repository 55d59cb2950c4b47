// Transmitters superimposed on one serial line (core/codec/uart_line.hpp): what a master's
// UART reads when slaves answer together, on M-bus (wired AND) and RS485 (contention).
#include "core/codec/uart_line.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace ambi::uart {
namespace {

const Format k8e1{Parity::even, 1};

TEST(UartLine, OneTransmitterIsReadAsItWasSent) {
  const std::vector<std::uint8_t> frame{0x68, 0x03, 0x03, 0x68, 0x53, 0xFE, 0x50, 0xA1, 0x16};
  const std::array one{Transmission{frame, 0}};
  for (const Physics physics : {Physics::wired_and, Physics::contention}) {
    const Received got = superimpose(one, k8e1, physics, 1);
    EXPECT_EQ(got.bytes, frame);
    EXPECT_EQ(got.framing_errors, 0U);
    EXPECT_EQ(got.parity_errors, 0U);
  }
  EXPECT_EQ(line_bits(one, k8e1, Physics::wired_and, 1).size(), frame.size() * 11);
  const Format k8n2{Parity::none, 2};
  EXPECT_EQ(superimpose(one, k8n2, Physics::contention, 1).bytes, frame);
  EXPECT_EQ(line_bits(one, k8n2, Physics::contention, 1).size(), frame.size() * 11);
}

TEST(UartLine, IdenticalRepliesThatCoincideReadAsOne) {
  const std::vector<std::uint8_t> e5{0xE5};
  const std::array two{Transmission{e5, 0}, Transmission{e5, 0}};
  EXPECT_EQ(superimpose(two, k8e1, Physics::wired_and, 7).bytes, e5);
  EXPECT_EQ(superimpose(two, k8e1, Physics::contention, 7).bytes, e5);
}

TEST(UartLine, OnMbusAZeroFromAnySlaveWins) {
  // 0xE5 = 1110 0101 and 0x5A = 0101 1010 at the same instant: the bitwise AND is 0x40, and
  // the parity bits (even: 1 for E5, 0 for 5A) AND to 0, which is wrong for 0x40.
  const std::vector<std::uint8_t> a{0xE5};
  const std::vector<std::uint8_t> b{0x5A};
  const std::array both{Transmission{a, 0}, Transmission{b, 0}};
  const Received got = superimpose(both, k8e1, Physics::wired_and, 0);
  ASSERT_EQ(got.bytes.size(), 1U);
  EXPECT_EQ(got.bytes[0], 0x40);
  EXPECT_EQ(got.parity_errors, 1U);
}

TEST(UartLine, ShiftedTelegramsGarbleIntoErrors) {
  const std::vector<std::uint8_t> a{0x68, 0x1F, 0x1F, 0x68, 0x08, 0x01, 0x72, 0x46, 0x02, 0x02};
  const std::vector<std::uint8_t> b{0x68, 0x1F, 0x1F, 0x68, 0x08, 0x02, 0x72, 0x47, 0x02, 0x02};
  const std::array both{Transmission{a, 0}, Transmission{b, 3}};
  const Received mbus = superimpose(both, k8e1, Physics::wired_and, 0);
  EXPECT_NE(mbus.bytes, a);
  EXPECT_GT(mbus.framing_errors + mbus.parity_errors, 0U);
  const Received rs485 = superimpose(both, k8e1, Physics::contention, 99);
  EXPECT_NE(rs485.bytes, a);
  EXPECT_NE(rs485.bytes, b);
  // The same seed, the same garbage: a run is reproducible.
  EXPECT_EQ(superimpose(both, k8e1, Physics::contention, 99), rs485);
}

TEST(UartLine, ContentionDecidesOnlyWhereTheDriversDisagree) {
  const std::vector<std::uint8_t> a{0x0F};
  const std::vector<std::uint8_t> b{0x0E};  // differs in bit 0 (and in the parity bit)
  const std::array both{Transmission{a, 0}, Transmission{b, 0}};
  const auto bits = line_bits(both, k8e1, Physics::contention, 5);
  const auto alone = line_bits(std::array{Transmission{a, 0}}, k8e1, Physics::contention, 5);
  ASSERT_EQ(bits.size(), alone.size());
  for (std::size_t t = 0; t < bits.size(); ++t) {
    if (t == 1 || t == 9) continue;  // data bit 0 and the parity bit
    EXPECT_EQ(bits[t], alone[t]) << "bit " << t;
  }
}

}  // namespace
}  // namespace ambi::uart
