#pragma once
// `ambimeter run`: the meter twin as a process (docs/control-api.md). One io_context
// thread runs the HTTP control API, the clock tick, the save timer and the signal handler.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/exit_codes.hpp"

namespace ambi {

/// The command line of `ambimeter run`, as typed (validated by `run_meter`).
struct RunOptions {
  std::string http = "127.0.0.1:8080";
  std::optional<std::string> state_dir;
  std::string clock = "real";
  std::optional<double> speed;
  std::optional<std::string> load_spec;
  std::optional<std::string> scenario;
  double persist_interval_s = 1.0;
  std::optional<std::string> serial;
  bool ordered_c05 = false;
  bool factory_reset = false;
  bool bluetooth = false;
  std::string modbus_tcp = "127.0.0.1:5020";
  std::optional<std::string> modbus_rtu;
  std::optional<std::string> rtu_over_tcp;
  bool rtu_pacing = false;
  bool rtu_ignore_gaps = false;
  std::optional<std::string> trace;
  std::string audit = "on";  ///< the poll audit (docs/audit.md): on or off
  std::vector<std::string> quirks;
  double modbus_idle_timeout_s = 60.0;
  std::string mbus_tcp = "127.0.0.1:5021";
  std::optional<std::string> mbus_serial;
  bool mbus_pacing = false;
  std::vector<std::string> mbus_quirks;
  std::int64_t busy_poll_us = 200;         ///< docs/performance.md
  std::optional<std::int64_t> meters;      ///< a fleet (docs/fleet.md)
  std::optional<std::string> fleet_file;   ///< a fleet described by a TOML file
  std::optional<std::string> shard;        ///< "K/N": slice K of N of the fleet
  std::string gateway_timing = "instant";  ///< or "bus": gateways with their bus's timing
  std::vector<std::string> faults;         ///< --fault KIND[:NAME=VALUE,...] (docs/faults.md)
  std::optional<std::int64_t> gateway_timeout_ms;
  /// MQTT with Home Assistant discovery (docs/mqtt.md): the broker, mqtt://HOST:PORT.
  std::optional<std::string> mqtt;
  std::optional<std::string> mqtt_prefix;
  std::optional<std::string> mqtt_discovery_prefix;
  std::optional<std::string> mqtt_discovery;  ///< "on" (default) or "off"
  std::optional<double> mqtt_interval_s;      ///< wall seconds between rounds (default 10)
  std::optional<std::string> mqtt_user;
  std::optional<std::string> mqtt_password;
  std::optional<std::string> mqtt_client_id;
};

/// Declares the `run` subcommand and its options on `app`, filling `options`.
CLI::App* add_run_command(CLI::App& app, RunOptions& options);

/// Runs the twin until SIGINT/SIGTERM. Prints one JSON "ready" line on stdout once the API
/// listens and the start-up state is saved.
[[nodiscard]] int run_meter(const RunOptions& options);

}  // namespace ambi
