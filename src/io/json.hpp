#pragma once
// The JSON value type of every JSON the project writes or reads (the control API, the
// ready line, the trace, the tools' --format json).

#include <nlohmann/json.hpp>

namespace ambi {

/// Every JSON value keeps its keys in the order they were written.
using Json = nlohmann::ordered_json;

}  // namespace ambi
