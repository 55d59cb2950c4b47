#include "export/exported_values.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/meter/meter.hpp"
#include "docs_drift.hpp"
#include "export/meter_reading.hpp"
#include "modbus_test_support.hpp"

namespace ambi {
namespace {

std::vector<std::string> label_names(const ExportedValue& v) {
  std::vector<std::string> names;
  if (!v.phase.empty()) names.emplace_back("phase");
  if (!v.tariff.empty()) names.emplace_back("tariff");
  if (!v.direction.empty()) names.emplace_back("direction");
  if (!v.quadrant.empty()) names.emplace_back("quadrant");
  return names;
}

TEST(ExportedValues, EveryInstantAndEnergyRegisterButTheZeroAggregatesIsExportedOnce) {
  std::set<std::string_view> exported;
  for (const ExportedValue& v : exported_values()) {
    EXPECT_TRUE(exported.insert(v.reg->name).second) << v.reg->name;
  }
  for (const RegisterDef& def : register_map()) {
    if (def.group != RegisterGroup::instant && def.group != RegisterGroup::energy) continue;
    const bool zero_aggregate = def.name == "voltage" || def.name == "current";
    EXPECT_EQ(exported.contains(def.name), !zero_aggregate) << def.name;
  }
  for (std::string_view name : {"error_code", "power_down_counter", "quadrant", "l1_quadrant",
                                "l3_current_direction", "tariff", "status_word"}) {
    EXPECT_TRUE(exported.contains(name)) << name;
  }
  EXPECT_FALSE(exported.contains("modbus_id"));
  EXPECT_FALSE(exported.contains("serial_number"));
}

TEST(ExportedValues, AFamilyKeepsOneLabelSetAndEverySeriesIsDistinct) {
  std::map<std::string_view, std::vector<std::string>> labels_of;
  std::set<std::tuple<std::string_view, std::string_view, std::string_view, std::string_view,
                      std::string_view>>
      series;
  for (const ExportedValue& v : exported_values()) {
    const auto [it, fresh] = labels_of.emplace(v.family, label_names(v));
    if (!fresh) {
      EXPECT_EQ(it->second, label_names(v)) << v.reg->name;
    }
    EXPECT_TRUE(series.emplace(v.family, v.phase, v.tariff, v.direction, v.quadrant).second)
        << v.reg->name;
    EXPECT_TRUE(v.family.starts_with("ambimeter_")) << v.family;
    EXPECT_EQ(v.kind == MetricKind::counter, v.family.ends_with("_total")) << v.family;
  }
}

TEST(ExportedValues, LabelsFollowTheRegisterNames) {
  const ExportedValue* t1 = find_exported("t1_forward_active_kwh");
  ASSERT_NE(t1, nullptr);
  EXPECT_EQ(t1->family, "ambimeter_active_energy_kilowatthours_total");
  EXPECT_EQ(t1->phase, "all");
  EXPECT_EQ(t1->tariff, "t1");
  EXPECT_EQ(t1->direction, "import");
  const ExportedValue* l2 = find_exported("l2_reverse_reactive_kvarh");
  ASSERT_NE(l2, nullptr);
  EXPECT_EQ(l2->phase, "l2");
  EXPECT_EQ(l2->tariff, "all");
  EXPECT_EQ(l2->direction, "export");
  EXPECT_EQ(l2->quadrant, "all");
  const ExportedValue* q4 = find_exported("q4_t3_kvarh");
  ASSERT_NE(q4, nullptr);
  EXPECT_EQ(q4->quadrant, "q4");
  EXPECT_EQ(q4->tariff, "t3");
  EXPECT_EQ(q4->direction, "import");
  const ExportedValue* l1 = find_exported("l1_total_active_kwh");
  ASSERT_NE(l1, nullptr);
  EXPECT_EQ(l1->phase, "l1");
  EXPECT_EQ(l1->tariff, "all");
  EXPECT_EQ(l1->direction, "");
  const ExportedValue* q2 = find_exported("q2_total_kvarh");
  ASSERT_NE(q2, nullptr);
  EXPECT_EQ(q2->tariff, "all");
  EXPECT_EQ(q2->direction, "export");
  const ExportedValue* ll = find_exported("l1_l3_voltage");
  ASSERT_NE(ll, nullptr);
  EXPECT_EQ(ll->phase, "l1_l3");
  EXPECT_EQ(ll->unit, "V");
  EXPECT_EQ(ll->device_class, "voltage");
  const ExportedValue* hz = find_exported("frequency");
  ASSERT_NE(hz, nullptr);
  EXPECT_EQ(hz->phase, "");
  const ExportedValue* pf = find_exported("power_factor");
  ASSERT_NE(pf, nullptr);
  EXPECT_EQ(pf->phase, "all");
  EXPECT_EQ(pf->unit, "");
}

TEST(ExportedValues, OnlyRegistersThatNeverFallAreCountersOrTotalIncreasing) {
  for (const ExportedValue& v : exported_values()) {
    const std::string_view name = v.reg->name;
    if (v.reg->group == RegisterGroup::energy) {
      // The combination code's totals and the day counters may fall (C-04: forward −
      // reverse); forward, reverse and the quadrants only grow.
      const bool may_fall = name.starts_with("trip") || name.find("total_active") != name.npos ||
                            name.find("total_reactive") != name.npos;
      EXPECT_EQ(v.state_class, may_fall ? "total" : "total_increasing") << name;
      EXPECT_EQ(v.kind, may_fall ? MetricKind::gauge : MetricKind::counter) << name;
      EXPECT_EQ(v.resettable, name.starts_with("trip")) << name;
      EXPECT_EQ(v.direction.empty(), may_fall) << name;
    } else if (v.reg->group == RegisterGroup::instant) {
      EXPECT_EQ(v.state_class, "measurement") << name;
      EXPECT_FALSE(v.device_class.empty()) << name;
      EXPECT_EQ(v.kind, MetricKind::gauge);
    }
  }
  EXPECT_EQ(find_exported("trip_l2_kwh")->phase, "l2");
  EXPECT_EQ(find_exported("total_reactive_kvarh")->device_class, "reactive_energy");
  EXPECT_EQ(find_exported("total_active_kwh")->family,
            "ambimeter_active_energy_combined_kilowatthours");
  EXPECT_EQ(find_exported("q1_total_kvarh")->state_class, "total_increasing");
}

TEST(ExportedValues, DocsListEveryExportedValue) {
  expect_docs_file("exported-values.md", render_exported_table());
}

TEST(MeterReading, TheTwinsReadingIsWhatAMasterDecodesFromItsWords) {
  const Meter meter = modbus_test::busy_meter();
  const MeterReading reading = read_meter(meter);
  EXPECT_EQ(reading.serial.size(), 8U);
  EXPECT_FALSE(reading.software_version.empty());
  ASSERT_EQ(reading.samples.size(), exported_values().size());
  for (const ExportSample& s : reading.samples) {
    const RegisterDef& def = *s.value->reg;
    const auto words = read_words(meter, def.address, def.words);
    ASSERT_TRUE(words.has_value()) << def.name;
    const auto raw = decode_register(def, *words, meter.settings().data_type);
    ASSERT_TRUE(raw.has_value()) << def.name;
    EXPECT_EQ(s.raw, *raw) << def.name;
  }
  const ExportSample* kwh = find_sample(reading, "total_active_kwh");
  ASSERT_NE(kwh, nullptr);
  EXPECT_GT(kwh->number, 0.0);
  EXPECT_EQ(kwh->text, format_register(*kwh->value->reg, kwh->raw));
  const ExportSample* dir = find_sample(reading, "l1_current_direction");
  ASSERT_NE(dir, nullptr);
  EXPECT_TRUE(dir->raw == 'F' || dir->raw == 'R');
  EXPECT_EQ(dir->text, dir->raw == 'R' ? "1" : "0");
}

TEST(MeterReading, RegistersNotReadAreLeftOut) {
  std::vector<RegisterReading> some;
  const RegisterDef* v1 = find_register("l1_voltage");
  some.push_back({v1, {}, RegisterValue{230'010'000'000}});
  some.push_back({find_register("l2_voltage"), {}, std::nullopt});
  const MeterReading reading = reading_from_registers(some);
  ASSERT_EQ(reading.samples.size(), 1U);
  EXPECT_EQ(reading.samples[0].text, "230.01");
  EXPECT_DOUBLE_EQ(reading.samples[0].number, 230.01);
  EXPECT_EQ(reading.serial, "");
}

}  // namespace
}  // namespace ambi
