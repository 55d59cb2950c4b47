#pragma once
// Several transmitters on one serial line at once, bit by bit (docs/shared-lines.md): what a
// UART reads when two or more slaves answer together. Pure: bytes and bit offsets in, bytes
// out.
//
// Each transmission is a stream of UART characters (a start bit 0, the data bits from the
// least significant, an optional parity bit, stop bits 1) starting `offset_bits` bit times
// after the first. Where nobody transmits the line idles at 1. Where the transmitters
// disagree, the line's physics decide:
//   - wired AND (M-bus, slave to master): a slave sends 0 by drawing current, so the master
//     reads 0 wherever any slave sends 0;
//   - contention (RS485): two drivers drive the pair to opposite states, the receiver sees
//     about 0 V and reads either value: a bit from a seeded hash.
// The receiving UART then hunts for a start bit, samples each bit in the middle, and checks
// parity and stop bit. A byte with a bad stop bit (a framing error) or a bad parity bit is
// still delivered, as a UART passes it on with an error flag that a master sees as a bad
// frame; the counts say how many.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ambi::uart {

enum class Parity : std::uint8_t { none, even, odd };

/// A character's layout on the line.
struct Format {
  Parity parity = Parity::even;
  int stop_bits = 1;
  /// Bits per character: start, 8 data, parity (if any), stop.
  [[nodiscard]] int bits() const { return 1 + 8 + (parity == Parity::none ? 0 : 1) + stop_bits; }
};

/// What disagreeing transmitters give.
enum class Physics : std::uint8_t { wired_and, contention };

struct Transmission {
  std::span<const std::uint8_t> bytes;
  std::int64_t offset_bits = 0;  ///< when it starts, in bit times after the first (≥ 0)
};

struct Received {
  std::vector<std::uint8_t> bytes;
  std::size_t framing_errors = 0;
  std::size_t parity_errors = 0;
  friend bool operator==(const Received&, const Received&) = default;
};

/// The line's bits (1 = mark, idle) from bit time 0 to the end of the last transmission.
[[nodiscard]] std::vector<std::uint8_t> line_bits(std::span<const Transmission> transmissions,
                                                  Format format, Physics physics,
                                                  std::uint64_t seed);

/// What a UART in `format` reads from `bits`.
[[nodiscard]] Received receive(std::span<const std::uint8_t> bits, Format format);

/// `receive(line_bits(...))`: what the master reads when these transmissions overlap.
[[nodiscard]] Received superimpose(std::span<const Transmission> transmissions, Format format,
                                   Physics physics, std::uint64_t seed);

}  // namespace ambi::uart
