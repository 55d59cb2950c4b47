#pragma once
// The poll audit over a recorded trace (`ambimeter audit TRACE.jsonl`, docs/audit.md): the
// lines `ambimeter run --trace` wrote (docs/modbus-transports.md, docs/mbus-transports.md)
// fed to a PollAudit as the transports feed it live. Pure: the caller reads the file.

#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/poll_audit.hpp"

namespace ambi {

/// The milliseconds since the Unix epoch of a trace's "t" ("2026-12-04T18:00:00.123Z"), in µs.
[[nodiscard]] std::optional<std::int64_t> parse_trace_time(std::string_view text);

/// Feeds trace lines, one at a time, to an audit. A request line waits for the answer line
/// of the same connection that follows it; the next line of that connection, or `finish`,
/// settles it as unanswered.
class TraceAuditor {
 public:
  /// `rtu_baud`: the meter's Modbus baud rate for the timing checks of "rtu" lines (the trace
  /// does not carry it; 9600 is the factory setting).
  explicit TraceAuditor(PollAudit& audit, std::uint32_t rtu_baud = 9600)
      : audit_(audit), rtu_baud_(rtu_baud) {}

  /// One line of the file (its number for messages). Blank lines and "meter" lines are
  /// skipped; an error names the line and what is wrong with it.
  [[nodiscard]] std::expected<void, std::string> line(std::string_view text, std::size_t number);
  /// Settles the requests still waiting for an answer (the end of the file).
  void finish();

 private:
  struct Pending {
    AuditClient* client = nullptr;
    AuditTime time;
    std::vector<std::uint8_t> adu;
    AuditTarget target = AuditTarget::meter;
  };
  AuditClient& client(AuditTransport transport, const std::string& peer);
  void settle(const std::string& connection, const std::vector<std::uint8_t>* reply);

  PollAudit& audit_;
  std::uint32_t rtu_baud_;
  std::map<std::string, AuditClient*> clients_;  ///< by "transport peer" as traced
  std::map<std::string, Pending> pending_;       ///< by "transport peer" as traced
};

}  // namespace ambi
