#pragma once
// docs/mbus-records.md, rendered from the record tables (tests/unit/core/mbus/mbus_docs_test.cpp
// fails when the file and the tables differ).

#include <string>

namespace ambi {

/// The markdown tables of every read and write record (docs/mbus-records.md).
[[nodiscard]] std::string render_mbus_record_table();

}  // namespace ambi
