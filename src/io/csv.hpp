#pragma once
// CSV fields as RFC 4180 writes them, for every CSV the project writes (the app's export,
// `ambimeter read --format csv`, the log store, scans).

#include <string>
#include <string_view>

namespace ambi {

/// A CSV field per RFC 4180: quoted (quotes doubled) when it holds a comma, a quote or a
/// line break.
[[nodiscard]] std::string csv_field(std::string_view text);

}  // namespace ambi
