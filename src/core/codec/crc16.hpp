#pragma once
// CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF), as the Modbus over serial line
// specification (V1.02, 6.2.2) defines it. Sent low byte first.

#include <array>
#include <cstdint>
#include <span>

namespace ambi {

namespace detail {
constexpr std::array<std::uint16_t, 256> make_crc16_table() {
  std::array<std::uint16_t, 256> table{};
  for (std::uint32_t i = 0; i < table.size(); ++i) {
    std::uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1U) != 0 ? (crc >> 1) ^ 0xA001U : crc >> 1;
    table[i] = static_cast<std::uint16_t>(crc);
  }
  return table;
}
inline constexpr std::array<std::uint16_t, 256> kCrc16Table = make_crc16_table();
}  // namespace detail

/// The CRC-16/MODBUS of `bytes`; check value: "123456789" gives 0x4B37.
[[nodiscard]] constexpr std::uint16_t crc16_modbus(std::span<const std::uint8_t> bytes) {
  std::uint32_t crc = 0xFFFF;
  for (const std::uint8_t b : bytes) {
    crc = (crc >> 8) ^ detail::kCrc16Table[(crc ^ b) & 0xFFU];
  }
  return static_cast<std::uint16_t>(crc);
}

}  // namespace ambi
