#pragma once
// Simulated time for `ambimeter run`: real (optionally accelerated) or stepped on command.

#include <chrono>
#include <cstdint>
#include <string_view>

namespace ambi {

/// How simulated time moves: with the wall clock (× speed), or only when told to.
enum class ClockMode : std::uint8_t { real, stepped };

/// "real" / "stepped".
[[nodiscard]] std::string_view to_string(ClockMode mode);

/// Wall time elapsed × speed in whole milliseconds, rounded down.
[[nodiscard]] std::int64_t scaled_elapsed_ms(std::chrono::nanoseconds elapsed, double speed);

/// The simulated time the meter should have reached. In real mode it is computed afresh
/// from the run's start on every call (no drift accumulates); in stepped mode it only
/// moves by `advance`.
class SimClock {
 public:
  using WallClock = std::chrono::steady_clock;

  /// A clock whose simulated time is `origin_ms` at wall time `start`; `speed` > 0 is the
  /// number of simulated seconds per wall second (real mode only).
  SimClock(ClockMode mode, double speed, std::int64_t origin_ms, WallClock::time_point start);

  /// The simulated time at wall time `now`.
  [[nodiscard]] std::int64_t target_ms(WallClock::time_point now) const;
  /// Moves simulated time on by `dt_ms` ≥ 0. Stepped mode only; returns false otherwise.
  bool advance(std::int64_t dt_ms);

  [[nodiscard]] ClockMode mode() const { return mode_; }
  [[nodiscard]] double speed() const { return speed_; }

 private:
  ClockMode mode_;
  double speed_;
  std::int64_t origin_ms_;
  WallClock::time_point start_;
  std::int64_t stepped_ms_ = 0;
};

}  // namespace ambi
