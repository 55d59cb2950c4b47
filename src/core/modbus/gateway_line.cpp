#include "core/modbus/gateway_line.hpp"

#include <algorithm>

#include "core/codec/line_timing.hpp"

namespace ambi {

std::size_t GatewayLine::queued(Clock::time_point now) {
  while (!ends_.empty() && ends_.front() <= now) ends_.pop_front();
  return ends_.size();
}

std::optional<GatewayLine::Clock::time_point> GatewayLine::book(Clock::time_point now,
                                                                std::size_t request_bytes,
                                                                BusOutcome outcome,
                                                                std::size_t reply_bytes) {
  if (queued(now) >= options_.max_queued) return std::nullopt;
  const auto chars = [this](std::size_t n) {
    return line_timing::character_time(options_.baud, static_cast<std::int64_t>(n));
  };
  const auto t35 = line_timing::rtu_t35(options_.baud);
  const Clock::time_point start = std::max(now, free_at_);
  const Clock::time_point sent = start + chars(request_bytes);
  Clock::time_point end = sent;
  switch (outcome) {
    case BusOutcome::answered:
      end = sent + t35 + chars(reply_bytes);
      free_at_ = end + t35;
      break;
    case BusOutcome::silent:
      end = sent + options_.timeout;
      free_at_ = end;
      break;
    case BusOutcome::broadcast:
      free_at_ = sent + options_.broadcast_delay;
      break;
  }
  ends_.push_back(end);
  return end;
}

}  // namespace ambi
