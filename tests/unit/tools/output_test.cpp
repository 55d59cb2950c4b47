// How `ambimeter read` prints readings (docs/tools.md "read"): the table, CSV and JSON,
// byte for byte.
#include "tools/output.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ambi {
namespace {

MeterValue value(std::string name, std::string group, std::string where,
                 std::optional<double> number, std::string text, std::string unit,
                 std::string description = {}) {
  return MeterValue{.name = std::move(name),
                    .description = std::move(description),
                    .group = std::move(group),
                    .where = std::move(where),
                    .number = number,
                    .text = std::move(text),
                    .unit = std::move(unit)};
}

const MeterValue kVoltage =
    value("l1_voltage", "instant", "0x5002", 230.01, "230.01", "V", "L1 Voltage");
const MeterValue kFrequency = value("frequency", "instant", "0x5032", 50.0, "50.00", "Hz");
const MeterValue kSerial =
    value("serial_number", "identity", "0x4000", 19020246.0, "19020246", "", "Serial number");
const MeterValue kCode = value("meter_code", "identity", "0x4003", std::nullopt, "0x0E1F", "");
const MeterValue kEnergy =
    value("total_active_kwh", "energy", "0x6000", 1234.5, "1234.500", "kWh", "Total active energy");

TEST(RenderTable, AlignsNamesLeftAndValuesRightUnderOneHeader) {
  const std::vector<MeterValue> readings{kVoltage, kFrequency};
  EXPECT_EQ(render_table(readings),
            "NAME         VALUE  UNIT  SOURCE\n"
            "l1_voltage  230.01  V     0x5002\n"
            "frequency    50.00  Hz    0x5032\n");
}

TEST(RenderTable, PutsEachGroupUnderItsHeadingInOrderOfFirstAppearance) {
  const std::vector<MeterValue> readings{kSerial, kVoltage, kCode, kEnergy};
  EXPECT_EQ(render_table(readings),
            "NAME                 VALUE  UNIT  SOURCE\n"
            "\n"
            "[identity]\n"
            "serial_number     19020246        0x4000\n"
            "meter_code          0x0E1F        0x4003\n"
            "\n"
            "[instant]\n"
            "l1_voltage          230.01  V     0x5002\n"
            "\n"
            "[energy]\n"
            "total_active_kwh  1234.500  kWh   0x6000\n");
}

TEST(RenderTable, OfNoReadingsIsTheHeaderAlone) {
  EXPECT_EQ(render_table({}), "NAME  VALUE  UNIT  SOURCE\n");
}

TEST(RenderCsv, WritesAHeaderThenOneRowPerReadingWithItsDescription) {
  const std::vector<MeterValue> readings{kSerial, kVoltage, kEnergy};
  EXPECT_EQ(render_csv(readings),
            "name,description,value,unit,source\n"
            "serial_number,Serial number,19020246,,0x4000\n"
            "l1_voltage,L1 Voltage,230.01,V,0x5002\n"
            "total_active_kwh,Total active energy,1234.500,kWh,0x6000\n");
}

TEST(RenderCsv, QuotesFieldsWithCommasAndQuotesAsRfc4180Says) {
  const std::vector<MeterValue> readings{
      value("ct_ratio", "settings", "02 FD C7 FC 01", std::nullopt, "500,5", "", "CT ratio"),
      value("note", "status", "header", std::nullopt, "say \"hi\"", "", "a \"note\", quoted")};
  EXPECT_EQ(render_csv(readings),
            "name,description,value,unit,source\n"
            "ct_ratio,CT ratio,\"500,5\",,02 FD C7 FC 01\n"
            "note,\"a \"\"note\"\", quoted\",\"say \"\"hi\"\"\",,header\n");
}

TEST(RenderCsv, OfNoReadingsIsTheHeaderAlone) {
  EXPECT_EQ(render_csv({}), "name,description,value,unit,source\n");
}

TEST(RenderJson, GivesTheNumberAsValueAndTheTextWhenThereIsNoNumber) {
  const std::vector<MeterValue> readings{kVoltage, kCode};
  EXPECT_EQ(render_json(readings, "tcp://127.0.0.1:502?unit=1", "2026-11-24T15:04:05.123Z"),
            R"({
  "meter": "tcp://127.0.0.1:502?unit=1",
  "time": "2026-11-24T15:04:05.123Z",
  "values": {
    "l1_voltage": {
      "value": 230.01,
      "text": "230.01",
      "unit": "V",
      "group": "instant",
      "source": "0x5002"
    },
    "meter_code": {
      "value": "0x0E1F",
      "text": "0x0E1F",
      "unit": "",
      "group": "identity",
      "source": "0x4003"
    }
  }
}
)");
}

TEST(RenderJson, OfNoReadingsHasAnEmptyValuesObject) {
  EXPECT_EQ(render_json({}, "m", "t"),
            "{\n  \"meter\": \"m\",\n  \"time\": \"t\",\n  \"values\": {}\n}\n");
}

TEST(Render, DispatchesOnTheFormat) {
  const std::vector<MeterValue> readings{kVoltage, kEnergy};
  EXPECT_EQ(render(OutputFormat::table, readings, "m", "t"), render_table(readings));
  EXPECT_EQ(render(OutputFormat::csv, readings, "m", "t"), render_csv(readings));
  EXPECT_EQ(render(OutputFormat::json, readings, "m", "t"), render_json(readings, "m", "t"));
}

TEST(ParseOutputFormat, KnowsTheThreeFormatsAndNothingElse) {
  EXPECT_EQ(parse_output_format("table"), OutputFormat::table);
  EXPECT_EQ(parse_output_format("csv"), OutputFormat::csv);
  EXPECT_EQ(parse_output_format("json"), OutputFormat::json);
  EXPECT_EQ(parse_output_format("JSON"), std::nullopt);
  EXPECT_EQ(parse_output_format(""), std::nullopt);
}

}  // namespace
}  // namespace ambi
