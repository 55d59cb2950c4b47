// A fleet file's fault timeline (docs/faults.md "A timeline in the fleet file"): `[[fault]]`
// tables read into JSON bodies that fault_from_json accepts, their targets resolved as the
// API resolves a selector, and one line naming the file, the entry and the member for every
// mistake.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <string>

#include "core/fault/fault.hpp"
#include "twin/run/fleet_file.hpp"

// The tests ASSERT an optional before they use it; clang-tidy does not follow ASSERT.
// NOLINTBEGIN(bugprone-unchecked-optional-access)
namespace ambi {
namespace {

std::expected<std::string, std::string> no_files(const std::filesystem::path& path) {
  return std::unexpected("cannot read " + path.string());
}

/// Two groups of 100 and 50 meters, the shops behind a named gateway, then `faults`.
std::string site(std::string_view faults, std::string_view fleet = "") {
  return std::string(fleet) + R"(
[[gateway]]
name = "square"

[[group]]
name = "houses"
count = 100

[[group]]
name = "shops"
count = 50
gateway = "square"
)" + std::string(faults);
}

std::expected<FleetPlan, std::string> parse(const std::string& text) {
  return parse_fleet_file(text, "site/fleet.toml", FleetDefaults{}, no_files);
}

/// The API's fraction=F&seed=S (docs/spec-decisions.md C73), written out again here as the
/// oracle: a std::mt19937_64 shuffle of the indices, the first round(F × N), ascending.
std::vector<std::size_t> drawn(std::size_t n, double fraction, std::uint64_t seed) {
  std::vector<std::size_t> indices(n);
  std::iota(indices.begin(), indices.end(), std::size_t{0});
  std::mt19937_64 rng(seed);
  std::shuffle(indices.begin(), indices.end(), rng);
  indices.resize(static_cast<std::size_t>(std::llround(fraction * static_cast<double>(n))));
  std::ranges::sort(indices);
  return indices;
}

/// A body as an unordered JSON object: the file's keys come in TOML's order.
nlohmann::json unordered(const Json& body) {
  return nlohmann::json::parse(body.dump());
}

std::string error_of(std::string_view faults, std::string_view fleet = "") {
  auto plan = parse(site(faults, fleet));
  return plan ? std::string("(accepted)") : plan.error();
}

TEST(FleetFaults, AFractionSilencesTheMetersTheApiDrawsForThatSeed) {
  auto plan = parse(site(R"(
[[fault]]
at = "02:00"
kind = "no-reply"
for = "10m"
fraction = 0.02
seed = 7
)"));
  ASSERT_TRUE(plan) << plan.error();
  ASSERT_EQ(plan->faults.size(), 1U);
  const FleetFault& f = plan->faults[0];
  EXPECT_EQ(f.number, 1U);
  EXPECT_EQ(f.at_ms, 7'200'000);
  EXPECT_EQ(f.duration_ms, 600'000);
  EXPECT_EQ(f.meters, drawn(150, 0.02, 7));
  EXPECT_EQ(f.meters.size(), 3U);
  // The selection's seed is not the fault's: its draws keep the meter's serial.
  EXPECT_EQ(unordered(f.body), nlohmann::json({{"kind", "no-reply"}}));
}

TEST(FleetFaults, TargetsAreAGroupAGatewaySerialsOrEveryMeter) {
  auto plan = parse(site(R"(
[[fault]]
at = 0
kind = "bad-crc"
group = "shops"

[[fault]]
at = "1h"
kind = "exception"
exception_code = 4
gateway = "houses/1"

[[fault]]
at = 90
kind = "delay"
delay_ms = 250
serials = ["19020346", "19020246", "19020346"]

[[fault]]
at = "1.5h"
kind = "truncate"
)"));
  ASSERT_TRUE(plan) << plan.error();
  ASSERT_EQ(plan->faults.size(), 4U);
  EXPECT_EQ(plan->faults[0].meters.size(), 50U);
  EXPECT_EQ(plan->faults[0].meters.front(), 100U);
  EXPECT_EQ(plan->faults[0].at_ms, 0);
  EXPECT_FALSE(plan->faults[0].duration_ms);
  EXPECT_EQ(plan->faults[1].meters.size(), 100U);
  EXPECT_EQ(unordered(plan->faults[1].body),
            nlohmann::json({{"exception_code", 4}, {"kind", "exception"}}));
  EXPECT_EQ(plan->faults[2].meters, (std::vector<std::size_t>{0, 100}));
  EXPECT_EQ(plan->faults[2].at_ms, 90'000);
  EXPECT_EQ(plan->faults[3].meters.size(), 150U);
  EXPECT_EQ(plan->faults[3].at_ms, 5'400'000);
}

TEST(FleetFaults, TimesAreDurationsClockTimesOrCalendarTimesAfterTheEpoch) {
  const auto at = [](std::string_view value, std::string_view fleet = "") {
    auto plan =
        parse(site("[[fault]]\nat = " + std::string(value) + "\nkind = \"no-reply\"\n", fleet));
    return plan ? plan->faults.at(0).at_ms : std::int64_t{-1};
  };
  EXPECT_EQ(at("\"90s\""), 90'000);
  EXPECT_EQ(at("\"10m\""), 600'000);
  EXPECT_EQ(at("\"500ms\""), 500);
  EXPECT_EQ(at("\"2d\""), 172'800'000);
  EXPECT_EQ(at("\"02:00\""), 7'200'000);
  EXPECT_EQ(at("\"26:30:15\""), (26 * 3600 + 30 * 60 + 15) * std::int64_t{1000});
  EXPECT_EQ(at("\"0s\""), 0);
  EXPECT_EQ(at("02:30:00"), 9'000'000);  // a TOML time, unquoted
  EXPECT_EQ(at("1.5"), 1500);
  const std::string_view epoch = "[fleet]\nepoch = 2026-01-01T00:00:00Z\n";
  EXPECT_EQ(at("2026-01-02T02:00:00Z", epoch), std::int64_t{26} * 3600 * 1000);
  EXPECT_EQ(at("2026-01-01T03:00:00+01:00", epoch), 7'200'000);
}

TEST(FleetFaults, ForAndDurationSAreTheSameLength) {
  auto plan = parse(site(R"(
[[fault]]
at = "1h"
kind = "no-reply"
duration_s = 30.5
probability = 0.25
fault_seed = 99
)"));
  ASSERT_TRUE(plan) << plan.error();
  EXPECT_EQ(plan->faults[0].duration_ms, 30'500);
  EXPECT_EQ(unordered(plan->faults[0].body),
            nlohmann::json({{"kind", "no-reply"}, {"probability", 0.25}, {"seed", 99}}));
}

TEST(FleetFaults, TheBodyCarriesTheKindsParametersAndTheWindowFromNow) {
  auto plan = parse(site(R"(
[[fault]]
at = "1h"
kind = "garbage"
garbage_bytes = 9
after = true
seed = 5
)"));
  ASSERT_TRUE(plan) << plan.error();
  const auto body = timeline_fault_body(plan->faults[0], 600'000);
  ASSERT_TRUE(body);
  EXPECT_EQ(unordered(*body), nlohmann::json({{"kind", "garbage"},
                                              {"garbage_bytes", 9},
                                              {"after", true},
                                              {"seed", 5},
                                              {"start_s", 3000.0}}));
}

TEST(FleetFaults, AfterARestartPastEntriesAreSkippedAndOneInProgressResumesForItsRest) {
  FleetFault f;
  f.at_ms = 7'200'000;
  f.duration_ms = 600'000;
  f.body = Json{{"kind", "no-reply"}};
  const auto ahead = timeline_fault_body(f, 1'000'000);
  ASSERT_TRUE(ahead);
  EXPECT_EQ(ahead->at("start_s"), 6200.0);
  EXPECT_EQ(ahead->at("duration_s"), 600.0);
  const auto during = timeline_fault_body(f, 7'500'000);
  ASSERT_TRUE(during);
  EXPECT_EQ(during->at("start_s"), 0.0);
  EXPECT_EQ(during->at("duration_s"), 300.0);
  EXPECT_FALSE(timeline_fault_body(f, 7'800'000));
  f.duration_ms.reset();  // until ended: it starts now
  const auto open = timeline_fault_body(f, 9'000'000);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->at("start_s"), 0.0);
  EXPECT_FALSE(open->contains("duration_s"));
}

TEST(FleetFaults, AShardKeepsTheWholeFilesSelectionOfItsMeters) {
  auto plan = parse(site(R"(
[[fault]]
at = "02:00"
kind = "no-reply"
fraction = 0.1
seed = 3
)"));
  ASSERT_TRUE(plan) << plan.error();
  const auto whole = plan->faults[0].meters;
  auto shard = shard_plan(*plan, 0, 2);  // endpoint 0, gateway "square": meters 100-149
  ASSERT_TRUE(shard) << shard.error();
  ASSERT_EQ(shard->faults.size(), 1U);
  std::vector<std::size_t> expected;
  for (const std::size_t i : whole) {
    if (i >= 100) expected.push_back(i - 100);
  }
  EXPECT_EQ(shard->faults[0].meters, expected);
}

TEST(FleetFaults, EveryKindOfTheApiIsAKindOfTheTimeline) {
  // The meter's and the storage's kinds need nothing of the file: fault_from_json knows them.
  auto plan = parse(site(R"(
[[fault]]
at = "1h"
for = "5m"
kind = "supply-lost"
group = "houses"
)"));
  ASSERT_TRUE(plan) << plan.error();
  EXPECT_EQ(plan->faults[0].body.at("kind"), "supply-lost");
  EXPECT_EQ(plan->faults[0].meters.size(), 100U);
}

TEST(FleetFaults, EachMistakeIsOneLineNamingTheFileTheEntryAndTheMember) {
  const std::string first = "[[fault]]\nat = \"1h\"\nkind = \"no-reply\"\n\n";
  EXPECT_EQ(error_of(first + "[[fault]]\nat = \"1h\"\nkind = \"no-replay\"\n"),
            "site/fleet.toml:19: fault 2.kind: unknown \"kind\" \"no-replay\": give one of " +
                std::string(fault_kinds()));
  EXPECT_EQ(error_of("[[fault]]\nkind = \"no-reply\"\n"),
            "site/fleet.toml:13: fault 1.at: missing: when it starts, in simulated time from the "
            "fleet's start, e.g. at = \"02:00\"");
  EXPECT_EQ(
      error_of("[[fault]]\nat = \"1h\"\n"),
      "site/fleet.toml:13: fault 1: missing \"kind\": give one of " + std::string(fault_kinds()));
  EXPECT_EQ(error_of("[[fault]]\nat = \"1h\"\nkind = \"delay\"\ndelay_ms = 7000000\n"),
            "site/fleet.toml:16: fault 1.delay_ms: \"delay_ms\" 7e+06 is out of range: give "
            "0-600000 ms");
  EXPECT_EQ(error_of("[[fault]]\nat = \"1h\"\nkind = \"no-reply\"\ncolour = 1\n"),
            "site/fleet.toml:16: fault 1.colour: unknown member \"colour\"; expected kind, "
            "probability, start_s, duration_s, seed; a [[fault]] also takes at, for, group, "
            "gateway, serials, fraction, fault_seed");
  EXPECT_EQ(error_of("[[fault]]\nat = \"1h\"\nkind = \"no-reply\"\nprobability = 0\n"),
            "site/fleet.toml:16: fault 1.probability: \"probability\" 0 never acts: give > 0, at "
            "most 1");
}

TEST(FleetFaults, BadTimesAndLengthsAreRefused) {
  EXPECT_EQ(error_of("[[fault]]\nat = \"2 hours\"\nkind = \"no-reply\"\n"),
            "site/fleet.toml:14: fault 1.at: give a simulated time as seconds or in quotes: "
            "\"90s\", \"10m\", \"2h\", \"3d\" or \"02:00\" (hh:mm), up to 100 years");
  EXPECT_NE(error_of("[[fault]]\nat = \"02:75\"\nkind = \"no-reply\"\n").find("fault 1.at: give"),
            std::string::npos);
  EXPECT_NE(error_of("[[fault]]\nat = -5\nkind = \"no-reply\"\n").find("fault 1.at: give"),
            std::string::npos);
  EXPECT_EQ(error_of("[[fault]]\nat = 0\nkind = \"no-reply\"\nfor = \"0s\"\n"),
            "site/fleet.toml:16: fault 1.for: give a positive simulated time as seconds or in "
            "quotes: \"90s\", \"10m\", \"2h\", \"3d\" or \"02:00\" (hh:mm)");
  EXPECT_EQ(error_of("[[fault]]\nat = 0\nkind = \"no-reply\"\nfor = \"1m\"\nduration_s = 60\n"),
            "site/fleet.toml:17: fault 1.duration_s: the fault's length is already given by for; "
            "give one of the two");
  EXPECT_EQ(error_of("[[fault]]\nat = 0\nkind = \"no-reply\"\nstart_s = 60\n"),
            "site/fleet.toml:16: fault 1.start_s: a [[fault]] starts at `at` (simulated time); "
            "give at");
  EXPECT_EQ(error_of("[[fault]]\nat = 2026-01-01T02:00:00Z\nkind = \"no-reply\"\n"),
            "site/fleet.toml:14: fault 1.at: a calendar time needs [fleet] epoch (simulated time "
            "0); give a time from the fleet's start, e.g. at = \"02:00\" or \"2h\"");
  EXPECT_EQ(error_of("[[fault]]\nat = 2025-12-31T23:00:00Z\nkind = \"no-reply\"\n",
                     "[fleet]\nepoch = 2026-01-01T00:00:00Z\n"),
            "site/fleet.toml:16: fault 1.at: is before [fleet] epoch; give a time after the "
            "epoch");
}

TEST(FleetFaults, BadTargetsAreRefused) {
  const std::string head = "[[fault]]\nat = 0\nkind = \"no-reply\"\n";
  EXPECT_EQ(error_of(head + "group = \"flats\"\n"),
            "site/fleet.toml:16: fault 1.group: no group \"flats\"; the groups are houses, shops");
  EXPECT_EQ(error_of(head + "gateway = \"park\"\n"),
            "site/fleet.toml:16: fault 1.gateway: no gateway \"park\"; the gateways are square, "
            "houses/1");
  EXPECT_EQ(error_of(head + "serials = [\"19020246\", \"29020246\"]\n"),
            "site/fleet.toml:16: fault 1.serials: no meter 29020246 in the fleet; give serials of "
            "its meters");
  EXPECT_EQ(error_of(head + "serials = []\n"),
            "site/fleet.toml:16: fault 1.serials: give a list of serials in quotes, e.g. "
            "[\"19020246\"]");
  EXPECT_EQ(error_of(head + "fraction = 1.5\nseed = 1\n"),
            "site/fleet.toml:16: fault 1.fraction: 1.5 is out of range; give a share of the fleet "
            "from 0 to 1");
  EXPECT_EQ(error_of(head + "fraction = 0.003\nseed = 1\n"),
            "site/fleet.toml:16: fault 1.fraction: 0.003 of the fleet's 150 meters draws none; "
            "give at least 0.00666667");
  EXPECT_EQ(error_of(head + "fraction = 0.5\n"),
            "site/fleet.toml:16: fault 1.seed: missing: fraction needs seed = N, the seed that "
            "picks the meters (the API's fraction=&seed=); set the fault's own draws with "
            "fault_seed");
  EXPECT_EQ(error_of(head + "fraction = 0.5\nseed = 10000000\n"),
            "site/fleet.toml:17: fault 1.seed: 10000000 is out of range; give 0 to 9999999");
  EXPECT_EQ(error_of(head + "group = \"shops\"\nserials = [\"19020246\"]\n"),
            "site/fleet.toml:17: fault 1.serials: the fault already falls on its group; give one "
            "of group, gateway, serials and fraction");
  EXPECT_EQ(error_of(head + "seed = 1\nfault_seed = 2\n"),
            "site/fleet.toml:17: fault 1.fault_seed: the fault's seed is already given by seed; "
            "give one of the two");
  EXPECT_EQ(error_of("", "fault = 3\n"), "site/fleet.toml:1: fault: give [[fault]] tables");
}

}  // namespace
}  // namespace ambi
// NOLINTEND(bugprone-unchecked-optional-access)
