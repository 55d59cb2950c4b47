// The command line of `ambimeter run` (CLI11).
#include "twin/run/run_command.hpp"

namespace ambi {

namespace {

/// The control API, the clock, the load and the meter's stored state.
void add_meter_options(CLI::App* run, RunOptions& o) {
  run->add_option("--http", o.http,
                  "ADDR:PORT of the control API (port 0 picks a free one; non-loopback "
                  "addresses must be given explicitly)")
      ->capture_default_str();
  run->add_option_function<std::string>(
      "--state", [&o](const std::string& v) { o.state_dir = v; },
      "State directory (default $XDG_STATE_HOME/ambimeter or ~/.local/state/ambimeter)");
  run->add_option("--clock", o.clock,
                  "real (wall clock × --speed) or stepped (POST /api/v1/clock/advance)")
      ->capture_default_str();
  run->add_option_function<double>(
      "--speed", [&o](const double& v) { o.speed = v; },
      "Simulated seconds per wall second with --clock real (default 1)");
  run->add_option_function<std::string>(
      "--load", [&o](const std::string& v) { o.load_spec = v; },
      "Constant load, e.g. \"L1=230V,10A,25deg;L2=230V,5A;L3=0A;f=50Hz\" or \"all=230V,16A\"");
  run->add_option_function<std::string>(
      "--scenario", [&o](const std::string& v) { o.scenario = v; },
      "Load profile: a CSV file (docs/scenarios.md) or \"demo\"");
  run->add_option("--persist-interval", o.persist_interval_s, "Wall seconds between saves")
      ->capture_default_str();
  run->add_option_function<std::string>(
      "--serial", [&o](const std::string& v) { o.serial = v; },
      "8-digit serial number of a new meter (factory-new state only)");
  run->add_flag("--ordered-c05", o.ordered_c05, "A new meter ordered as C-05 (manual 7.6.15)");
  run->add_flag("--factory-reset", o.factory_reset,
                "Wipe the stored meter in the state directory first (all energy is lost)");
  run->add_flag("--bluetooth", o.bluetooth, "Bluetooth active from the start");
  run->add_option_function<std::int64_t>(
      "--meters", [&o](const std::int64_t& v) { o.meters = v; },
      "A fleet of N meters (serials from --serial up), 247 behind each Modbus TCP gateway on "
      "ports from --modbus-tcp up (docs/fleet.md)");
  run->add_option_function<std::string>(
      "--fleet", [&o](const std::string& v) { o.fleet_file = v; },
      "A fleet described by a TOML FILE: groups, identities, gateways, loads (docs/fleet.md)");
  run->add_option_function<std::string>(
      "--shard", [&o](const std::string& v) { o.shard = v; },
      "K/N: run slice K (from 0) of N of the fleet, whole endpoints each (docs/fleet.md)");
  run->add_option("--gateway-timing", o.gateway_timing,
                  "instant: a fleet's gateways answer at once; bus: as in front of an RS485 bus "
                  "at 9600 baud, one transaction at a time (docs/shared-lines.md)")
      ->capture_default_str();
  run->add_option_function<std::int64_t>(
      "--gateway-timeout", [&o](const std::int64_t& v) { o.gateway_timeout_ms = v; },
      "Milliseconds a gateway in front of a bus waits for a meter before exception 0B "
      "(default 1000)");
}

/// Modbus TCP, RTU and RTU over TCP.
void add_modbus_options(CLI::App* run, RunOptions& o) {
  run->add_option("--modbus-tcp", o.modbus_tcp,
                  "ADDR:PORT of the Modbus TCP server (port 0 picks a free one), or off")
      ->capture_default_str();
  run->add_option_function<std::string>(
      "--modbus-rtu", [&o](const std::string& v) { o.modbus_rtu = v; },
      "Modbus RTU on a serial DEVICE, or pty:PATH to create a pseudo-terminal linked at PATH");
  run->add_option_function<std::string>(
      "--rtu-over-tcp", [&o](const std::string& v) { o.rtu_over_tcp = v; },
      "ADDR:PORT of a server of Modbus RTU frames over TCP (port 0 picks a free one)");
  run->add_flag("--rtu-pacing", o.rtu_pacing,
                "Send RTU replies byte by byte at the meter's baud rate (--modbus-rtu)");
  run->add_flag("--rtu-ignore-gaps", o.rtu_ignore_gaps,
                "On a serial device, keep frames with more than 1.5 characters of silence between "
                "two bytes (USB adapters that deliver bytes in bursts)");
  run->add_option_function<std::string>(
      "--trace", [&o](const std::string& v) { o.trace = v; },
      "Append every Modbus frame in and out to FILE as JSON lines");
  run->add_option("--audit", o.audit,
                  "on or off: the poll audit of what each client asks (GET /api/v1/audit; "
                  "docs/audit.md)")
      ->capture_default_str();
  run->add_option("--quirk", o.quirks,
                  "Field behaviour beyond the manual: fc04, unit0 (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  run->add_option("--modbus-idle-timeout", o.modbus_idle_timeout_s,
                  "Wall seconds after which a silent Modbus TCP connection is closed")
      ->capture_default_str();
}

/// M-bus over TCP and serial, and the event loop.
void add_mbus_options(CLI::App* run, RunOptions& o) {
  run->add_option("--mbus-tcp", o.mbus_tcp,
                  "ADDR:PORT of the M-bus over TCP server (port 0 picks a free one), or off")
      ->capture_default_str();
  run->add_option_function<std::string>(
      "--mbus-serial", [&o](const std::string& v) { o.mbus_serial = v; },
      "M-bus on a serial DEVICE (8E1), or pty:PATH to create a pseudo-terminal linked at PATH");
  run->add_flag("--mbus-pacing", o.mbus_pacing,
                "Send M-bus answers byte by byte at the meter's M-bus baud rate (--mbus-serial)");
  run->add_option("--mbus-quirk", o.mbus_quirks,
                  "M-bus field behaviour beyond the manual: fcb-repeat (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  run->add_option("--fault", o.faults,
                  "KIND[:NAME=VALUE,...]: a fault on every meter's Modbus link from the start, "
                  "e.g. no-reply:probability=0.1 (repeatable; docs/faults.md)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  run->add_option("--busy-poll", o.busy_poll_us,
                  "Microseconds the event loop polls without sleeping after a request, so a "
                  "client's next request is read without a wake-up (0: off; docs/performance.md)")
      ->capture_default_str();
}

/// MQTT with Home Assistant discovery (docs/mqtt.md).
void add_mqtt_options(CLI::App* run, RunOptions& o) {
  const auto text = [&](const char* flag, std::optional<std::string>& to, const char* help) {
    run->add_option_function<std::string>(flag, [&to](const std::string& v) { to = v; }, help);
  };
  text("--mqtt", o.mqtt,
       "Publish every meter to the MQTT broker at mqtt://HOST[:PORT], with Home Assistant "
       "discovery (docs/mqtt.md)");
  text("--mqtt-prefix", o.mqtt_prefix, "Topic prefix of the states (default ambimeter)");
  text("--mqtt-discovery-prefix", o.mqtt_discovery_prefix,
       "Home Assistant's discovery prefix (default homeassistant)");
  text("--mqtt-discovery", o.mqtt_discovery, "on (default) or off: the discovery configs");
  run->add_option_function<double>(
      "--mqtt-interval", [&o](const double& v) { o.mqtt_interval_s = v; },
      "Wall seconds between two rounds over the meters (default 10; changed values only)");
  text("--mqtt-user", o.mqtt_user, "User name at the broker");
  text("--mqtt-password", o.mqtt_password, "Password at the broker (with --mqtt-user)");
  text("--mqtt-client-id", o.mqtt_client_id,
       "MQTT client id (default ambimeter-<first serial>); names the availability topic");
}

}  // namespace

CLI::App* add_run_command(CLI::App& app, RunOptions& o) {
  CLI::App* run = app.add_subcommand("run", "Run the meter twin with its JSON control API");
  add_meter_options(run, o);
  add_modbus_options(run, o);
  add_mbus_options(run, o);
  add_mqtt_options(run, o);
  return run;
}

}  // namespace ambi
