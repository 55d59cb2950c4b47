// docs/settings.md is rendered from the settings table, so the docs cannot drift: this test
// fails when they differ. AMBI_REGEN_DOCS=1 rewrites the file instead.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/meter/setting_table.hpp"

namespace ambi {
namespace {

std::filesystem::path docs_file() {
  return std::filesystem::path(AMBI_SOURCE_DIR) / "docs" / "settings.md";
}

TEST(SettingDocs, TheTableMatchesTheSettings) {
  const std::string rendered = render_setting_table();
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

TEST(SettingDocs, OneRowPerSettingWithWhatItAllows) {
  const std::string rendered = render_setting_table();
  EXPECT_NE(
      rendered.find("| `modbus_id` | `modbus-id` | 7.6.6 | 1-247 | 1 |  | Modbus ID | Modbus ID "
                    "(1 - 247) |\n"),
      std::string::npos)
      << rendered;
  EXPECT_NE(rendered.find("| `parity` | `parity` | 7.6.8 | `even`, `none`, `odd` | even |"),
            std::string::npos);
  EXPECT_NE(rendered.find("| — | — | 7.6.1 | 4 digits 0-9 | 0000 |"), std::string::npos);
  std::size_t rows = 0;
  for (std::size_t at = rendered.find("\n| "); at != std::string::npos;
       at = rendered.find("\n| ", at + 1)) {
    ++rows;
  }
  EXPECT_EQ(rows, setting_table().size() + 1);  // and the header row
}

}  // namespace
}  // namespace ambi
