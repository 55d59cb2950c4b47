// The seeded household generator of fleets and the player that plays it.
#include "core/profile/load_generator.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <set>

#include "core/meter/registers.hpp"
#include "core/profile/profile.hpp"

namespace ambi {
namespace {

namespace ci = counter_index;
constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kQuarterMs = 15 * 60'000;

HouseholdModel household() {
  HouseholdModel m;
  m.base_w = 500;
  m.pv_peak_w = 4000;
  m.ev_w = 11'000;
  m.ev_share = 1;
  m.ev_days = 1;
  return m;
}

Meter powered_meter() {
  Meter m;
  m.power_on();
  return m;
}

TEST(HouseholdModel, TheDefaultsAreValidAndBadValuesNameTheirField) {
  EXPECT_TRUE(check_household_model(HouseholdModel{}));
  HouseholdModel m;
  m.pv_share = 1.5;
  EXPECT_EQ(check_household_model(m).error(), "pv_share = 1.5: must be 0 to 1");
  m = {};
  m.step_ms = 500;
  EXPECT_EQ(check_household_model(m).error(), "step (s) = 0.5: must be 1 to 86400");
  m = {};
  m.ev_kwh_min = 30;
  EXPECT_EQ(check_household_model(m).error(), "ev_kwh_max = 25: must be 30 to 1000");
  m = {};
  m.ev_from_ms = 22 * kHourMs;
  m.ev_to_ms = 20 * kHourMs;
  EXPECT_FALSE(check_household_model(m));
}

TEST(HouseholdLoad, IsAFunctionOfSeedAndTimeOnly) {
  const HouseholdModel m = household();
  const std::uint64_t seed = meter_seed(7, 0x19020246);
  for (std::int64_t t = 0; t < kDayMs; t += kQuarterMs) {
    EXPECT_EQ(household_load(m, seed, t), household_load(m, seed, t));
  }
  EXPECT_EQ(meter_seed(7, 0x19020246), seed);
  EXPECT_NE(meter_seed(8, 0x19020246), seed);
  EXPECT_NE(meter_seed(7, 0x19020247), seed);
}

TEST(HouseholdLoad, NoTwoMetersOfAHundredDrawTheSameDay) {
  const HouseholdModel m = household();
  std::set<std::vector<double>> curves;
  for (std::uint32_t serial = 0x19020246; serial < 0x19020246 + 100; ++serial) {
    std::vector<double> curve;
    for (std::int64_t t = 0; t < kDayMs; t += kQuarterMs) {
      curve.push_back(household_power_w(m, meter_seed(1, serial), t));
    }
    curves.insert(curve);
  }
  EXPECT_EQ(curves.size(), 100U);
}

TEST(HouseholdLoad, ExportsAroundNoonAndImportsAtNight) {
  HouseholdModel m = household();
  m.ev_w = 0;
  for (std::uint32_t serial = 1; serial <= 50; ++serial) {
    const std::uint64_t seed = meter_seed(3, serial);
    EXPECT_LT(household_power_w(m, seed, 13 * kHourMs), 0) << serial;
    EXPECT_GT(household_power_w(m, seed, 3 * kHourMs), 0) << serial;
    const LoadInput noon = household_load(m, seed, 13 * kHourMs);
    for (const PhaseInput& p : noon.phases) {
      EXPECT_EQ(p.phi_deg, 180);
      EXPECT_NEAR(p.volts, 230, 2.3 + 1e-9);
    }
  }
}

TEST(HouseholdLoad, TheEvChargesInTheEveningWithinItsEnergyRange) {
  HouseholdModel m = household();
  m.pv_peak_w = 0;
  m.base_w = 0;
  m.step_ms = 60'000;
  for (std::uint32_t serial = 1; serial <= 30; ++serial) {
    const std::uint64_t seed = meter_seed(5, serial);
    double kwh = 0;
    std::int64_t first = -1;
    for (std::int64_t t = kDayMs; t < 2 * kDayMs + 12 * kHourMs; t += m.step_ms) {
      const double w = household_power_w(m, seed, t);
      if (w > 0 && first < 0) first = t - kDayMs;
      kwh += w * static_cast<double>(m.step_ms) / kHourMs / 1000;
    }
    // The second day's session, plus whatever the first day's ran past midnight.
    EXPECT_GE(first, m.ev_from_ms - kDayMs) << serial;
    EXPECT_LE(first, m.ev_to_ms) << serial;
    EXPECT_GE(kwh, m.ev_kwh_min - 0.2) << serial;
    EXPECT_LE(kwh, 2 * m.ev_kwh_max + 0.2) << serial;
  }
}

TEST(HouseholdLoad, SharesSelectWhichMetersHavePvAndEv) {
  HouseholdModel m = household();
  m.pv_share = 0.25;
  m.base_w = 0;
  m.ev_w = 0;
  int with_pv = 0;
  for (std::uint32_t serial = 0; serial < 1000; ++serial) {
    with_pv += household_power_w(m, meter_seed(9, serial), 13 * kHourMs) < 0 ? 1 : 0;
  }
  EXPECT_NEAR(with_pv, 250, 50);
}

TEST(GeneratedProfile, PlaysExactlyAsTheStepsSetByHand) {
  auto model = std::make_shared<const HouseholdModel>(household());
  const std::uint64_t seed = meter_seed(11, 0x19020300);
  Meter played = powered_meter();
  played.advance(7 * 60'000);  // starts inside a step: its first piece is a part step
  ProfilePlayer player(generated_profile(model, seed, "household"), played);
  player.advance(played, kDayMs);

  Meter by_hand = powered_meter();
  by_hand.advance(7 * 60'000);
  for (std::int64_t t = 0; t < kDayMs + 7 * 60'000; t += kQuarterMs) {
    const LoadInput load = household_load(*model, seed, t);
    by_hand.set_load(PreparedLoad{load, measure(load, true)});
    const std::int64_t from = std::max<std::int64_t>(t, 7 * 60'000);
    by_hand.advance(std::min(t + kQuarterMs, kDayMs + 7 * 60'000) - from);
  }
  EXPECT_EQ(played.now_ms(), by_hand.now_ms());
  EXPECT_EQ(played.registers(), by_hand.registers());
  EXPECT_GT(played.counter(ci::total(Family::active, Dir::forward)), 0);
  EXPECT_GT(played.counter(ci::total(Family::active, Dir::reverse)), 0);  // PV export
}

TEST(GeneratedProfile, RandomPiecesGiveTheSameRegistersAsOneAdvance) {
  auto model = std::make_shared<const HouseholdModel>(household());
  const std::uint64_t seed = meter_seed(2, 0x19020400);
  Meter whole = powered_meter();
  ProfilePlayer one(generated_profile(model, seed, "household"), whole);
  one.advance(whole, 3 * kDayMs);
  Meter pieces = powered_meter();
  ProfilePlayer many(generated_profile(model, seed, "household"), pieces);
  std::mt19937_64 rng(3);
  for (std::int64_t left = 3 * kDayMs; left > 0;) {
    const auto dt = std::min<std::int64_t>(left, static_cast<std::int64_t>(rng() % 4'000'000));
    many.advance(pieces, dt);
    left -= dt;
  }
  EXPECT_EQ(whole.registers(), pieces.registers());
}

TEST(GeneratedProfile, ARestartedPlayerContinuesTheSameCurve) {
  // A twin restored from its state starts the profile again at its own time: steps are
  // aligned to simulated time, so the curve goes on as if nothing happened.
  auto model = std::make_shared<const HouseholdModel>(household());
  const std::uint64_t seed = meter_seed(4, 0x19020500);
  Meter straight = powered_meter();
  ProfilePlayer once(generated_profile(model, seed, "h"), straight);
  once.advance(straight, kDayMs);
  Meter restarted = powered_meter();
  {
    ProfilePlayer first(generated_profile(model, seed, "h"), restarted);
    first.advance(restarted, 10 * kHourMs + 123'456);
  }
  ProfilePlayer second(generated_profile(model, seed, "h"), restarted);
  second.advance(restarted, kDayMs - (10 * kHourMs + 123'456));
  EXPECT_EQ(straight.registers(), restarted.registers());
}

}  // namespace
}  // namespace ambi
