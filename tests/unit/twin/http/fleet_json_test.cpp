// The query of GET /api/v1/meters (twin/http/fleet_json.hpp): offset and limit, each checked.
#include "twin/http/fleet_json.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace ambi
