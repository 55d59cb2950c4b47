#pragma once
// --trace FILE: every Modbus frame the twin receives or sends, one JSON object per line
// (docs/modbus-transports.md):
//   {"t":"2024-05-01T12:00:00.123Z","sim_ms":3600000,"transport":"tcp","peer":"127.0.0.1:40512",
//    "dir":"in","hex":"00 01 00 00 00 06 01 03 40 00 00 02",
//    "decoded":{"transaction":1,"unit":1,"function":3,"address":16384,"count":2}}
// Bytes that are not a frame carry "error" instead of "decoded".

#include <cstdint>
#include <cstdio>
#include <expected>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/modbus/modbus_codec.hpp"
#include "io/json.hpp"

namespace ambi {

/// Which way a frame went, seen from the meter.
enum class TraceDirection : std::uint8_t { in, out };

/// Who a trace line is about: the transport ("tcp", "rtu", "rtu-over-tcp") and the peer
/// (a client's "ADDR:PORT" or the serial device).
struct TraceSource {
  std::string transport;
  std::string peer;
};

/// An append-only JSON-lines file, flushed after every line.
class TrafficTrace {
 public:
  /// Opens (creating or appending to) `path`; the error names the file, the reason and
  /// the option to fix. Without `wall_time` (a stepped clock) lines carry no wall time
  /// "t": two runs of one scenario then write the same file.
  [[nodiscard]] static std::expected<std::unique_ptr<TrafficTrace>, std::string> open(
      const std::filesystem::path& path, bool wall_time = true);
  ~TrafficTrace();
  TrafficTrace(const TrafficTrace&) = delete;
  TrafficTrace& operator=(const TrafficTrace&) = delete;

  /// One frame with its decoding.
  void frame(const TraceSource& source, std::int64_t sim_ms, TraceDirection dir,
             std::span<const std::uint8_t> bytes, Json decoded);
  /// A meter or storage fault that started or ended on meter `serial` (docs/faults.md):
  /// {"sim_ms":...,"transport":"meter","peer":"19020246","event":"fault 3 (phase-lost) starts"}.
  void event(std::uint32_t serial_bcd, std::int64_t sim_ms, std::string_view text);
  /// Bytes that were dropped or refused, with the reason.
  void error(const TraceSource& source, std::int64_t sim_ms, TraceDirection dir,
             std::span<const std::uint8_t> bytes, std::string_view reason);

 private:
  TrafficTrace(std::FILE* file, bool wall_time) : file_(file), wall_time_(wall_time) {}
  /// The members every line starts with: "t" (with wall time), "sim_ms", "transport", "peer".
  [[nodiscard]] Json head(std::int64_t sim_ms, std::string_view transport,
                          std::string_view peer) const;
  void write(const Json& line);
  std::FILE* file_;
  bool wall_time_;
};

/// The "decoded" members of a Modbus request as the server parsed it:
/// {"function":3,"address":16384,"count":2}; FC 06 "value", FC 16 "count" and "values";
/// any other function code "data" in hex. A PDU that failed a count check shows the fields
/// it carried; one without its function code's fields shows "data".
[[nodiscard]] Json request_json(const ParsedRequest& request);
/// The "decoded" members of a Modbus response: {"function":3,"values":[...]}, the echoed
/// "address" and "value" or "count" of a write, or
/// {"function":131,"exception":2,"exception_name":"illegal data address"}.
[[nodiscard]] Json response_json(const Response& response);

}  // namespace ambi
