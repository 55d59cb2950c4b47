#include "core/codec/uart_line.hpp"

#include <algorithm>
#include <bit>

namespace ambi::uart {
namespace {

/// One character's bits, start bit first.
void append_character(std::vector<std::uint8_t>& out, std::uint8_t byte, Format format) {
  out.push_back(0);
  for (unsigned i = 0; i < 8; ++i)
    out.push_back(static_cast<std::uint8_t>((static_cast<unsigned>(byte) >> i) & 1U));
  if (format.parity != Parity::none) {
    const bool odd_ones = (std::popcount(byte) & 1) != 0;
    const bool bit = format.parity == Parity::even ? odd_ones : !odd_ones;
    out.push_back(bit ? 1 : 0);
  }
  for (int i = 0; i < format.stop_bits; ++i) out.push_back(1);
}

/// SplitMix64 of the seed and the bit time: the value a receiver reads at 0 V.
std::uint8_t undecided_bit(std::uint64_t seed, std::int64_t t) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (static_cast<std::uint64_t>(t) + 1);
  z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
  return static_cast<std::uint8_t>((z ^ (z >> 31U)) & 1U);
}

}  // namespace

std::vector<std::uint8_t> line_bits(std::span<const Transmission> transmissions, Format format,
                                    Physics physics, std::uint64_t seed) {
  std::vector<std::vector<std::uint8_t>> streams;
  std::int64_t end = 0;
  for (const Transmission& t : transmissions) {
    auto& bits = streams.emplace_back();
    for (const std::uint8_t b : t.bytes) append_character(bits, b, format);
    end = std::max(
        end, std::max<std::int64_t>(t.offset_bits, 0) + static_cast<std::int64_t>(bits.size()));
  }
  std::vector<std::uint8_t> line(static_cast<std::size_t>(end), 1);
  for (std::int64_t t = 0; t < end; ++t) {
    int zeros = 0;
    int ones = 0;
    for (std::size_t i = 0; i < streams.size(); ++i) {
      const std::int64_t at = t - std::max<std::int64_t>(transmissions[i].offset_bits, 0);
      if (at < 0 || at >= static_cast<std::int64_t>(streams[i].size())) continue;  // idle
      (streams[i][static_cast<std::size_t>(at)] != 0 ? ones : zeros) += 1;
    }
    std::uint8_t bit = 1;
    if (zeros > 0 && ones == 0) {
      bit = 0;
    } else if (zeros > 0) {
      bit = physics == Physics::wired_and ? 0 : undecided_bit(seed, t);
    }
    line[static_cast<std::size_t>(t)] = bit;
  }
  return line;
}

Received receive(std::span<const std::uint8_t> bits, Format format) {
  Received out;
  const auto n = static_cast<std::int64_t>(bits.size());
  const auto at = [&](std::int64_t i) { return i < n ? bits[static_cast<std::size_t>(i)] : 1; };
  std::int64_t t = 0;
  while (t < n) {
    if (at(t) != 0) {  // hunting: idle or a stray mark
      ++t;
      continue;
    }
    // A start bit at t: data bits at t+1..t+8, then parity, then the stop bit(s).
    std::uint8_t byte = 0;
    for (unsigned i = 0; i < 8; ++i) {
      byte = static_cast<std::uint8_t>(byte | (static_cast<unsigned>(at(t + 1 + i)) << i));
    }
    std::int64_t next = t + 9;
    if (format.parity != Parity::none) {
      const bool odd_ones = (std::popcount(byte) & 1) != 0;
      const bool expected = format.parity == Parity::even ? odd_ones : !odd_ones;
      if ((at(next) != 0) != expected) ++out.parity_errors;
      ++next;
    }
    if (at(next) == 0) ++out.framing_errors;  // the receiver checks the first stop bit
    out.bytes.push_back(byte);
    t = next + 1;  // hunting again after the (first) stop bit
  }
  return out;
}

Received superimpose(std::span<const Transmission> transmissions, Format format, Physics physics,
                     std::uint64_t seed) {
  const auto bits = line_bits(transmissions, format, physics, seed);
  return receive(bits, format);
}

}  // namespace ambi::uart
