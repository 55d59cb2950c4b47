// `ambimeter map` (docs/tools.md "map"): the markdown is the docs' tables, JSON and CSV list
// every register and record of the same tables with the same columns.
#include "tools/map_export.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "core/mbus/mbus_records.hpp"
#include "core/modbus/modbus_map.hpp"
#include "docs_drift.hpp"

namespace ambi {
namespace {

std::string docs_text(std::string_view name) {
  std::ifstream in(docs_path(name), std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// `text` without its first line and the blank line after it (the heading `map` adds).
std::string after_heading(const std::string& text) {
  const std::size_t end = text.find("\n\n");
  return end == std::string::npos ? std::string{} : text.substr(end + 2);
}

TEST(MapMarkdown, IsTheTableOfDocsModbusRegisters) {
  const std::string md = render_map(MapFormat::md, MapTables::modbus);
  ASSERT_TRUE(md.starts_with("# Modbus registers (manual A3.2)\n\n| address | name |"));
  const std::string docs = docs_text("modbus-registers.md");
  const std::string table = after_heading(md);
  ASSERT_GT(table.size(), 1000U);
  EXPECT_TRUE(docs.ends_with(table)) << "docs/modbus-registers.md does not end with the table";
}

TEST(MapMarkdown, IsTheTablesOfDocsMbusRecords) {
  const std::string md = render_map(MapFormat::md, MapTables::mbus);
  ASSERT_TRUE(md.starts_with("# M-bus records (manual A2.2)\n\n## Read (RSP_UD, CI 72)\n"));
  const std::string docs = docs_text("mbus-records.md");
  const std::string tables = after_heading(md);
  ASSERT_NE(tables.find("## Write (SND_UD, CI 51)"), std::string::npos);
  EXPECT_TRUE(docs.ends_with(tables)) << "docs/mbus-records.md does not end with the tables";
}

TEST(MapMarkdown, AllIsBothTablesOneAfterTheOther) {
  EXPECT_EQ(render_map(MapFormat::md, MapTables::all),
            render_map(MapFormat::md, MapTables::modbus) + "\n" +
                render_map(MapFormat::md, MapTables::mbus));
}

TEST(MapJson, ListsEveryRegisterWithItsColumns) {
  const auto j = nlohmann::json::parse(render_map(MapFormat::json, MapTables::modbus));
  EXPECT_FALSE(j.contains("mbus"));
  const auto& registers = j.at("modbus").at("registers");
  ASSERT_EQ(registers.size(), register_map().size());
  for (std::size_t i = 0; i < registers.size(); ++i) {
    EXPECT_EQ(registers[i].at("address"), register_map()[i].address);
    EXPECT_EQ(registers[i].at("name"), register_map()[i].name);
    EXPECT_EQ(registers[i].at("words"), register_map()[i].words);
  }
  const auto l1 = std::ranges::find(registers, "l1_voltage", [](const auto& r) {
    return r.at("name").template get<std::string>();
  });
  ASSERT_NE(l1, registers.end());
  EXPECT_EQ(*l1, nlohmann::json::parse(R"({"address": 20482, "address_hex": "0x5002",
      "name": "l1_voltage", "description": "L1 Voltage", "group": "instant", "words": 2,
      "encoding": "float_abcd", "unit": "V", "access": "read", "write_function_codes": [],
      "integer_mode": {"data_type": "int32", "scale": 0.01}})"));
  const auto& ct = registers[static_cast<std::size_t>(find_register(std::string_view{"ct_ratio"}) -
                                                      register_map().data())];
  EXPECT_EQ(ct.at("write_function_codes"), nlohmann::json::parse("[16]"));
  EXPECT_EQ(ct.at("integer_mode"), nullptr);
  const auto& reserved = registers[static_cast<std::size_t>(
      find_register(std::string_view{"reserved_4025"}) - register_map().data())];
  EXPECT_EQ(reserved.at("group"), nullptr);
  EXPECT_EQ(reserved.at("unit"), nullptr);
}

TEST(MapJson, ListsEveryRecordWithItsHeaderBytes) {
  const auto j = nlohmann::json::parse(render_map(MapFormat::json, MapTables::mbus));
  EXPECT_FALSE(j.contains("modbus"));
  const auto& read = j.at("mbus").at("read");
  ASSERT_EQ(read.size(), mbus_read_records().size());
  EXPECT_EQ(read[1], nlohmann::json::parse(R"({"index": 2, "name": "t1_forward_active_wh",
      "description": "forward active energy T1", "group": "energy", "dif_dife": "84 10",
      "vif_vife": "03", "data": "int32", "unit": "Wh", "exponent": 0, "resolution": 1.0,
      "format": "scaled", "example": 123456789, "example_bytes": "15 CD 5B 07"})"));
  EXPECT_EQ(j.at("mbus").at("write").size(), mbus_write_records().size());
}

TEST(MapCsv, HasOneRowPerRegisterAndRecordUnderTheHeader) {
  const std::string csv = render_map(MapFormat::csv, MapTables::all);
  ASSERT_TRUE(csv.starts_with(std::string(kMapCsvHeader) + "\n"));
  const auto lines = static_cast<std::size_t>(std::ranges::count(csv, '\n'));
  EXPECT_EQ(lines,
            1 + register_map().size() + mbus_read_records().size() + mbus_write_records().size());
  EXPECT_NE(csv.find("\nmodbus,l1_voltage,L1 Voltage,instant,0x5002,2,float_abcd,V,read,,0.01,"
                     ",,,\n"),
            std::string::npos);
  EXPECT_NE(csv.find("\nmodbus,ct_ratio,CT ratio,settings,0x401F,2,ct_ratio_bcd,A,read_write,16,"
                     ",,,,\n"),
            std::string::npos);
  EXPECT_NE(csv.find("\nmodbus,modbus_id,Modbus ID,settings,0x4003,1,signed16,,read_write,06 16,"
                     ",,,,\n"),
            std::string::npos);
  EXPECT_NE(csv.find("\nmbus_read,t1_forward_active_wh,forward active energy T1,energy,,,int32,"
                     "Wh,read,,,84 10,03,0,123456789\n"),
            std::string::npos);
}

TEST(MapCsv, ModbusAloneHasNoRecords) {
  const std::string csv = render_map(MapFormat::csv, MapTables::modbus);
  EXPECT_EQ(csv.find("\nmbus_"), std::string::npos);
  EXPECT_EQ(static_cast<std::size_t>(std::ranges::count(csv, '\n')), 1 + register_map().size());
}

TEST(MapOptions, ParseTheirWordsOnly) {
  EXPECT_EQ(parse_map_format("json"), MapFormat::json);
  EXPECT_EQ(parse_map_format("md"), MapFormat::md);
  EXPECT_EQ(parse_map_format("xml"), std::nullopt);
  EXPECT_EQ(parse_map_tables("mbus"), MapTables::mbus);
  EXPECT_EQ(parse_map_tables("registers"), std::nullopt);
}

}  // namespace
}  // namespace ambi
