// Settings, their validation per path, the CT ratio and its history, and measurements.
#include <gtest/gtest.h>

#include <cmath>

#include "core/meter/meter.hpp"

namespace ambi {
namespace {

namespace ci = counter_index;
constexpr std::int64_t kHourMs = 3'600'000;
const Origin kModbus{Source::modbus, {}};
const Origin kButtons{Source::buttons, {}};
Origin app(const char* password) {
  return Origin{Source::app,
                std::array<char, 4>{password[0], password[1], password[2], password[3]}};
}

Meter powered_meter() {
  Meter m;
  m.power_on();
  return m;
}

TEST(MeterSettings, FactoryDefaultsFollowTheRulings) {
  const Settings s = Meter().settings();
  EXPECT_EQ(s.modbus_id, 1);
  EXPECT_EQ(modbus_baud_rate(s.modbus_baud_code), 9600U);
  EXPECT_EQ(s.parity, Parity::even);
  EXPECT_EQ(s.mbus_id, 0);
  EXPECT_EQ(s.mbus_baud, 2400U);
  EXPECT_EQ(s.s0_rate_centi, 100'000U);
  EXPECT_EQ(s.pulse_type, PulseType::active_reactive);
  EXPECT_EQ(s.pulse_width_ms, 30);
  EXPECT_EQ(s.combination, CombinationCode::forward_minus_reverse);
  EXPECT_EQ(s.lcd_cycle_s, 5);
  EXPECT_EQ(s.backlight, Backlight::button);
  EXPECT_TRUE(s.obis);
  EXPECT_EQ(s.data_type, DataType::standard);
  EXPECT_EQ(s.mbus_secondary_id, 0x19020246U);
  EXPECT_EQ(Meter().state().ct, (CtRatio{5, 5}));
}

struct BadCommand {
  Command command;
  const char* why;
};

TEST(MeterSettings, EveryOutOfRangeValueIsRefusedAndChangesNothing) {
  const BadCommand cases[] = {
      {SetModbusId{0}, "Modbus ID 0"},
      {SetModbusId{248}, "Modbus ID 248"},
      {SetModbusBaud{0}, "baud code 0"},
      {SetModbusBaud{11}, "baud code 11"},
      {SetParity{4}, "parity 4"},
      {SetMbusId{251}, "M-bus ID 251"},
      {SetMbusBaud{19200}, "M-bus 19200"},
      {SetMbusSecondaryId{0x1234567A}, "non-BCD"},
      {SetS0Rate{50'000}, "500 imp/kWh"},
      {SetPulseType{3}, "pulse type 3"},
      {SetPulseWidth{1}, "1 ms"},
      {SetPulseWidth{100}, "100 ms"},
      {SetCombination{6}, "C-06"},
      {SetLcdCycle{0}, "0 s"},
      {SetLcdCycle{31}, "31 s"},
      {SetBacklight{3}, "backlight 3"},
      {SetScreenDirection{2}, "direction 2"},
      {SetDataType{3}, "data type 3"},
      {SetTariff{0}, "tariff 0"},
      {SetCtRatio{4, 5}, "4/5"},
      {SetCtRatio{9996, 5}, "9996/5"},
      {SetCtRatio{10000, 1}, "10000/1"},
      {SetCtRatio{0, 1}, "0/1"},
      {SetCtRatio{100, 2}, "100/2"},
  };
  for (const BadCommand& bad : cases) {
    Meter m = powered_meter();
    const PersistentState before = m.state();
    auto result = m.apply(bad.command, kModbus);
    ASSERT_FALSE(result.has_value()) << bad.why;
    EXPECT_EQ(result.error().kind, Rejection::Kind::out_of_range) << bad.why;
    EXPECT_FALSE(result.error().message.empty());
    EXPECT_EQ(m.state(), before) << bad.why;
  }
}

TEST(MeterSettings, TheEdgesOfEveryRangeAreAccepted) {
  Meter m = powered_meter();
  const Command good[] = {SetModbusId{247},
                          SetModbusBaud{10},
                          SetParity{3},
                          SetMbusId{250},
                          SetMbusBaud{300},
                          SetS0Rate{1},
                          SetPulseWidth{99},
                          SetPulseWidth{2},
                          SetLcdCycle{30},
                          SetCtRatio{9995, 5},
                          SetCtRatio{1, 1},
                          SetCtRatio{9999, 1},
                          SetMbusSecondaryId{0x45230115}};
  for (const Command& c : good) EXPECT_TRUE(m.apply(c, kModbus).has_value()) << command_name(c);
  EXPECT_EQ(m.settings().mbus_secondary_id, 0x45230115U);
  EXPECT_EQ(m.state().ct, (CtRatio{9999, 1}));
}

TEST(MeterSettings, TheAppNeedsTheRightPassword) {
  Meter m = powered_meter();
  auto missing = m.apply(SetModbusId{10}, Origin{Source::app, {}});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().kind, Rejection::Kind::wrong_password);
  auto wrong = m.apply(SetModbusId{10}, app("1234"));
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().kind, Rejection::Kind::wrong_password);
  EXPECT_EQ(m.settings().modbus_id, 1);
  EXPECT_TRUE(m.apply(SetModbusId{10}, app("0000")).has_value());
  EXPECT_EQ(m.settings().modbus_id, 10);
}

TEST(MeterSettings, OnlyTheButtonsChangeThePassword) {
  Meter m = powered_meter();
  const SetPassword change{{'4', '3', '2', '1'}};
  EXPECT_EQ(m.apply(change, app("0000")).error().kind, Rejection::Kind::not_allowed);
  EXPECT_EQ(m.apply(change, kModbus).error().kind, Rejection::Kind::not_allowed);
  EXPECT_EQ(m.apply(SetPassword{{'1', '2', 'x', '4'}}, kButtons).error().kind,
            Rejection::Kind::out_of_range);
  ASSERT_TRUE(m.apply(change, kButtons).has_value());
  EXPECT_FALSE(m.apply(SetModbusId{9}, app("0000")).has_value());
  EXPECT_TRUE(m.apply(SetModbusId{9}, app("4321")).has_value());
}

TEST(MeterSettings, TheCombinationCodeIsNotAButtonSettingAndC05IsFinal) {
  Meter m = powered_meter();
  EXPECT_EQ(m.apply(SetCombination{3}, kButtons).error().kind, Rejection::Kind::not_allowed);
  ASSERT_TRUE(m.apply(SetCombination{5}, kModbus).has_value());
  EXPECT_TRUE(m.c05_locked());
  for (int code = 1; code <= 4; ++code) {
    EXPECT_EQ(m.apply(SetCombination{code}, kModbus).error().kind, Rejection::Kind::locked);
  }
  EXPECT_TRUE(m.apply(SetCombination{5}, Origin{Source::mbus, {}}).has_value());
}

TEST(MeterSettings, ABatchIsAppliedWhollyOrNotAtAll) {
  Meter m = powered_meter();
  const Command batch[] = {SetModbusId{20}, SetLcdCycle{12}, SetPulseWidth{150}};
  auto result = m.apply_all(batch, app("0000"));
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("pulse width"), std::string::npos)
      << result.error().message;
  EXPECT_EQ(m.settings().modbus_id, 1);
  EXPECT_EQ(m.settings().lcd_cycle_s, 5);
}

TEST(MeterSettings, EveryAcceptedChangeBumpsTheRevisionSoItIsSaved) {
  Meter m = powered_meter();
  const auto before = m.settings_revision();
  ASSERT_TRUE(m.apply(SetObis{false}, kModbus).has_value());
  EXPECT_GT(m.settings_revision(), before);
  const auto after = m.settings_revision();
  EXPECT_FALSE(m.apply(SetModbusId{0}, kModbus).has_value());
  EXPECT_EQ(m.settings_revision(), after);
}

TEST(MeterCt, SevenChangesAreStoredInTheHistoryAndTheEighthIsRefused) {
  Meter m = powered_meter();
  ASSERT_TRUE(m.set_load(LoadInput{{{{230, 100, 0}, {230, 0, 0}, {230, 0, 0}}}, 50}).has_value());
  const long primaries[] = {100, 200, 300, 400, 500, 600, 700};
  for (long p : primaries) {
    m.advance(kHourMs);  // 23 kWh each hour at 230 V × 100 A
    ASSERT_TRUE(m.apply(SetCtRatio{p, 5}, kModbus).has_value()) << p;
  }
  auto eighth = m.apply(SetCtRatio{800, 5}, kModbus);
  ASSERT_FALSE(eighth.has_value());
  EXPECT_EQ(eighth.error().kind, Rejection::Kind::limit_reached);
  EXPECT_EQ(m.state().ct, (CtRatio{700, 5}));
  const auto history = m.ct_history();
  ASSERT_EQ(history.size(), 7U);
  EXPECT_EQ(history[1].ratio, (CtRatio{100, 5}));
  EXPECT_EQ(history[1].forward_mwh, 46'000'000);
  EXPECT_EQ(history[6].ratio, (CtRatio{600, 5}));
  EXPECT_EQ(history[6].forward_mwh, 161'000'000);
}

TEST(MeterCt, HistoryOneKeepsCountingSecondarySideEnergyAt5Over5) {
  Meter m = powered_meter();
  ASSERT_TRUE(m.set_load(LoadInput{{{{230, 100, 0}, {230, 0, 0}, {230, 0, 0}}}, 50}).has_value());
  m.advance(kHourMs);  // 23 kWh at 5/5
  ASSERT_TRUE(m.apply(SetCtRatio{500, 5}, kModbus).has_value());
  m.advance(kHourMs);  // primary 23 kWh more; secondary side 100 A / 100 = 1 A → 0.23 kWh
  EXPECT_EQ(m.total(Family::active), 46'000'000) << "legal registers continue, never jump back";
  const auto history = m.ct_history();
  ASSERT_EQ(history.size(), 1U);
  EXPECT_EQ(history[0].ratio, (CtRatio{5, 5}));
  EXPECT_EQ(history[0].forward_mwh, 23'230'000);
}

TEST(MeterCt, SettingTheSameRatioAgainUsesNoHistoryEntry) {
  Meter m = powered_meter();
  ASSERT_TRUE(m.apply(SetCtRatio{5, 5}, kModbus).has_value());
  EXPECT_EQ(m.state().ct_changes, 0);
}

TEST(MeterTrip, ResettingTheTripCounterLeavesTheLegalRegistersAlone) {
  Meter m = powered_meter();
  ASSERT_TRUE(m.set_load(LoadInput{{{{230, 10, 0}, {230, 10, 0}, {230, 10, 0}}}, 50}).has_value());
  m.advance(kHourMs);
  EXPECT_EQ(m.trip_total(), 6'900'000);
  EXPECT_EQ(m.trip_phase(1), 2'300'000);
  ASSERT_TRUE(m.apply(ResetTripCounter{}, kModbus).has_value());
  EXPECT_EQ(m.trip_total(), 0);
  EXPECT_EQ(m.trip_phase(1), 0);
  EXPECT_EQ(m.total(Family::active), 6'900'000);
  ASSERT_TRUE(m.apply(ResetPowerDownCounter{}, kModbus).has_value());
  EXPECT_EQ(m.state().power_down_counter, 0);
}

TEST(MeterMeasurement, PowersFollowPhysicsAndLineVoltagesComeFromThePhasors) {
  Meter m = powered_meter();
  ASSERT_TRUE(
      m.set_load(LoadInput{{{{230, 10, 25}, {231, 5, -40}, {229, 7, 180}}}, 50.02}).has_value());
  const Measurement& x = m.measurement();
  const double deg = 3.14159265358979323846 / 180;
  EXPECT_EQ(x.phases[0].p_mw, std::llround(2300 * std::cos(25 * deg) * 1000));
  EXPECT_EQ(x.phases[0].q_mvar, std::llround(2300 * std::sin(25 * deg) * 1000));
  EXPECT_EQ(x.phases[0].s_mva, 2'300'000);
  EXPECT_NEAR(x.phases[0].power_factor, std::cos(25 * deg), 1e-6);
  EXPECT_EQ(x.phases[0].quadrant, 1);
  EXPECT_EQ(x.phases[1].quadrant, 4);
  EXPECT_EQ(x.phases[2].direction, 'R');
  EXPECT_EQ(x.phases[2].p_mw, -1'603'000);
  EXPECT_EQ(x.p_mw, x.phases[0].p_mw + x.phases[1].p_mw + x.phases[2].p_mw);
  EXPECT_EQ(x.s_mva, 2'300'000 + 1'155'000 + 1'603'000);
  EXPECT_DOUBLE_EQ(x.hz, 50.02);
  EXPECT_NEAR(x.line_volts[0], std::sqrt(230.0 * 230 + 231.0 * 231 + 230.0 * 231), 1e-9);
  Meter balanced = powered_meter();
  ASSERT_TRUE(
      balanced.set_load(LoadInput{{{{230, 1, 0}, {230, 1, 0}, {230, 1, 0}}}, 50}).has_value());
  EXPECT_NEAR(balanced.measurement().line_volts[2], 230 * std::sqrt(3.0), 1e-9);
}

TEST(MeterMeasurement, OutOfRangeInputsAreRefused) {
  Meter m = powered_meter();
  EXPECT_FALSE(m.set_load(LoadInput{{{{1001, 1, 0}, {}, {}}}, 50}).has_value());
  EXPECT_FALSE(m.set_load(LoadInput{{{{230, -1, 0}, {}, {}}}, 50}).has_value());
  EXPECT_FALSE(m.set_load(LoadInput{{{{230, 1, 0}, {}, {}}}, 80}).has_value());
  EXPECT_FALSE(m.set_load(LoadInput{{{{230, NAN, 0}, {}, {}}}, 50}).has_value());
}

}  // namespace
}  // namespace ambi
