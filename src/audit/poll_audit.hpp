#pragma once
// The poll audit (docs/audit.md): per client of the meter — a TCP peer's address, or a
// serial line — what it asked, and the findings a real meter would punish or a careful
// integrator would want to know, each with its evidence (the first frame, the first and last
// time, the count). Pure: the transports (live) and the trace reader (offline) feed it the
// same observations, so both find the same. Memory is bounded: at most `kMaxClients`
// clients per audit (later ones are counted together as one), one record per check and a
// few request signatures per client, never a list of frames.

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/mbus/mbus_frame.hpp"
#include "core/modbus/modbus_codec.hpp"

namespace ambi {

/// The checks, one finding each per client.
enum class AuditCheck : std::uint8_t {
  second_word,        ///< a read starting on the second word of a 2-register value
  unmapped,           ///< a read touching an address outside every documented block
  fc04,               ///< FC 04 where the meter reads with FC 03 only
  too_many,           ///< more than 125 registers read (or 123 written) in one request
  read_only_write,    ///< a write to a read-only, unmapped or half-covered register
  repeated_failure,   ///< the same failing request sent again without change
  too_fast,           ///< serial: a request sooner than the line could carry the exchange
  gap_in_frame,       ///< serial: a frame with more than 1.5 characters of silence inside
  fcb_not_toggled,    ///< M-bus: REQ_UD2 with FCV set and the FCB of the one before
  no_secondary_read,  ///< M-bus: reads by primary address after a collision, no selection
  no_meter,           ///< a fleet's gateway or bus: a unit no meter there has
  gateway_unit,       ///< a gateway's own unit 255 asked for what only a meter has
  broadcast_read,     ///< a read to unit 0, which nobody answers
};
inline constexpr std::size_t kAuditChecks = 13;

/// "second-word", "unmapped", "fc04", "too-many-registers", "read-only-write",
/// "repeated-failure", "polling-too-fast", "gap-in-frame", "fcb-not-toggled",
/// "no-secondary-after-collision", "no-meter-at-unit", "gateway-unit", "broadcast-read".
[[nodiscard]] std::string_view to_string(AuditCheck check);
/// "error" when the real meter refuses the request (an exception, a dropped frame),
/// "warning" when it answers but the client is probably wrong or will be.
[[nodiscard]] std::string_view severity(AuditCheck check);

/// The transports as the trace names them: "tcp", "rtu", "rtu-over-tcp", "mbus-tcp",
/// "mbus-serial".
enum class AuditTransport : std::uint8_t { tcp, rtu, rtu_over_tcp, mbus_tcp, mbus_serial };
[[nodiscard]] std::string_view to_string(AuditTransport transport);
[[nodiscard]] std::optional<AuditTransport> audit_transport(std::string_view name);
[[nodiscard]] constexpr bool is_mbus(AuditTransport t) {
  return t == AuditTransport::mbus_tcp || t == AuditTransport::mbus_serial;
}
/// The client a trace peer belongs to: over TCP the peer's address without its port (a
/// master that reconnects for every poll is one client), on a serial line the device.
[[nodiscard]] std::string audit_peer(AuditTransport transport, std::string_view peer);

/// When something was seen: the meter's simulated time and, when known, the wall time in
/// µs since the Unix epoch (absent offline over a trace of a stepped clock).
struct AuditTime {
  std::int64_t sim_ms = 0;
  std::optional<std::int64_t> wall_us;
};

/// One check's finding for one client.
struct AuditFinding {
  AuditCheck check = AuditCheck::second_word;
  std::uint64_t count = 0;
  AuditTime first;
  AuditTime last;
  std::string example;  ///< the first offending frame, hex as the trace writes it
  std::string detail;   ///< what was wrong with it, in words
};

/// What the meter answered to a Modbus request.
struct ModbusReplySeen {
  std::optional<ExceptionCode> exception;  ///< set for an exception response
  std::size_t bytes = 0;                   ///< the reply's length on the line (ADU)
};

/// Who a Modbus request reached. A meter's own transports reach the meter; a fleet's gateway
/// or bus also tells the audit of the gateway or bus as a whole when nobody answers for a
/// meter, so that the register map's checks are not made on what no meter heard.
enum class AuditTarget : std::uint8_t {
  meter,     ///< a meter (every meter, for a broadcast)
  no_meter,  ///< nobody: no meter behind the gateway or on the bus has this unit now
  gateway,   ///< the gateway's own unit 255, answered from the gateway's registers
};
/// "meter", "no_meter", "gateway" (the trace's `decoded.target`, absent for "meter").
[[nodiscard]] std::string_view to_string(AuditTarget target);
[[nodiscard]] std::optional<AuditTarget> audit_target(std::string_view name);

/// One Modbus request as the server parsed it, and its answer.
struct ModbusSeen {
  AuditTime time;                     ///< on a serial line: when its last byte arrived
  std::span<const std::uint8_t> adu;  ///< the whole frame as received
  std::uint8_t unit = 0;
  const ParsedRequest* request = nullptr;
  std::optional<ModbusReplySeen> reply;  ///< none: nothing was answered
  std::uint32_t baud = 0;                ///< a serial line's rate (timing checks), else 0
  AuditTarget target = AuditTarget::meter;
};

/// One M-bus telegram from the master, as the framer took it.
struct MbusSeen {
  AuditTime time;
  std::span<const std::uint8_t> bytes;
  const MbusFrame* frame = nullptr;
};

/// Bytes the link dropped or a reply that was damaged, with the trace's reason text: the
/// audit reads RTU gaps ("frame interrupted by a gap ..."), a master talking over a meter on
/// a bus ("lost: sent while a meter answered ...") and M-bus collisions ("answers of several
/// meters collided", a "(collision)" fault) from it.
struct LinkErrorSeen {
  AuditTime time;
  std::span<const std::uint8_t> bytes;
  std::string_view reason;
};

/// Whether a trace error reason is an RTU frame cut by a gap / an M-bus collision.
[[nodiscard]] bool is_gap_reason(std::string_view reason);
[[nodiscard]] bool is_collision_reason(std::string_view reason);
/// Whether it is a master's frame sent while a meter of a bus was answering (lost, and the
/// reply garbled).
[[nodiscard]] bool is_talk_over_reason(std::string_view reason);

/// One client's record: counts, times and findings.
class AuditClient {
 public:
  AuditClient(AuditTransport transport, std::string peer)
      : transport_(transport), peer_(std::move(peer)) {
    last_fcb_.fill(-1);
  }

  /// A Modbus request (not one ignored for another unit) and what was answered.
  void modbus(const ModbusSeen& seen);
  /// An M-bus telegram from the master.
  void mbus(const MbusSeen& seen);
  /// Bytes dropped or a reply damaged on this client's link.
  void link_error(const LinkErrorSeen& seen);

  [[nodiscard]] AuditTransport transport() const { return transport_; }
  [[nodiscard]] const std::string& peer() const { return peer_; }
  [[nodiscard]] std::uint64_t requests() const { return requests_; }
  [[nodiscard]] const AuditTime& first_seen() const { return first_; }
  [[nodiscard]] const AuditTime& last_seen() const { return last_; }
  /// The finding of `check`, if any.
  [[nodiscard]] const AuditFinding* finding(AuditCheck check) const;
  /// How many checks found something.
  [[nodiscard]] std::size_t finding_count() const;

 private:
  /// Counts one occurrence of `check`; the first keeps `frame` and `detail()`.
  template <class Detail>
  void note(AuditCheck check, const AuditTime& time, std::span<const std::uint8_t> frame,
            Detail detail);
  void seen_at(const AuditTime& time);
  void check_read(const ModbusSeen& seen, std::uint8_t function, std::uint16_t address,
                  std::uint16_t count);
  void check_write(const ModbusSeen& seen, std::span<const std::uint8_t> pdu);
  /// A request no meter answered for: the unit's fault, not the register map's.
  void check_target(const ModbusSeen& seen, std::span<const std::uint8_t> pdu);
  void check_repeat(const ModbusSeen& seen, std::span<const std::uint8_t> pdu);
  void check_pace(const ModbusSeen& seen);
  void check_fcb(const MbusSeen& seen);
  void check_after_collision(const MbusSeen& seen);

  AuditTransport transport_;
  std::string peer_;
  std::uint64_t requests_ = 0;
  AuditTime first_;
  AuditTime last_;
  std::array<std::optional<AuditFinding>, kAuditChecks> findings_;
  /// Signatures of recent failing requests (unit and PDU), most recent first.
  struct Failure {
    std::uint64_t signature = 0;
    std::uint8_t exception = 0;
  };
  static constexpr std::size_t kFailures = 8;
  std::array<Failure, kFailures> failures_{};
  std::size_t failure_count_ = 0;
  /// Serial pace: when the last request's last byte arrived and its reply's length.
  std::optional<std::int64_t> last_request_us_;
  std::size_t last_reply_bytes_ = 0;
  /// M-bus: the FCB of the last REQ_UD2 with FCV per address (-1: none since SND_NKE).
  std::array<std::int8_t, 256> last_fcb_{};
  std::optional<AuditTime> collision_;  ///< the last collision not followed by a selection
};

/// Every client of one meter (or one process), at most `kMaxClients` of them; beyond that
/// new clients are counted in one record "(other clients)".
class PollAudit {
 public:
  static constexpr std::size_t kMaxClients = 64;

  /// The record of the client of `transport` at trace peer `peer` (see `audit_peer`),
  /// made on first sight. The reference stays valid as long as the audit.
  [[nodiscard]] AuditClient& client(AuditTransport transport, std::string_view peer);
  [[nodiscard]] const std::deque<AuditClient>& clients() const { return clients_; }
  /// Lookups (a connection each, live) that found the cap reached and went to the overflow
  /// record.
  [[nodiscard]] std::uint64_t merged_connections() const { return merged_; }

 private:
  std::deque<AuditClient> clients_;
  std::uint64_t merged_ = 0;
};

}  // namespace ambi
