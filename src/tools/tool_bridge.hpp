#pragma once
// `ambimeter bridge URI...` (docs/integrations.md): polls meters, real ones or twins, over
// Modbus or M-bus with the reader's read plan at an interval, and publishes what it reads
// as the twin does: to an MQTT broker with Home Assistant discovery (--mqtt) and on a
// Prometheus /metrics endpoint (--metrics). The job mbmd does, with the twin's decoding.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace ambi {

/// The bridge's options, as typed.
struct BridgeOptions {
  std::vector<std::string> uris;
  std::string interval = "10s";
  std::string mqtt;  ///< mqtt://HOST[:PORT]
  std::string mqtt_prefix = "ambimeter";
  std::string mqtt_discovery_prefix = "homeassistant";
  std::string mqtt_user;
  std::string mqtt_password;
  std::string metrics;  ///< HOST:PORT to serve GET /metrics on
  int count = 0;        ///< stop after N polls of every meter (0: until SIGINT/SIGTERM)
};

/// Declares `bridge` on `app`.
CLI::App* add_bridge_command(CLI::App& app, BridgeOptions& options);

/// Runs the bridge: 0 when stopped, 1 when the metrics port or the broker options fail, 2 on
/// a usage error (bad URI, interval, address).
[[nodiscard]] int run_bridge(const BridgeOptions& options);

}  // namespace ambi
