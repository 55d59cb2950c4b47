// The query of GET /api/v1/meters (twin/http/fleet_json.hpp): offset and limit, each checked.
#include "twin/http/fleet_json.hpp"

#include <gtest/gtest.h>

#include "fleet_fixture.hpp"
#include "temp_dir.hpp"

namespace ambi {
namespace {

TEST(MetersPage, DefaultsToTheFirstHundred) {
  const auto page = parse_meters_page("");
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->offset, 0U);
  EXPECT_EQ(page->limit, kDefaultMetersPage);
}

TEST(MetersPage, TakesOffsetAndLimitInAnyOrder) {
  const auto page = parse_meters_page("limit=50&offset=200");
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->offset, 200U);
  EXPECT_EQ(page->limit, 50U);
  EXPECT_TRUE(parse_meters_page("offset=0&&limit=1000").has_value());
}

TEST(MetersPage, RefusesBadNumbersAndUnknownParametersWithA400) {
  for (const char* query :
       {"limit=1001", "limit=-1", "offset=abc", "offset=", "limit=5x", "offset=100001"}) {
    const auto page = parse_meters_page(query);
    ASSERT_FALSE(page.has_value()) << query;
    EXPECT_EQ(page.error().status, 400U) << query;
  }
  const auto unknown = parse_meters_page("sort=serial");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message.find("\"sort\""), std::string::npos);
}

class SelectMeters : public ::testing::Test {
 protected:
  SelectMeters() { (void)add_meters(fleet_, dir_.path(), 250, false); }
  TempDir dir_{"ambi-select"};
  Fleet fleet_{ClockMode::stepped, 1.0};
};

TEST_F(SelectMeters, NothingSelectsEveryMeter) {
  const auto all = select_meters(fleet_, "");
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->size(), 250U);
  EXPECT_EQ(all->back(), 249U);
}

TEST_F(SelectMeters, SerialsInFleetOrderOnceEach) {
  const auto some = select_meters(fleet_, "serials=19020300,19020246,19020300");
  ASSERT_TRUE(some.has_value());
  EXPECT_EQ(*some, (std::vector<std::size_t>{0, 54}));
  const auto unknown = select_meters(fleet_, "serials=19020246,12345678");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message.find("12345678"), std::string::npos);
}

TEST_F(SelectMeters, AGatewaysMeters) {
  const auto second = select_meters(fleet_, "gateway=1");
  ASSERT_TRUE(second.has_value());
  ASSERT_EQ(second->size(), 3U);
  EXPECT_EQ(second->front(), 247U);
  EXPECT_FALSE(select_meters(fleet_, "gateway=2").has_value());
}

TEST_F(SelectMeters, ASeededFractionIsTheSameEveryTimeAndDiffersWithTheSeed) {
  const auto a = select_meters(fleet_, "fraction=0.02&seed=7");
  const auto b = select_meters(fleet_, "seed=7&fraction=0.02");
  const auto c = select_meters(fleet_, "fraction=0.02&seed=8");
  ASSERT_TRUE(a.has_value() && b.has_value() && c.has_value());
  EXPECT_EQ(a->size(), 5U);
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  EXPECT_TRUE(std::ranges::is_sorted(*a));
  const auto none = select_meters(fleet_, "fraction=0&seed=1");
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
}

TEST_F(SelectMeters, BadSelectorsAre400) {
  for (const char* query : {"fraction=0.5", "seed=3", "fraction=1.5&seed=1", "fraction=x&seed=1",
                            "group=a", "serials="}) {
    const auto selected = select_meters(fleet_, query);
    ASSERT_FALSE(selected.has_value()) << query;
    EXPECT_EQ(selected.error().status, 400U) << query;
  }
}

}  // namespace
}  // namespace ambi
