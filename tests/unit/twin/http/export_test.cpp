// The Meter Manager app's CSV export (manual A4.3) and its agreement with GET /api/v1/state.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "twin/http/app_export.hpp"
#include "twin/http/state_json.hpp"

namespace ambi {
namespace {

struct Row {
  std::string description, value, unit;
};

std::vector<Row> rows_of(const std::string& csv) {
  std::vector<Row> rows;
  std::istringstream in(csv);
  for (std::string line; std::getline(in, line);) {
    EXPECT_TRUE(line.ends_with('\r')) << line;
    line.pop_back();
    const auto a = line.find(',');
    const auto b = line.find(',', a + 1);
    rows.push_back({line.substr(0, a), line.substr(a + 1, b - a - 1), line.substr(b + 1)});
  }
  return rows;
}

std::string description_of(std::string_view name) {
  const RegisterDef* def = find_register(name);
  return def == nullptr ? "no such register" : app_description(*def);
}

Meter loaded_meter() {
  Meter meter;
  meter.power_on();
  LoadInput load;
  load.phases[0] = PhaseInput{231.27, 10.3333, 25.0};
  load.phases[1] = PhaseInput{229.9, 4.5, 180.0};
  load.phases[2] = PhaseInput{230.5, 1.25, -60.0};
  load.hz = 49.98;
  EXPECT_TRUE(meter.set_load(load).has_value());
  meter.advance(5'000'000);
  return meter;
}

TEST(AppExport, DescribesRegistersAsTheAppAndTheManualNameThem) {
  EXPECT_EQ(description_of("total_active_kwh"), "Total active energy");
  EXPECT_EQ(description_of("t2_total_active_kwh"), "T2 Total active energy");
  EXPECT_EQ(description_of("l3_forward_active_kwh"), "L3 Forward active energy");
  EXPECT_EQ(description_of("t2_reverse_active_kwh"), "T2 Reverse active energy");
  EXPECT_EQ(description_of("t4_total_reactive_kvarh"), "T4 Total reactive energy");
  EXPECT_EQ(description_of("trip_kwh"), "Resettable day counter");
  EXPECT_EQ(description_of("trip_l2_kwh"), "Resettable day counter L2");
  EXPECT_EQ(description_of("q1_total_kvarh"), "Imp. inductive reactive energy in Q1 (total)");
  // IEC numbering (Q2 P < 0 Q > 0, Q4 P > 0 Q < 0), not the manual's contradicting labels.
  EXPECT_EQ(description_of("q2_total_kvarh"), "Exp. capacitive reactive energy in Q2 (total)");
  EXPECT_EQ(description_of("q3_t1_kvarh"), "Exp. inductive reactive energy in Q3 (T1)");
  EXPECT_EQ(description_of("q4_t3_kvarh"), "Imp. capacitive reactive energy in Q4 (T3)");
  EXPECT_EQ(description_of("voltage"), "Voltage*");
  EXPECT_EQ(description_of("l1_voltage"), "L1 Voltage");
  EXPECT_EQ(description_of("frequency"), "Grid frequency");
  EXPECT_EQ(description_of("current"), "Current*");
  EXPECT_EQ(description_of("total_active_power"), "Total active power");
  EXPECT_EQ(description_of("l2_apparent_power"), "L2 Apparent power");
  EXPECT_EQ(description_of("power_factor"), "Power factor");
  EXPECT_EQ(description_of("l3_power_factor"), "L3 Power factor");
  EXPECT_EQ(description_of("l1_l3_voltage"), "L1-L3 Voltage");
  EXPECT_EQ(description_of("modbus_id"), "");
}

TEST(AppExport, ListsEveryEnergyThenEveryInstantaneousValueOnce) {
  const std::vector<Row> rows = rows_of(app_export_csv(loaded_meter()));
  ASSERT_EQ(rows.size(), 1U + 72U + 28U);
  EXPECT_EQ(rows[0].description + "," + rows[0].value + "," + rows[0].unit,
            "description,value,unit");
  std::set<std::string> seen;
  for (const Row& row : rows) EXPECT_TRUE(seen.insert(row.description).second) << row.description;
  // The order of the app's screen (manual A4.3).
  const char* energy[] = {
      "Total active energy",      "T1 Total active energy",   "T2 Total active energy",
      "L1 Total active energy",   "L2 Total active energy",   "L3 Total active energy",
      "Forward active energy",    "T1 Forward active energy", "T2 Forward active energy",
      "L1 Forward active energy", "L2 Forward active energy", "L3 Forward active energy",
      "Reverse active energy"};
  for (std::size_t i = 0; i < std::size(energy); ++i) EXPECT_EQ(rows[1 + i].description, energy[i]);
  const char* instant[] = {
      "Voltage*",        "L1 Voltage",      "L2 Voltage",     "L3 Voltage", "Grid frequency",
      "Current*",        "L1 Current",      "L2 Current",     "L3 Current", "Total active power",
      "L1 Active power", "L2 Active power", "L3 Active power"};
  for (std::size_t i = 0; i < std::size(instant); ++i)
    EXPECT_EQ(rows[73 + i].description, instant[i]);
}

TEST(AppExport, ValuesAgreeWithTheStateJsonAtTheAppsResolution) {
  const Meter meter = loaded_meter();
  const std::vector<Row> rows = rows_of(app_export_csv(meter));
  const Json energy = energy_to_json(meter);
  std::size_t i = 1;
  for (const auto& [name, kwh] : energy.items()) {
    EXPECT_EQ(rows[i].value, fmt::format("{:.3f}", kwh.get<double>())) << name;
    EXPECT_EQ(rows[i].unit, name.ends_with("kvarh") ? "kvarh" : "kWh") << name;
    ++i;
  }
  const Json m = measurement_to_json(meter.measurement());
  EXPECT_EQ(rows[73 + 0].value, "0.00");
  EXPECT_EQ(rows[73 + 1].value, "231.27");
  EXPECT_EQ(rows[73 + 1].unit, "V");
  EXPECT_EQ(rows[73 + 4].value, "49.98");
  EXPECT_EQ(rows[73 + 4].unit, "Hz");
  EXPECT_EQ(rows[73 + 6].value, "10.333");
  EXPECT_EQ(rows[73 + 6].unit, "A");
  EXPECT_EQ(rows[73 + 9].value, fmt::format("{:.3f}", m.at("total").at("p_kw").get<double>()));
  EXPECT_EQ(rows[73 + 9].unit, "kW");
  EXPECT_EQ(rows[73 + 11].value, fmt::format("{:.3f}", m.at("L2").at("p_kw").get<double>()));
  EXPECT_TRUE(rows[73 + 11].value.starts_with('-')) << "L2 exports";
  EXPECT_EQ(rows[73 + 21].description, "Power factor");
  EXPECT_EQ(rows[73 + 21].unit, "");
  EXPECT_EQ(rows[73 + 21].value, fmt::format("{:.3f}", m.at("total").at("pf").get<double>()));
  EXPECT_EQ(rows[100].description, "L2-L3 Voltage");
}

TEST(AppExport, NamesTheFileAfterTheSerialNumber) {
  FactoryOptions options;
  options.serial_bcd = 0x12345678;
  EXPECT_EQ(app_export_filename(Meter(options)), "ambition-12345678.csv");
}

TEST(AppExport, GivesTheAppsDecimalsPerUnit) {
  EXPECT_EQ(app_decimals(Unit::volt), 2);
  EXPECT_EQ(app_decimals(Unit::hertz), 2);
  EXPECT_EQ(app_decimals(Unit::amp), 3);
  EXPECT_EQ(app_decimals(Unit::kw), 3);
  EXPECT_EQ(app_decimals(Unit::power_factor), 3);
  EXPECT_EQ(app_decimals(Unit::kvarh), 3);
}

TEST(AppExport, WritesNoNegativeZero) {
  Meter meter;
  meter.power_on();
  LoadInput load;
  load.phases[0] = PhaseInput{230.0, 0.0001, 180.0};  // -0.023 W: "-0.000" kW on a display
  ASSERT_TRUE(meter.set_load(load).has_value());
  const std::vector<Row> rows = rows_of(app_export_csv(meter));
  ASSERT_EQ(rows[73 + 10].description, "L1 Active power");
  EXPECT_EQ(rows[73 + 10].value, "0.000");
}

}  // namespace
}  // namespace ambi
