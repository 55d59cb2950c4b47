#pragma once
// The two S0 pulse outputs (manual 7.6.3-7.6.5) as a pure state machine.
//
// Each output integrates its source power exactly (mW·ms, like the registers) and owes one
// pulse per 1/rate kWh. A pulse lasts `width` ms and must be followed by a pause of the same
// length (EN 62053-31), so the output emits at most one pulse per 2·width ms; pulses owed
// faster than that wait in a backlog and are emitted at the maximum rate, never dropped.
// So `emitted + backlog == owed == floor(energy since rebase × rate)` always holds.

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ambi {

/// One emitted pulse: its rising edge in simulated ms since the meter's time origin.
struct S0Pulse {
  std::int64_t start_ms = 0;
  std::uint64_t number = 0;  ///< 1-based pulse number since the last rebase
};

class S0Output {
 public:
  static constexpr std::size_t kRecentPulses = 16;

  /// Restarts counting with a new rate (hundredths of imp/kWh) and pulse width.
  /// Counts, backlog and the partial pulse restart from zero at `now_ms`.
  void rebase(std::uint32_t rate_centi, std::uint8_t width_ms, std::int64_t now_ms);

  /// Integrates `power_mw` (≥ 0) over [t0_ms, t0_ms + dt_ms) and emits the pulses that fall
  /// due and fit in that span.
  void advance(std::int64_t power_mw, std::int64_t t0_ms, std::int64_t dt_ms);

  /// Pulses owed since the rebase (emitted + backlog).
  [[nodiscard]] std::uint64_t owed() const { return owed_; }
  /// Pulses emitted since the rebase.
  [[nodiscard]] std::uint64_t emitted() const { return emitted_; }
  /// Pulses owed but not yet emitted because of the width limit.
  [[nodiscard]] std::uint64_t backlog() const { return owed_ - emitted_; }
  /// Energy of one pulse in mW·ms (3.6e14 / rate_centi; exact for every allowed rate).
  [[nodiscard]] std::int64_t quantum_mw_ms() const { return quantum_; }
  /// The most recent pulses (at most kRecentPulses), oldest first.
  [[nodiscard]] std::vector<S0Pulse> recent() const;
  /// The simulated time at which the output's last pulse-plus-pause ends.
  [[nodiscard]] std::int64_t busy_until_ms() const { return next_free_ms_; }

 private:
  void settle(std::int64_t power_mw, std::int64_t t0_ms, std::int64_t t_end_ms,
              std::int64_t accum_before);
  void emit(std::int64_t start_ms);
  std::int64_t quantum_ = 3'600'000'000;  // 1000 imp/kWh
  std::int64_t period_ms_ = 60;           // 2 × width
  std::int64_t accum_mw_ms_ = 0;          // energy towards the next owed pulse
  std::uint64_t owed_ = 0;
  std::uint64_t emitted_ = 0;
  std::int64_t next_free_ms_ = 0;
  std::array<S0Pulse, kRecentPulses> recent_{};  // ring
  std::size_t recent_head_ = 0;
};

}  // namespace ambi
