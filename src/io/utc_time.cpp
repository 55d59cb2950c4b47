#include "io/utc_time.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace ambi {

std::string iso8601_utc(std::chrono::system_clock::time_point time) {
  using std::chrono::milliseconds;
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto ms = std::chrono::duration_cast<milliseconds>(time - seconds).count();
  // fmt 9 formats a time_point in local time and has no sub-second %S: hence fmt::gmtime
  // and the milliseconds apart.
  return fmt::format("{:%FT%T}.{:03}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(seconds)),
                     ms);
}

std::string iso8601_utc(std::int64_t unix_ms) {
  return iso8601_utc(std::chrono::system_clock::time_point{std::chrono::milliseconds{unix_ms}});
}

}  // namespace ambi
