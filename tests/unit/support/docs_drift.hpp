#pragma once
// The drift check of every generated document (docs/modbus-registers.md, docs/settings.md,
// docs/mbus-records.md, docs/settings-schema.json): the file in the repository must be what
// the code renders today. With AMBI_REGEN_DOCS=1 the file is rewritten first.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace ambi {

/// docs/<name> in the source tree.
inline std::filesystem::path docs_path(std::string_view name) {
  return std::filesystem::path(AMBI_SOURCE_DIR) / "docs" / name;
}

/// Fails the test unless docs/<name> holds exactly `rendered`.
inline void expect_docs_file(std::string_view name, const std::string& rendered) {
  const std::filesystem::path file = docs_path(name);
  const char* regen = std::getenv("AMBI_REGEN_DOCS");
  if (regen != nullptr && std::string_view(regen) == "1") {
    std::ofstream(file, std::ios::binary) << rendered;
  }
  std::ifstream in(file, std::ios::binary);
  ASSERT_TRUE(in.good()) << file << " is missing: run the tests with AMBI_REGEN_DOCS=1";
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), rendered) << file
                                  << " is out of date: run the tests with AMBI_REGEN_DOCS=1";
}

}  // namespace ambi
