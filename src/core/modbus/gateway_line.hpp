#pragma once
// The RS485 bus behind a Modbus TCP gateway, as time (docs/fleet.md "A gateway in front of a
// bus"): a real gateway turns each TCP request into an RTU frame on its bus, waits for the
// meter's reply or its response timeout, and only then answers over TCP; requests from
// every connection queue for the one bus. This books the bus for each transaction and says
// when its answer may leave. Pure: the caller passes the time a request arrived.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

namespace ambi {

struct GatewayLineOptions {
  std::uint32_t baud = 9600;                       ///< the bus's rate (the meters' factory setting)
  std::chrono::milliseconds timeout{1000};         ///< how long the gateway waits for a reply
  std::chrono::milliseconds broadcast_delay{100};  ///< the turnaround after a broadcast
  std::size_t max_queued = 32;  ///< transactions waiting for the bus; more are refused (06)
};

/// What the bus carried for one transaction.
enum class BusOutcome : std::uint8_t {
  answered,   ///< the request frame, t3.5, the meter's reply frame
  silent,     ///< the request frame and the whole response timeout (no meter, no supply, deaf)
  broadcast,  ///< the request frame and the broadcast turnaround delay; no reply
};

class GatewayLine {
 public:
  using Clock = std::chrono::steady_clock;

  explicit GatewayLine(GatewayLineOptions options) : options_(options) {}

  /// Books the bus for a request of `request_bytes` on the wire (unit, PDU, CRC) that arrived
  /// at `now`, answered by `reply_bytes` (for `answered`): when the transaction ends on the
  /// bus, i.e. when the gateway may answer over TCP. None when `max_queued` transactions
  /// wait already: the gateway answers at once that it is busy.
  [[nodiscard]] std::optional<Clock::time_point> book(Clock::time_point now,
                                                      std::size_t request_bytes, BusOutcome outcome,
                                                      std::size_t reply_bytes = 0);

  /// Transactions booked that have not ended by `now`.
  [[nodiscard]] std::size_t queued(Clock::time_point now);
  [[nodiscard]] const GatewayLineOptions& options() const { return options_; }

 private:
  GatewayLineOptions options_;
  Clock::time_point free_at_{};         ///< when the bus may carry the next request
  std::deque<Clock::time_point> ends_;  ///< when the booked transactions end, in order
};

}  // namespace ambi
