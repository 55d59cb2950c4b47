#pragma once
// Time stamps as people and scripts read them, for the twin's trace and the tools alike.

#include <chrono>
#include <cstdint>
#include <string>

namespace ambi {

/// ISO 8601 in UTC with milliseconds, cut toward the past: "2026-11-24T15:04:05.123Z".
[[nodiscard]] std::string iso8601_utc(std::chrono::system_clock::time_point time);
/// The same for milliseconds since the Unix epoch.
[[nodiscard]] std::string iso8601_utc(std::int64_t unix_ms);

}  // namespace ambi
