// Durations as typed (io/duration.hpp): the tools' --interval and the URIs' timeout=.
#include "io/duration.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string_view>

namespace ambi {
namespace {

using std::chrono::milliseconds;

struct Case {
  std::string_view text;
  std::optional<milliseconds> interval;  ///< with kIntervalSyntax
  std::optional<milliseconds> timeout;   ///< with kTimeoutSyntax
};

constexpr std::nullopt_t kNo = std::nullopt;

// clang-format off
constexpr Case kCases[] = {
  // text          --interval                   timeout=
  {"500ms",        milliseconds{500},           milliseconds{500}},
  {"2s",           milliseconds{2000},          milliseconds{2000}},
  {"2",            milliseconds{2000},          milliseconds{2}},        // the bare unit differs
  {"1.5s",         milliseconds{1500},          kNo},                    // fractions
  {"0.5",          milliseconds{500},           kNo},
  {"1.9999ms",     milliseconds{1},             kNo},                    // cut toward zero
  {"1m",           milliseconds{60'000},        kNo},                    // minutes and hours
  {"2h",           milliseconds{7'200'000},     kNo},
  {"24h",          milliseconds{86'400'000},    kNo},                    // the longest interval
  {"25h",          kNo,                         kNo},
  {"600s",         milliseconds{600'000},       milliseconds{600'000}},  // the longest timeout
  {"601s",         milliseconds{601'000},       kNo},
  {"600000",       kNo,                         milliseconds{600'000}},
  {"600001ms",     milliseconds{600'001},       kNo},
  {"0",            kNo,                         kNo},
  {"0ms",          kNo,                         kNo},
  {"-5s",          kNo,                         kNo},
  {"+5s",          kNo,                         kNo},
  {"",             kNo,                         kNo},
  {"ms",           kNo,                         kNo},
  {"5 s",          kNo,                         kNo},
  {"5S",           kNo,                         kNo},
  {"1d",           kNo,                         kNo},
  {"nan",          kNo,                         kNo},
  {"infs",         kNo,                         kNo},
};
// clang-format on

TEST(ParseDuration, ReadsWhatEachSyntaxAllows) {
  for (const Case& c : kCases) {
    EXPECT_EQ(parse_duration(c.text, kIntervalSyntax), c.interval) << "interval " << c.text;
    EXPECT_EQ(parse_duration(c.text, kTimeoutSyntax), c.timeout) << "timeout " << c.text;
  }
}

TEST(ParseDuration, TakesAnyBareUnitAndLimit) {
  constexpr DurationSyntax kMinutes{std::chrono::minutes{1}, std::chrono::minutes{90}, true, false};
  EXPECT_EQ(parse_duration("3", kMinutes), milliseconds{180'000});
  EXPECT_EQ(parse_duration("1h", kMinutes), milliseconds{3'600'000});
  EXPECT_EQ(parse_duration("2h", kMinutes), std::nullopt);
  EXPECT_EQ(parse_duration("1.5", kMinutes), std::nullopt);
}

}  // namespace
}  // namespace ambi
