#include "twin/service/clock.hpp"

#include <cmath>

namespace ambi {

std::string_view to_string(ClockMode mode) {
  return mode == ClockMode::real ? "real" : "stepped";
}

std::int64_t scaled_elapsed_ms(std::chrono::nanoseconds elapsed, double speed) {
  const long double ms =
      static_cast<long double>(elapsed.count()) * static_cast<long double>(speed) / 1'000'000.0L;
  return static_cast<std::int64_t>(std::floor(ms));
}

SimClock::SimClock(ClockMode mode, double speed, std::int64_t origin_ms,
                   WallClock::time_point start)
    : mode_(mode), speed_(speed), origin_ms_(origin_ms), start_(start) {}

std::int64_t SimClock::target_ms(WallClock::time_point now) const {
  if (mode_ == ClockMode::stepped) return origin_ms_ + stepped_ms_;
  const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(now - start_);
  return origin_ms_ + scaled_elapsed_ms(elapsed, speed_);
}

bool SimClock::advance(std::int64_t dt_ms) {
  if (mode_ != ClockMode::stepped || dt_ms < 0) return false;
  stepped_ms_ += dt_ms;
  return true;
}

}  // namespace ambi
