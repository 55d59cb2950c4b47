// docs/modbus-registers.md is rendered from the register table, so the docs cannot drift:
// this test fails when they differ. AMBI_REGEN_DOCS=1 rewrites the file instead.
#include <gtest/gtest.h>

#include <string>

#include "core/modbus/modbus_map.hpp"
#include "docs_drift.hpp"

namespace ambi {
namespace {

TEST(ModbusDocs, RegisterTableMatchesTheMap) {
  expect_docs_file("modbus-registers.md", render_register_table());
}

TEST(ModbusDocs, RegisterTableHasOneRowPerRegister) {
  const std::string rendered = render_register_table();
  EXPECT_NE(rendered.find("| 0x401F | ct_ratio | CT ratio | settings | 2 | ct_ratio_bcd | A | "
                          "read_write | 16 |  |\n"),
            std::string::npos);
  EXPECT_NE(rendered.find("| 0x5002 | l1_voltage | L1 Voltage | instant | 2 | float_abcd | V | "
                          "read |  | int32 × 0.01 V |\n"),
            std::string::npos);
  std::size_t rows = 0;
  for (std::size_t at = rendered.find("\n| 0x"); at != std::string::npos;
       at = rendered.find("\n| 0x", at + 1)) {
    ++rows;
  }
  EXPECT_EQ(rows, register_map().size());
}

}  // namespace
}  // namespace ambi
