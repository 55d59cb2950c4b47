#include "twin/run/run_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/modbus/modbus_gateway.hpp"
#include "net/listen_address.hpp"
#include "twin/http/fault_json.hpp"
#include "twin/run/run_mqtt.hpp"
#include "twin/service/fleet.hpp"

namespace ambi {
namespace {

namespace fs = std::filesystem;
using Error = std::unexpected<std::string>;

/// Upper bound of --busy-poll (10 ms: longer spinning buys nothing).
constexpr std::int64_t kMaxBusyPollUs = 10'000;
/// Upper bound of --persist-interval and --speed (a day; a thousand years per second).
constexpr double kMaxPersistIntervalS = 86'400;
constexpr double kMaxSpeed = 3.2e10;

/// The text of a file the user named; `what` names it in messages ("scenario file"), `hint`
/// says what to give instead.
std::expected<std::string, std::string> read_text_file(
    const std::string& path, std::string_view what = "scenario file",
    std::string_view hint = "give a CSV file or --scenario demo") {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return Error(fmt::format("cannot read {} {}: no such file; {}", what, path, hint));
  }
  if (fs::is_directory(path, ec))
    return Error(fmt::format("cannot read {} {}: it is a directory", what, path));
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.is_open() || in.bad()) {
    return Error(fmt::format("cannot read {} {}: permission denied or I/O error", what, path));
  }
  return text.str();
}

std::expected<void, std::string> resolve_load(const RunOptions& o, RunConfig& c) {
  if (o.load_spec && o.scenario) {
    return Error("--load and --scenario exclude each other; give one load source");
  }
  if (o.load_spec) {
    auto load = parse_load_spec(*o.load_spec);
    if (!load) {
      if (load.error().starts_with("bad --load")) return Error(load.error());
      return Error(fmt::format("bad --load \"{}\": {}", *o.load_spec, load.error()));
    }
    if (auto ok = check_load(*load); !ok) {
      return Error(fmt::format("bad --load \"{}\": {}", *o.load_spec, ok.error().message));
    }
    c.load = *load;
    return {};
  }
  if (!o.scenario) {
    c.load = LoadInput{};
    for (auto& phase : c.load.phases) phase = PhaseInput{230.0, 0.0, 0.0};
    return {};
  }
  if (*o.scenario == "demo") {
    auto profile = parse_scenario_csv(demo_scenario_csv(), "demo");
    if (!profile)
      return Error(fmt::format("the built-in demo scenario is broken: {}", profile.error()));
    c.scenario = std::move(*profile);
    return {};
  }
  auto text = read_text_file(*o.scenario);
  if (!text) return Error(text.error());
  auto profile = parse_scenario_csv(*text, fs::path(*o.scenario).filename().string());
  if (!profile) return Error(fmt::format("bad scenario file {}: {}", *o.scenario, profile.error()));
  c.scenario = std::move(*profile);
  return {};
}

std::expected<void, std::string> resolve_clock(const RunOptions& o, RunConfig& c) {
  if (o.clock == "real") {
    c.clock = ClockMode::real;
  } else if (o.clock == "stepped") {
    c.clock = ClockMode::stepped;
  } else {
    return Error(fmt::format("bad --clock \"{}\": use real or stepped", o.clock));
  }
  if (o.speed && c.clock == ClockMode::stepped) {
    return Error(
        "--speed applies to --clock real only; a stepped clock moves by POST "
        "/api/v1/clock/advance");
  }
  c.speed = o.speed.value_or(1.0);
  if (!(c.speed > 0) || c.speed > kMaxSpeed) {
    return Error(
        fmt::format("bad --speed {}: give simulated seconds per wall second, > 0 and at most {:g}",
                    c.speed, kMaxSpeed));
  }
  if (!(o.persist_interval_s > 0) || o.persist_interval_s > kMaxPersistIntervalS) {
    return Error(fmt::format("bad --persist-interval {}: give wall seconds, > 0 and at most {:g}",
                             o.persist_interval_s, kMaxPersistIntervalS));
  }
  c.persist_interval_s = o.persist_interval_s;
  if (o.busy_poll_us < 0 || o.busy_poll_us > kMaxBusyPollUs) {
    return Error(fmt::format("bad --busy-poll {}: give microseconds from 0 (off) to {}",
                             o.busy_poll_us, kMaxBusyPollUs));
  }
  c.busy_poll = std::chrono::microseconds(o.busy_poll_us);
  return {};
}

/// The quirk switches (`--quirk`, repeatable).
struct QuirkName {
  std::string_view name;
  bool ModbusQuirks::* flag;
};
constexpr std::array<QuirkName, 2> kQuirks{
    {{"fc04", &ModbusQuirks::fc04_as_fc03}, {"unit0", &ModbusQuirks::answer_unit_zero}}};

std::expected<void, std::string> resolve_quirks(const RunOptions& o, RunConfig& c) {
  for (const std::string& name : o.quirks) {
    const auto it = std::find_if(kQuirks.begin(), kQuirks.end(),
                                 [&](const QuirkName& q) { return q.name == name; });
    if (it == kQuirks.end()) {
      return Error(
          fmt::format("bad --quirk \"{}\": use fc04 (answer FC 04 like FC 03) or unit0 (answer "
                      "reads sent to unit 0 on RTU)",
                      name));
    }
    c.quirks.*(it->flag) = true;
  }
  return {};
}

std::expected<void, std::string> resolve_modbus(const RunOptions& o, RunConfig& c) {
  if (o.modbus_tcp != "off") {
    auto endpoint = parse_listen_address(o.modbus_tcp, "--modbus-tcp", "127.0.0.1:5020 or off");
    if (!endpoint) return Error(endpoint.error());
    c.modbus_tcp = *endpoint;
  }
  if (o.rtu_over_tcp) {
    auto endpoint = parse_listen_address(*o.rtu_over_tcp, "--rtu-over-tcp", "127.0.0.1:5022");
    if (!endpoint) return Error(endpoint.error());
    c.rtu_over_tcp = *endpoint;
  }
  if (o.modbus_rtu) {
    const bool pty = o.modbus_rtu->starts_with("pty:");
    const std::string path = pty ? o.modbus_rtu->substr(4) : *o.modbus_rtu;
    if (path.empty())
      return Error(
          "--modbus-rtu needs a serial device like /dev/ttyUSB0, or pty:PATH like "
          "pty:/tmp/ttyAMBI");
    c.modbus_rtu = SerialPortSpec{path, pty};
  }
  if (o.rtu_pacing && !c.modbus_rtu)
    return Error("--rtu-pacing applies to --modbus-rtu only; add --modbus-rtu DEVICE or pty:PATH");
  c.rtu_pacing = o.rtu_pacing;
  if (o.rtu_ignore_gaps && (!c.modbus_rtu || c.modbus_rtu->pty)) {
    return Error(
        "--rtu-ignore-gaps applies to a serial device only (--modbus-rtu /dev/ttyUSB0); a pty has "
        "no line timing");
  }
  c.rtu_ignore_gaps = o.rtu_ignore_gaps;
  if (o.trace) {
    if (o.trace->empty()) return Error("--trace needs a file name");
    c.trace = fs::path(*o.trace);
  }
  if (o.audit != "on" && o.audit != "off") {
    return Error(fmt::format("bad --audit \"{}\": give on (the default) or off", o.audit));
  }
  c.audit = o.audit == "on";
  if (!(o.modbus_idle_timeout_s > 0) || o.modbus_idle_timeout_s > kMaxPersistIntervalS) {
    return Error(
        fmt::format("bad --modbus-idle-timeout {}: give wall seconds, > 0 and at most {:g}",
                    o.modbus_idle_timeout_s, kMaxPersistIntervalS));
  }
  c.modbus_idle_timeout = std::chrono::milliseconds(
      std::max<std::int64_t>(1, static_cast<std::int64_t>(o.modbus_idle_timeout_s * 1000.0)));
  return resolve_quirks(o, c);
}

/// The M-bus quirk switches (`--mbus-quirk`, repeatable).
struct MbusQuirkName {
  std::string_view name;
  bool MbusQuirks::* flag;
};
constexpr std::array<MbusQuirkName, 1> kMbusQuirks{{{"fcb-repeat", &MbusQuirks::fcb_repeat}}};

std::expected<void, std::string> resolve_mbus(const RunOptions& o, RunConfig& c) {
  if (o.mbus_tcp != "off") {
    auto endpoint = parse_listen_address(o.mbus_tcp, "--mbus-tcp", "127.0.0.1:5021 or off");
    if (!endpoint) return Error(endpoint.error());
    c.mbus_tcp = *endpoint;
  }
  if (o.mbus_serial) {
    const bool pty = o.mbus_serial->starts_with("pty:");
    const std::string path = pty ? o.mbus_serial->substr(4) : *o.mbus_serial;
    if (path.empty())
      return Error(
          "--mbus-serial needs a serial device like /dev/ttyUSB1, or pty:PATH like "
          "pty:/tmp/ttyMBUS");
    c.mbus_serial = SerialPortSpec{path, pty};
  }
  if (o.mbus_pacing && !c.mbus_serial && !o.fleet_file) {
    return Error(
        "--mbus-pacing applies to --mbus-serial only; add --mbus-serial DEVICE or pty:PATH");
  }
  c.mbus_pacing = o.mbus_pacing;
  for (const std::string& name : o.mbus_quirks) {
    const auto it = std::find_if(kMbusQuirks.begin(), kMbusQuirks.end(),
                                 [&](const MbusQuirkName& q) { return q.name == name; });
    if (name == "ignore-fcb") {
      return Error(
          "--mbus-quirk ignore-fcb is gone: every REQ_UD2 gets fresh data by default now; "
          "drop the flag (fcb-repeat asks for the old behaviour)");
    }
    if (it == kMbusQuirks.end()) {
      return Error(
          fmt::format("bad --mbus-quirk \"{}\": use fcb-repeat (repeat the last RSP_UD when the "
                      "FCB did not toggle)",
                      name));
    }
    c.mbus_quirks.*(it->flag) = true;
  }
  return {};
}

/// A fleet file's `epoch` and `speed` (docs/fleet.md "Time"). With --clock stepped they do
/// not apply: a test driver advances every shard through the API.
std::expected<void, std::string> resolve_time_base(const RunOptions& o, RunConfig& c,
                                                   FleetPlan& plan) {
  if (c.clock == ClockMode::stepped) {
    plan.epoch_unix_ms.reset();
    plan.speed.reset();
    return {};
  }
  if (!plan.speed) return {};
  const double speed = *plan.speed;  // NOLINT(bugprone-unchecked-optional-access): checked
  if (o.speed && *o.speed != speed) {
    return Error(fmt::format(
        "--speed {:g} differs from fleet.speed {:g} in {}: drop --speed (every shard of the "
        "file runs at its speed)",
        *o.speed, speed, plan.file));
  }
  c.speed = speed;
  return {};
}

/// The faces of a fleet (docs/shared-lines.md): Modbus TCP gateways; with --meters N also
/// one RS485 bus (N ≤ 247, on --modbus-rtu and/or --rtu-over-tcp) and one M-bus line
/// (N ≤ 250); a fleet file declares its own buses and lines.
std::expected<void, std::string> resolve_fleet_faces(const RunOptions& o, const RunConfig& c,
                                                     std::string_view flag) {
  const std::int64_t meters = o.meters.value_or(0);  // 0: a fleet file
  if (c.modbus_rtu && o.fleet_file) {
    return Error(
        "--modbus-rtu with --fleet: a fleet file places its groups on buses itself; declare a "
        "[[bus]] with its device and give the groups bus = \"NAME\" (docs/shared-lines.md)");
  }
  if ((c.modbus_rtu || c.rtu_over_tcp) && meters > static_cast<std::int64_t>(kMaxMeterUnit)) {
    return Error(fmt::format("--meters {} {}: one RS485 bus has ids 1-{}; give at most {} meters",
                             meters, c.modbus_rtu ? "--modbus-rtu" : "--rtu-over-tcp",
                             kMaxMeterUnit, kMaxMeterUnit));
  }
  if (c.rtu_over_tcp && o.fleet_file) {
    return Error(
        "--rtu-over-tcp with --fleet: a fleet file places its buses itself; give a [[bus]] "
        "tcp = \"ADDR:PORT\" (docs/shared-lines.md)");
  }
  const bool mbus_line = meters > 0 && meters <= static_cast<std::int64_t>(kMbusAddresses);
  if (c.mbus_serial && !mbus_line) {
    return Error(fmt::format(
        "--mbus-serial with {}: one M-bus line has primary addresses 1-{}; use --meters N with "
        "N up to {}, or a fleet file's [[mbus_line]]",
        meters > 0 ? fmt::format("--meters {}", meters) : std::string("--fleet"), kMbusAddresses,
        kMbusAddresses));
  }
  if (!c.modbus_tcp) {
    return Error(fmt::format(
        "--modbus-tcp off leaves a fleet ({}) unreachable: give --modbus-tcp ADDR:PORT for its "
        "gateways",
        flag));
  }
  return {};
}

/// `--gateway-timing` and `--gateway-timeout`: whether a fleet's gateways answer at once or
/// as in front of an RS485 bus (docs/shared-lines.md).
std::expected<void, std::string> resolve_gateway_timing(const RunOptions& o, RunConfig& c,
                                                        bool fleet) {
  constexpr std::int64_t kMaxTimeoutMs = 60'000;
  if (o.gateway_timing != "instant" && o.gateway_timing != "bus") {
    return Error(fmt::format(
        "bad --gateway-timing {}: give instant (answer at once) or bus (as in front of an "
        "RS485 bus)",
        o.gateway_timing));
  }
  const bool bus = o.gateway_timing == "bus";
  if (bus && !fleet) {
    return Error("--gateway-timing applies to a fleet's gateways: add --meters N or --fleet FILE");
  }
  if (o.gateway_timeout_ms && !bus)
    return Error("--gateway-timeout applies to --gateway-timing bus; add it or drop the timeout");
  if (o.gateway_timeout_ms &&
      (*o.gateway_timeout_ms < 1 || *o.gateway_timeout_ms > kMaxTimeoutMs)) {
    return Error(fmt::format("bad --gateway-timeout {}: give milliseconds from 1 to {}",
                             *o.gateway_timeout_ms, kMaxTimeoutMs));
  }
  if (!bus) return {};
  GatewayLineOptions line;
  if (o.gateway_timeout_ms) line.timeout = std::chrono::milliseconds(*o.gateway_timeout_ms);
  c.gateway_bus = line;
  return {};
}

/// "pty:PATH" or a device path, as --modbus-rtu and --mbus-serial take it.
std::expected<SerialPortSpec, std::string> serial_spec(const std::string& text,
                                                       std::string_view what) {
  const bool pty = text.starts_with("pty:");
  std::string path = pty ? text.substr(4) : text;
  if (path.empty()) {
    return Error(
        fmt::format("{}: give a serial device like /dev/ttyUSB0, or pty:PATH like "
                    "pty:/tmp/ttyAMBI",
                    what));
  }
  return SerialPortSpec{std::move(path), pty};
}

/// The fleet's buses and lines: all of `--meters N` on the command line's, or the fleet
/// file's [[bus]] and [[mbus_line]] with their addresses checked.
std::expected<void, std::string> resolve_lines(const RunOptions& o, RunConfig& c,
                                               const FleetPlan& plan) {
  std::vector<std::size_t> all(plan.meters.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  if (o.meters) {
    if (c.modbus_rtu || c.rtu_over_tcp)
      c.buses.push_back(
          {c.modbus_rtu ? "--modbus-rtu" : "--rtu-over-tcp", c.modbus_rtu, c.rtu_over_tcp, all});
    if (*o.meters <= static_cast<std::int64_t>(kMbusAddresses) && (c.mbus_serial || c.mbus_tcp))
      c.mbus_lines.push_back({"--mbus-serial", c.mbus_serial, c.mbus_tcp, all});
    return {};
  }
  for (const FleetLine& bus : plan.buses) {
    RunConfig::BusFace face{fmt::format("{}: bus \"{}\"", plan.file, bus.name), std::nullopt,
                            std::nullopt, bus.meters};
    if (bus.device) {
      auto port = serial_spec(*bus.device, face.what + ".device");
      if (!port) return Error(port.error());
      face.port = *port;
    }
    if (bus.tcp) {
      auto endpoint = parse_listen_address(*bus.tcp, face.what + ".tcp", "127.0.0.1:5022");
      if (!endpoint) return Error(endpoint.error());
      face.tcp = *endpoint;
    }
    c.buses.push_back(std::move(face));
  }
  for (const FleetLine& line : plan.mbus_lines) {
    RunConfig::MbusLineFace face{fmt::format("{}: mbus_line \"{}\"", plan.file, line.name),
                                 std::nullopt, std::nullopt, line.meters};
    if (line.device) {
      auto port = serial_spec(*line.device, face.what + ".device");
      if (!port) return Error(port.error());
      face.serial = *port;
    }
    if (line.tcp) {
      auto endpoint = parse_listen_address(*line.tcp, face.what + ".tcp", "127.0.0.1:5021");
      if (!endpoint) return Error(endpoint.error());
      face.tcp = *endpoint;
    }
    c.mbus_lines.push_back(std::move(face));
  }
  if (c.mbus_pacing && std::none_of(c.mbus_lines.begin(), c.mbus_lines.end(),
                                    [](const auto& l) { return l.serial.has_value(); })) {
    return Error(fmt::format(
        "--mbus-pacing paces a serial line, and {} has none: give an [[mbus_line]] a device, "
        "or drop --mbus-pacing",
        plan.file));
  }
  return {};
}

/// --meters N or --fleet FILE: a fleet behind Modbus TCP gateways (or ports of its own),
/// and with --meters on one bus and one line (docs/fleet.md, docs/shared-lines.md).
std::expected<void, std::string> resolve_fleet(const RunOptions& o, RunConfig& c) {
  if (auto ok = resolve_gateway_timing(o, c, o.meters || o.fleet_file); !ok) return ok;
  if (!o.meters && !o.fleet_file) {
    if (o.shard) return Error("--shard slices a fleet: give --meters N or --fleet FILE with it");
    return {};
  }
  const std::string_view flag = o.meters ? "--meters" : "--fleet";
  if (o.meters && o.fleet_file) {
    return Error("--meters and --fleet exclude each other: give the count in the fleet file");
  }
  if (o.meters && (*o.meters < 1 || *o.meters > static_cast<std::int64_t>(kMaxFleetMeters))) {
    return Error(fmt::format("bad --meters {}: give a number of meters from 1 to {}", *o.meters,
                             kMaxFleetMeters));
  }
  if (auto ok = resolve_fleet_faces(o, c, flag); !ok) return Error(ok.error());
  const FleetDefaults defaults{c.serial_bcd.value_or(FactoryOptions{}.serial_bcd), c.ordered_c05,
                               c.modbus_tcp ? c.modbus_tcp->port() : std::uint16_t{0}};
  std::expected<FleetPlan, std::string> plan;
  if (o.meters) {
    plan = meters_plan(static_cast<std::size_t>(*o.meters), defaults);
  } else {
    auto text =
        read_text_file(*o.fleet_file, "fleet file", "give a TOML fleet file (docs/fleet.md)");
    if (!text) return Error(text.error());
    plan = parse_fleet_file(*text, *o.fleet_file, defaults,
                            [](const fs::path& path) { return read_text_file(path.string()); });
  }
  if (!plan) return Error(plan.error());
  if (o.shard) {
    auto slice = parse_shard(*o.shard);
    if (!slice) return Error(slice.error());
    auto sliced = shard_plan(std::move(*plan), slice->first, slice->second);
    if (!sliced) return Error(sliced.error());
    plan = std::move(*sliced);
  }
  if (auto ok = resolve_time_base(o, c, *plan); !ok) return Error(ok.error());
  if (auto ok = resolve_lines(o, c, *plan); !ok) return ok;
  c.fleet = std::move(*plan);
  // One M-bus line for --meters N up to 250 primary addresses; a larger fleet would need
  // lines of its own (docs/shared-lines.md).
  if (!o.meters || *o.meters > static_cast<std::int64_t>(kMbusAddresses)) c.mbus_tcp.reset();
  return {};
}

}  // namespace

std::expected<boost::asio::ip::tcp::endpoint, std::string> parse_http_address(
    const std::string& text) {
  return parse_listen_address(text, "--http", "127.0.0.1:8080");
}

std::expected<fs::path, std::string> resolve_state_dir(const std::optional<std::string>& state) {
  if (state) {
    if (state->empty()) return Error("--state needs a directory");
    return fs::path(*state);
  }
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg != nullptr && xdg[0] == '/') {
    return fs::path(xdg) / "ambimeter";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && home[0] != '\0') {
    return fs::path(home) / ".local" / "state" / "ambimeter";
  }
  return Error("no state directory: HOME and XDG_STATE_HOME are unset; give one with --state DIR");
}

std::expected<std::uint32_t, std::string> parse_serial(const std::string& text) {
  const auto serial = serial_from_text(text);
  if (!serial) {
    return Error(fmt::format("bad --serial \"{}\": give 8 decimal digits like 19020246", text));
  }
  return *serial;
}

std::expected<RunConfig, std::string> resolve_run_config(const RunOptions& o) {
  RunConfig c;
  auto endpoint = parse_http_address(o.http);
  if (!endpoint) return Error(endpoint.error());
  c.endpoint = *endpoint;
  auto dir = resolve_state_dir(o.state_dir);
  if (!dir) return Error(dir.error());
  c.state_dir = *dir;
  if (auto ok = resolve_clock(o, c); !ok) return Error(ok.error());
  if (o.serial) {
    auto serial = parse_serial(*o.serial);
    if (!serial) return Error(serial.error());
    c.serial_bcd = *serial;
  }
  if (auto ok = resolve_load(o, c); !ok) return Error(ok.error());
  c.ordered_c05 = o.ordered_c05;
  c.factory_reset = o.factory_reset;
  c.bluetooth = o.bluetooth;
  if (auto ok = resolve_modbus(o, c); !ok) return Error(ok.error());
  if (auto ok = resolve_mbus(o, c); !ok) return Error(ok.error());
  if (auto ok = resolve_fleet(o, c); !ok) return Error(ok.error());
  if (auto ok = resolve_mqtt(o, c); !ok) return Error(ok.error());
  for (const std::string& spec : o.faults) {
    auto body = fault_spec_json(spec);
    auto fault = body ? fault_from_json(*body, 0, 1) : std::unexpected(body.error());
    if (!fault) {
      return Error(fmt::format("bad --fault {}: {} (docs/faults.md)", spec, fault.error().message));
    }
    c.faults.push_back(spec);
  }
  return c;
}

}  // namespace ambi
