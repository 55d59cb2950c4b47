// ISO 8601 UTC time stamps with milliseconds (io/utc_time.hpp), for the trace and the tools.
#include "io/utc_time.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>

namespace ambi {
namespace {

TEST(Iso8601Utc, WritesDateTimeAndMillisecondsInUtc) {
  const std::pair<std::int64_t, std::string_view> stamps[] = {
      {0, "1970-01-01T00:00:00.000Z"},
      {1, "1970-01-01T00:00:00.001Z"},
      {999, "1970-01-01T00:00:00.999Z"},
      {1'795'532'645'123, "2026-11-24T15:04:05.123Z"},
      {951'868'799'999, "2000-02-29T23:59:59.999Z"},
      {951'868'800'000, "2000-03-01T00:00:00.000Z"},
      {4'102'444'800'000, "2100-01-01T00:00:00.000Z"},
  };
  for (const auto& [unix_ms, text] : stamps) EXPECT_EQ(iso8601_utc(unix_ms), text) << unix_ms;
}

TEST(Iso8601Utc, CutsATimePointTowardThePastToWholeMilliseconds) {
  using namespace std::chrono;
  const system_clock::time_point t{milliseconds{1'795'532'645'123} + microseconds{999}};
  EXPECT_EQ(iso8601_utc(t), "2026-11-24T15:04:05.123Z");
  EXPECT_EQ(iso8601_utc(system_clock::time_point{milliseconds{-1}}), "1969-12-31T23:59:59.999Z");
}

TEST(Iso8601Utc, IgnoresTheLocalTimeZone) {
  ::setenv("TZ", "Pacific/Kiritimati", 1);  // UTC+14
  ::tzset();
  EXPECT_EQ(iso8601_utc(std::int64_t{1'795'532'645'123}), "2026-11-24T15:04:05.123Z");
  ::unsetenv("TZ");
  ::tzset();
}

}  // namespace
}  // namespace ambi
