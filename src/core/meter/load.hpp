#pragma once
// What the meter's terminals see (the inputs) and what it measures from them.

#include <array>
#include <cstdint>

#include "core/meter/settings.hpp"

namespace ambi {

inline constexpr int kPhases = 3;

/// One phase as wired: rms voltage, rms primary current, and the angle φ by which the
/// current lags the voltage (degrees): 0 = resistive import, +90 = inductive (Q > 0),
/// 180 = pure export.
struct PhaseInput {
  double volts = 230.0;
  double amps = 0.0;
  double phi_deg = 0.0;
  friend constexpr bool operator==(const PhaseInput&, const PhaseInput&) = default;
};

/// The three phases and the grid frequency.
struct LoadInput {
  std::array<PhaseInput, kPhases> phases{};
  double hz = 50.0;
  friend constexpr bool operator==(const LoadInput&, const LoadInput&) = default;
};

/// Allowed input ranges (a twin input, not a meter setting): V 0-1000, A 0-100000 primary,
/// φ any finite angle, f 40-70 Hz.
[[nodiscard]] Outcome<> check_load(const LoadInput& load);

/// A phase as the meter measures it. Powers are quantised to milli-units once, here, so
/// that integration is exact and every interface shows the same numbers.
struct PhaseMeasurement {
  double volts = 0;
  double amps = 0;          ///< primary current (the CT ratio applied)
  std::int64_t p_mw = 0;    ///< active power, signed: > 0 import
  std::int64_t q_mvar = 0;  ///< reactive power, signed: > 0 inductive
  std::int64_t s_mva = 0;   ///< apparent power V·I
  double power_factor = 1;  ///< P/S, signed; 1 when S = 0
  int quadrant = 1;         ///< 1-4 from the signs of P and Q
  char direction = 'F';     ///< 'F' when P ≥ 0, else 'R' (registers 4012-4014)
};

/// Everything of the 0x5000 block and the quadrant/direction registers.
struct Measurement {
  std::array<PhaseMeasurement, kPhases> phases{};
  double hz = 0;
  std::int64_t p_mw = 0;  ///< totals: sums of the phases
  std::int64_t q_mvar = 0;
  std::int64_t s_mva = 0;   ///< arithmetic sum of phase apparent powers
  double power_factor = 1;  ///< P/S total
  int quadrant = 1;         ///< of (P, Q) total (register 4017)
  /// Line-to-line voltages from phasors 120° apart: L1-L2, L1-L3, L2-L3.
  std::array<double, 3> line_volts{};
};

/// The quadrant of a (P, Q) pair: 1 P≥0 Q≥0, 2 P<0 Q≥0, 3 P<0 Q<0, 4 P≥0 Q<0.
[[nodiscard]] constexpr int quadrant_of(std::int64_t p, std::int64_t q) {
  if (q >= 0) return p >= 0 ? 1 : 2;
  return p < 0 ? 3 : 4;
}

/// A load checked and measured once, ready to apply many times (profiles precompute these
/// so that replaying a year of 1-second rows costs no trigonometry).
struct PreparedLoad {
  LoadInput input{};
  Measurement measured{};
};

/// Checks a load's ranges and measures it (powered).
[[nodiscard]] Outcome<PreparedLoad> prepare_load(const LoadInput& load);

/// Measures a load as the meter does. `powered` false gives an all-zero measurement.
[[nodiscard]] Measurement measure(const LoadInput& load, bool powered);

/// The secondary-side (CT output) value of a primary quantity for a ratio.
[[nodiscard]] std::int64_t to_secondary(std::int64_t primary_value, CtRatio ratio);

}  // namespace ambi
