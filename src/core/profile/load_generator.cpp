// The household generator: every draw is a hash of (seed, what, when), so a step's load is
// the same whenever and however often it is asked for.
#include "core/profile/load_generator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

namespace ambi {

namespace {

constexpr std::int64_t kHourMs = 3'600'000;
constexpr double kMaxPowerW = 10e6;

/// SplitMix64's finaliser: a good 64-bit mix.
constexpr std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27U)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31U);
}

/// What a draw is for, so that two draws of one step are independent.
enum class Draw : std::uint8_t {
  base_scale,
  pv_has,
  pv_scale,
  pv_shift,
  ev_has,
  ev_today,
  ev_arrival,
  ev_energy,
  base_noise,
  pv_noise,
  volts_l1,
  volts_l2,
  volts_l3,
};

/// A uniform draw in [0, 1) for (seed, what, n).
double uniform(std::uint64_t seed, Draw what, std::int64_t n) {
  const std::uint64_t h =
      mix(mix(seed ^ (static_cast<std::uint64_t>(what) << 56U)) ^ static_cast<std::uint64_t>(n));
  return static_cast<double>(h >> 11U) * 0x1.0p-53;
}

/// In [-1, 1).
double symmetric(std::uint64_t seed, Draw what, std::int64_t n) {
  return 2 * uniform(seed, what, n) - 1;
}

/// The daily shape of a household's consumption (mean about 1): low at night, a morning
/// peak, a long evening peak.
double base_shape(double hour) {
  struct Point {
    double hour;
    double level;
  };
  static constexpr std::array<Point, 9> kShape{{{0, 0.52},
                                                {6, 0.52},
                                                {7, 1.35},
                                                {9, 1.35},
                                                {10, 0.83},
                                                {17, 0.83},
                                                {18, 1.76},
                                                {22, 1.76},
                                                {24, 0.52}}};
  for (std::size_t i = 1; i < kShape.size(); ++i) {
    if (hour <= kShape[i].hour) {
      const Point& a = kShape[i - 1];
      const Point& b = kShape[i];
      return a.level + (b.level - a.level) * (hour - a.hour) / (b.hour - a.hour);
    }
  }
  return kShape.back().level;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
}

/// Whether the EV of this meter charges at `t_ms`: a session that began today or the day
/// before (a session can run past midnight).
bool ev_charging(const HouseholdModel& m, std::uint64_t seed, std::int64_t t_ms) {
  if (m.ev_w <= 0 || uniform(seed, Draw::ev_has, 0) >= m.ev_share) return false;
  const std::int64_t today = floor_div(t_ms, kDayMs);
  for (std::int64_t day = today - 1; day <= today; ++day) {
    if (uniform(seed, Draw::ev_today, day) >= m.ev_days) continue;
    const auto arrive = day * kDayMs + m.ev_from_ms +
                        static_cast<std::int64_t>(uniform(seed, Draw::ev_arrival, day) *
                                                  static_cast<double>(m.ev_to_ms - m.ev_from_ms));
    const double kwh =
        m.ev_kwh_min + uniform(seed, Draw::ev_energy, day) * (m.ev_kwh_max - m.ev_kwh_min);
    const auto duration = static_cast<std::int64_t>(kwh * 1000 / m.ev_w * kHourMs);
    if (t_ms >= arrive && t_ms < arrive + duration) return true;
  }
  return false;
}

double pv_power(const HouseholdModel& m, std::uint64_t seed, std::int64_t t_ms, double hour) {
  if (m.pv_peak_w <= 0 || uniform(seed, Draw::pv_has, 0) >= m.pv_share) return 0;
  const double shift = symmetric(seed, Draw::pv_shift, 0) / 3;  // ±20 minutes
  const double x = (hour - 6 - shift) / 14;
  if (x <= 0 || x >= 1) return 0;
  const double peak = m.pv_peak_w * (1 + m.spread * symmetric(seed, Draw::pv_scale, 0));
  const double clouds = 1 - m.noise * uniform(seed, Draw::pv_noise, floor_div(t_ms, m.step_ms));
  return peak * std::sin(std::numbers::pi * x) * clouds;
}

std::expected<void, std::string> in_range(std::string_view field, double value, double lo,
                                          double hi) {
  if (!std::isfinite(value) || value < lo || value > hi) {
    return std::unexpected(fmt::format("{} = {}: must be {} to {}", field, value, lo, hi));
  }
  return {};
}

}  // namespace

std::expected<void, std::string> check_household_model(const HouseholdModel& m) {
  const struct {
    std::string_view field;
    double value;
    double lo;
    double hi;
  } checks[] = {
      {"step (s)", static_cast<double>(m.step_ms) / 1000, 1, 86'400},
      {"base_w", m.base_w, 0, kMaxPowerW},
      {"spread", m.spread, 0, 1},
      {"noise", m.noise, 0, 1},
      {"pv_peak_w", m.pv_peak_w, 0, kMaxPowerW},
      {"pv_share", m.pv_share, 0, 1},
      {"ev_w", m.ev_w, 0, kMaxPowerW},
      {"ev_share", m.ev_share, 0, 1},
      {"ev_days", m.ev_days, 0, 1},
      {"ev_kwh_min", m.ev_kwh_min, 0.001, 1000},
      {"ev_kwh_max", m.ev_kwh_max, m.ev_kwh_min, 1000},
      {"volts", m.volts, 1, 1000},
      {"power_factor", m.power_factor, 0.01, 1},
      {"hz", m.hz, 40, 70},
  };
  for (const auto& c : checks) {
    if (auto ok = in_range(c.field, c.value, c.lo, c.hi); !ok) return ok;
  }
  if (m.step_ms % 1000 != 0) return std::unexpected("step: a whole number of seconds");
  if (m.ev_from_ms < 0 || m.ev_to_ms > kDayMs || m.ev_from_ms >= m.ev_to_ms) {
    return std::unexpected("ev_window: \"HH:MM-HH:MM\" within one day, the first time earlier");
  }
  return {};
}

std::uint64_t meter_seed(std::uint64_t fleet_seed, std::uint32_t serial_bcd) {
  return mix(mix(fleet_seed) ^ serial_bcd);
}

double household_power_w(const HouseholdModel& m, std::uint64_t seed, std::int64_t t_ms) {
  const std::int64_t step = floor_div(t_ms, m.step_ms);
  const double hour =
      static_cast<double>(t_ms - floor_div(t_ms, kDayMs) * kDayMs) / static_cast<double>(kHourMs);
  const double base = m.base_w * (1 + m.spread * symmetric(seed, Draw::base_scale, 0)) *
                      base_shape(hour) * (1 + m.noise * symmetric(seed, Draw::base_noise, step));
  const double ev = ev_charging(m, seed, t_ms) ? m.ev_w : 0;
  return std::max(0.0, base) + ev - pv_power(m, seed, t_ms, hour);
}

LoadInput household_load(const HouseholdModel& m, std::uint64_t seed, std::int64_t t_ms) {
  const double per_phase = household_power_w(m, seed, t_ms) / kPhases;
  const std::int64_t step = floor_div(t_ms, m.step_ms);
  constexpr std::array<Draw, kPhases> kVolts{Draw::volts_l1, Draw::volts_l2, Draw::volts_l3};
  LoadInput load;
  load.hz = m.hz;
  const double phi = std::acos(m.power_factor) * 180 / std::numbers::pi;
  for (int p = 0; p < kPhases; ++p) {
    PhaseInput& phase = load.phases.at(static_cast<std::size_t>(p));
    phase.volts =
        m.volts * (1 + 0.01 * symmetric(seed, kVolts.at(static_cast<std::size_t>(p)), step));
    if (per_phase >= 0) {
      phase.amps = per_phase / (phase.volts * m.power_factor);
      phase.phi_deg = phi;
    } else {
      phase.amps = -per_phase / phase.volts;
      phase.phi_deg = 180;
    }
  }
  return load;
}

}  // namespace ambi
