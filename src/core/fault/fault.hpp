#pragma once
// Faults on a meter's links (docs/faults.md): what a bad day does to the replies a head-end
// gets over Modbus and M-bus — silence, lateness, a bad CRC or checksum, bit errors, a reply
// cut short, garbage around it, the wrong unit or transaction id, an exception instead of
// data, a forced collision. Each fault is
// active in a window of simulated time, hits a reply with a probability, and is
// deterministic: its random draws come from its seed and the number of replies it has seen,
// so a run with the stepped clock is the same run every time. Pure: replies in, replies out.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ambi {

enum class FaultKind : std::uint8_t {
  no_reply,           ///< the reply is not sent (the client times out)
  delay,              ///< the reply leaves `delay_ms` + a seeded 0-`jitter_ms` later
  bad_crc,            ///< an RTU reply's CRC is wrong (the client reports a CRC error)
  bit_errors,         ///< every bit of the reply flips with probability `bit_error_rate`
  truncate,           ///< only the first `keep_bytes` of the reply are sent (default: half)
  garbage,            ///< `garbage_bytes` random bytes before the reply (after with `after`)
  wrong_unit,         ///< the reply comes from unit id + 1 (a well-formed frame)
  wrong_transaction,  ///< a Modbus TCP reply carries transaction id + 1
  exception,          ///< an exception reply (`exception_code`, default 06 busy) instead
  collision,          ///< the reply collides with a copy of itself 1-15 bits later, as from
                      ///< a second meter on the same address (RS485 contention, M-bus wired AND)
  // Modbus TCP connections only:
  reset,   ///< the connection is reset (RST) instead of the reply
  close,   ///< the connection is closed (FIN) after the reply that makes `after_requests`
  stall,   ///< the connection stays open and never answers again
  refuse,  ///< new connections are reset as soon as they are accepted
};

/// Whether `kind` acts on a TCP connection rather than on the bytes of a reply.
[[nodiscard]] constexpr bool is_connection_fault(FaultKind kind) {
  return kind == FaultKind::reset || kind == FaultKind::close ||
         kind == FaultKind::stall || kind == FaultKind::refuse;
}

[[nodiscard]] std::string_view to_string(FaultKind kind);
/// "no-reply", "delay", "bad-crc", "bit-errors", "truncate", "garbage", "wrong-unit",
/// "wrong-transaction", "exception", "collision", "reset", "close", "stall", "refuse".
[[nodiscard]] std::optional<FaultKind> fault_kind(std::string_view name);
/// Every kind's name, for messages.
[[nodiscard]] std::string fault_kinds();

/// One fault on one meter's link, with what it has done so far.
struct Fault {
  std::uint32_t id = 0;
  FaultKind kind = FaultKind::no_reply;
  double probability = 1.0;               ///< of hitting a reply, 0 < p ≤ 1
  std::int64_t start_ms = 0;              ///< simulated time it starts
  std::optional<std::int64_t> end_ms;     ///< simulated time it ends; none: until removed
  std::int64_t delay_ms = 0;              ///< delay
  std::int64_t jitter_ms = 0;             ///< delay: up to this much more, seeded
  double bit_error_rate = 0;              ///< bit-errors
  std::optional<std::size_t> keep_bytes;  ///< truncate (default: half the reply)
  std::size_t garbage_bytes = 4;          ///< garbage
  bool after = false;                     ///< garbage after the reply instead of before
  std::uint8_t exception_code = 0x06;     ///< exception
  std::uint64_t after_requests = 1;       ///< close: the request count that closes a connection
  std::uint64_t seed = 1;
  std::uint64_t seen = 0;     ///< replies it was active for
  std::uint64_t applied = 0;  ///< replies it changed (or dropped)
  bool ended = false;         ///< removed (kept for GET /api/v1/faults)

  [[nodiscard]] bool active_at(std::int64_t now_ms) const {
    return !ended && now_ms >= start_ms && (!end_ms || now_ms < *end_ms);
  }
};

/// How a reply is framed: an RTU frame (unit, PDU, CRC), an MBAP one (header, PDU), or an
/// M-bus answer (E5, a short or a long frame with its checksum).
enum class ReplyFraming : std::uint8_t { rtu, mbap, mbus };

/// A reply after the faults: dropped, delayed, and/or changed. `causes` names each fault
/// that acted, "fault 3 (bad-crc)", for the trace.
/// What a connection fault asks of the TCP session.
enum class ConnectionFault : std::uint8_t { none, reset, close, stall };

struct FaultedReply {
  bool dropped = false;
  ConnectionFault connection = ConnectionFault::none;
  std::uint64_t close_after_requests = 0;  ///< with `close`: once the connection served this many
  std::int64_t delay_ms = 0;
  std::vector<std::uint8_t> bytes;
  std::vector<std::string> causes;
  [[nodiscard]] bool changed() const { return !causes.empty(); }
};

/// Applies the faults active at `now_ms` to `reply`, in order (counting `seen` and
/// `applied`). A fault that does not apply to the framing (a CRC on Modbus TCP, a
/// transaction id on RTU, an exception or a checksum of an M-bus E5) leaves the reply alone.
/// Connection faults (reset, close, stall) act only `over_tcp` (a Modbus TCP session);
/// `refuse` never acts on a reply (see `refuses_connection`).
[[nodiscard]] FaultedReply apply_link_faults(std::vector<Fault>& faults, std::int64_t now_ms,
                                             std::span<const std::uint8_t> reply,
                                             ReplyFraming framing, bool over_tcp = false);

/// Whether an active `refuse` fault turns away a connection accepted at `now_ms` (counted).
[[nodiscard]] bool refuses_connection(std::vector<Fault>& faults, std::int64_t now_ms);

}  // namespace ambi
