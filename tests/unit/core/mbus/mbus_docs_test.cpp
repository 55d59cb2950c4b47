// docs/mbus-records.md is rendered from the record tables, so the docs cannot drift: this
// test fails when they differ. AMBI_REGEN_DOCS=1 rewrites the file instead.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/mbus/mbus_records_docs.hpp"

namespace ambi {
namespace {

std::filesystem::path docs_file() {
  return std::filesystem::path(AMBI_SOURCE_DIR) / "docs" / "mbus-records.md";
}

TEST(MbusDocs, RecordTableMatchesTheTables) {
  const std::string rendered = render_mbus_record_table();
  const char* regen = std::getenv("AMBI_REGEN_DOCS");
  if (regen != nullptr && std::string(regen) == "1") {
    std::ofstream(docs_file(), std::ios::binary) << rendered;
  }
  std::ifstream in(docs_file(), std::ios::binary);
  ASSERT_TRUE(in.good()) << docs_file() << " is missing: run the tests with AMBI_REGEN_DOCS=1";
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), rendered) << docs_file()
                                  << " is out of date: run the tests with AMBI_REGEN_DOCS=1";
}

TEST(MbusDocs, RecordTableShowsBytesAndExamples) {
  const std::string rendered = render_mbus_record_table();
  EXPECT_NE(rendered.find("| 5 | t4_forward_active_wh | forward active energy T4 | energy | 84 80 "
                          "10 | 03 | int32 | "
                          "Wh | "
                          "123456789 = `15 CD 5B 07` |\n"),
            std::string::npos);
  EXPECT_NE(rendered.find("| l1_voltage | L1 voltage | instant | 02 | FD C7 FC 01 | int16 | 0.01 V "
                          "| 23012 = `E4 59` |"),
            std::string::npos);
  EXPECT_NE(rendered.find("| power_factor | total power factor | instant | 0A | FD 3A | bcd4 | "
                          "0.01 | 100 = `00 01` |"),
            std::string::npos);
  EXPECT_NE(rendered.find("| mbus_id | primary address 0-250, binary | 01 | 7A | int8 |\n"),
            std::string::npos);
}

}  // namespace
}  // namespace ambi
