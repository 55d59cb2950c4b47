#pragma once
// The energy registers of the 0x6000 block as non-negative counters in one flat array,
// so that the integrator, the storage image and the tests can walk them all.
//
// Layout (each family 16 counters: total F/R, tariff T1-T4 F/R, phase L1-L3 F/R):
//   [ 0..15] active        [16..31] reactive
//   [32..35] quadrant Q1-Q4 (all tariffs)   [36..51] quadrant × tariff (q*4 + t)
//   [52..53] trip total F/R   [54..59] trip L1-L3 F/R
//   [60..61] CT history 1: secondary-side active F/R (counting at 5/5)

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/meter/energy_counter.hpp"
#include "core/meter/settings.hpp"

namespace ambi {

enum class Dir : std::uint8_t { forward = 0, reverse = 1 };
enum class Family : std::uint8_t { active = 0, reactive = 1 };

inline constexpr int kTariffs = 4;
inline constexpr std::size_t kCounterCount = 62;

/// Index arithmetic of the flat counter array.
// A set of named values, spelled like enumerators (counter_index::name) rather than kCamel
// constants. NOLINTBEGIN(readability-identifier-naming)
namespace counter_index {
constexpr std::size_t total(Family f, Dir d) {
  return std::size_t{16} * static_cast<std::size_t>(f) + static_cast<std::size_t>(d);
}
/// `tariff` 1-4.
constexpr std::size_t tariff(Family f, int tariff, Dir d) {
  return total(f, d) + 2 + 2 * static_cast<std::size_t>(tariff - 1);
}
/// `phase` 0-2 (L1-L3).
constexpr std::size_t phase(Family f, int phase, Dir d) {
  return total(f, d) + 10 + 2 * static_cast<std::size_t>(phase);
}
/// `quadrant` 1-4.
constexpr std::size_t quadrant(int quadrant) {
  return 32 + static_cast<std::size_t>(quadrant - 1);
}
constexpr std::size_t quadrant_tariff(int quadrant, int tariff) {
  return 36 + 4 * static_cast<std::size_t>(quadrant - 1) + static_cast<std::size_t>(tariff - 1);
}
constexpr std::size_t trip_total(Dir d) {
  return 52 + static_cast<std::size_t>(d);
}
constexpr std::size_t trip_phase(int phase, Dir d) {
  return 54 + 2 * static_cast<std::size_t>(phase) + static_cast<std::size_t>(d);
}
constexpr std::size_t ct_secondary(Dir d) {
  return 60 + static_cast<std::size_t>(d);
}
}  // namespace counter_index
// NOLINTEND(readability-identifier-naming)

/// All energy counters. Magnitudes only; signed "totals" are derived by `combine`.
struct Registers {
  std::array<EnergyCounter, kCounterCount> counters{};

  [[nodiscard]] const EnergyCounter& at(std::size_t i) const { return counters[i]; }
  [[nodiscard]] EnergyCounter& at(std::size_t i) { return counters[i]; }
  [[nodiscard]] std::int64_t mwh(std::size_t i) const { return counters[i].mwh(); }

  friend bool operator==(const Registers&, const Registers&) = default;
};

/// The "total" a combination code makes of a forward and a reverse magnitude (manual
/// 7.6.15): C-01 F, C-02 −R, C-03 F+R, C-04 and C-05 F−R. In mWh, signed.
[[nodiscard]] constexpr std::int64_t combine(CombinationCode code, std::int64_t forward_mwh,
                                             std::int64_t reverse_mwh) {
  switch (code) {
    case CombinationCode::forward_only:
      return forward_mwh;
    case CombinationCode::reverse_only:
      return -reverse_mwh;
    case CombinationCode::forward_plus_reverse:
      return forward_mwh + reverse_mwh;
    case CombinationCode::forward_minus_reverse:
    case CombinationCode::netted_forward_minus_reverse:
      return forward_mwh - reverse_mwh;
  }
  return 0;
}

/// True for counters that no command may decrease (every counter but the trip counters).
[[nodiscard]] constexpr bool is_legal_counter(std::size_t i) {
  return i < counter_index::trip_total(Dir::forward) ||
         i >= counter_index::ct_secondary(Dir::forward);
}

}  // namespace ambi
