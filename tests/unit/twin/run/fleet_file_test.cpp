// The fleet file (docs/fleet.md): what a good file builds, and one clear line for every
// mistake, naming the file, the line and the key.
#include "twin/run/fleet_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "twin/service/fleet.hpp"

namespace ambi {
namespace {

namespace fs = std::filesystem;

/// Scenario files a test pretends exist.
std::map<std::string, std::string>& files() {
  static std::map<std::string, std::string> f;
  return f;
}

std::expected<std::string, std::string> read_fake(const fs::path& path) {
  const auto it = files().find(path.string());
  if (it == files().end())
    return std::unexpected("cannot read " + path.string() + ": no such file");
  return it->second;
}

std::expected<FleetPlan, std::string> parse(std::string_view text, FleetDefaults d = {}) {
  return parse_fleet_file(text, "site/fleet.toml", d, read_fake);
}

std::string error_of(std::string_view text) {
  auto plan = parse(text);
  return plan ? std::string("(accepted)") : plan.error();
}

TEST(FleetFile, GroupsCountSerialsOnAndFillGatewaysOf247) {
  auto plan = parse(R"(
[[group]]
name = "houses"
count = 300

[[group]]
name = "shops"
count = 2
serial = "19500000"
)");
  ASSERT_TRUE(plan) << plan.error();
  ASSERT_EQ(plan->meters.size(), 302U);
  EXPECT_EQ(plan->groups, (std::vector<std::string>{"houses", "shops"}));
  EXPECT_EQ(plan->meters[0].factory.serial_bcd, 0x19020246U);
  EXPECT_EQ(plan->meters[299].factory.serial_bcd, 0x19020545U);
  EXPECT_EQ(plan->meters[300].factory.serial_bcd, 0x19500000U);
  ASSERT_EQ(plan->endpoints.size(), 3U);  // houses/1 (247), houses/2 (53), shops/1 (2)
  EXPECT_EQ(plan->endpoints[0].name, "houses/1");
  EXPECT_EQ(plan->endpoints[0].meters.size(), 247U);
  EXPECT_EQ(plan->endpoints[1].meters.size(), 53U);
  EXPECT_EQ(plan->meters[246].factory.modbus_id, 247);
  EXPECT_EQ(plan->meters[247].factory.modbus_id, 1);
  EXPECT_EQ(plan->meters[247].endpoint, 1U);
  EXPECT_EQ(plan->meters[300].factory.modbus_id, 1);
  EXPECT_EQ(plan->meters[300].group, 1U);
  // M-bus primary addresses run 1-250 across the fleet.
  EXPECT_EQ(plan->meters[249].factory.mbus_id, 250);
  EXPECT_EQ(plan->meters[250].factory.mbus_id, 1);
}

TEST(FleetFile, GroupsShareANamedGatewayAndCountIdsOnAcrossThem) {
  auto plan = parse(R"(
[[gateway]]
name = "north"
port = 5100

[[group]]
name = "a"
count = 10
gateway = "north"

[[group]]
name = "b"
count = 5
gateway = "north"
modbus_id = 100
)");
  ASSERT_TRUE(plan) << plan.error();
  ASSERT_EQ(plan->endpoints.size(), 1U);
  EXPECT_EQ(plan->endpoints[0].port, 5100);
  EXPECT_EQ(plan->endpoints[0].meters.size(), 15U);
  EXPECT_EQ(plan->meters[9].factory.modbus_id, 10);
  EXPECT_EQ(plan->meters[10].factory.modbus_id, 100);
  EXPECT_EQ(plan->meters[14].factory.modbus_id, 104);
}

TEST(FleetFile, OverridesChangeOneMeterOfAGroup) {
  auto plan = parse(R"(
[[group]]
name = "a"
count = 3
load = "all=230V,5A"
settings = { ct_ratio = "500/5" }

[[group.meter]]
index = 1
serial = "12345678"
modbus_id = 200
mbus_id = 42
ordered_c05 = true
load = "L1=230V,16A"
)");
  ASSERT_TRUE(plan) << plan.error();
  const FleetMeter& m = plan->meters[1];
  EXPECT_EQ(m.factory.serial_bcd, 0x12345678U);
  EXPECT_EQ(m.factory.modbus_id, 200);
  EXPECT_EQ(m.factory.mbus_id, 42);
  EXPECT_TRUE(m.factory.ordered_c05);
  ASSERT_TRUE(m.load);
  EXPECT_EQ(m.load->phases[0].amps, 16);
  EXPECT_EQ(m.settings.size(), 1U);  // the group's settings apply to it too
  EXPECT_EQ(plan->meters[2].factory.serial_bcd, 0x19020248U);  // the others count on
  EXPECT_FALSE(plan->meters[0].factory.ordered_c05);
  EXPECT_EQ(plan->meters[0].load->phases[0].amps, 5);
}

TEST(FleetFile, PortPerMeterAndRtuOverTcpGiveEveryMeterItsOwnEndpoint) {
  auto plan = parse(R"(
[[group]]
name = "chargers"
count = 3
endpoint = "port-per-meter"
port = 6000

[[group]]
name = "old"
count = 2
endpoint = "rtu-over-tcp"
modbus_id = 7
)");
  ASSERT_TRUE(plan) << plan.error();
  ASSERT_EQ(plan->endpoints.size(), 5U);
  EXPECT_EQ(plan->endpoints[0].kind, FleetEndpointKind::meter_tcp);
  EXPECT_EQ(plan->endpoints[2].port, 6002);
  EXPECT_EQ(plan->endpoints[3].kind, FleetEndpointKind::meter_rtu_over_tcp);
  EXPECT_EQ(plan->endpoints[3].port, 0);
  EXPECT_EQ(plan->meters[3].factory.modbus_id, 7);
  EXPECT_EQ(plan->meters[4].factory.modbus_id, 7);
  EXPECT_EQ(plan->endpoints[0].name, "chargers/19020246");
}

TEST(FleetFile, ProfilesGiveEveryMeterItsOwnSeed) {
  auto plan = parse(R"(
[fleet]
seed = 42

[profile.household]
step = "15m"
base_w = 350
pv_peak_w = 3500
pv_share = 0.4
ev_w = 11000
ev_share = 0.2
ev_window = "17:30-22:00"
ev_kwh = [8, 30]

[[group]]
count = 3
profile = "household"
)");
  ASSERT_TRUE(plan) << plan.error();
  std::set<std::uint64_t> seeds;
  for (const FleetMeter& m : plan->meters) {
    ASSERT_TRUE(m.profile);
    ASSERT_TRUE(m.profile->generator);
    EXPECT_EQ(m.profile->name, "household");
    seeds.insert(m.profile->seed);
  }
  EXPECT_EQ(seeds.size(), 3U);
  const HouseholdModel& model = *plan->meters[0].profile->generator;
  EXPECT_EQ(model.step_ms, 900'000);
  EXPECT_EQ(model.ev_from_ms, (17 * 60 + 30) * 60'000);
  EXPECT_EQ(model.ev_kwh_max, 30);
  EXPECT_EQ(plan->meters[0].profile->seed, meter_seed(42, 0x19020246));
  EXPECT_EQ(plan->groups[0], "group1");
}

TEST(FleetFile, ScenariosAreTheDemoOrACsvBesideTheFile) {
  files()[(fs::path("site") / "day.csv").string()] = "t,L1_i\n0,1\n60,2\n";
  auto plan = parse(R"(
[[group]]
name = "a"
scenario = "demo"
[[group]]
name = "b"
scenario = "day.csv"
)");
  ASSERT_TRUE(plan) << plan.error();
  EXPECT_EQ(plan->meters[0].profile->name, "demo");
  EXPECT_EQ(plan->meters[1].profile->steps.size(), 2U);
  EXPECT_EQ(error_of("[[group]]\nscenario = \"nope.csv\"\n"),
            "site/fleet.toml:2: group \"group1\".scenario: cannot read site/nope.csv: no such "
            "file");
}

TEST(FleetFile, MetersPlanIsOneGroupBehindGatewaysFromTheFirstPort) {
  auto plan = meters_plan(500, FleetDefaults{0x19020246, false, 5020});
  ASSERT_TRUE(plan) << plan.error();
  ASSERT_EQ(plan->endpoints.size(), 3U);
  EXPECT_EQ(plan->endpoints[2].port, 5022);
  EXPECT_EQ(plan->endpoints[2].meters.size(), 6U);
  EXPECT_EQ(plan->meters[494].factory.modbus_id, 1);
  EXPECT_TRUE(meters_plan(10, FleetDefaults{0x19020246, false, 65535}));
  EXPECT_FALSE(meters_plan(300, FleetDefaults{0x19020246, false, 65535}));
}

// ---- mistakes ------------------------------------------------------------------------------

TEST(FleetFileErrors, NameTheFileTheLineAndTheKey) {
  EXPECT_EQ(error_of("[[group]]\ncuont = 3\n"),
            "site/fleet.toml:2: group.cuont: unknown key; the keys of group are name, count, "
            "serial, modbus_id, mbus_id, ordered_c05, endpoint, gateway, port, settings, load, "
            "scenario, profile, meter, bus, mbus_line");
  EXPECT_EQ(error_of("[[group]]\ncount = 0\n"),
            "site/fleet.toml:2: group \"group1\".count: 0 is out of range; give 1 to 100000");
  EXPECT_EQ(error_of("[[group]]\ncount = \"3\"\n"),
            "site/fleet.toml:2: group \"group1\".count: give a whole number 1 to 100000");
  EXPECT_EQ(error_of("[[group]]\nserial = 19020246\n"),
            "site/fleet.toml:2: group \"group1\".serial: give a string");
  EXPECT_EQ(error_of("[[group]]\nserial = \"1902\"\n"),
            "site/fleet.toml:2: group \"group1\".serial: \"1902\" is not a serial; give 8 "
            "decimal digits in quotes like \"19020246\"");
  EXPECT_EQ(
      error_of("[fleet]\nseed = 1\ncolour = 2\n[[group]]\n"),
      "site/fleet.toml:3: fleet.colour: unknown key; the keys of fleet are seed, serial, epoch, "
      "speed");
  EXPECT_EQ(error_of("[fleet]\n"),
            "site/fleet.toml: no [[group]]: a fleet file describes at least one group of meters "
            "(docs/fleet.md)");
}

TEST(FleetFileErrors, BadTomlNamesTheLine) {
  const std::string e = error_of("[[group]]\ncount = = 3\n");
  EXPECT_TRUE(e.starts_with("site/fleet.toml:2: ")) << e;
  EXPECT_TRUE(e.ends_with("; the file must be TOML (docs/fleet.md)")) << e;
}

TEST(FleetFileErrors, DuplicateSerialsAndUnitsNameBothMeters) {
  EXPECT_EQ(
      error_of("[[group]]\nname=\"a\"\ncount=5\n[[group]]\nname=\"b\"\nserial=\"19020248\"\n"),
      "site/fleet.toml:4: group \"b\".serial: serial 19020248 is already meter 2 of group "
      "\"a\" (line 1); give another serial");
  EXPECT_EQ(error_of("[[group]]\nname=\"a\"\ncount=3\n[[group.meter]]\nindex=2\nmodbus_id=1\n"),
            "site/fleet.toml:4: group \"a\" meter 2.modbus_id: unit 1 on gateway \"a/1\" is "
            "already meter 0 of group \"a\" (line 1); give another modbus_id");
  EXPECT_EQ(error_of("[[group]]\nname=\"a\"\n[[group]]\nname=\"a\"\n"),
            "site/fleet.toml:3: group.name: \"a\" is already the group at line 1; give each its "
            "own name");
}

TEST(FleetFileErrors, AGatewayServesAtMost247Meters) {
  EXPECT_EQ(error_of("[[gateway]]\nname=\"g\"\n[[group]]\ncount=248\ngateway=\"g\"\n"),
            "site/fleet.toml:3: group \"group1\".count: gateway \"g\" already serves unit 247: a "
            "gateway serves at most 247 meters; put the group behind another gateway");
  EXPECT_EQ(error_of("[[gateway]]\nname=\"g\"\n[[group]]\ncount=2\ngateway=\"h\"\n"),
            "site/fleet.toml:3: group \"group1\".gateway: no [[gateway]] named \"h\"; declare it "
            "or name another");
  EXPECT_EQ(
      error_of("[[gateway]]\nname=\"g\"\n[[gateway]]\nname=\"h\"\n[[group]]\ngateway=\"g\"\n"),
      "site/fleet.toml:3: gateway \"h\": no group sits behind it; place a group on it "
      "(gateway = \"h\") or remove it");
  EXPECT_EQ(error_of("[[group]]\nmodbus_id = 248\n"),
            "site/fleet.toml:2: group \"group1\".modbus_id: 248 is out of range; give 1 to 247");
}

TEST(FleetFileErrors, LoadsProfilesAndSettingsAreChecked) {
  EXPECT_EQ(error_of("[[group]]\nload = \"all=230V,16A\"\nscenario = \"demo\"\n"),
            "site/fleet.toml:1: group \"group1\": load, scenario and profile exclude each other; "
            "give one");
  EXPECT_EQ(error_of("[[group]]\nprofile = \"x\"\n"),
            "site/fleet.toml:2: group \"group1\".profile: no [profile.x] in the file; define it "
            "or name another");
  EXPECT_EQ(error_of("[profile.h]\npv_share = 2\n[[group]]\nprofile = \"h\"\n"),
            "site/fleet.toml:1: profile.h: pv_share = 2: must be 0 to 1");
  EXPECT_EQ(error_of("[profile.h]\nstep = \"1.5s\"\n[[group]]\n"),
            "site/fleet.toml:2: profile.h.step: \"1.5s\": give whole seconds, minutes or hours up "
            "to a day, like \"15m\" or \"60s\"");
  EXPECT_EQ(error_of("[profile.h]\nev_window = \"17-21\"\n[[group]]\n"),
            "site/fleet.toml:2: profile.h.ev_window: \"17-21\": give \"HH:MM-HH:MM\" like "
            "\"17:00-21:00\"");
  EXPECT_EQ(error_of("[[group]]\nsettings = { modbus_id = 3 }\n"),
            "site/fleet.toml:2: group \"group1\".settings.modbus_id: addresses are the fleet's to "
            "hand out; give the group's modbus_id or mbus_id");
  const std::string unknown = error_of("[[group]]\nsettings = { colour = 3 }\n");
  EXPECT_TRUE(unknown.starts_with("site/fleet.toml:2: group \"group1\".settings: ")) << unknown;
  const std::string range = error_of("[[group]]\nsettings = { baud_rate = 12345 }\n");
  EXPECT_TRUE(range.starts_with("site/fleet.toml:2: group \"group1\".settings: ")) << range;
  const std::string load = error_of("[[group]]\nload = \"L9=1A\"\n");
  EXPECT_TRUE(load.starts_with("site/fleet.toml:2: group \"group1\".load: ")) << load;
}

TEST(FleetFileErrors, OverridesNeedAnIndexInTheGroup) {
  EXPECT_EQ(error_of("[[group]]\ncount=2\n[[group.meter]]\nserial=\"12345678\"\n"),
            "site/fleet.toml:3: group \"group1\" meter.index: missing: which meter of the group, "
            "0 to 1");
  EXPECT_EQ(error_of("[[group]]\ncount=2\n[[group.meter]]\nindex=2\n"),
            "site/fleet.toml:4: group \"group1\" meter.index: 2 is out of range; give 0 to 1");
}

TEST(FleetFile, TheShippedExampleParses) {
  const fs::path example = fs::path(AMBI_SOURCE_DIR) / "scenarios" / "fleet-example.toml";
  std::ifstream in(example);
  std::ostringstream text;
  text << in.rdbuf();
  auto plan = parse_fleet_file(text.str(), example, FleetDefaults{}, [](const fs::path& p) {
    std::ifstream f(p);
    std::ostringstream t;
    t << f.rdbuf();
    return std::expected<std::string, std::string>(t.str());
  });
  ASSERT_TRUE(plan) << plan.error();
  EXPECT_GT(plan->meters.size(), 247U);
}

}  // namespace
}  // namespace ambi

namespace ambi {
namespace {

TEST(FleetShards, SliceWholeEndpointsSoNoMeterIsInTwoShards) {
  auto plan = meters_plan(1000, FleetDefaults{});  // 5 gateways: 247 × 4 + 12
  ASSERT_TRUE(plan) << plan.error();
  std::set<std::uint32_t> serials;
  std::size_t endpoints = 0;
  for (std::size_t k = 0; k < 3; ++k) {
    auto shard = shard_plan(*plan, k, 3);
    ASSERT_TRUE(shard) << shard.error();
    EXPECT_EQ(shard->shard, k);
    EXPECT_EQ(shard->shards, 3U);
    endpoints += shard->endpoints.size();
    for (std::size_t e = 0; e < shard->endpoints.size(); ++e) {
      for (const std::size_t i : shard->endpoints[e].meters) {
        EXPECT_EQ(shard->meters[i].endpoint, e);
        EXPECT_TRUE(serials.insert(shard->meters[i].factory.serial_bcd).second);
      }
    }
  }
  EXPECT_EQ(endpoints, 5U);
  EXPECT_EQ(serials.size(), 1000U);
  // Shard 0 of 3 holds gateway 1 (endpoints [0, 5/3)): meters 0-246, units 1-247.
  auto first = shard_plan(*plan, 0, 3);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->meters.size(), 247U);
  EXPECT_EQ(first->meters.back().factory.modbus_id, 247);
}

TEST(FleetShards, MoreShardsThanEndpointsAndBadSyntaxAreRefused) {
  auto plan = meters_plan(10, FleetDefaults{});
  ASSERT_TRUE(plan);
  const auto empty = shard_plan(*plan, 0, 2);  // endpoints [0, 1/2): none
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error(),
            "--shard 0/2: the fleet has 1 endpoint, too few for 2 shards (a shard serves whole "
            "endpoints); give at most 1 shards");
  EXPECT_EQ(parse_shard("2/4").value_or(std::pair<std::size_t, std::size_t>{}),
            (std::pair<std::size_t, std::size_t>{2, 4}));
  for (const char* bad : {"4/4", "1", "a/4", "-1/4", "0/0", "1/", "/4", "0/1001"}) {
    EXPECT_FALSE(parse_shard(bad)) << bad;
  }
  EXPECT_EQ(parse_shard("4/4").error(),
            "bad --shard \"4/4\": give K/N, slice K (from 0) of N shards, like 0/4");
}

}  // namespace
}  // namespace ambi
