// docs/mbus-records.md is rendered from the record tables, so the docs cannot drift: this
// test fails when they differ. AMBI_REGEN_DOCS=1 rewrites the file instead.
#include <gtest/gtest.h>

#include <string>

#include "core/mbus/mbus_records_docs.hpp"
#include "docs_drift.hpp"

namespace ambi {
namespace {

TEST(MbusDocs, RecordTableMatchesTheTables) {
  expect_docs_file("mbus-records.md", render_mbus_record_table());
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
