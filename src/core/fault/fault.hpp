#pragma once
// Faults on purpose (docs/faults.md): what a bad day does to a meter. On its links, to the
// replies a head-end gets over Modbus and M-bus — silence, lateness, a bad CRC or checksum,
// bit errors, a reply cut short, garbage around it, the wrong unit or transaction id, an
// exception instead of data, a forced collision, a TCP connection reset, closed, stalled or
// refused. To the meter itself — its supply, a phase's voltage, swapped phases, a CT
// backwards or of another ratio (core/fault/meter_fault.hpp). To its storage (manual 8.1).
// Each fault is active in a window of simulated time; a link fault hits a reply with a
// probability and is deterministic: its random draws come from its seed and the number of
// replies it has seen, so a run with the stepped clock is the same run every time. Pure:
// replies in, replies out.

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
  // The meter itself (its physics; it counts what its terminals see):
  supply_lost,     ///< the supply is switched off for the window
  phase_lost,      ///< `phase`'s voltage does not reach the meter
  phases_swapped,  ///< the voltage wires of `phase` and `other_phase` are swapped
  ct_reversed,     ///< `phase`'s CT is connected backwards
  wrong_ct_ratio,  ///< the CT installed is `installed_ct`/5 (or /1), not what the meter is set to
  // Its storage (manual 8.1):
  corrupt,     ///< the stored `area` is damaged; the meter starts again from its storage
  unwritable,  ///< the `area` cannot be written for the window (bits 1-3)
  torn_write,  ///< the power fails in the middle of a save: main half written, the backup not
};

/// What a kind acts on.
enum class FaultClass : std::uint8_t { link, meter, storage };
[[nodiscard]] constexpr FaultClass fault_class(FaultKind kind) {
  if (kind >= FaultKind::corrupt) return FaultClass::storage;
  if (kind >= FaultKind::supply_lost) return FaultClass::meter;
  return FaultClass::link;
}

/// The storage areas a storage fault names: one of the three, or both copies.
enum class StorageTarget : std::uint8_t { main, backup, mantissa, both };

/// Whether `kind` acts on a TCP connection rather than on the bytes of a reply.
[[nodiscard]] constexpr bool is_connection_fault(FaultKind kind) {
  return kind == FaultKind::reset || kind == FaultKind::close || kind == FaultKind::stall ||
         kind == FaultKind::refuse;
}

[[nodiscard]] std::string_view to_string(FaultKind kind);
/// "no-reply", "delay", "bad-crc", "bit-errors", "truncate", "garbage", "wrong-unit",
/// "wrong-transaction", "exception", "collision", "reset", "close", "stall", "refuse".
[[nodiscard]] std::optional<FaultKind> fault_kind(std::string_view name);
/// Every kind's name, for messages.
[[nodiscard]] std::string fault_kinds();

/// One fault on one meter, with what it has done so far.
struct Fault {
  std::uint32_t id = 0;
  FaultKind kind = FaultKind::no_reply;
  double probability = 1.0;                  ///< of hitting a reply, 0 < p ≤ 1
  std::int64_t start_ms = 0;                 ///< simulated time it starts
  std::optional<std::int64_t> end_ms;        ///< simulated time it ends; none: until removed
  std::int64_t delay_ms = 0;                 ///< delay
  std::int64_t jitter_ms = 0;                ///< delay: up to this much more, seeded
  double bit_error_rate = 0;                 ///< bit-errors
  std::optional<std::size_t> keep_bytes;     ///< truncate (default: half the reply)
  std::size_t garbage_bytes = 4;             ///< garbage
  bool after = false;                        ///< garbage after the reply instead of before
  std::uint8_t exception_code = 0x06;        ///< exception
  std::uint64_t after_requests = 1;          ///< close: the request count that closes a connection
  std::uint8_t phase = 0;                    ///< phase-lost, phases-swapped, ct-reversed: 0-2
  std::uint8_t other_phase = 1;              ///< phases-swapped: 0-2, not `phase`
  std::uint16_t installed_ct = 5;            ///< wrong-ct-ratio: primary A of the CT installed
  StorageTarget area = StorageTarget::main;  ///< corrupt, unwritable
  bool kill = false;  ///< torn-write: the process dies with the power (SIGKILL), as by kill -9
  std::uint64_t seed = 1;
  std::uint64_t seen = 0;     ///< replies it was active for (meter, storage: 1 once started)
  std::uint64_t applied = 0;  ///< replies it changed or dropped (meter, storage: 1 once it acted)
  bool ended = false;         ///< removed (kept for GET /api/v1/faults)
  bool finished = false;      ///< a meter or storage fault whose end has been acted on

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

/// Adds `fault` to `faults` with the next id (1 for the first), its counts zero; the id.
std::uint32_t add_fault(std::vector<Fault>& faults, Fault fault);
/// Marks fault `id` ended; false when there is none.
bool end_fault(std::vector<Fault>& faults, std::uint32_t id);
/// Whether any fault of `faults` is not ended.
[[nodiscard]] bool any_live(const std::vector<Fault>& faults);

/// Whether an active `refuse` fault turns away a connection accepted at `now_ms` (counted).
[[nodiscard]] bool refuses_connection(std::vector<Fault>& faults, std::int64_t now_ms);

}  // namespace ambi
