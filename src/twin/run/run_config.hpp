#pragma once
// `ambimeter run` options checked and resolved: every user error becomes one line naming
// the problem and the fix (exit code 2).

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/mbus/mbus_slave.hpp"
#include "core/meter/load.hpp"
#include "core/modbus/gateway_line.hpp"
#include "core/modbus/modbus_pdu.hpp"
#include "core/profile/profile.hpp"
#include "mqtt/mqtt_publisher.hpp"
#include "twin/run/fleet_file.hpp"
#include "twin/run/run_command.hpp"
#include "twin/service/clock.hpp"
#include "twin/transport/serial_attachment.hpp"

namespace ambi {

/// The validated configuration of a run.
struct RunConfig {
  boost::asio::ip::tcp::endpoint endpoint;
  std::filesystem::path state_dir;
  ClockMode clock = ClockMode::real;
  double speed = 1.0;
  LoadInput load{};  ///< the constant load when there is no scenario
  std::optional<LoadProfile> scenario;
  double persist_interval_s = 1.0;
  std::optional<std::uint32_t> serial_bcd;
  bool ordered_c05 = false;
  bool factory_reset = false;
  bool bluetooth = false;
  std::optional<boost::asio::ip::tcp::endpoint> modbus_tcp;  ///< none with `--modbus-tcp off`
  std::optional<boost::asio::ip::tcp::endpoint> rtu_over_tcp;
  std::optional<SerialPortSpec> modbus_rtu;
  bool rtu_pacing = false;
  bool rtu_ignore_gaps = false;  ///< with a modbus_rtu device only
  std::optional<std::filesystem::path> trace;
  bool audit = true;  ///< the poll audit of every client (docs/audit.md)
  ModbusQuirks quirks{};
  std::chrono::milliseconds modbus_idle_timeout{60'000};
  std::optional<boost::asio::ip::tcp::endpoint> mbus_tcp;  ///< none with `--mbus-tcp off`
  std::optional<SerialPortSpec> mbus_serial;               ///< device or pty:PATH
  bool mbus_pacing = false;                                ///< with mbus_serial only
  MbusQuirks mbus_quirks{};
  std::chrono::microseconds busy_poll{0};  ///< polling window after a request (0: off)
  /// With --meters or --fleet: the fleet to run (docs/fleet.md); none: the one meter of a
  /// plain run.
  std::optional<FleetPlan> fleet;
  /// A fleet's RS485 buses and M-bus lines (docs/shared-lines.md): `--meters N` with
  /// `--modbus-rtu`, `--mbus-serial` or `--mbus-tcp` puts all N on one of each; a fleet file
  /// declares them (`[[bus]]`, `[[mbus_line]]`). `what` names a line in messages.
  struct BusFace {
    std::string what;
    std::optional<SerialPortSpec> port;
    std::optional<boost::asio::ip::tcp::endpoint> tcp;  ///< RTU frames over TCP
    std::vector<std::size_t> meters;
  };
  struct MbusLineFace {
    std::string what;
    std::optional<SerialPortSpec> serial;
    std::optional<boost::asio::ip::tcp::endpoint> tcp;
    std::vector<std::size_t> meters;
  };
  std::vector<BusFace> buses;
  std::vector<MbusLineFace> mbus_lines;
  /// `--fault SPEC`s, checked: added to every meter at the start (docs/faults.md).
  std::vector<std::string> faults;
  /// `--gateway-timing bus`: the fleet's gateways front RS485 buses with line timing.
  std::optional<GatewayLineOptions> gateway_bus;
  /// `--mqtt` (docs/mqtt.md): the broker and topics; none without it.
  std::optional<MqttOptions> mqtt;
  std::chrono::milliseconds mqtt_interval{10'000};  ///< --mqtt-interval, wall time
};

/// "127.0.0.1:8080", "localhost:0", "[::1]:8080", "0.0.0.0:8080".
[[nodiscard]] std::expected<boost::asio::ip::tcp::endpoint, std::string> parse_http_address(
    const std::string& text);

/// --state, else $XDG_STATE_HOME/ambimeter, else ~/.local/state/ambimeter.
[[nodiscard]] std::expected<std::filesystem::path, std::string> resolve_state_dir(
    const std::optional<std::string>& state);

/// "19020246" → 0x19020246.
[[nodiscard]] std::expected<std::uint32_t, std::string> parse_serial(const std::string& text);

/// Checks every option and reads the scenario file, if any.
[[nodiscard]] std::expected<RunConfig, std::string> resolve_run_config(const RunOptions& options);

}  // namespace ambi
