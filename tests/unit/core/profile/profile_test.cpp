// The --load syntax, CSV scenarios, the built-in demo and the profile player.
#include "core/profile/profile.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "core/meter/registers.hpp"

namespace ambi {
namespace {

namespace ci = counter_index;
constexpr std::int64_t kDayMs = 86'400'000;

std::string error_of(std::string_view spec) {
  auto r = parse_load_spec(spec);
  return r ? std::string("(accepted)") : r.error();
}

std::string csv_error(std::string_view text) {
  auto r = parse_scenario_csv(text);
  return r ? std::string("(accepted)") : r.error();
}

Meter powered_meter() {
  Meter m;
  m.power_on();
  return m;
}

PreparedLoad l1_load(double volts, double amps, double phi) {
  LoadInput in;
  in.phases[0] = PhaseInput{volts, amps, phi};
  return *prepare_load(in);
}

// ---- --load ------------------------------------------------------------------------------

TEST(LoadSpec, ParsesPerPhaseValuesAndFrequency) {
  auto load = parse_load_spec("L1=230V,10A,25deg;L2=231V,5A;L3=0A;f=50.5Hz");
  ASSERT_TRUE(load) << load.error();
  EXPECT_EQ(load->phases[0], (PhaseInput{230, 10, 25}));
  EXPECT_EQ(load->phases[1], (PhaseInput{231, 5, 0}));
  EXPECT_EQ(load->phases[2], (PhaseInput{230, 0, 0}));
  EXPECT_EQ(load->hz, 50.5);
}

TEST(LoadSpec, AllSetsEveryPhase) {
  auto load = parse_load_spec("all=231V,16A");
  ASSERT_TRUE(load) << load.error();
  for (const auto& p : load->phases) EXPECT_EQ(p, (PhaseInput{231, 16, 0}));
}

TEST(LoadSpec, UnitsAreCaseInsensitiveAndSpacesTolerated) {
  auto load = parse_load_spec(" l1 = 229.5 v , 3.25 a , -12.5 DEG ; F = 49.9 hz ;");
  ASSERT_TRUE(load) << load.error();
  EXPECT_EQ(load->phases[0], (PhaseInput{229.5, 3.25, -12.5}));
  EXPECT_EQ(load->hz, 49.9);
}

TEST(LoadSpec, OmittedValuesKeepTheBase) {
  LoadInput base;
  base.phases[0] = PhaseInput{240, 2, 30};
  base.phases[2] = PhaseInput{220, 1, -10};
  base.hz = 60;
  auto load = parse_load_spec("L1=5A", base);
  ASSERT_TRUE(load) << load.error();
  EXPECT_EQ(load->phases[0], (PhaseInput{240, 5, 30}));
  EXPECT_EQ(load->phases[2], (PhaseInput{220, 1, -10}));
  EXPECT_EQ(load->hz, 60);
}

TEST(LoadSpec, AnUnknownPhaseNamesThePartAndTheExpectedForm) {
  EXPECT_EQ(error_of("L1=1A;L4=1A"),
            "bad --load part \"L4=1A\": phase must be L1, L2, L3 or all (e.g. L1=230V,10A,25deg)");
}

TEST(LoadSpec, RejectsBadPartsNamingThem) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"L1=10", "\"L1=10\": \"10\" needs a unit V, A or deg"},
      {"L1=10W", "needs a unit"},
      {"L1=abcV", "\"abc\" is not a number"},
      {"L1=230V,,5A", "empty value"},
      {"L2=2000V", "\"L2=2000V\": L2 voltage 2000 V out of range 0-1000"},
      {"all=100001A", "L1 current 100001 A out of range"},
      {"f=80Hz", "\"f=80Hz\": frequency 80 Hz out of range 40-70"},
      {"f=50V", "\"f=50V\": frequency must be a number of Hz"},
      {"L1", "\"L1\": expected PHASE=VALUES"},
      {"", "empty --load"},
      {" ; ", "empty --load"},
  };
  for (const auto& [spec, expected] : cases) {
    EXPECT_NE(error_of(spec).find(expected), std::string::npos) << spec << " -> " << error_of(spec);
  }
}

// ---- CSV ---------------------------------------------------------------------------------

TEST(ScenarioCsv, EmptyCellsKeepThePreviousRowsValues) {
  auto p = parse_scenario_csv(
      "# a comment\n"
      "t,L1_v,L1_i,L1_phi,tariff_input\n"
      "0,230,10,0,1\n"
      "\n"
      "1.5,,5,,\n"
      "00:01:00,231,,,false\n",
      "mine");
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(p->name, "mine");
  EXPECT_FALSE(p->repeat_ms);
  ASSERT_EQ(p->steps.size(), 3U);
  EXPECT_EQ(p->steps[0].t_ms, 0);
  EXPECT_EQ(p->steps[1].t_ms, 1500);
  EXPECT_EQ(p->steps[2].t_ms, 60'000);
  EXPECT_EQ(p->steps[0].load.measured.p_mw, 2'300'000);
  EXPECT_EQ(p->steps[1].load.input.phases[0], (PhaseInput{230, 5, 0}));
  EXPECT_EQ(p->steps[2].load.input.phases[0], (PhaseInput{231, 5, 0}));
  EXPECT_EQ(p->steps[2].load.input.phases[1], (PhaseInput{230, 0, 0}));  // LoadInput{} default
  EXPECT_EQ(p->steps[0].tariff_input, true);
  EXPECT_EQ(p->steps[1].tariff_input, std::nullopt);
  EXPECT_EQ(p->steps[2].tariff_input, false);
}

TEST(ScenarioCsv, ColumnsMayComeInAnyOrderAndCase) {
  auto p = parse_scenario_csv("L2_I, F ,T,l3_phi\r\n4,49.5,0,-30\r\n2,,01:30,\r\n");
  ASSERT_TRUE(p) << p.error();
  ASSERT_EQ(p->steps.size(), 2U);
  EXPECT_EQ(p->steps[1].t_ms, 5'400'000);
  EXPECT_EQ(p->steps[1].load.input.phases[1].amps, 2);
  EXPECT_EQ(p->steps[1].load.input.phases[2].phi_deg, -30);
  EXPECT_EQ(p->steps[1].load.input.hz, 49.5);
}

TEST(ScenarioCsv, RepeatCommentMakesTheProfileLoop) {
  auto p = parse_scenario_csv("t,L1_i\n0,1\n3600,2\n# repeat: 86400\n");
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(p->repeat_ms, kDayMs);
  auto q = parse_scenario_csv("# Repeat: 24:00:00\nt,L1_i\n0,1\n");
  ASSERT_TRUE(q) << q.error();
  EXPECT_EQ(q->repeat_ms, kDayMs);
}

TEST(ScenarioCsv, ErrorsNameTheLineAndTheProblem) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"t,L4_v\n0,1\n", "line 1: unknown column \"L4_v\""},
      {"t,L1_i,l1_I\n0,1,1\n", "line 1: column \"L1_i\" appears twice"},
      {"L1_i\n1\n", "line 1: the header has no t column"},
      {"t,L1_i\n5,1\n", "line 2: the first row must be at t = 0, not 5 s"},
      {"t,L1_i\n0,1\n10,1\n10,2\n", "line 4: t = 10 s is not after the previous row's 10 s"},
      {"t,L1_v\n0,230\n1,abc\n", "line 3: L1_v \"abc\" is not a number"},
      {"t,L1_v\n0,230\n1,1200\n", "line 3: L1 voltage 1200 V out of range 0-1000"},
      {"t,f\n0,50\n1,30\n", "line 3: frequency 30 Hz out of range 40-70"},
      {"t,tariff_input\n0,yes\n", "line 2: tariff_input \"yes\" must be 0, 1, true or false"},
      {"t,L1_i\n0,1\n1:75,1\n", "line 3: time \"1:75\" is not seconds"},
      {"t,L1_i\n0,1\n-1,1\n", "line 3: time \"-1\" is not"},
      {"t,L1_i\n0,1\n,1\n", "line 3: every row needs a time t"},
      {"t,L1_i\n0,1,2\n", "line 2: 3 cells but the header has 2 columns"},
      {"t,L1_i\n0,1\n7200,1\n# repeat: 3600\n",
       "line 4: repeat 3600 s must be after the last row (t = 7200 s)"},
      {"# repeat: soon\nt,L1_i\n0,1\n", "line 1: repeat: time \"soon\" is not"},
      {"t,L1_i\n", "no rows after the header"},
      {"# only a comment\n", "no header line"},
  };
  for (const auto& [text, expected] : cases) {
    EXPECT_NE(csv_error(text).find(expected), std::string::npos)
        << text << " -> " << csv_error(text);
  }
}

// ---- the player --------------------------------------------------------------------------

TEST(ProfilePlayer, IntegratesATwoRowProfileExactlyInOneHugeAdvance) {
  LoadProfile profile;
  profile.steps.push_back(ProfileStep{0, l1_load(230, 10, 30), std::nullopt});
  profile.steps.push_back(ProfileStep{1'000'500, l1_load(231, 7.5, 185), true});
  Meter played = powered_meter();
  ProfilePlayer player(profile, played);
  constexpr std::int64_t kMonthMs = 30 * kDayMs;
  player.advance(played, kMonthMs);

  Meter by_hand = powered_meter();
  by_hand.set_load(profile.steps[0].load);
  by_hand.advance(1'000'500);
  by_hand.set_load(profile.steps[1].load);
  by_hand.set_tariff_input(true);
  by_hand.advance(kMonthMs - 1'000'500);

  EXPECT_EQ(player.position_ms(), kMonthMs);
  EXPECT_EQ(played.now_ms(), by_hand.now_ms());
  EXPECT_EQ(played.tariff(), 2);
  EXPECT_EQ(played.registers(), by_hand.registers());
  EXPECT_EQ(played.s0(0).owed(), by_hand.s0(0).owed());
  EXPECT_EQ(played.s0(1).emitted(), by_hand.s0(1).emitted());
  EXPECT_GT(played.counter(ci::total(Family::active, Dir::reverse)), 0);
}

TEST(ProfilePlayer, RepeatWrapsBackToTheFirstRow) {
  LoadProfile profile;
  profile.steps.push_back(ProfileStep{0, l1_load(250, 4, 0), std::nullopt});  // 1 kW
  profile.steps.push_back(ProfileStep{4000, l1_load(250, 0, 0), std::nullopt});
  profile.repeat_ms = 10'000;
  Meter m = powered_meter();
  ProfilePlayer player(profile, m);
  player.advance(m, 95'000);  // 9 cycles × 4 s on, then 4 s on in the tenth
  EXPECT_EQ(player.position_ms(), 95'000);
  // 40 s at 1 kW = 4e10 mW·ms = 11111.1 mWh.
  EXPECT_EQ(m.registers().mwh(ci::phase(Family::active, 0, Dir::forward)), 11'111);
  EXPECT_EQ(m.counter(ci::phase(Family::active, 0, Dir::forward)), 11'000);  // shown: whole Wh
  EXPECT_EQ(m.registers().at(ci::phase(Family::active, 0, Dir::forward)).remainder_mw_ms(),
            400'000);
  EXPECT_EQ(m.measurement().p_mw, 0);
  player.advance(m, 5'000);  // row 0 applies again at 100 s
  EXPECT_EQ(m.measurement().p_mw, 1'000'000);
}

TEST(ProfilePlayer, RandomStepsGiveTheSameRegistersAsOneStep) {
  auto profile = parse_scenario_csv(
      "t,L1_i,L1_phi,L2_i,tariff_input\n0,3,10,1,0\n7.25,0.5,-40,,1\n"
      "61,2,175,4,\n90,,,,0\n# repeat: 123.5\n");
  ASSERT_TRUE(profile) << profile.error();
  Meter whole = powered_meter();
  ProfilePlayer one(*profile, whole);
  one.advance(whole, kDayMs);
  Meter pieces = powered_meter();
  ProfilePlayer many(*profile, pieces);
  std::mt19937_64 rng(3);
  for (std::int64_t left = kDayMs; left > 0;) {
    const auto dt = std::min<std::int64_t>(left, static_cast<std::int64_t>(rng() % 400'000));
    many.advance(pieces, dt);
    left -= dt;
  }
  EXPECT_EQ(whole.registers(), pieces.registers());
  EXPECT_EQ(whole.tariff(), pieces.tariff());
  EXPECT_EQ(whole.s0(0).emitted(), pieces.s0(0).emitted());
}

TEST(ProfilePlayer, WithoutRepeatTheLastRowHoldsForever) {
  auto profile = parse_scenario_csv("t,L1_v,L1_i\n0,250,0\n60,250,4\n");
  ASSERT_TRUE(profile) << profile.error();
  Meter m = powered_meter();
  ProfilePlayer player(*profile, m);
  player.advance(m, 60'000 + 3'600'000);
  EXPECT_EQ(m.counter(ci::total(Family::active, Dir::forward)), 1'000'000);  // 1 kWh
}

TEST(ProfilePlayer, PlaysAnHourOfOneSecondRowsRepeatedForADayExactly) {
  std::string csv = "t,L1_v,L1_i\n# repeat: 3600\n";
  for (int s = 0; s < 3600; ++s) csv += std::to_string(s) + (s % 2 == 0 ? ",250,4\n" : ",,0\n");
  auto profile = parse_scenario_csv(csv);
  ASSERT_TRUE(profile) << profile.error();
  ASSERT_EQ(profile->steps.size(), 3600U);
  Meter m = powered_meter();
  ProfilePlayer player(*profile, m);
  player.advance(m, kDayMs);  // 86 400 rows applied, every other second at 1 kW
  EXPECT_EQ(m.counter(ci::total(Family::active, Dir::forward)), 12'000'000);
  EXPECT_EQ(player.position_ms(), kDayMs);
}

// ---- the demo ----------------------------------------------------------------------------

TEST(DemoScenario, ParsesAndRepeatsDaily) {
  auto demo = parse_scenario_csv(demo_scenario_csv(), "demo");
  ASSERT_TRUE(demo) << demo.error();
  EXPECT_EQ(demo->repeat_ms, kDayMs);
  EXPECT_GE(demo->steps.size(), 40U);
  EXPECT_LE(demo->steps.size(), 80U);
  std::int64_t most_export = 0;
  for (const auto& step : demo->steps) {
    for (const auto& phase : step.load.input.phases) {
      EXPECT_GE(phase.volts, 229);
      EXPECT_LE(phase.volts, 233.5);
    }
    most_export = std::min(most_export, step.load.measured.p_mw);
  }
  EXPECT_LT(most_export, -3'000'000);
  EXPECT_GT(most_export, -4'000'000);
}

TEST(DemoScenario, OneDayMovesEveryRegisterFamily) {
  auto demo = parse_scenario_csv(demo_scenario_csv(), "demo");
  ASSERT_TRUE(demo) << demo.error();
  Meter m = powered_meter();
  ProfilePlayer player(*demo, m);
  player.advance(m, kDayMs);
  const std::vector<std::pair<std::string, std::size_t>> registers{
      {"active forward", ci::total(Family::active, Dir::forward)},
      {"active reverse", ci::total(Family::active, Dir::reverse)},
      {"reactive forward", ci::total(Family::reactive, Dir::forward)},
      {"reactive reverse", ci::total(Family::reactive, Dir::reverse)},
      {"Q1", ci::quadrant(1)},
      {"Q2", ci::quadrant(2)},
      {"Q3", ci::quadrant(3)},
      {"Q4", ci::quadrant(4)},
      {"T1", ci::tariff(Family::active, 1, Dir::forward)},
      {"T2", ci::tariff(Family::active, 2, Dir::forward)},
  };
  for (const auto& [name, index] : registers) EXPECT_GT(m.counter(index), 0) << name;
  EXPECT_EQ(m.tariff(), 2);  // 23:00-07:00 is T2; at 24:00 the night input is energized
}

TEST(DemoScenario, TheShippedCsvFileIsTheBuiltInText) {
  const auto path = std::filesystem::path(AMBI_SOURCE_DIR) / "scenarios/demo.csv";
  std::ifstream file(path, std::ios::binary);
  ASSERT_TRUE(file) << path;
  std::ostringstream text;
  text << file.rdbuf();
  EXPECT_EQ(text.str(), demo_scenario_csv());
}

TEST(ConstantProfile, HoldsOneLoadFromTimeZero) {
  LoadInput load;
  load.phases[1] = PhaseInput{250, 4, 0};
  const auto profile = constant_profile(load);
  ASSERT_EQ(profile.steps.size(), 1U);
  EXPECT_EQ(profile.steps[0].t_ms, 0);
  EXPECT_EQ(profile.steps[0].load.measured.p_mw, 1'000'000);
  EXPECT_FALSE(profile.repeat_ms);
}

}  // namespace
}  // namespace ambi
