#include "core/panel/pulse_led.hpp"

#include <algorithm>

namespace ambi {

std::int64_t led_energy_mwh(const Meter& meter) {
  const Registers& r = meter.registers();
  return r.mwh(counter_index::ct_secondary(Dir::forward)) +
         r.mwh(counter_index::ct_secondary(Dir::reverse));
}

std::int64_t PulseLed::update(std::int64_t energy_mwh, std::int64_t now_ms) {
  const std::int64_t pulses = energy_mwh / kLedMwhPerFlash;
  if (!pulses_seen_ || pulses < *pulses_seen_) {
    pulses_seen_ = pulses;
    return 0;
  }
  const std::int64_t owed = pulses - *pulses_seen_;
  pulses_seen_ = pulses;
  if (now_ms > slot0_ms_) {
    const std::int64_t finished = std::min(queued_, (now_ms - slot0_ms_) / kFlashPeriodMs);
    slot0_ms_ += finished * kFlashPeriodMs;
    queued_ -= finished;
    done_ += finished;
  }
  if (queued_ == 0) slot0_ms_ = std::max(slot0_ms_, now_ms);
  queued_ = std::min(queued_ + owed, kMaxBacklog);
  return owed;
}

std::int64_t PulseLed::started(std::int64_t now_ms) const {
  if (queued_ == 0 || now_ms < slot0_ms_) return 0;
  return std::min(queued_, (now_ms - slot0_ms_) / kFlashPeriodMs + 1);
}

bool PulseLed::lit(std::int64_t now_ms) const {
  if (started(now_ms) == 0) return false;
  const std::int64_t in_slot = (now_ms - slot0_ms_) % kFlashPeriodMs;
  return (now_ms - slot0_ms_) / kFlashPeriodMs < queued_ && in_slot < kFlashOnMs;
}

std::int64_t PulseLed::flashes(std::int64_t now_ms) const {
  return done_ + started(now_ms);
}

}  // namespace ambi
