#include "twin/http/metrics_endpoint.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fleet_fixture.hpp"
#include "temp_dir.hpp"
#include "twin/http/twin_json.hpp"
#include "twin_fixture.hpp"

namespace ambi {
namespace {

/// The lines of `text` that start with `prefix`.
std::vector<std::string> lines_of(const std::string& text, std::string_view prefix) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t nl = text.find('\n', at);
    const std::string line = text.substr(at, nl - at);
    if (line.starts_with(prefix)) out.push_back(line);
    at = nl == std::string::npos ? text.size() : nl + 1;
  }
  return out;
}

/// The value of the one sample `series` (family and labels, exactly) in `text`.
std::string value_of(const std::string& text, const std::string& series) {
  const auto lines = lines_of(text, series + " ");
  EXPECT_EQ(lines.size(), 1U) << series;
  return lines.empty() ? std::string() : lines[0].substr(series.size() + 1);
}

const std::string kTotalEnergy =
    R"(ambimeter_active_energy_combined_kilowatthours{serial="19020246",phase="all",tariff="all"})";

using MetricsTest = TwinTest;

TEST_F(MetricsTest, OneMetersScrapeHoldsItsEnergyAsTheJsonApiAndItsHealth) {
  LoadInput load;
  load.phases[0].amps = 10;
  ASSERT_TRUE(twin_->set_load(load).has_value());
  ASSERT_TRUE(twin_->advance(3'600'000).has_value());
  twin_->serve_modbus(ModbusFraming::tcp, [](Meter&) {});
  twin_->serve_modbus(ModbusFraming::rtu, [](Meter&) {});
  twin_->serve_modbus(ModbusFraming::rtu, [](Meter&) {});
  HttpCounts http;
  http.count(200);
  http.count(204);
  http.count(404);
  const auto response = metrics_response(*twin_, http, "");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200U);
  EXPECT_EQ(response->content_type, "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = response->body;
  EXPECT_EQ(value_of(text, kTotalEnergy), "2.300");
  EXPECT_EQ(std::stod(value_of(text, kTotalEnergy)),
            state_json(*twin_).at("energy").at("total_active_kwh").get<double>());
  EXPECT_EQ(value_of(text, R"(ambimeter_modbus_requests_total{serial="19020246",framing="tcp"})"),
            "1");
  EXPECT_EQ(value_of(text, R"(ambimeter_modbus_requests_total{serial="19020246",framing="rtu"})"),
            "2");
  EXPECT_EQ(value_of(text, R"(ambimeter_http_requests_total{code="2xx"})"), "2");
  EXPECT_EQ(value_of(text, R"(ambimeter_http_requests_total{code="4xx"})"), "1");
  EXPECT_EQ(value_of(text, "ambimeter_simulated_time_seconds"), "3600");
  EXPECT_EQ(value_of(text, R"(ambimeter_faults_active{serial="19020246"})"), "0");
  const std::string saves =
      value_of(text, R"(ambimeter_saves_total{serial="19020246",outcome="ok"})");
  EXPECT_EQ(saves, std::to_string(twin_->counts().saves));
  EXPECT_GE(twin_->counts().saves, 1U);
  EXPECT_EQ(lines_of(text, "ambimeter_meter_info{").size(), 1U);
}

TEST_F(MetricsTest, OneMeterTakesNoSelector) {
  const auto response = metrics_response(*twin_, HttpCounts{}, "gateway=0");
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().status, 400U);
  EXPECT_NE(response.error().message.find("takes none"), std::string::npos);
}

TEST_F(MetricsTest, AnActiveFaultIsCounted) {
  Fault fault;
  fault.kind = FaultKind::no_reply;
  fault.end_ms = 60'000;
  (void)twin_->add_fault(fault);
  const auto response = metrics_response(*twin_, HttpCounts{}, "");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(value_of(response->body, R"(ambimeter_faults_active{serial="19020246"})"), "1");
}

TEST(HttpCounts, CountsByStatusClass) {
  HttpCounts http;
  for (const unsigned status : {200U, 201U, 400U, 503U, 99U, 600U}) http.count(status);
  EXPECT_EQ(http.answered(2), 2U);
  EXPECT_EQ(http.answered(4), 1U);
  EXPECT_EQ(http.answered(5), 1U);
  EXPECT_EQ(http.answered(1), 0U);
  EXPECT_EQ(http.answered(6), 0U);
}

class FleetMetrics : public ::testing::Test {
 protected:
  FleetMetrics() {
    meters_ = add_meters(fleet_, dir_.path(), 3);
    LoadInput load;
    load.phases[0].amps = 5;
    EXPECT_TRUE(meters_.at(1)->set_load(load).has_value());
    EXPECT_TRUE(fleet_.advance(3'600'000).has_value());
  }
  std::string scrape(std::string_view query, std::size_t max = kMaxMetricsMeters) {
    const auto response = fleet_metrics_response(fleet_, HttpCounts{}, query, max);
    EXPECT_TRUE(response.has_value()) << query << ": " << response.error().message;
    return response ? response->body : std::string();
  }
  TempDir dir_{"ambi-fleet-metrics"};
  Fleet fleet_{ClockMode::stepped, 1.0};
  std::vector<Twin*> meters_;
};

TEST_F(FleetMetrics, EveryMeterByDefaultEachWithItsOwnEnergy) {
  const std::string text = scrape("");
  EXPECT_EQ(lines_of(text, "ambimeter_meter_info{").size(), 3U);
  EXPECT_EQ(value_of(text, kTotalEnergy), "0.000");
  EXPECT_EQ(
      value_of(
          text,
          R"(ambimeter_active_energy_combined_kilowatthours{serial="19020247",phase="all",tariff="all"})"),
      "1.150");
  EXPECT_EQ(value_of(text, "ambimeter_meters"), "3");
  EXPECT_EQ(value_of(text, "ambimeter_scrape_meters"), "3");
  EXPECT_EQ(value_of(text, R"(ambimeter_gateway_faults_active{gateway="0"})"), "0");
  // One HELP per family, whatever the number of meters.
  EXPECT_EQ(lines_of(text, "# HELP ambimeter_active_energy_kilowatthours_total ").size(), 1U);
  EXPECT_EQ(lines_of(text, "# HELP ambimeter_modbus_requests_total ").size(), 1U);
  EXPECT_EQ(lines_of(text, "ambimeter_modbus_requests_total{").size(), 6U);  // tcp, rtu
}

TEST_F(FleetMetrics, SelectorsPickMetersEvenUrlEncoded) {
  const std::string pair = scrape("serials=19020247%2C19020248");
  EXPECT_EQ(lines_of(pair, "ambimeter_meter_info{").size(), 2U);
  EXPECT_TRUE(lines_of(pair, R"(ambimeter_meter_info{serial="19020246")").empty());
  EXPECT_EQ(value_of(pair, "ambimeter_scrape_meters"), "2");
  EXPECT_EQ(lines_of(scrape("serials=19020248"), "ambimeter_meter_info{").size(), 1U);
  EXPECT_EQ(lines_of(scrape("gateway=0"), "ambimeter_meter_info{").size(), 3U);
  EXPECT_TRUE(lines_of(scrape("fraction=0&seed=1"), "ambimeter_meter_info{").empty());
}

TEST_F(FleetMetrics, TooManyMetersOrABadSelectorIsA400NamingTheFix) {
  const auto big = fleet_metrics_response(fleet_, HttpCounts{}, "", 2);
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().status, 400U);
  EXPECT_NE(big.error().message.find("would hold 3 meters, at most 2"), std::string::npos);
  EXPECT_NE(big.error().message.find("?gateway=G"), std::string::npos);
  // A selection within the limit passes it: round(0.5 x 3) = 2 meters.
  EXPECT_EQ(value_of(scrape("fraction=0.5&seed=1", 2), "ambimeter_scrape_meters"), "2");
  for (const std::string_view bad : {"serials=1%2", "serials=1%zz2", "group%3Dx", "color=red",
                                     "serials=12345678", "gateway=1"}) {
    const auto r = fleet_metrics_response(fleet_, HttpCounts{}, bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().status, 400U) << bad;
  }
}

}  // namespace
}  // namespace ambi
