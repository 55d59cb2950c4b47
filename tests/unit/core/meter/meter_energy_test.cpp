// Energy integration, combination codes, tariffs, quadrants and rollover of the meter model.
#include <gtest/gtest.h>

#include <random>

#include "core/meter/meter.hpp"

namespace ambi {
namespace {

namespace ci = counter_index;
constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kYearMs = 365LL * 24 * kHourMs;

LoadInput load_of(std::array<PhaseInput, 3> phases) {
  return LoadInput{phases, 50.0};
}

/// A powered factory meter with the given load.
Meter meter_with(const LoadInput& load, const FactoryOptions& options = {}) {
  Meter m(options);
  m.power_on();
  EXPECT_TRUE(m.set_load(load).has_value());
  return m;
}

/// 1 kW on L1 at 230 V, φ 0; L2 and L3 without current.
LoadInput one_kilowatt() {
  return load_of({{{230, 1000.0 / 230.0, 0}, {230, 0, 0}, {230, 0, 0}}});
}

TEST(EnergyCounter, CarriesTheRemainderBelowOneMilliwattHour) {
  EnergyCounter c;
  for (int i = 0; i < 3'599'999; ++i) c.add(1, 1);
  EXPECT_EQ(c.mwh(), 0);
  EXPECT_EQ(c.remainder_mw_ms(), 3'599'999);
  c.add(1, 1);
  EXPECT_EQ(c.mwh(), 1);
  EXPECT_EQ(c.remainder_mw_ms(), 0);
}

TEST(MeterEnergy, OneSimulatedYearAtOneKilowattReadsExactly8760Kwh) {
  Meter m = meter_with(one_kilowatt());
  m.advance(kYearMs);
  EXPECT_EQ(m.total(Family::active), 8'760'000'000);
  EXPECT_EQ(m.counter(ci::total(Family::active, Dir::forward)), 8'760'000'000);
  EXPECT_EQ(m.counter(ci::phase(Family::active, 0, Dir::forward)), 8'760'000'000);
  EXPECT_EQ(m.counter(ci::tariff(Family::active, 1, Dir::forward)), 8'760'000'000);
  EXPECT_EQ(m.counter(ci::total(Family::active, Dir::reverse)), 0);
}

TEST(MeterEnergy, AYearInRandomStepsReadsTheSameAsOneStep) {
  Meter m = meter_with(one_kilowatt());
  std::mt19937_64 rng(7);
  std::int64_t left = kYearMs;
  while (left > 0) {
    const std::int64_t step =
        std::min<std::int64_t>(left, 1 + static_cast<std::int64_t>(rng() % 5'000'000));
    m.advance(step);
    left -= step;
  }
  EXPECT_EQ(m.total(Family::active), 8'760'000'000);
}

TEST(MeterEnergy, ALoadChangeBetweenReadingsIsIntegratedPiecewiseExactly) {
  Meter m = meter_with(one_kilowatt());
  m.advance(1'234'567);  // 1 kW for 1234.567 s = 342.935277... Wh
  ASSERT_TRUE(m.set_load(load_of({{{200, 10, 0}, {230, 0, 0}, {230, 0, 0}}})).has_value());
  m.advance(kHourMs);  // 2 kW for 1 h = 2000 Wh
  // 1e6 mW × 1 234 567 ms = 1.234567e12 mW·ms = 342 935.277 mWh, plus 2 000 000 mWh.
  EXPECT_EQ(m.registers().mwh(ci::phase(Family::active, 0, Dir::forward)), 342'935 + 2'000'000);
  // Every interface shows whole Wh cut toward zero: 2342.935 Wh reads 2.342 kWh.
  EXPECT_EQ(m.counter(ci::phase(Family::active, 0, Dir::forward)), 2'342'000);
}

TEST(MeterEnergy, ASignedTotalIsTheShownForwardMinusTheShownReverse) {
  // 1 kW for 6717.69 s = 1866.025 Wh forward; 1 kW exported for 2 h = 2000 Wh reverse.
  Meter m = meter_with(one_kilowatt());
  m.advance(6'717'690);
  ASSERT_TRUE(
      m.set_load(load_of({{{230, 1000.0 / 230.0, 180}, {230, 0, 0}, {230, 0, 0}}})).has_value());
  m.advance(2 * kHourMs);
  ASSERT_EQ(m.registers().mwh(ci::total(Family::active, Dir::forward)), 1'866'025);
  EXPECT_EQ(m.counter(ci::total(Family::active, Dir::forward)), 1'866'000);
  EXPECT_EQ(m.counter(ci::total(Family::active, Dir::reverse)), 2'000'000);
  // C-04: 1.866 − 2.000 = −0.134 as a reader of the display computes it (not −0.133 cut
  // from the unrounded −0.133975).
  EXPECT_EQ(m.total(Family::active), -134'000);
  EXPECT_EQ(m.total_phase(Family::active, 0), -134'000);
  EXPECT_EQ(m.total_tariff(Family::active, 1), -134'000);
  EXPECT_EQ(m.trip_total(), -134'000);
  EXPECT_EQ(m.trip_phase(0), -134'000);
  ASSERT_TRUE(m.apply(SetCombination{3}, Origin{Source::modbus, {}}).has_value());
  EXPECT_EQ(m.total(Family::active), 3'866'000);
  ASSERT_TRUE(m.apply(SetCombination{2}, Origin{Source::modbus, {}}).has_value());
  EXPECT_EQ(m.total(Family::active), -2'000'000);
}

TEST(MeterEnergy, ManualWorkedExampleGivesEveryCombinationCodesTotals) {
  // Manual 7.6.15: L1 +5 kWh, L2 +5 kWh, L3 −12 kWh (250 V × 20 A, 20 A, 48 A exported).
  const LoadInput load = load_of({{{250, 20, 0}, {250, 20, 0}, {250, 48, 180}}});
  struct Row {
    int code;
    std::int64_t total, forward, reverse;
  };
  const Row rows[] = {{1, 10'000'000, 10'000'000, 12'000'000},
                      {2, -12'000'000, 10'000'000, 12'000'000},
                      {3, 22'000'000, 10'000'000, 12'000'000},
                      {4, -2'000'000, 10'000'000, 12'000'000},
                      {5, -2'000'000, 0, 2'000'000}};
  for (const Row& row : rows) {
    Meter m = meter_with(load);
    ASSERT_TRUE(m.apply(SetCombination{row.code}, Origin{Source::modbus, {}}).has_value());
    m.advance(kHourMs);
    SCOPED_TRACE(row.code);
    EXPECT_EQ(m.total(Family::active), row.total);
    EXPECT_EQ(m.counter(ci::total(Family::active, Dir::forward)), row.forward);
    EXPECT_EQ(m.counter(ci::total(Family::active, Dir::reverse)), row.reverse);
    EXPECT_EQ(m.counter(ci::phase(Family::active, 2, Dir::reverse)), 12'000'000);
    EXPECT_EQ(m.trip_total(), row.total);
  }
}

TEST(MeterEnergy, AMeterOrderedAsC05StartsLocked) {
  Meter m(FactoryOptions{.serial_bcd = 0x12345678, .ordered_c05 = true});
  EXPECT_TRUE(m.c05_locked());
  EXPECT_FALSE(m.apply(SetCombination{4}, Origin{Source::modbus, {}}).has_value());
}

TEST(MeterEnergy, RegistersRollOverTo0Beyond999999999Kwh) {
  PersistentState s;
  const auto fwd = ci::total(Family::active, Dir::forward);
  s.registers.counters[fwd] = EnergyCounter::from_parts(kRolloverMwh - 500, 0);
  Meter m(s, 0);
  m.power_on();
  ASSERT_TRUE(m.set_load(one_kilowatt()).has_value());
  EXPECT_EQ(m.counter(fwd), kRolloverMwh - 1'000);  // 999999.9995 shows 999999.999
  m.advance(kHourMs);  // +1 kWh: 999999.9995 → 1000000.9995 → 0.9995 kWh, shown 0.999
  EXPECT_EQ(m.counter(fwd), 999'000);
  EXPECT_EQ(m.registers().mwh(fwd), kRolloverMwh + 999'500);
}

TEST(MeterSupply, ZeroVoltsOnEveryPhaseIsALossOfSupplyCountedWhenTheVoltageReturns) {
  Meter m = meter_with(one_kilowatt());
  ASSERT_EQ(m.state().power_down_counter, 1);
  ASSERT_TRUE(m.set_load(load_of({{{0, 0, 0}, {0, 0, 0}, {0, 0, 0}}})).has_value());
  EXPECT_FALSE(m.powered());
  EXPECT_TRUE(m.supply_switched_on());
  m.advance(kHourMs);
  EXPECT_EQ(m.counter(ci::total(Family::active, Dir::forward)), 0) << "nothing is integrated";
  EXPECT_EQ(m.measurement().phases[0].volts, 0.0);
  ASSERT_TRUE(m.set_load(one_kilowatt()).has_value());
  EXPECT_TRUE(m.powered());
  EXPECT_EQ(m.state().power_down_counter, 2);
  m.advance(kHourMs);
  EXPECT_EQ(m.counter(ci::total(Family::active, Dir::forward)), 1'000'000);
}

TEST(MeterSupply, OnePhaseAt184VoltsKeepsTheMeterRunningAndBelowItDoesNot) {
  Meter m;
  ASSERT_TRUE(m.set_load(load_of({{{0, 0, 0}, {183.9, 0, 0}, {0, 0, 0}}})).has_value());
  m.power_on();
  EXPECT_FALSE(m.powered());
  EXPECT_EQ(m.state().power_down_counter, 0);
  ASSERT_TRUE(m.set_load(load_of({{{0, 0, 0}, {0, 0, 0}, {184, 1, 0}}})).has_value());
  EXPECT_TRUE(m.powered());
  EXPECT_EQ(m.state().power_down_counter, 1);
  EXPECT_EQ(m.measurement().phases[2].p_mw, 184'000);
}

TEST(MeterSupply, WithoutSupplyEveryCommandIsRefusedAndNothingChanges) {
  Meter m = meter_with(one_kilowatt());
  m.power_off();
  const PersistentState before = m.state();
  for (const Source source : {Source::modbus, Source::mbus, Source::buttons}) {
    const auto refused = m.apply(SetTariff{2}, Origin{source, {}});
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().kind, Rejection::Kind::powered_off);
  }
  EXPECT_FALSE(
      m.apply(SetModbusId{9}, Origin{Source::app, std::array{'0', '0', '0', '0'}}).has_value());
  EXPECT_EQ(m.state(), before);
}

TEST(MeterSupply, ATariffEdgeWithoutSupplyGoesUnseen) {
  Meter m = meter_with(one_kilowatt());
  m.power_off();
  m.set_tariff_input(true);
  EXPECT_TRUE(m.tariff_input_energized());
  m.power_on();
  EXPECT_EQ(m.tariff(), 1) << "a power-up is no edge (C18)";
  m.set_tariff_input(false);
  m.set_tariff_input(true);
  EXPECT_EQ(m.tariff(), 2);
}

TEST(MeterSupply, APowerUpStartsTheRamFlagsAfreshAndNothingSetsThemWithoutSupply) {
  Meter m = meter_with(one_kilowatt());
  m.set_bluetooth_active(true);
  m.set_communication_active(true);
  ASSERT_EQ(m.status_word() & (status_bit::bluetooth_active | status_bit::communication_active),
            status_bit::bluetooth_active | status_bit::communication_active);
  const std::uint64_t ups = m.power_ups();
  m.power_off();
  m.set_bluetooth_active(true);
  m.set_communication_active(true);
  EXPECT_EQ(m.status_word() & (status_bit::bluetooth_active | status_bit::communication_active),
            0U);
  m.power_on();
  EXPECT_EQ(m.power_ups(), ups + 1);
  EXPECT_EQ(m.status_word() & (status_bit::bluetooth_active | status_bit::communication_active), 0U)
      << "Bluetooth is off until activated again (7.5)";
}

TEST(MeterTariff, TheTerminalSelectsT2WhenEnergizedAndT1WhenNot) {
  Meter m = meter_with(one_kilowatt());
  EXPECT_EQ(m.tariff(), 1);
  m.set_tariff_input(true);
  EXPECT_EQ(m.tariff(), 2);
  m.advance(kHourMs);
  m.set_tariff_input(false);
  EXPECT_EQ(m.tariff(), 1);
  m.advance(2 * kHourMs);
  EXPECT_EQ(m.counter(ci::tariff(Family::active, 2, Dir::forward)), 1'000'000);
  EXPECT_EQ(m.counter(ci::tariff(Family::active, 1, Dir::forward)), 2'000'000);
  EXPECT_EQ(m.total_tariff(Family::active, 2), 1'000'000);
}

TEST(MeterTariff, ACommandHoldsItsTariffUntilTheNextTerminalEdge) {
  Meter m = meter_with(one_kilowatt());
  ASSERT_TRUE(m.apply(SetTariff{3}, Origin{Source::modbus, {}}).has_value());
  EXPECT_EQ(m.tariff(), 3);
  EXPECT_TRUE(m.state().t3_t4_activated);
  m.set_tariff_input(false);  // no edge: still T3
  EXPECT_EQ(m.tariff(), 3);
  m.set_tariff_input(true);
  EXPECT_EQ(m.tariff(), 2);
  EXPECT_TRUE(m.state().t3_t4_activated) << "T3/T4 display is a one-way door (A1.2)";
  EXPECT_FALSE(m.apply(SetTariff{5}, Origin{Source::modbus, {}}).has_value());
}

TEST(MeterReactive, EachQuadrantCollectsItsReactiveEnergyAndForwardIsQ1PlusQ2) {
  // 230 V × 10 A at 30°, 150°, 210° and 330°: one phase each hour.
  const double angles[] = {30, 150, 210, 330};
  Meter m = meter_with(load_of({{{230, 0, 0}, {230, 0, 0}, {230, 0, 0}}}));
  for (double phi : angles) {
    ASSERT_TRUE(m.set_load(load_of({{{230, 10, phi}, {230, 0, 0}, {230, 0, 0}}})).has_value());
    m.advance(kHourMs);
  }
  const std::int64_t q = 1'150'000;  // 2300 VA × sin 30° for one hour
  for (int quad = 1; quad <= 4; ++quad) {
    EXPECT_EQ(m.counter(ci::quadrant(quad)), q) << "Q" << quad;
    EXPECT_EQ(m.counter(ci::quadrant_tariff(quad, 1)), q) << "Q" << quad;
  }
  EXPECT_EQ(m.counter(ci::total(Family::reactive, Dir::forward)),
            m.counter(ci::quadrant(1)) + m.counter(ci::quadrant(2)));
  EXPECT_EQ(m.counter(ci::total(Family::reactive, Dir::reverse)),
            m.counter(ci::quadrant(3)) + m.counter(ci::quadrant(4)));
  EXPECT_EQ(m.total(Family::reactive), 0);  // C-04: forward − reverse
}

TEST(MeterPower, NothingIsIntegratedWithoutSupplyAndEveryPowerUpCounts) {
  Meter m(FactoryOptions{});
  EXPECT_EQ(m.state().power_down_counter, 0);
  m.power_on();
  EXPECT_EQ(m.state().power_down_counter, 1) << "1 after the first start";
  ASSERT_TRUE(m.set_load(one_kilowatt()).has_value());
  m.power_off();
  EXPECT_EQ(m.measurement().p_mw, 0);
  m.advance(kHourMs);
  EXPECT_EQ(m.total(Family::active), 0);
  m.power_on();
  EXPECT_EQ(m.state().power_down_counter, 2);
  EXPECT_EQ(m.measurement().p_mw, 1'000'000);
  m.advance(kHourMs);
  EXPECT_EQ(m.total(Family::active), 1'000'000);
}

TEST(MeterPower, AStoppedMeterIntegratesNothingAndRefusesCommands) {
  Meter m(PersistentState{},
          error_bit::both_copies_bad | error_bit::main_corrupt | error_bit::backup_corrupt);
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.error_code(), 0x61);
  m.power_on();
  EXPECT_EQ(m.state().power_down_counter, 0);
  ASSERT_TRUE(m.set_load(one_kilowatt()).has_value());
  m.advance(kHourMs);
  EXPECT_EQ(m.registers().mwh(ci::total(Family::active, Dir::forward)), 0);
  auto refused = m.apply(SetModbusId{5}, Origin{Source::modbus, {}});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, Rejection::Kind::storage_failed);
}

}  // namespace
}  // namespace ambi
