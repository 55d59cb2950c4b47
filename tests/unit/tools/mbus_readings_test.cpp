// What `ambimeter read` makes of an RSP_UD (docs/tools.md "read"): the data header as the
// identity group, each record under the group, with the description and display format
// its row of the record table gives.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/mbus/mbus_readout.hpp"
#include "core/mbus/mbus_rsp_ud.hpp"
#include "core/meter/meter.hpp"
#include "tools/readings.hpp"

namespace ambi {
namespace {

/// A meter at 1000/5 A on tariff 2, read through its own RSP_UD.
std::vector<MeterValue> readings_of(const ReadSelection& selection = {}) {
  Meter meter;
  meter.power_on();
  EXPECT_TRUE(meter.apply(SetCtRatio{1000, 5}, Origin{Source::mbus, {}}).has_value());
  EXPECT_TRUE(meter.apply(SetTariff{2}, Origin{Source::mbus, {}}).has_value());
  const auto readout = decode_rsp_ud(encode_rsp_ud(meter, 7));
  EXPECT_TRUE(readout.has_value());
  auto values = mbus_readings(*readout, selection);
  EXPECT_TRUE(values.has_value()) << values.error();
  return values ? *values : std::vector<MeterValue>{};
}

const MeterValue& find(const std::vector<MeterValue>& values, std::string_view name) {
  const auto it = std::ranges::find(values, name, &MeterValue::name);
  EXPECT_NE(it, values.end()) << name;
  static const MeterValue kNone{};
  return it == values.end() ? kNone : *it;
}

TEST(MbusReadings, ShowTheCtRatioAsARatioWithoutANumberUnderSettings) {
  const std::vector<MeterValue> values = readings_of();
  const MeterValue& ct = find(values, "ct_ratio");
  EXPECT_EQ(ct.text, "1000/5");
  EXPECT_EQ(ct.number, std::nullopt);
  EXPECT_EQ(ct.group, "settings");
  EXPECT_EQ(ct.description, "CT ratio: 4 digits primary, 2 digits secondary");
  EXPECT_EQ(ct.where, "0B FD 3A");
}

TEST(MbusReadings, ShowTheTariffWithItsLetterAndItsCodeAsTheNumber) {
  const std::vector<MeterValue> values = readings_of();
  const MeterValue& tariff = find(values, "tariff");
  EXPECT_EQ(tariff.text, "T2");
  EXPECT_EQ(tariff.number, 2.0);
  EXPECT_EQ(tariff.group, "settings");
}

TEST(MbusReadings, FileEnergiesUnderEnergyAndScaleInstantValues) {
  const std::vector<MeterValue> values = readings_of();
  EXPECT_EQ(find(values, "forward_active_wh").group, "energy");
  EXPECT_EQ(find(values, "reverse_reactive_varh").group, "energy");
  const MeterValue& hz = find(values, "frequency");
  EXPECT_EQ(hz.group, "instant");
  EXPECT_EQ(hz.unit, "Hz");
  EXPECT_EQ(hz.description, "grid frequency");
  ASSERT_TRUE(hz.number.has_value());
  EXPECT_EQ(hz.text, fmt::format("{:.3f}", *hz.number));
}

TEST(MbusReadings, GiveTheDataHeaderAsTheIdentityGroupWithDescriptions) {
  const std::vector<MeterValue> values =
      readings_of(ReadSelection{.groups = {"identity"}, .names = {}});
  ASSERT_EQ(values.size(), 6U);
  EXPECT_EQ(values[0].name, "secondary_address");
  EXPECT_EQ(values[0].description, "Secondary address");
  EXPECT_EQ(find(values, "manufacturer").text, "INM");
  EXPECT_EQ(find(values, "access_number").number, 7.0);
  for (const MeterValue& v : values) EXPECT_EQ(v.group, "identity") << v.name;
}

TEST(MbusReadings, SelectByGroupAsTheTableFilesThem) {
  const std::vector<MeterValue> settings =
      readings_of(ReadSelection{.groups = {"settings"}, .names = {}});
  std::vector<std::string> names;
  for (const MeterValue& v : settings) names.push_back(v.name);
  EXPECT_EQ(names, (std::vector<std::string>{"tariff", "ct_ratio"}));
}

}  // namespace
}  // namespace ambi
