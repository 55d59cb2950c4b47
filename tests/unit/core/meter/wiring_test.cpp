// A miswired meter measures what its terminals see of the grid (core/meter/wiring.hpp).
#include "core/meter/wiring.hpp"

#include <gtest/gtest.h>

#include "core/meter/meter.hpp"

namespace ambi {
namespace {

LoadInput balanced(double amps, double phi = 0) {
  LoadInput load;
  for (auto& p : load.phases) p = PhaseInput{230.0, amps, phi};
  return load;
}

TEST(Wiring, RightWiringPassesTheLoadUnchanged) {
  const LoadInput grid = balanced(10, 30);
  EXPECT_TRUE(Wiring{}.normal());
  EXPECT_EQ(wire(grid, Wiring{}, CtRatio{}), grid);
}

TEST(Wiring, ALostPhaseHasNoVoltageButKeepsItsCurrent) {
  Wiring w;
  w.voltage_lost[2] = true;
  const LoadInput t = wire(balanced(10), w, CtRatio{});
  EXPECT_EQ(t.phases[2].volts, 0.0);
  EXPECT_EQ(t.phases[2].amps, 10.0);
  EXPECT_EQ(t.phases[0], balanced(10).phases[0]);
}

TEST(Wiring, SwappedVoltagesShiftTheAnglesBy120Degrees) {
  Wiring w;
  std::swap(w.voltage_from[0], w.voltage_from[1]);
  LoadInput grid = balanced(10);
  grid.phases[1].volts = 220;
  const LoadInput t = wire(grid, w, CtRatio{});
  EXPECT_EQ(t.phases[0].volts, 220.0);  // L2's voltage on input 1
  EXPECT_EQ(t.phases[1].volts, 230.0);
  EXPECT_DOUBLE_EQ(t.phases[0].phi_deg, -120.0);  // I1 against V2 (120° behind V1)
  EXPECT_DOUBLE_EQ(t.phases[1].phi_deg, 120.0);
  // A resistive load then reads half its power, negative: cos(±120°) = -1/2.
  const Measurement m = measure(t, true);
  EXPECT_EQ(m.phases[0].p_mw, -1'100'000);
  EXPECT_EQ(m.phases[0].direction, 'R');
  EXPECT_EQ(m.phases[2].p_mw, 2'300'000);
}

TEST(Wiring, AReversedCtTurnsImportIntoExport) {
  Wiring w;
  w.ct_reversed[1] = true;
  const Measurement m = measure(wire(balanced(10, 30), w, CtRatio{}), true);
  EXPECT_EQ(m.phases[1].p_mw, -measure(balanced(10, 30), true).phases[1].p_mw);
  EXPECT_EQ(m.phases[1].q_mvar, -measure(balanced(10, 30), true).phases[1].q_mvar);
  EXPECT_EQ(m.phases[1].direction, 'R');
  EXPECT_EQ(m.phases[1].quadrant, 3);
}

TEST(Wiring, AWrongCtRatioScalesTheCurrentBySettingOverInstalled) {
  Wiring w;
  w.installed_ct_primary = 100;
  const LoadInput t = wire(balanced(50), w, CtRatio{200, 5});
  for (const auto& p : t.phases) EXPECT_DOUBLE_EQ(p.amps, 100.0);
}

TEST(Wiring, TheMeterCountsWhatItsTerminalsSee) {
  Meter meter;
  meter.power_on();
  ASSERT_TRUE(meter.set_load(balanced(10)).has_value());
  Wiring w;
  w.ct_reversed[0] = true;
  meter.set_wiring(w);
  meter.advance(3'600'000);
  EXPECT_EQ(meter.counter(counter_index::phase(Family::active, 0, Dir::reverse)), 2'300'000);
  EXPECT_EQ(meter.counter(counter_index::phase(Family::active, 1, Dir::forward)), 2'300'000);
  EXPECT_EQ(meter.load(), balanced(10));  // the grid is unchanged
  EXPECT_EQ(meter.terminals().phases[0].phi_deg, 180.0);
  // The profile path (a prepared load) goes through the wiring too.
  const LoadInput next = balanced(20);
  meter.set_load(PreparedLoad{next, measure(next, true)});
  EXPECT_EQ(meter.measurement().phases[0].p_mw, -4'600'000);
  meter.set_wiring(Wiring{});
  EXPECT_EQ(meter.measurement().phases[0].p_mw, 4'600'000);
}

TEST(Wiring, AMeterWithEveryPhaseLostHasNoSupply) {
  Meter meter;
  meter.power_on();
  ASSERT_TRUE(meter.set_load(balanced(10)).has_value());
  const std::uint16_t ups = meter.state().power_down_counter;
  Wiring w;
  w.voltage_lost = {true, true, true};
  meter.set_wiring(w);
  EXPECT_FALSE(meter.powered());
  meter.advance(3'600'000);
  EXPECT_EQ(meter.total(Family::active), 0);
  w.voltage_lost[1] = false;  // one phase is enough to run on
  meter.set_wiring(w);
  EXPECT_TRUE(meter.powered());
  EXPECT_EQ(meter.state().power_down_counter, ups + 1);
}

TEST(Wiring, ChangingTheCtSettingOfAMiswiredMeterRescalesIt) {
  Meter meter;
  meter.power_on();
  ASSERT_TRUE(meter.set_load(balanced(50)).has_value());
  Wiring w;
  w.installed_ct_primary = 100;
  meter.set_wiring(w);
  EXPECT_DOUBLE_EQ(meter.measurement().phases[0].amps, 2.5);  // set to 5/5, CT 100/5
  ASSERT_TRUE(meter.apply(SetCtRatio{100, 5}, Origin{}).has_value());
  EXPECT_DOUBLE_EQ(meter.measurement().phases[0].amps, 50.0);
}

}  // namespace
}  // namespace ambi
