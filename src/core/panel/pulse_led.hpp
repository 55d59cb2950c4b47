#pragma once
// The red pulse LED on the front of the meter (manual 4: 10.000 imp/kWh; 8: "the red
// consumption LED"): one flash per 0.1 Wh of active energy measured on the CT secondary,
// shown at most kMaxFlashesPerSecond times a second so that the eye (and a web page) can
// follow it. Pure: energy and time come in; flashes are evaluated lazily.

#include <cstdint>
#include <optional>

#include "core/meter/meter.hpp"

namespace ambi {

/// The LED's meter constant: 10 000 imp/kWh = one flash per 100 mWh (manual 4).
inline constexpr std::int64_t kLedMwhPerFlash = 100;

/// Active energy the LED counts (mWh, only grows): forward plus reverse through the CT
/// secondary, i.e. the "CT history 1" counters that run at 5/5 whatever the ratio (7.6.17).
[[nodiscard]] std::int64_t led_energy_mwh(const Meter& meter);

class PulseLed {
 public:
  /// A flash lasts kFlashOnMs and starts at most every kFlashPeriodMs (10 a second).
  static constexpr std::int64_t kFlashPeriodMs = 100;
  static constexpr std::int64_t kFlashOnMs = 50;
  /// Flashes owed beyond this many are dropped from the LED (not from any register), so the
  /// LED stops within a second of the load stopping.
  static constexpr std::int64_t kMaxBacklog = 10;

  /// Feeds the energy counter's present value at `now_ms`. The first call, and any call
  /// where the energy went down (a restored state), only sets the baseline. Returns the
  /// number of pulses the new energy owes (before the rate limit).
  std::int64_t update(std::int64_t energy_mwh, std::int64_t now_ms);
  /// Whether the LED is lit at `now_ms` (not before the last `update`'s time).
  [[nodiscard]] bool lit(std::int64_t now_ms) const;
  /// Flashes started up to and including `now_ms`.
  [[nodiscard]] std::int64_t flashes(std::int64_t now_ms) const;

 private:
  [[nodiscard]] std::int64_t started(std::int64_t now_ms) const;
  std::optional<std::int64_t> pulses_seen_;  ///< energy / kLedMwhPerFlash at the last update
  std::int64_t slot0_ms_ = 0;                ///< start of the first queued flash
  std::int64_t queued_ = 0;                  ///< flashes from slot0 on, one per period
  std::int64_t done_ = 0;                    ///< flashes completed before slot0
};

}  // namespace ambi
