#include "core/meter/wiring.hpp"

namespace ambi {
namespace {

/// The angle of grid phase i's voltage: L1 0°, L2 120° behind, L3 240° behind.
constexpr double voltage_angle_deg(std::size_t phase) {
  return -120.0 * static_cast<double>(phase);
}

}  // namespace

LoadInput wire(const LoadInput& grid, const Wiring& wiring, CtRatio ct) {
  LoadInput out = grid;
  const double current_scale =
      wiring.installed_ct_primary && *wiring.installed_ct_primary > 0
          ? static_cast<double>(ct.primary) / static_cast<double>(*wiring.installed_ct_primary)
          : 1.0;
  for (std::size_t i = 0; i < out.phases.size(); ++i) {
    PhaseInput& in = out.phases[i];
    const std::size_t from = wiring.voltage_from[i] % std::size_t{kPhases};
    in.volts = wiring.voltage_lost[i] ? 0.0 : grid.phases[from].volts;
    // The current keeps its own angle; the voltage it is measured against moved.
    in.phi_deg = grid.phases[i].phi_deg + voltage_angle_deg(from) - voltage_angle_deg(i);
    if (wiring.ct_reversed[i]) in.phi_deg += 180.0;
    if (in.phi_deg > 360.0) in.phi_deg -= 360.0;
    if (in.phi_deg < -360.0) in.phi_deg += 360.0;
    in.amps = grid.phases[i].amps * current_scale;
  }
  return out;
}

}  // namespace ambi
