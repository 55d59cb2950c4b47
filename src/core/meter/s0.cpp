#include "core/meter/s0.hpp"

#include <algorithm>

namespace ambi {

namespace {

/// mW·ms in one pulse at 0.01 imp/kWh (100 kWh); divided by the rate in hundredths.
constexpr std::int64_t kCentiPulseMwMs = 360'000'000'000'000;
/// Largest energy one segment may add (the caller keeps power × dt below this; longer
/// segments are split here so `accum + energy` never overflows).
constexpr std::int64_t kMaxSegmentMwMs = std::int64_t{1} << 62;

/// The new pulses of one segment of constant power. Pulse j (1-based) completes its quantum
/// at t0 + (j·quantum − accum_before) / power, floored to the ms, and starts at
/// max(due, previous start + period). When pulses fall due faster than the period
/// (saturated) that is the first start plus whole periods; otherwise each pulse starts on
/// time once the chain left by the backlog (free at `free_at`) has passed.
struct FreshPulses {
  std::int64_t t0_ms;
  std::int64_t accum_before;
  std::int64_t power_mw;
  std::int64_t quantum;
  std::int64_t period_ms;
  std::int64_t free_at;
  bool saturated = false;
  std::int64_t saturated_first = 0;

  FreshPulses(std::int64_t t0, std::int64_t before, std::int64_t power, std::int64_t q,
              std::int64_t period, std::int64_t free)
      : t0_ms(t0),
        accum_before(before),
        power_mw(power),
        quantum(q),
        period_ms(period),
        free_at(free) {
    std::int64_t period_energy = 0;
    saturated =
        __builtin_mul_overflow(period_ms, power_mw, &period_energy) || quantum < period_energy;
    saturated_first = std::max(due(1), free_at);
  }

  [[nodiscard]] std::int64_t due(std::uint64_t j) const {
    const auto needed = static_cast<std::int64_t>(j) * quantum - accum_before;
    return t0_ms + needed / power_mw;
  }

  /// Start of pulse i (0-based).
  [[nodiscard]] std::int64_t operator()(std::uint64_t i) const {
    const auto chain = static_cast<std::int64_t>(i) * period_ms;
    return saturated ? saturated_first + chain : std::max(due(i + 1), free_at + chain);
  }
};

/// How many of the `n` pulses whose (non-decreasing) starts `start_of(0..n-1)` gives begin
/// before `t_end_ms`.
template <class StartOf>
std::uint64_t count_before(std::uint64_t n, const StartOf& start_of, std::int64_t t_end_ms) {
  std::uint64_t lo = 0;
  std::uint64_t hi = n;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    if (start_of(mid) < t_end_ms) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

}  // namespace

void S0Output::rebase(std::uint32_t rate_centi, std::uint8_t width_ms, std::int64_t now_ms) {
  quantum_ = kCentiPulseMwMs / std::max<std::int64_t>(rate_centi, 1);
  period_ms_ = std::max<std::int64_t>(2 * std::int64_t{width_ms}, 1);
  accum_mw_ms_ = 0;
  owed_ = 0;
  emitted_ = 0;
  next_free_ms_ = now_ms;
  recent_ = {};
  recent_head_ = 0;
}

void S0Output::advance(std::int64_t power_mw, std::int64_t t0_ms, std::int64_t dt_ms) {
  std::int64_t energy = 0;
  if (__builtin_mul_overflow(power_mw, dt_ms, &energy) ||
      static_cast<std::uint64_t>(energy) > static_cast<std::uint64_t>(kMaxSegmentMwMs))
      [[unlikely]] {
    if (power_mw < 0 || dt_ms < 0) return;
    const std::int64_t half = dt_ms / 2;
    advance(power_mw, t0_ms, half);
    advance(power_mw, t0_ms + half, dt_ms - half);
    return;
  }
  const std::int64_t accum_before = accum_mw_ms_;
  accum_mw_ms_ += energy;
  if (accum_mw_ms_ < quantum_ && owed_ == emitted_) return;
  settle(power_mw, t0_ms, t0_ms + dt_ms, accum_before);
}

void S0Output::settle(std::int64_t power_mw, std::int64_t t0_ms, std::int64_t t_end_ms,
                      std::int64_t accum_before) {
  const std::uint64_t backlog_before = owed_ - emitted_;
  if (backlog_before == 0 && accum_mw_ms_ - quantum_ < quantum_) {  // one pulse: the usual case
    accum_mw_ms_ -= quantum_;
    ++owed_;
    const std::int64_t start =
        std::max(t0_ms + (quantum_ - accum_before) / power_mw, next_free_ms_);
    if (start < t_end_ms) emit(start);
    return;
  }
  std::uint64_t fresh = 0;
  if (accum_mw_ms_ >= quantum_) {
    fresh = static_cast<std::uint64_t>(accum_mw_ms_ / quantum_);
    accum_mw_ms_ %= quantum_;
    owed_ += fresh;
  }
  // Emits the pulses 0..count-1 of a run, recording only the last kRecentPulses.
  const auto run = [this](std::uint64_t count, const auto& start_of) {
    const std::uint64_t skipped = count - std::min<std::uint64_t>(count, kRecentPulses);
    emitted_ += skipped;
    for (std::uint64_t k = skipped; k < count; ++k) emit(start_of(k));
  };
  // The backlog is due already: it leaves at the maximum rate once the output is free.
  const std::int64_t first = std::max(t0_ms, next_free_ms_);
  const auto backlog_start = [&](std::uint64_t k) {
    return first + static_cast<std::int64_t>(k) * period_ms_;
  };
  const std::uint64_t old = count_before(backlog_before, backlog_start, t_end_ms);
  run(old, backlog_start);
  if (old < backlog_before || fresh == 0) return;

  const FreshPulses fresh_start(t0_ms, accum_before, power_mw, quantum_, period_ms_, next_free_ms_);
  run(count_before(fresh, fresh_start, t_end_ms), fresh_start);
}

void S0Output::emit(std::int64_t start_ms) {
  ++emitted_;
  recent_[recent_head_] = S0Pulse{start_ms, emitted_};
  recent_head_ = (recent_head_ + 1) % kRecentPulses;
  next_free_ms_ = start_ms + period_ms_;
}

std::vector<S0Pulse> S0Output::recent() const {
  const std::size_t count =
      static_cast<std::size_t>(std::min<std::uint64_t>(emitted_, kRecentPulses));
  std::vector<S0Pulse> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(recent_[(recent_head_ + kRecentPulses - count + i) % kRecentPulses]);
  }
  return out;
}

}  // namespace ambi
