#pragma once
// One open connection to one meter, whatever its protocol, for the tool commands: reads a
// selection of values, and keeps the small amount of state the commands share (the Modbus
// unit id, the M-bus address or selection). Also the shared helpers of the commands:
// durations, stop signals, the clock.

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/mbus/mbus_frame.hpp"
#include "tools/mbus_master.hpp"
#include "tools/meter_uri.hpp"
#include "tools/modbus_client.hpp"
#include "tools/readings.hpp"

namespace ambi {

/// A connection to the meter a URI names.
class MeterSession {
 public:
  /// Opens the connection (or line). The error is one line naming what failed.
  [[nodiscard]] static std::expected<MeterSession, std::string> open(const MeterUri& uri);

  /// Reads the values `selection` names. The error is one line ("no answer from ...").
  [[nodiscard]] std::expected<std::vector<MeterValue>, std::string> read(
      const ReadSelection& selection);

  [[nodiscard]] const MeterUri& uri() const { return uri_; }
  [[nodiscard]] ModbusClient* modbus() { return modbus_.get(); }
  [[nodiscard]] MbusMaster* mbus() { return mbus_.get(); }
  /// The M-bus address requests go to: the URI's primary address, or 0xFD once a secondary
  /// address was selected.
  [[nodiscard]] std::expected<std::uint8_t, std::string> mbus_target();
  /// Follows a change of the meter's Modbus id or M-bus primary address made by a write.
  void set_unit(std::uint8_t unit) { uri_.unit = unit; }
  void set_mbus_address(std::uint8_t address) { uri_.mbus_address = address; }

 private:
  MeterUri uri_;
  std::unique_ptr<ModbusClient> modbus_;
  std::unique_ptr<MbusMaster> mbus_;
  bool selected_ = false;
};

/// Parses an --interval: "500ms", "2s", "1.5m", "1h" (a bare number is seconds), at most a
/// day (io/duration.hpp, kIntervalSyntax). The error names the form.
[[nodiscard]] std::expected<std::chrono::milliseconds, std::string> parse_interval(
    std::string_view text);

/// Installs SIGINT/SIGTERM handlers that set the flag `stop_requested` returns.
void install_stop_handlers();
[[nodiscard]] bool stop_requested();
/// Sleeps until `deadline` (steady clock) or a stop request, whichever comes first.
void sleep_until_or_stop(std::chrono::steady_clock::time_point deadline);
/// Milliseconds since the Unix epoch, from the system clock.
[[nodiscard]] std::int64_t unix_now_ms();

/// One line on stderr: "ambimeter <command>: <message>" (io/log.hpp, as the twin's lines).
void tool_error(std::string_view command, std::string_view message);

}  // namespace ambi
