#pragma once
// How the meter is connected to the grid (docs/faults.md "Meter faults"): normally each
// input L1-L3 takes its own phase's voltage and its own CT, every CT the right way round and
// of the ratio the meter is set to. An installer's mistake changes what the terminals see,
// and so what the meter measures and counts; the grid itself is unchanged. Pure.

#include <array>
#include <cstdint>
#include <optional>

#include "core/meter/load.hpp"
#include "core/meter/settings.hpp"

namespace ambi {

struct Wiring {
  /// The phase's voltage does not reach its input (a blown fuse, a loose wire).
  std::array<bool, kPhases> voltage_lost{};
  /// The grid phase (0-2) whose voltage reaches input i (swapped voltage wires).
  std::array<std::uint8_t, kPhases> voltage_from{0, 1, 2};
  /// The phase's CT is connected backwards (P1/P2 or S1/S2 swapped): its current is reversed.
  std::array<bool, kPhases> ct_reversed{};
  /// The primary current of the CT actually installed (same secondary as the meter is set
  /// to), when it differs from the meter's CT setting: the meter scales every current by
  /// its setting over this.
  std::optional<std::uint16_t> installed_ct_primary;

  [[nodiscard]] bool normal() const { return *this == Wiring{}; }
  friend bool operator==(const Wiring&, const Wiring&) = default;
};

/// What the meter's inputs see of `grid` through `wiring`, the meter being set to `ct`.
/// A voltage taken from another phase arrives at that phase's angle (120° apart, L1-L2-L3
/// lagging), so a current paired with it lags it by φ ± 120°; a reversed CT adds 180°.
[[nodiscard]] LoadInput wire(const LoadInput& grid, const Wiring& wiring, CtRatio ct);

}  // namespace ambi
