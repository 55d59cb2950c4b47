#pragma once
// The timing of a serial line, in one place: how long characters take and the silences
// that end or break a frame, for Modbus RTU (Modbus over serial line V1.02, 2.5.1.1) and
// M-bus (EN 13757-2), on the slave side and the master side alike. Both lines carry 11-bit
// characters: start, 8 data bits, parity (or a second stop bit), stop.

#include <chrono>
#include <cstdint>

namespace ambi::line_timing {

using std::chrono::microseconds;
using std::chrono::milliseconds;

/// Bits per character on both lines.
inline constexpr std::int64_t kBitsPerCharacter = 11;

/// How long `bits` take on the line at `baud`, rounded up to whole µs (0 at baud 0).
[[nodiscard]] constexpr microseconds bit_time(std::int64_t bits, std::uint32_t baud) {
  if (baud == 0) return microseconds{0};
  return microseconds{(bits * 1'000'000 + baud - 1) / baud};
}
/// How long `characters` take on the line at `baud`.
[[nodiscard]] constexpr microseconds character_time(std::uint32_t baud,
                                                    std::int64_t characters = 1) {
  return bit_time(characters * kBitsPerCharacter, baud);
}

/// Modbus RTU: above this rate t1.5 and t3.5 are fixed (V1.02 2.5.1.1).
inline constexpr std::uint32_t kRtuFixedTimingAbove = 19200;
/// The 3.5-character silence that ends an RTU frame: fixed 1750 µs above 19200 baud.
[[nodiscard]] constexpr microseconds rtu_t35(std::uint32_t baud) {
  if (baud == 0 || baud > kRtuFixedTimingAbove) return microseconds{1750};
  return microseconds{(std::int64_t{35} * kBitsPerCharacter * 1'000'000 / baud + 9) / 10};
}
/// The 1.5-character gap inside an RTU frame that makes it incomplete: fixed 750 µs above
/// 19200 baud.
[[nodiscard]] constexpr microseconds rtu_t15(std::uint32_t baud) {
  if (baud == 0 || baud > kRtuFixedTimingAbove) return microseconds{750};
  return microseconds{(std::int64_t{15} * kBitsPerCharacter * 1'000'000 / baud + 9) / 10};
}

/// M-bus: a slave answers after 11 bit times and before 330 bit times + 50 ms (EN 13757-2
/// 5.7.5); the master takes an answer as ended after that much silence.
inline constexpr std::int64_t kMbusTurnaroundBits = 11;
inline constexpr std::int64_t kMbusSilenceBits = 330;
inline constexpr milliseconds kMbusSilenceMargin{50};
[[nodiscard]] constexpr microseconds mbus_reply_window(std::uint32_t baud) {
  return bit_time(kMbusSilenceBits, baud) + kMbusSilenceMargin;
}
/// M-bus: an incomplete telegram is dropped after 10 silent characters, at least 100 ms.
inline constexpr std::int64_t kMbusGapCharacters = 10;
inline constexpr milliseconds kMbusMinGap{100};
[[nodiscard]] constexpr milliseconds mbus_gap(std::uint32_t baud) {
  if (baud == 0) return kMbusMinGap;
  const auto gap = std::chrono::ceil<milliseconds>(character_time(baud, kMbusGapCharacters));
  return gap > kMbusMinGap ? gap : kMbusMinGap;
}

}  // namespace ambi::line_timing
