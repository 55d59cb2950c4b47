// docs/modbus-registers.md is rendered from the register table, so the docs cannot drift:
// this test fails when they differ. AMBI_REGEN_DOCS=1 rewrites the file instead.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/modbus/modbus_map.hpp"

namespace ambi {
namespace {

std::filesystem::path docs_file() {
  return std::filesystem::path(AMBI_SOURCE_DIR) / "docs" / "modbus-registers.md";
}

TEST(ModbusDocs, RegisterTableMatchesTheMap) {
  const std::string rendered = render_register_table();
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

TEST(ModbusDocs, RegisterTableHasOneRowPerRegister) {
  const std::string rendered = render_register_table();
  EXPECT_NE(rendered.find("| 0x401F | ct_ratio | 2 | ct_ratio_bcd | A | read_write | 16 |  |\n"),
            std::string::npos);
  EXPECT_NE(
      rendered.find("| 0x5002 | l1_voltage | 2 | float_abcd | V | read |  | int32 × 0.01 V |\n"),
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
