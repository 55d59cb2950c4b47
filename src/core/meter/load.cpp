#include "core/meter/load.hpp"

#include <fmt/format.h>

#include <cmath>
#include <numbers>

namespace ambi {
namespace {

Outcome<> bad_input(std::string message) {
  return std::unexpected(Rejection{Rejection::Kind::out_of_range, std::move(message)});
}

std::int64_t to_milli(double value) {
  return std::llround(value * 1000.0);
}

/// |a − b| for phasors of magnitudes a, b 120° apart: sqrt(a² + b² + ab).
double line_voltage(double a, double b) {
  return std::sqrt(a * a + b * b + a * b);
}

PhaseMeasurement measure_phase(const PhaseInput& in) {
  PhaseMeasurement m;
  const double rad = in.phi_deg * std::numbers::pi / 180.0;
  const double s = in.volts * in.amps;
  m.volts = in.volts;
  m.amps = in.amps;
  m.p_mw = to_milli(s * std::cos(rad));
  m.q_mvar = to_milli(s * std::sin(rad));
  m.s_mva = to_milli(s);
  m.power_factor = m.s_mva == 0 ? 1.0 : static_cast<double>(m.p_mw) / static_cast<double>(m.s_mva);
  m.quadrant = quadrant_of(m.p_mw, m.q_mvar);
  m.direction = m.p_mw >= 0 ? 'F' : 'R';
  return m;
}

}  // namespace

Outcome<> check_load(const LoadInput& load) {
  static constexpr std::array<const char*, kPhases> kNames{"L1", "L2", "L3"};
  for (std::size_t i = 0; i < load.phases.size(); ++i) {
    const PhaseInput& p = load.phases[i];
    if (!std::isfinite(p.volts) || p.volts < 0 || p.volts > 1000) {
      return bad_input(fmt::format("{} voltage {} V out of range 0-1000", kNames[i], p.volts));
    }
    if (!std::isfinite(p.amps) || p.amps < 0 || p.amps > 100000) {
      return bad_input(fmt::format("{} current {} A out of range 0-100000", kNames[i], p.amps));
    }
    if (!std::isfinite(p.phi_deg) || std::abs(p.phi_deg) > 3600) {
      return bad_input(
          fmt::format("{} angle {} deg out of range -3600..3600", kNames[i], p.phi_deg));
    }
  }
  if (!std::isfinite(load.hz) || load.hz < 40 || load.hz > 70) {
    return bad_input(fmt::format("frequency {} Hz out of range 40-70", load.hz));
  }
  return {};
}

Measurement measure(const LoadInput& load, bool powered) {
  Measurement m;
  if (!powered) {
    for (auto& p : m.phases) p.volts = 0;
    return m;
  }
  for (std::size_t i = 0; i < load.phases.size(); ++i) {
    m.phases[i] = measure_phase(load.phases[i]);
    m.p_mw += m.phases[i].p_mw;
    m.q_mvar += m.phases[i].q_mvar;
    m.s_mva += m.phases[i].s_mva;
  }
  m.hz = load.hz;
  m.power_factor = m.s_mva == 0 ? 1.0 : static_cast<double>(m.p_mw) / static_cast<double>(m.s_mva);
  m.quadrant = quadrant_of(m.p_mw, m.q_mvar);
  const auto& v = load.phases;
  m.line_volts = {line_voltage(v[0].volts, v[1].volts), line_voltage(v[0].volts, v[2].volts),
                  line_voltage(v[1].volts, v[2].volts)};
  return m;
}

Outcome<PreparedLoad> prepare_load(const LoadInput& load) {
  if (auto ok = check_load(load); !ok) return std::unexpected(ok.error());
  return PreparedLoad{load, measure(load, true)};
}

std::int64_t to_secondary(std::int64_t primary_value, CtRatio ratio) {
  if (ratio.primary == ratio.secondary) return primary_value;
  const double v = static_cast<double>(primary_value) * ratio.secondary / ratio.primary;
  return std::llround(v);
}

}  // namespace ambi
