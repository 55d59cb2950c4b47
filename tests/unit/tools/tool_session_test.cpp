// The tool commands' shared helpers (tools/tool_session.hpp): --interval durations, the
// error line, the stop signals.
#include "tools/tool_session.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <string>

namespace ambi {
namespace {

using std::chrono::milliseconds;

TEST(ParseInterval, ReadsMillisecondsSecondsMinutesAndHours) {
  const std::pair<std::string_view, milliseconds> good[] = {
      {"500ms", milliseconds{500}},    {"10s", milliseconds{10'000}},
      {"2", milliseconds{2000}},       {"0.25", milliseconds{250}},
      {"1.5m", milliseconds{90'000}},  {"5m", milliseconds{300'000}},
      {"1h", milliseconds{3'600'000}}, {"24h", milliseconds{86'400'000}},
      {"1ms", milliseconds{1}},        {"86400000ms", milliseconds{86'400'000}},
      {"2.0009s", milliseconds{2000}},  // cut toward zero
  };
  for (const auto& [text, want] : good) {
    const auto interval = parse_interval(text);
    ASSERT_TRUE(interval.has_value()) << text << ": " << interval.error();
    EXPECT_EQ(*interval, want) << text;
  }
}

TEST(ParseInterval, RefusesAnythingElseNamingTheForm) {
  for (const std::string_view text :
       {"", "0", "0s", "-1s", "25h", "86400001ms", "1d", "5 s", "s", "ten", "1e", "nan", "inf"}) {
    const auto interval = parse_interval(text);
    ASSERT_FALSE(interval.has_value()) << text;
    EXPECT_EQ(interval.error(),
              fmt::format("\"{}\" is not a duration; use e.g. 500ms, 10s, 5m or 1h", text));
  }
}

TEST(ToolError, WritesOneLineNamingTheCommand) {
  testing::internal::CaptureStderr();
  tool_error("read", "no answer from 127.0.0.1:502 within 1000 ms");
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "ambimeter read: no answer from 127.0.0.1:502 within 1000 ms\n");
}

TEST(StopHandlers, ASignalEndsTheWaitAtOnce) {
  EXPECT_FALSE(stop_requested());
  install_stop_handlers();
  ASSERT_EQ(std::raise(SIGTERM), 0);
  EXPECT_TRUE(stop_requested());
  const auto start = std::chrono::steady_clock::now();
  sleep_until_or_stop(start + std::chrono::hours{1});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::minutes{1});
}

}  // namespace
}  // namespace ambi
