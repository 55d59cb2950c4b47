// GET /api/v1/meters (twin/http/fleet_json.hpp): the query (offset, limit, sort, order and
// the filters), each checked, and the page it gives of a fleet: sorted, filtered, counted.
#include "twin/http/fleet_json.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <utility>

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
  const auto unknown = parse_meters_page("colour=red");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message.find("\"colour\""), std::string::npos);
}

TEST(MetersPage, TakesSortOrderAndFilters) {
  const auto page =
      parse_meters_page("sort=p_w&order=desc&q=0203&error=1&supply=off&gateway=1", 600);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->sort, MeterSort::p_w);
  EXPECT_TRUE(page->descending);
  EXPECT_EQ(page->serial_digits, "0203");
  EXPECT_EQ(page->error, std::optional<bool>(true));
  EXPECT_EQ(page->powered, std::optional<bool>(false));
  EXPECT_EQ(page->gateway, std::optional<std::size_t>(1));
  for (const char* sort :
       {"serial", "unit", "p_w", "forward_kwh", "reverse_kwh", "error", "fleet"}) {
    const auto sorted = parse_meters_page(std::string("sort=") + sort);
    ASSERT_TRUE(sorted.has_value()) << sort;
    EXPECT_EQ(sort_name(sorted->sort), sort);
  }
  const auto plain = parse_meters_page("q=&error=0&supply=on&order=asc");
  ASSERT_TRUE(plain.has_value());
  EXPECT_TRUE(plain->serial_digits.empty());
  EXPECT_EQ(plain->error, std::optional<bool>(false));
  EXPECT_EQ(plain->powered, std::optional<bool>(true));
  EXPECT_FALSE(plain->descending);
}

TEST(MetersPage, ABadSortOrFilterIsA400NamingIt) {
  const std::pair<const char*, const char*> cases[] = {
      {"sort=power", "sort="},  {"sort=", "sort="},        {"order=down", "order="},
      {"q=1902x", "q="},        {"q=190202460", "q="},     {"error=yes", "error="},
      {"supply=0", "supply="},  {"gateway=3", "gateway="}, {"gateway=-1", "gateway="},
      {"group=north", "group="}};
  for (const auto& [query, named] : cases) {
    const auto page = parse_meters_page(query, 600);  // 600 meters: gateways 0, 1 and 2
    ASSERT_FALSE(page.has_value()) << query;
    EXPECT_EQ(page.error().status, 400U) << query;
    EXPECT_NE(page.error().message.find(named), std::string::npos)
        << query << ": " << page.error().message;
  }
  EXPECT_TRUE(parse_meters_page("gateway=2", 600).has_value());
}

/// A fleet of 250 meters (two gateways) on a stepped clock, three of them with a load: one
/// for the suite (powering 250 meters up saves each, which takes a while on a slow disk).
/// The tests only read it but the last one, which breaks meter 7's storage and switches
/// meter 9 off.
class MetersList : public ::testing::Test {
 protected:
  struct Shared {
    Shared() {
      meters = add_meters(fleet, dir.path(), 250);
      for (const auto& [i, amps] :
           {std::pair<std::size_t, double>{5, 10.0}, {100, 20.0}, {248, 5.0}}) {
        LoadInput in;
        in.phases[0].amps = amps;
        EXPECT_TRUE(meters.at(i)->set_load(in).has_value());
      }
      EXPECT_TRUE(fleet.advance(3'600'000).has_value());
    }
    TempDir dir{"ambi-meters-list"};
    Fleet fleet{ClockMode::stepped, 1.0};
    std::vector<Twin*> meters;
  };
  static void SetUpTestSuite() { suite = std::make_unique<Shared>(); }
  static void TearDownTestSuite() { suite.reset(); }

  static Json list(std::string_view query) {
    const auto page = parse_meters_page(query, suite->fleet.size());
    EXPECT_TRUE(page.has_value()) << query;
    static const std::vector<std::string> kGateways{"127.0.0.1:5020", "127.0.0.1:5021"};
    return page ? meters_page_json(suite->fleet, *page, kGateways) : Json{};
  }
  static std::vector<std::string> serials(const Json& page) {
    std::vector<std::string> out;
    for (const Json& m : page.at("meters")) out.push_back(m.at("serial").get<std::string>());
    return out;
  }
  static std::string serial_of(std::size_t i) {
    return bcd_string(bcd_add(0x19020246, static_cast<std::uint32_t>(i)).value_or(0));
  }
  static Twin& meter(std::size_t i) { return *suite->meters.at(i); }
  static inline std::unique_ptr<Shared> suite;
};

TEST_F(MetersList, WithoutSortItIsTheFleetInOrderAndCountsEveryMeter) {
  const Json page = list("offset=245&limit=3");
  EXPECT_EQ(page.at("total"), 250);
  EXPECT_EQ(page.at("fleet_meters"), 250);
  EXPECT_EQ(page.at("sort"), "fleet");
  EXPECT_EQ(page.at("order"), "asc");
  EXPECT_EQ(serials(page),
            (std::vector<std::string>{serial_of(245), serial_of(246), serial_of(247)}));
  const Json& third = page.at("meters").at(2);
  EXPECT_EQ(third.at("gateway"), 1);
  EXPECT_EQ(third.at("modbus").at("endpoint"), "127.0.0.1:5021");
  EXPECT_EQ(third.at("modbus").at("unit"), 1);
  const Json reversed = list("order=desc&limit=2");
  EXPECT_EQ(serials(reversed), (std::vector<std::string>{serial_of(249), serial_of(248)}));
  EXPECT_TRUE(list("offset=250").at("meters").empty());
  EXPECT_EQ(list("offset=250").at("total"), 250);
}

TEST_F(MetersList, SortsByPowerAndEnergyBothWaysWithTiesInFleetOrder) {
  const Json top = list("sort=p_w&order=desc&limit=4");
  EXPECT_EQ(serials(top),
            (std::vector<std::string>{serial_of(100), serial_of(5), serial_of(248), serial_of(0)}));
  EXPECT_DOUBLE_EQ(top.at("meters").at(0).at("p_w").get<double>(), 4600.0);
  const Json bottom = list("sort=p_w&order=asc&offset=247&limit=3");
  EXPECT_EQ(serials(bottom),
            (std::vector<std::string>{serial_of(248), serial_of(5), serial_of(100)}));
  const Json energy = list("sort=forward_kwh&order=desc&limit=1");
  EXPECT_EQ(serials(energy), (std::vector<std::string>{serial_of(100)}));
  EXPECT_DOUBLE_EQ(energy.at("meters").at(0).at("forward_kwh").get<double>(), 4.6);
  EXPECT_EQ(serials(list("sort=reverse_kwh&limit=2")),
            (std::vector<std::string>{serial_of(0), serial_of(1)}));
  EXPECT_EQ(serials(list("sort=serial&order=desc&limit=1")),
            (std::vector<std::string>{serial_of(249)}));
  // By gateway, then unit: the first gateway's last meter comes before the second's first.
  EXPECT_EQ(serials(list("sort=unit&offset=246&limit=2")),
            (std::vector<std::string>{serial_of(246), serial_of(247)}));
}

TEST_F(MetersList, FiltersBySerialDigitsAndCountsTheMatches) {
  const Json one = list("q=" + serial_of(248));
  EXPECT_EQ(one.at("total"), 1);
  EXPECT_EQ(serials(one), (std::vector<std::string>{serial_of(248)}));
  const Json some = list("q=0203&limit=1000");  // 19020300 ... 19020399
  for (const std::string& serial : serials(some)) EXPECT_NE(serial.find("0203"), std::string::npos);
  EXPECT_EQ(some.at("total"), some.at("meters").size());
  EXPECT_EQ(list("q=99999999").at("total"), 0);
}

TEST_F(MetersList, FiltersByErrorCodeSupplyAndGateway) {
  // The main copy of meter 7 cannot be written: its next save sets bit 3 (manual 8.1).
  const auto meter_dir =
      suite->dir.path() / std::to_string(serial_from_text(serial_of(7)).value_or(0));
  std::filesystem::create_directory(meter_dir / "eeprom-main.bin.tmp");
  meter(7).save();
  ASSERT_NE(meter(7).meter().error_code(), 0);
  const Json errors = list("error=1");
  EXPECT_EQ(errors.at("total"), 1);
  ASSERT_EQ(serials(errors), (std::vector<std::string>{serial_of(7)}));
  const Json& bad = errors.at("meters").at(0);
  EXPECT_EQ(bad.at("error_bits"), Json::array({"main_unwritable"}));
  EXPECT_EQ(bad.at("error_code"), error_bit::main_unwritable);
  EXPECT_NE(std::ranges::find(bad.at("status_bits"), Json("storage_error")),
            bad.at("status_bits").end());
  EXPECT_EQ(list("error=0").at("total"), 249);
  EXPECT_EQ(serials(list("sort=error&order=desc&limit=1")),
            (std::vector<std::string>{serial_of(7)}));

  meter(9).set_power(false);
  const Json off = list("supply=off");
  EXPECT_EQ(serials(off), (std::vector<std::string>{serial_of(9)}));
  EXPECT_EQ(off.at("meters").at(0).at("powered"), false);
  EXPECT_EQ(off.at("meters").at(0).at("supply_on"), false);
  EXPECT_EQ(list("supply=on").at("total"), 249);

  const Json second = list("gateway=1&limit=1000");
  EXPECT_EQ(second.at("total"), 250 - 247);
  EXPECT_EQ(second.at("meters").at(0).at("serial"), serial_of(247));
  EXPECT_FALSE(parse_meters_page("gateway=2", suite->fleet.size()).has_value());
  // Filters combine: gateway 1's meters with "49" in their serial (19020493-19020495), most
  // power first.
  const Json both = list("gateway=1&q=49&sort=p_w&order=desc");
  EXPECT_EQ(serials(both),
            (std::vector<std::string>{serial_of(248), serial_of(247), serial_of(249)}));
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
