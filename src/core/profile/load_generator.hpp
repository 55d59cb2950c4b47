#pragma once
// A seeded load generator for fleets (docs/fleet.md "Load profiles"): a household's day of
// base load, PV export around noon and an EV charging in the evening, with per-meter and
// per-step variation drawn from a seed. The load of a step is a pure function of the
// model, the meter's seed and the step's simulated time, so no two meters draw the same
// curve, a run is reproducible, and nothing is stored per step.

#include <cstdint>
#include <expected>
#include <string>

#include "core/meter/load.hpp"

namespace ambi {

inline constexpr std::int64_t kDayMs = 86'400'000;

/// The parameters of the generator. Powers in W, times of day in ms after midnight (UTC of
/// simulated time), fractions 0-1.
struct HouseholdModel {
  std::int64_t step_ms = std::int64_t{15} * 60'000;  ///< the load changes every step: 1 s to 1 day
  double base_w = 400;                               ///< mean consumption without PV and EV
  double spread = 0.3;   ///< per meter: base and PV peak scaled by 1 ± spread
  double noise = 0.1;    ///< per step: base scaled by 1 ± noise, PV by 1 - noise·u
  double pv_peak_w = 0;  ///< PV output at solar noon (13:00), sunrise 06:00, sunset 20:00
  double pv_share = 1;   ///< the fraction of meters with PV
  double ev_w = 0;       ///< EV charging power (three-phase)
  double ev_share = 0;   ///< the fraction of meters with an EV
  double ev_days = 0.7;  ///< the chance that an EV charges on a given day
  std::int64_t ev_from_ms = std::int64_t{17} * 3'600'000;  ///< EV arrival window
  std::int64_t ev_to_ms = std::int64_t{21} * 3'600'000;
  double ev_kwh_min = 5;  ///< energy charged per session
  double ev_kwh_max = 25;
  double volts = 230;          ///< nominal phase voltage (±1 % per step)
  double power_factor = 0.95;  ///< of the consumption; PV exports at 1
  double hz = 50;
};

/// Checks the ranges (step 1 s-1 day, powers 0-10 MW, fractions 0-1, windows within a day,
/// 1 ≤ min ≤ max for the EV energy, voltage 1-1000 V, power factor 0.01-1). The message
/// names the field.
[[nodiscard]] std::expected<void, std::string> check_household_model(const HouseholdModel& model);

/// A meter's seed from the fleet's seed and the meter's serial (BCD): a meter keeps its
/// curve when the fleet around it changes.
[[nodiscard]] std::uint64_t meter_seed(std::uint64_t fleet_seed, std::uint32_t serial_bcd);

/// The load during the step that starts at simulated time `t_ms` (a multiple of step_ms),
/// split evenly over the three phases; a net export has φ = 180°.
[[nodiscard]] LoadInput household_load(const HouseholdModel& model, std::uint64_t seed,
                                       std::int64_t t_ms);

/// The net active power (W, > 0 import) of that step before it is split into phases.
[[nodiscard]] double household_power_w(const HouseholdModel& model, std::uint64_t seed,
                                       std::int64_t t_ms);

}  // namespace ambi
