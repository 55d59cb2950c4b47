// A fleet file's shared lines (docs/shared-lines.md "Lines in a fleet file"): [[bus]] and
// [[mbus_line]], the groups wired to them, and one clear line for every mistake.
#include <gtest/gtest.h>

#include <string>

#include "twin/run/fleet_file.hpp"

namespace ambi {
namespace {

std::expected<FleetPlan, std::string> parse(std::string_view text) {
  return parse_fleet_file(text, "site/fleet.toml", {}, [](const std::filesystem::path& p) {
    return std::expected<std::string, std::string>(std::unexpected("no file " + p.string()));
  });
}

std::string error_of(std::string_view text) {
  auto plan = parse(text);
  return plan ? std::string("(accepted)") : plan.error();
}

constexpr std::string_view kTwoFloors = R"(
[[gateway]]
name = "gw"

[[bus]]
name = "floor-1"
device = "pty:/tmp/floor1"

[[bus]]
name = "floor-2"
device = "/dev/ttyUSB1"

[[mbus_line]]
name = "basement"
tcp = "127.0.0.1:0"

[[group]]
name = "a"
count = 5
gateway = "gw"
bus = "floor-1"
mbus_line = "basement"

[[group]]
name = "b"
count = 4
gateway = "gw"
bus = "floor-2"
mbus_line = "basement"

[[group]]
name = "c"
count = 2
)";

TEST(FleetLines, GroupsAreWiredToTheirBusesAndLines) {
  auto plan = parse(kTwoFloors);
  ASSERT_TRUE(plan) << plan.error();
  ASSERT_EQ(plan->buses.size(), 2U);
  EXPECT_EQ(plan->buses[0].name, "floor-1");
  EXPECT_EQ(plan->buses[0].device, "pty:/tmp/floor1");
  EXPECT_EQ(plan->buses[0].meters, (std::vector<std::size_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(plan->buses[1].device, "/dev/ttyUSB1");
  EXPECT_EQ(plan->buses[1].meters, (std::vector<std::size_t>{5, 6, 7, 8}));
  ASSERT_EQ(plan->mbus_lines.size(), 1U);
  EXPECT_EQ(plan->mbus_lines[0].tcp, "127.0.0.1:0");
  EXPECT_FALSE(plan->mbus_lines[0].device);
  EXPECT_EQ(plan->mbus_lines[0].meters.size(), 9U);  // group c is on no line
  // Behind one gateway the ids count on: floor-2 carries ids 6-9.
  EXPECT_EQ(plan->meters[5].factory.modbus_id, 6);
}

TEST(FleetLines, AGroupNamingAnUndeclaredBusIsRefused) {
  EXPECT_EQ(error_of(R"(
[[group]]
name = "a"
bus = "nowhere"
)"),
            "site/fleet.toml:4: group \"a\".bus: no [[bus]] named \"nowhere\"; declare it or name "
            "another");
}

TEST(FleetLines, ABusHoldsAtMost247Meters) {
  const std::string error = error_of(R"(
[[bus]]
name = "long"
device = "pty:/tmp/long"

[[group]]
name = "a"
count = 200
bus = "long"

[[group]]
name = "b"
count = 48
bus = "long"
)");
  EXPECT_NE(error.find("group \"b\".bus: bus \"long\" would hold 248 meters; one RS485 bus holds "
                       "at most 247"),
            std::string::npos)
      << error;
}

TEST(FleetLines, TwoMetersWithOneIdOnABusAreRefused) {
  // Two groups with gateways of their own both count their ids from 1.
  const std::string error = error_of(R"(
[[bus]]
name = "floor"
device = "pty:/tmp/floor"

[[group]]
name = "a"
count = 2
bus = "floor"

[[group]]
name = "b"
count = 2
bus = "floor"
)");
  EXPECT_EQ(error,
            "site/fleet.toml:2: bus \"floor\": meters 19020246 (group \"a\") and 19020248 "
            "(group \"b\") both have Modbus id 1; give one of them another (modbus_id / mbus_id "
            "in its group or a [[group.meter]])");
}

TEST(FleetLines, TwoMetersWithOnePrimaryAddressOnALineAreRefused) {
  const std::string error = error_of(R"(
[[mbus_line]]
name = "line"
device = "pty:/tmp/line"

[[group]]
name = "a"
count = 2
mbus_id = 7
mbus_line = "line"

[[group]]
name = "b"
mbus_id = 8
mbus_line = "line"
)");
  EXPECT_NE(error.find("both have M-bus primary address 8"), std::string::npos) << error;
}

TEST(FleetLines, ALineNobodyIsWiredToIsRefused) {
  EXPECT_EQ(error_of(R"(
[[bus]]
name = "spare"
device = "pty:/tmp/spare"

[[group]]
name = "a"
)"),
            "site/fleet.toml:2: bus \"spare\": no group is wired to it; give a group bus = "
            "\"spare\" or remove it");
}

TEST(FleetLines, ALineNeedsAFaceAndEachFaceOneLine) {
  EXPECT_NE(error_of(R"(
[[mbus_line]]
name = "dark"

[[group]]
mbus_line = "dark"
)")
                .find("give device = \"pty:PATH\" (or a serial device), tcp = \"ADDR:PORT\" (M-bus "
                      "over TCP), or both"),
            std::string::npos);
  EXPECT_NE(error_of(R"(
[[bus]]
name = "one"
device = "pty:/tmp/x"

[[mbus_line]]
name = "two"
device = "pty:/tmp/x"

[[group]]
bus = "one"
mbus_line = "two"
)")
                .find("mbus_line \"two\": \"pty:/tmp/x\" is already bus \"one\"'s"),
            std::string::npos);
  EXPECT_NE(error_of(R"(
[[bus]]
name = "one"
baud = 19200

[[group]]
bus = "one"
)")
                .find("unknown key; the keys of bus are name, device, tcp"),
            std::string::npos);
}

TEST(FleetLines, AFleetWithLinesIsNotSharded) {
  auto plan = parse(kTwoFloors);
  ASSERT_TRUE(plan) << plan.error();
  auto sliced = shard_plan(std::move(*plan), 0, 2);
  ASSERT_FALSE(sliced);
  EXPECT_NE(sliced.error().find("cannot be split over shards"), std::string::npos);
}

}  // namespace
}  // namespace ambi
