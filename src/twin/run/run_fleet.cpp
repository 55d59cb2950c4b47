// `ambimeter run --meters N`: a fleet of full meters behind Modbus TCP gateways
// (docs/fleet.md), on one io_context thread like a single meter.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <vector>

#include "io/log.hpp"
#include "twin/http/http_api.hpp"
#include "twin/http/state_json.hpp"
#include "twin/run/run_mqtt.hpp"
#include "twin/run/run_support.hpp"
#include "twin/service/event_loop.hpp"
#include "twin/service/fleet.hpp"
#include "twin/transport/mbus_line.hpp"
#include "twin/transport/mbus_serial_port.hpp"
#include "twin/transport/mbus_tcp.hpp"
#include "twin/transport/modbus_gateway.hpp"
#include "twin/transport/modbus_rtu_port.hpp"
#include "twin/transport/modbus_tcp.hpp"
#include "twin/transport/rtu_bus.hpp"
#include "twin/transport/traffic_trace.hpp"

namespace ambi {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

/// The fleet's folder: STATE/fleet, with its lock and its slot file (docs/storage.md).
constexpr const char* kFleetDir = "fleet";

/// Where simulated time stands when the fleet starts (docs/storage.md "Replay").
struct StartTime {
  std::optional<std::int64_t> journal;  ///< the last pass of the run before, if any
  std::uint32_t journal_generation = 0;
  std::int64_t start_ms = 0;  ///< where every meter resumes
  std::size_t replayed = 0;   ///< meters brought to the journal's time by replay
};

/// Simulated time now by the fleet file's epoch: (wall time − epoch) × speed.
std::expected<std::int64_t, std::string> epoch_time(const FleetPlan& plan, double speed) {
  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  const std::int64_t since_ms = now_ms - plan.epoch_unix_ms.value_or(0);
  if (since_ms < 0) {
    return std::unexpected(fmt::format(
        "{}: fleet.epoch is {} s in the future; choose an epoch in the past (simulated time 0)",
        plan.file, -since_ms / 1000));
  }
  // In milliseconds (nanoseconds since an epoch centuries ago would overflow).
  const long double sim_ms = static_cast<long double>(since_ms) * speed;
  if (sim_ms > 9e15L) {
    return std::unexpected(fmt::format(
        "{}: fleet.epoch × fleet.speed puts simulated time beyond 285,000 years; choose a later "
        "epoch or a lower speed",
        plan.file));
  }
  return static_cast<std::int64_t>(sim_ms);
}

/// Opens (or creates) every meter of the plan in `root`. `fresh[i]`: meter i is new. A
/// meter whose loaded save recorded a replayable load source, written by the run that
/// wrote the journal, is first replayed from that save to the journal's time; every meter
/// then resumes at `time.start_ms`.
std::expected<void, UsageError> open_meters(const RunConfig& config, const FleetPlan& plan,
                                            const fs::path& root, Fleet& fleet,
                                            std::vector<bool>& fresh, StartTime& time) {
  fresh.assign(plan.meters.size(), false);
  auto slots = SlotFile::open(root);
  if (!slots) return std::unexpected(UsageError{slots.error()});
  fleet.set_slots(*slots);
  fleet.set_audit(config.audit);
  if (const auto& journal = fleet.journal(); journal.has_value()) {
    (*slots)->set_generation(journal->generation());
  }
  for (std::size_t i = 0; i < plan.meters.size(); ++i) {
    const FleetMeter& m = plan.meters[i];
    auto store = StateStore::open_slot(*slots, m.factory.serial_bcd,
                                       root / bcd_string(m.factory.serial_bcd));
    if (!store) return std::unexpected(UsageError{store.error()});
    if (config.factory_reset) store->wipe();
    bool is_new = false;
    auto meter = make_meter(*store, m.factory, true, is_new);
    if (!meter) return std::unexpected(meter.error());
    fresh[i] = is_new;
    const auto& point = store->loaded_resume();
    const bool replay =
        !is_new && time.journal && point && point->generation == time.journal_generation &&
        point->source.kind != LoadSource::Kind::none && point->sim_ms <= *time.journal;
    meter->skip_to(replay ? point->sim_ms : time.start_ms);
    const LoadSource source = replay ? point->source : LoadSource{};
    Twin& twin = fleet.add(*meter, std::move(*store), FleetPlace{m.group, m.endpoint});
    twin.defer_saves(true);
    twin.set_audit(config.audit);
    if (replay) {
      twin.replay(source, *time.journal, std::max(time.start_ms, *time.journal));
      ++time.replayed;
    }
    const bool own_profile = m.profile || (!m.load && config.scenario);
    if (!own_profile) {
      if (auto ok = twin.set_load(m.load.value_or(config.load)); !ok) {
        return std::unexpected(UsageError{ok.error().message});
      }
    }
  }
  return {};
}

/// The servers in front of the fleet: Modbus TCP gateways of up to 247 meters, and ports
/// of a single meter (Modbus TCP or RTU over TCP), in the plan's order of endpoints.
struct Gateways {
  /// `--trace`: every frame of the fleet's gateways, ports, buses and lines, in one file.
  std::unique_ptr<TrafficTrace> trace;
  std::vector<std::unique_ptr<ModbusGateway>> gateways;  ///< null for a meter's own port
  std::vector<std::unique_ptr<ModbusContext>> contexts;
  std::vector<std::unique_ptr<ModbusTcpServer>> servers;
  std::vector<std::string> endpoints;  ///< what each listens on
};

std::unique_ptr<ModbusGateway> make_gateway(Fleet& fleet, const FleetEndpoint& endpoint) {
  std::vector<Twin*> meters;
  std::uint16_t first_unit = kMaxMeterUnit;
  std::uint16_t last_unit = 1;
  for (const std::size_t i : endpoint.meters) {
    meters.push_back(&fleet.at(i));
    const std::uint16_t unit = fleet.at(i).meter().settings().modbus_id;
    first_unit = std::min(first_unit, unit);
    last_unit = std::max(last_unit, unit);
  }
  GatewayIdentity identity;
  identity.serial_bcd = meters.front()->meter().state().serial_bcd;
  identity.meters = static_cast<std::uint16_t>(meters.size());
  identity.first_unit = first_unit;
  identity.last_unit = last_unit;
  return std::make_unique<ModbusGateway>(std::move(meters), identity);
}

std::expected<void, UsageError> open_gateways(asio::io_context& io, const RunConfig& config,
                                              const FleetPlan& plan, Fleet& fleet, Gateways& out) {
  if (config.trace) {
    auto trace = TrafficTrace::open(*config.trace, config.clock != ClockMode::stepped);
    if (!trace) return std::unexpected(UsageError{trace.error()});
    out.trace = std::move(*trace);
    for (std::size_t i = 0; i < fleet.size(); ++i) {
      fleet.at(i).on_fault_event(
          [t = out.trace.get()](std::uint32_t serial, std::int64_t sim_ms,
                                const std::string& text) { t->event(serial, sim_ms, text); });
    }
  }
  const TcpServerLimits limits{64, config.modbus_idle_timeout};
  const asio::ip::tcp::endpoint bind = config.modbus_tcp.value_or(asio::ip::tcp::endpoint{});
  for (const FleetEndpoint& endpoint : plan.endpoints) {
    const bool gateway = endpoint.kind == FleetEndpointKind::gateway;
    auto& routed = out.gateways.emplace_back(gateway ? make_gateway(fleet, endpoint) : nullptr);
    if (routed && config.gateway_bus) routed->front_bus(*config.gateway_bus);
    Twin& first = fleet.at(endpoint.meters.front());
    auto& context = out.contexts.emplace_back(std::make_unique<ModbusContext>(
        ModbusContext{first, config.quirks, out.trace.get(), routed.get()}));
    const TcpFraming framing =
        endpoint.kind == FleetEndpointKind::meter_rtu_over_tcp ? TcpFraming::rtu : TcpFraming::mbap;
    if (framing == TcpFraming::mbap) {
      context->endpoint_faults = &fleet.endpoint_faults(out.contexts.size() - 1);
    }
    if (gateway) context->endpoint_audit = fleet.endpoint_audit(out.contexts.size() - 1);
    const asio::ip::tcp::endpoint at(bind.address(), endpoint.port);
    const std::string what = plan.file.empty()
                                 ? std::string("--modbus-tcp")
                                 : fmt::format("{}: endpoint \"{}\"", plan.file, endpoint.name);
    auto server = ModbusTcpServer::listen(io, at, framing, *context, limits, what);
    if (!server) return std::unexpected(UsageError{server.error()});
    out.endpoints.push_back(endpoint_string((*server)->local_endpoint()));
    out.servers.push_back(std::move(*server));
  }
  FleetLayout layout;
  layout.groups = plan.groups;
  for (const FleetEndpoint& endpoint : plan.endpoints) {
    layout.endpoint_names.push_back(endpoint.name);
    layout.endpoint_gateways.push_back(endpoint.kind == FleetEndpointKind::gateway);
  }
  layout.endpoint_addresses = out.endpoints;
  for (std::size_t b = 0; b < config.buses.size(); ++b)
    layout.bus_names.push_back(b < plan.buses.size() ? plan.buses[b].name : std::string("bus"));
  fleet.set_layout(std::move(layout));
  return {};
}

/// An RS485 bus of the fleet (docs/shared-lines.md): all of `--meters N` with `--modbus-rtu`,
/// or a fleet file's [[bus]]; the line at the meters' factory setting.
struct Bus {
  std::unique_ptr<RtuBus> bus;
  std::unique_ptr<ModbusContext> context;
  std::unique_ptr<RtuPort> port;         ///< on a serial device or pty
  std::unique_ptr<ModbusTcpServer> tcp;  ///< RTU frames over TCP (a serial-to-Ethernet converter)
};

/// The twins of `meters` (indices of the fleet).
std::vector<Twin*> twins_of(Fleet& fleet, const std::vector<std::size_t>& meters) {
  std::vector<Twin*> twins;
  twins.reserve(meters.size());
  for (const std::size_t i : meters) twins.push_back(&fleet.at(i));
  return twins;
}

/// Every twin of the fleet, in its order.
std::vector<Twin*> twins_of(Fleet& fleet) {
  std::vector<Twin*> twins;
  twins.reserve(fleet.size());
  for (std::size_t i = 0; i < fleet.size(); ++i) twins.push_back(&fleet.at(i));
  return twins;
}

/// Errors of a fleet file's line start with its name; --modbus-rtu's and --mbus-serial's
/// name their flag already.
UsageError line_error(std::string_view what, const std::string& error) {
  if (what.starts_with("--")) return UsageError{error};
  return UsageError{fmt::format("{}: {}", what, error)};
}

std::expected<void, UsageError> open_buses(asio::io_context& io, const RunConfig& config,
                                           const FleetPlan& plan, Fleet& fleet, TrafficTrace* trace,
                                           std::vector<Bus>& out) {
  const Settings factory{};
  const LineSettings line{modbus_baud_rate(factory.modbus_baud_code), factory.parity};
  out.reserve(config.buses.size());
  for (std::size_t b = 0; b < config.buses.size(); ++b) {
    const RunConfig::BusFace& face = config.buses[b];
    Bus& bus = out.emplace_back();
    bus.bus = std::make_unique<RtuBus>(twins_of(fleet, face.meters), line, plan.seed + b);
    bus.context = std::make_unique<ModbusContext>(
        ModbusContext{fleet.at(face.meters.front()), config.quirks, trace, nullptr, bus.bus.get()});
    bus.context->endpoint_audit = fleet.bus_audit(b);
    if (face.port) {
      RtuPortOptions options{config.rtu_pacing, config.rtu_ignore_gaps, line};
      if (!face.what.starts_with("--")) options.flag = "its device";
      auto port = RtuPort::open(io, *face.port, *bus.context, options);
      if (!port) return std::unexpected(line_error(face.what, port.error()));
      bus.port = std::move(*port);
    }
    if (face.tcp) {
      const std::string flag = face.what.starts_with("--") ? "--rtu-over-tcp" : face.what + ".tcp";
      auto server = ModbusTcpServer::listen(io, *face.tcp, TcpFraming::rtu, *bus.context,
                                            {64, config.modbus_idle_timeout}, flag);
      if (!server) return std::unexpected(UsageError{server.error()});
      bus.tcp = std::move(*server);
    }
  }
  return {};
}

/// `--meters N` (N ≤ 250) with `--mbus-tcp` or `--mbus-serial`: every meter on one M-bus
/// line (docs/shared-lines.md), at the meters' factory baud rate.
struct Line {
  std::unique_ptr<MbusLine> line;
  std::unique_ptr<MbusContext> context;
  std::unique_ptr<MbusTcpServer> tcp;
  std::unique_ptr<MbusSerialPort> serial;
};

std::expected<void, UsageError> open_line(asio::io_context& io, const RunConfig& config,
                                          const RunConfig::MbusLineFace& face, std::uint64_t seed,
                                          Fleet& fleet, TrafficTrace* trace, Line& out) {
  out.line = std::make_unique<MbusLine>(twins_of(fleet, face.meters), Settings{}.mbus_baud, seed,
                                        config.mbus_quirks);
  out.context = std::make_unique<MbusContext>(MbusContext{
      fleet.at(face.meters.front()), MbusSlave(config.mbus_quirks), trace, out.line.get()});
  if (face.tcp) {
    const TcpServerLimits limits{64, config.modbus_idle_timeout};
    const std::string flag = face.what.starts_with("--") ? "--mbus-tcp" : face.what + ".tcp";
    auto server = MbusTcpServer::listen(io, *face.tcp, *out.context, limits, flag);
    if (!server) return std::unexpected(UsageError{server.error()});
    out.tcp = std::move(*server);
  }
  if (face.serial) {
    auto port = MbusSerialPort::open(io, *face.serial, *out.context, config.mbus_pacing,
                                     face.what.starts_with("--") ? "--mbus-serial" : "its device");
    if (!port) return std::unexpected(line_error(face.what, port.error()));
    out.serial = std::move(*port);
  }
  return {};
}

std::expected<void, UsageError> open_lines(asio::io_context& io, const RunConfig& config,
                                           const FleetPlan& plan, Fleet& fleet, TrafficTrace* trace,
                                           std::vector<Line>& out) {
  out.reserve(config.mbus_lines.size());
  for (std::size_t l = 0; l < config.mbus_lines.size(); ++l) {
    if (auto ok = open_line(io, config, config.mbus_lines[l], plan.seed + l, fleet, trace,
                            out.emplace_back());
        !ok) {
      return ok;
    }
  }
  return {};
}

/// The ready line's list of endpoints: every gateway, and every meter's own port.
Json endpoints_ready_json(const FleetPlan& plan, const Fleet& fleet, const Gateways& gateways) {
  Json list = Json::array();
  for (std::size_t e = 0; e < plan.endpoints.size(); ++e) {
    const FleetEndpoint& endpoint = plan.endpoints[e];
    const Twin& first = fleet.at(endpoint.meters.front());
    const Twin& last = fleet.at(endpoint.meters.back());
    const bool rtu = endpoint.kind == FleetEndpointKind::meter_rtu_over_tcp;
    Json j{{"name", endpoint.name},
           {"kind", to_string(endpoint.kind)},
           {rtu ? "rtu_over_tcp" : "modbus_tcp", gateways.endpoints[e]},
           {"meters", endpoint.meters.size()},
           {"serials",
            {bcd_string(first.meter().state().serial_bcd),
             bcd_string(last.meter().state().serial_bcd)}}};
    if (const auto& gateway = gateways.gateways[e]) {
      j["units"] = {gateway->identity().first_unit, gateway->identity().last_unit};
    } else {
      j["units"] = {first.meter().settings().modbus_id, first.meter().settings().modbus_id};
    }
    list.push_back(std::move(j));
  }
  return list;
}

/// The ready line's shared lines: `buses` and `mbus_lines`, each with its name (the fleet
/// file's; "bus"/"line" for --meters), faces and meters; the first of each also as the
/// single `modbus_rtu`/`bus` and `mbus_tcp`/`mbus_serial`/`mbus_line` of --meters N.
void lines_ready_json(Json& ready, const RunConfig& config, const FleetPlan& plan,
                      const std::vector<Bus>& buses, const std::vector<Line>& lines) {
  const auto name = [](const std::vector<FleetLine>& declared, std::size_t k,
                       std::string_view fallback) {
    return k < declared.size() ? declared[k].name : std::string(fallback);
  };
  Json bus_list = Json::array();
  for (std::size_t b = 0; b < buses.size(); ++b) {
    const RtuBus& bus = *buses[b].bus;
    const Bus& face = buses[b];
    bus_list.push_back(
        {{"name", name(plan.buses, b, "bus")},
         {"modbus_rtu", face.port ? Json(fs::absolute(face.port->path()).string()) : Json()},
         {"rtu_over_tcp", face.tcp ? Json(endpoint_string(face.tcp->local_endpoint())) : Json()},
         {"meters", bus.meters().size()},
         {"baud", bus.line().baud},
         {"parity", to_string(bus.line().parity)}});
  }
  Json line_list = Json::array();
  for (std::size_t l = 0; l < lines.size(); ++l) {
    const Line& line = lines[l];
    line_list.push_back(
        {{"name", name(plan.mbus_lines, l, "line")},
         {"mbus_tcp", line.tcp ? Json(endpoint_string(line.tcp->local_endpoint())) : Json()},
         {"mbus_serial", line.serial ? Json(fs::absolute(line.serial->path()).string()) : Json()},
         {"meters", line.line->meters().size()},
         {"baud", line.line->baud()}});
  }
  ready["mbus_tcp"] = lines.empty() ? Json() : line_list[0]["mbus_tcp"];
  ready["mbus_serial"] = lines.empty() ? Json() : line_list[0]["mbus_serial"];
  if (!lines.empty()) {
    ready["mbus_line"] = {{"meters", line_list[0]["meters"]}, {"baud", line_list[0]["baud"]}};
  }
  if (!buses.empty()) {
    ready["modbus_rtu"] = bus_list[0]["modbus_rtu"];
    ready["rtu_over_tcp"] = bus_list[0]["rtu_over_tcp"];
    ready["bus"] = {{"meters", bus_list[0]["meters"]},
                    {"baud", bus_list[0]["baud"]},
                    {"parity", bus_list[0]["parity"]}};
  }
  ready["buses"] = std::move(bus_list);
  ready["mbus_lines"] = std::move(line_list);
  if (config.gateway_bus) {
    ready["gateway_timing"] = {{"baud", config.gateway_bus->baud},
                               {"timeout_ms", config.gateway_bus->timeout.count()}};
  }
}

void print_ready(const Fleet& fleet, const RunConfig& config, const FleetPlan& plan,
                 const asio::ip::tcp::endpoint& bound, std::size_t fresh_meters,
                 const Gateways& gateways, const StartTime& time, const std::vector<Bus>& buses,
                 const std::vector<Line>& lines, const MqttFeed* mqtt) {
  std::size_t stopped = 0;
  std::size_t errors = 0;
  for (std::size_t i = 0; i < fleet.size(); ++i) {
    stopped += fleet.at(i).meter().stopped() ? 1U : 0U;
    errors += fleet.at(i).meter().error_code() != 0 ? 1U : 0U;
  }
  Json ready{{"event", "ready"},
             {"pid", ::getpid()},
             {"http", http_url(bound)},
             {"state_dir", fs::absolute(config.state_dir / kFleetDir).string()},
             {"clock", to_string(config.clock)},
             {"speed", config.speed},
             {"persist_interval_s", config.persist_interval_s},
             {"meters", fleet.size()},
             {"groups", plan.groups},
             {"fresh", fresh_meters},
             {"replayed", time.replayed},
             {"sim_ms", time.start_ms},
             {"with_error_code", errors},
             {"stopped", stopped},
             {"gateways", endpoints_ready_json(plan, fleet, gateways)},
             {"modbus_tcp", gateways.endpoints.front()},
             {"trace", config.trace ? Json(fs::absolute(*config.trace).string()) : Json()},
             {"quirks", modbus_quirk_names(config)},
             {"mbus_quirks", mbus_quirk_names(config)},
             {"endpoints", endpoints_json()}};
  if (!plan.file.empty()) {
    ready["fleet_file"] = plan.file;
    ready["fault_timeline"] = plan.faults.size();  // the file's [[fault]] entries
  }
  lines_ready_json(ready, config, plan, buses, lines);
  if (plan.shards > 1) ready["shard"] = fmt::format("{}/{}", plan.shard, plan.shards);
  ready["mqtt"] = mqtt_ready_json(mqtt);
  fmt::print("{}\n", ready.dump());
  std::fflush(stdout);
}

int serve(asio::io_context& io, asio::signal_set& signals, Fleet& fleet, EventStreams& events,
          const RunConfig& config, const Gateways& gateways) {
  // No clock tick: a meter is brought to now when it is read (Modbus, the API), changed or
  // saved. Its energy between two load changes is exact arithmetic, so the result is the
  // same as ticking. The save pass skips meters whose energy a replay gives back
  // (docs/storage.md "Replay"), so an idle fleet costs little more than the journal's write.
  asio::steady_timer persist(io);
  asio::steady_timer event_tick(io);
  repeat(event_tick, kEventInterval, [&] { events.broadcast(); });
  const auto interval = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(config.persist_interval_s));
  repeat(persist, interval, [&] { fleet.persist(); });
  signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (ec) return;
    fleet.sync();
    fleet.save();
    log_line("{}: the state of {} meters saved, exiting", signal == SIGINT ? "SIGINT" : "SIGTERM",
             fleet.size());
    events.close_all();
    io.stop();
  });
  run_event_loop(io, config.busy_poll, [&gateways] {
    SimClock::WallClock::time_point last{};
    for (std::size_t e = 0; e < gateways.gateways.size(); ++e) {
      const auto& gateway = gateways.gateways[e];
      last = std::max(
          last, gateway ? gateway->last_request() : gateways.contexts[e]->twin.last_request());
    }
    return last;
  });
  return kExitOk;
}

/// Powers every meter on, starts its profile, and gives a new meter the settings of its
/// group (as its installer would, through the app with the factory password).
std::expected<void, UsageError> start_meters(const RunConfig& config, const FleetPlan& plan,
                                             const std::vector<bool>& fresh, Fleet& fleet) {
  for (std::size_t i = 0; i < fleet.size(); ++i) {
    const FleetMeter& m = plan.meters[i];
    Twin& twin = fleet.at(i);
    if (m.profile) {
      twin.start_scenario(*m.profile);
    } else if (!m.load && config.scenario) {
      twin.start_scenario(*config.scenario);
    }
    twin.set_power(true);
    twin.set_bluetooth(config.bluetooth);
    if (fresh[i] && !m.settings.empty()) {
      if (auto ok = twin.apply(m.settings, Origin{Source::app, std::array{'0', '0', '0', '0'}});
          !ok) {
        return std::unexpected(UsageError{fmt::format(
            "{}: group \"{}\": meter {}: the settings were refused: {}", plan.file,
            plan.groups[m.group], bcd_string(m.factory.serial_bcd), ok.error().message)});
      }
    }
  }
  return {};
}

/// The fleet's journal opened (wiped by --factory-reset) and where simulated time starts:
/// where it stopped, or by the fleet file's epoch. Holds the clock for the start-up.
std::expected<StartTime, UsageError> open_time_base(const RunConfig& config, const FleetPlan& plan,
                                                    const fs::path& root, Fleet& fleet) {
  auto journal = FleetJournal::open(root);
  if (!journal) return std::unexpected(UsageError{journal.error()});
  if (config.factory_reset) journal->wipe();
  StartTime time;
  time.journal = journal->last();
  time.journal_generation = journal->last_generation();
  time.start_ms = time.journal.value_or(0);  // simulated time goes on where it stopped
  if (plan.epoch_unix_ms) {
    auto since = epoch_time(plan, config.speed);
    if (!since) return std::unexpected(UsageError{since.error()});
    time.start_ms = std::max(time.start_ms, *since);
    fleet.fix_speed();
  }
  fleet.set_journal(std::move(*journal));
  fleet.hold_clock();
  return time;
}

}  // namespace

std::expected<int, UsageError> run_fleet(const RunConfig& config) {
  const fs::path root = config.state_dir / kFleetDir;
  auto lock = StateStore::open(root);  // the fleet's lock; its own areas stay unused
  if (!lock) return std::unexpected(UsageError{lock.error()});
  if (!config.fleet) return std::unexpected(UsageError{"no fleet to run"});
  const FleetPlan& plan = *config.fleet;  // NOLINT(bugprone-unchecked-optional-access): checked
  Fleet fleet(config.clock, config.speed);
  auto time = open_time_base(config, plan, root, fleet);
  if (!time) return std::unexpected(time.error());
  std::vector<bool> fresh;
  if (auto ok = open_meters(config, plan, root, fleet, fresh, *time); !ok) {
    return std::unexpected(ok.error());
  }
  if (config.factory_reset) {
    log_line("factory reset: the storage of {} meters in {} wiped; starting new meters",
             fleet.size(), root.string());
  }
  asio::io_context io;
  Gateways gateways;
  if (auto ok = open_gateways(io, config, plan, fleet, gateways); !ok) {
    return std::unexpected(ok.error());
  }
  std::vector<Bus> buses;
  if (auto ok = open_buses(io, config, plan, fleet, gateways.trace.get(), buses); !ok) {
    return std::unexpected(ok.error());
  }
  std::vector<Line> lines;
  if (auto ok = open_lines(io, config, plan, fleet, gateways.trace.get(), lines); !ok) {
    return std::unexpected(ok.error());
  }
  EventStreams events(io, [&fleet] { return event_data(fleet.at(0)); });
  auto server = HttpServer::listen(io, config.endpoint,
                                   make_fleet_api_handler(fleet, gateways.endpoints, events));
  if (!server) return std::unexpected(UsageError{server.error()});
  if (auto ok = start_meters(config, plan, fresh, fleet); !ok) return std::unexpected(ok.error());
  for (std::size_t i = 0; i < fleet.size(); ++i) add_cli_faults(fleet.at(i), config);
  (void)start_fault_timeline(plan, fleet);  // after --fault's: ids in that order
  for (std::size_t i = 0; i < fleet.size(); ++i) fleet.at(i).defer_saves(false);
  if (plan.epoch_unix_ms) {
    // The start-up's own seconds count, as the wall clock says.
    fleet.start_clock(std::max(time->start_ms, epoch_time(plan, config.speed).value_or(0)));
  } else {
    fleet.start_clock(time->start_ms);
  }
  fleet.save();  // every meter at its start, and the journal: this run's first pass
  asio::signal_set signals(io, SIGINT, SIGTERM);
  const auto bound = (*server)->local_endpoint();
  if (!bound.address().is_loopback()) {
    log_line(
        "warning: the control API listens on {} without authentication; anyone who can reach "
        "it can change the meters",
        http_url(bound));
  }
  auto mqtt = MqttFeed::start(io, config, twins_of(fleet));
  if (!mqtt) return std::unexpected(mqtt.error());
  print_ready(fleet, config, plan, bound,
              static_cast<std::size_t>(std::count(fresh.begin(), fresh.end(), true)), gateways,
              *time, buses, lines, mqtt->get());
  return serve(io, signals, fleet, events, config, gateways);
}

}  // namespace ambi
