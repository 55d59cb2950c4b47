// docs/settings.md is rendered from the settings table, so the docs cannot drift: this test
// fails when they differ. AMBI_REGEN_DOCS=1 rewrites the file instead.
#include <gtest/gtest.h>

#include <string>

#include "core/meter/setting_table.hpp"
#include "docs_drift.hpp"

namespace ambi {
namespace {

TEST(SettingDocs, TheTableMatchesTheSettings) {
  expect_docs_file("settings.md", render_setting_table());
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
