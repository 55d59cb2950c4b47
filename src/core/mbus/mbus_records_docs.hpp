#pragma once
// docs/mbus-records.md, rendered from the record tables (tests/unit/core/mbus/mbus_docs_test.cpp
// fails when the file and the tables differ).

#include <cstdint>
#include <string>

namespace ambi {

/// The data field a DIF announces, as the tables name it: "int32", "bcd8"...
[[nodiscard]] std::string mbus_coding_name(std::uint8_t dif);
/// docs/mbus-records.md: a preamble, then `render_mbus_record_markdown()`.
[[nodiscard]] std::string render_mbus_record_table();
/// The "Read (RSP_UD, CI 72)" and "Write (SND_UD, CI 51)" sections, a markdown table each:
/// what `ambimeter map --format md` prints for M-bus.
[[nodiscard]] std::string render_mbus_record_markdown();

}  // namespace ambi
