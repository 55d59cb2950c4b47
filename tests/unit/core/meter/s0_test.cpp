#include "core/meter/s0.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <random>
#include <utility>
#include <vector>

namespace ambi {
namespace {

constexpr std::uint32_t kRate10000 = 1'000'000;  // 10000 imp/kWh in hundredths
constexpr std::uint32_t kRate1000 = 100'000;
constexpr std::uint32_t kRate001 = 1;  // 0.01 imp/kWh
constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kYearMs = 365 * 24 * kHourMs;

using Edge = std::pair<std::int64_t, std::uint64_t>;  // start_ms, number

std::vector<Edge> edges(const std::vector<S0Pulse>& pulses) {
  std::vector<Edge> out;
  for (const auto& p : pulses) out.emplace_back(p.start_ms, p.number);
  return out;
}
Edge edge(const S0Pulse& p) {
  return {p.start_ms, p.number};
}

/// A pulse-by-pulse model of the same rules, for comparison on small cases.
class ReferenceS0 {
 public:
  ReferenceS0(std::uint32_t rate_centi, std::int64_t width_ms)
      : quantum_(360'000'000'000'000 / rate_centi), period_(2 * width_ms) {}

  void advance(std::int64_t power, std::int64_t t0, std::int64_t dt) {
    const std::int64_t before = accum_;
    accum_ += power * dt;
    for (std::int64_t j = 1; accum_ >= quantum_; ++j) {
      due_.push_back(t0 + (j * quantum_ - before) / power);
      accum_ -= quantum_;
    }
    while (!due_.empty()) {
      const std::int64_t start = std::max(due_.front(), next_free_);
      if (start >= t0 + dt) break;
      due_.pop_front();
      pulses_.push_back(S0Pulse{start, pulses_.size() + 1});
      next_free_ = start + period_;
    }
  }
  [[nodiscard]] std::uint64_t emitted() const { return pulses_.size(); }
  [[nodiscard]] std::uint64_t backlog() const { return due_.size(); }
  [[nodiscard]] std::vector<S0Pulse> recent() const {
    const auto n = std::min<std::size_t>(pulses_.size(), S0Output::kRecentPulses);
    return {pulses_.end() - static_cast<std::ptrdiff_t>(n), pulses_.end()};
  }

 private:
  std::int64_t quantum_;
  std::int64_t period_;
  std::int64_t accum_ = 0;
  std::int64_t next_free_ = 0;
  std::deque<std::int64_t> due_;
  std::vector<S0Pulse> pulses_;
};

TEST(S0Output, QuantumIsExactForEveryRate) {
  S0Output out;
  out.rebase(kRate10000, 30, 0);
  EXPECT_EQ(out.quantum_mw_ms(), 360'000'000);
  out.rebase(kRate1000, 30, 0);
  EXPECT_EQ(out.quantum_mw_ms(), 3'600'000'000);
  out.rebase(kRate001, 30, 0);
  EXPECT_EQ(out.quantum_mw_ms(), 360'000'000'000'000);
}

TEST(S0Output, EmitsOnePulseEvery3600MsAtOneKilowattAnd1000ImpPerKwh) {
  S0Output out;
  out.rebase(kRate1000, 30, 0);
  out.advance(1'000'000, 0, 10'000);
  EXPECT_EQ(edges(out.recent()), (std::vector<Edge>{{3600, 1}, {7200, 2}}));
}

TEST(S0Output, OwesExactly1000PulsesForOneKilowattHour) {
  S0Output out;
  out.rebase(kRate1000, 30, 0);
  out.advance(1'000'000, 0, kHourMs);
  EXPECT_EQ(out.owed(), 1000U);
  // The 1000th quantum completes exactly at the end of the span: its edge is the next ms.
  EXPECT_EQ(out.emitted(), 999U);
  out.advance(0, kHourMs, 1);
  EXPECT_EQ(out.emitted(), 1000U);
  EXPECT_EQ(out.backlog(), 0U);
  const auto recent = out.recent();
  ASSERT_EQ(recent.size(), S0Output::kRecentPulses);
  for (std::size_t i = 0; i < recent.size(); ++i) {
    const std::uint64_t number = 985 + i;
    EXPECT_EQ(edge(recent[i]), (Edge{static_cast<std::int64_t>(number) * 3600, number}));
  }
}

TEST(S0Output, LowestRateOwesNothingBelowOneHundredKwh) {
  S0Output out;
  out.rebase(kRate001, 30, 0);
  const std::int64_t ten_kw = 10'000'000;
  out.advance(ten_kw, 0, 10 * kHourMs - 1);
  EXPECT_EQ(out.owed(), 0U);
  out.advance(ten_kw, 10 * kHourMs - 1, 1);
  EXPECT_EQ(out.owed(), 1U);
  out.advance(ten_kw, 10 * kHourMs, 1);
  EXPECT_EQ(edges(out.recent()), (std::vector<Edge>{{10 * kHourMs, 1}}));
}

TEST(S0Output, WidthLimitsTheRateAndTheBacklogDrainsAtZeroPower) {
  S0Output out;
  out.rebase(kRate10000, 30, 0);
  // 100 kW owes a pulse every 3.6 ms; the output can only pulse every 60 ms.
  out.advance(100'000'000, 0, 60'000);
  EXPECT_EQ(out.owed(), 16'666U);
  EXPECT_EQ(out.emitted(), 1000U);  // starts at 3, 63, ..., 59943
  EXPECT_EQ(edge(out.recent().back()), (Edge{59'943, 1000}));
  EXPECT_EQ(out.busy_until_ms(), 60'003);
  EXPECT_EQ(out.backlog(), 15'666U);
  out.advance(0, 60'000, 939'903);
  EXPECT_EQ(out.backlog(), 1U);
  out.advance(0, 999'903, 1);
  EXPECT_EQ(out.backlog(), 0U);
  EXPECT_EQ(out.owed(), 16'666U);
  EXPECT_EQ(edge(out.recent().back()), (Edge{999'903, 16'666}));
}

TEST(S0Output, BacklogDelaysOnTimePulsesUntilItHasDrained) {
  S0Output out;
  out.rebase(kRate10000, 30, 0);
  ReferenceS0 ref(kRate10000, 30);
  const std::vector<std::pair<std::int64_t, std::int64_t>> steps{
      {100'000'000, 600}, {5'000'000, 20'000}, {6'000'000, 30'000}, {1'000'000, 50'000}};
  std::int64_t t = 0;
  for (const auto& [power, dt] : steps) {
    out.advance(power, t, dt);
    ref.advance(power, t, dt);
    t += dt;
    EXPECT_EQ(out.emitted(), ref.emitted());
    EXPECT_EQ(out.backlog(), ref.backlog());
    EXPECT_EQ(edges(out.recent()), edges(ref.recent()));
  }
}

TEST(S0Output, MatchesAPulseByPulseModelUnderRandomSegments) {
  std::mt19937_64 rng(20240611);
  for (const std::uint32_t rate : {kRate10000, 200'000U, kRate1000}) {
    S0Output out;
    out.rebase(rate, 30, 0);
    ReferenceS0 ref(rate, 30);
    std::int64_t t = 0;
    for (int i = 0; i < 3000; ++i) {
      const std::int64_t powers[] = {0, 6'000'000, 1'200'000, 60'000'000};
      std::int64_t power = static_cast<std::int64_t>(rng() % 20'000'000);
      if (rng() % 4 == 0) power = powers[rng() % 4];
      const auto dt = static_cast<std::int64_t>(1 + rng() % 5000);
      out.advance(power, t, dt);
      ref.advance(power, t, dt);
      t += dt;
      ASSERT_EQ(out.emitted(), ref.emitted()) << "segment " << i;
      ASSERT_EQ(out.backlog(), ref.backlog()) << "segment " << i;
      ASSERT_EQ(edges(out.recent()), edges(ref.recent())) << "segment " << i;
    }
  }
}

TEST(S0Output, RandomSplitsGiveTheSameCountsAsOneStep) {
  std::mt19937_64 rng(7);
  for (const std::int64_t power : {1'234'567LL, 6'000'000LL, 99'999'999LL}) {
    const std::int64_t total_ms = 7 * kHourMs + 12'345;
    S0Output whole;
    whole.rebase(kRate10000, 30, 0);
    whole.advance(power, 0, total_ms);
    S0Output split;
    split.rebase(kRate10000, 30, 0);
    for (std::int64_t t = 0; t < total_ms;) {
      const auto dt =
          std::min<std::int64_t>(static_cast<std::int64_t>(rng() % 90'000), total_ms - t);
      split.advance(power, t, dt);
      t += dt;
    }
    const auto owed = static_cast<std::uint64_t>(power * total_ms / 360'000'000);
    EXPECT_EQ(whole.owed(), owed);
    EXPECT_EQ(split.owed(), owed);
    EXPECT_EQ(split.emitted() + split.backlog(), owed);
    EXPECT_EQ(split.emitted(), whole.emitted());
    EXPECT_EQ(edges(split.recent()), edges(whole.recent()));
  }
}

TEST(S0Output, AYearInOneCallAtAMegawattIsFastAndExact) {
  S0Output out;
  out.rebase(kRate10000, 30, 0);
  const auto begin = std::chrono::steady_clock::now();
  out.advance(1'000'000'000, 0, kYearMs);  // 8760 MWh: 87.6e9 pulses owed
  const auto elapsed = std::chrono::steady_clock::now() - begin;
  EXPECT_EQ(out.owed(), 87'600'000'000U);
  EXPECT_EQ(out.emitted(), 525'600'000U);  // one per 60 ms, from t = 0
  EXPECT_EQ(out.emitted() + out.backlog(), out.owed());
  EXPECT_EQ(edge(out.recent().back()), (Edge{kYearMs - 60, 525'600'000}));
  EXPECT_LT(elapsed, std::chrono::milliseconds(50));
}

TEST(S0Output, AYearInOneCallOnTimeEmitsEveryPulseAtItsDueTime) {
  S0Output out;
  out.rebase(kRate1000, 30, 0);
  out.advance(1'000'000, 0, kYearMs);
  EXPECT_EQ(out.owed(), 8'760'000U);
  EXPECT_EQ(out.emitted(), 8'759'999U);
  EXPECT_EQ(edge(out.recent().back()), (Edge{kYearMs - 3600, 8'759'999}));
}

TEST(S0Output, RebaseRestartsCountsBacklogAndPartialPulse) {
  S0Output out;
  out.rebase(kRate10000, 30, 0);
  out.advance(100'000'000, 0, 1000);
  ASSERT_GT(out.backlog(), 0U);
  out.rebase(kRate1000, 10, 1000);
  EXPECT_EQ(out.owed(), 0U);
  EXPECT_EQ(out.emitted(), 0U);
  EXPECT_EQ(out.backlog(), 0U);
  EXPECT_TRUE(out.recent().empty());
  EXPECT_EQ(out.busy_until_ms(), 1000);
  out.advance(1'000'000, 1000, 3599);
  EXPECT_EQ(out.owed(), 0U);  // the partial pulse restarted too
  out.advance(1'000'000, 4599, 2);
  EXPECT_EQ(edges(out.recent()), (std::vector<Edge>{{4600, 1}}));
  EXPECT_EQ(out.busy_until_ms(), 4620);
}

}  // namespace
}  // namespace ambi
