#include "twin/run/run_command.hpp"

#include <fmt/format.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>

#include "io/log.hpp"
#include "twin/http/http_api.hpp"
#include "twin/http/twin_json.hpp"
#include "twin/run/run_config.hpp"
#include "twin/run/run_mqtt.hpp"
#include "twin/run/run_support.hpp"
#include "twin/service/event_loop.hpp"
#include "twin/service/state_store.hpp"
#include "twin/service/twin.hpp"
#include "twin/transport/mbus_serial_port.hpp"
#include "twin/transport/mbus_tcp.hpp"
#include "twin/transport/modbus_rtu_port.hpp"
#include "twin/transport/modbus_tcp.hpp"

namespace ambi {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

/// The Modbus faces of a run (docs/modbus-transports.md), open for as long as it lasts.
struct ModbusFaces {
  std::unique_ptr<TrafficTrace> trace;
  std::unique_ptr<ModbusTcpServer> tcp;
  std::unique_ptr<ModbusTcpServer> rtu_over_tcp;
  std::unique_ptr<RtuPort> rtu;
};

/// Opens the trace, the Modbus TCP and RTU-over-TCP servers and the RTU port configured.
std::expected<void, UsageError> open_modbus(asio::io_context& io, const RunConfig& config,
                                            ModbusContext& context, ModbusFaces& faces) {
  if (config.trace) {
    auto trace = TrafficTrace::open(*config.trace, config.clock != ClockMode::stepped);
    if (!trace) return std::unexpected(UsageError{trace.error()});
    faces.trace = std::move(*trace);
    context.trace = faces.trace.get();
    context.twin.on_fault_event(
        [t = context.trace](std::uint32_t serial, std::int64_t sim_ms, const std::string& text) {
          t->event(serial, sim_ms, text);
        });
  }
  const TcpServerLimits limits{64, config.modbus_idle_timeout};
  if (config.modbus_tcp) {
    auto server = ModbusTcpServer::listen(io, *config.modbus_tcp, TcpFraming::mbap, context, limits,
                                          "--modbus-tcp");
    if (!server) return std::unexpected(UsageError{server.error()});
    faces.tcp = std::move(*server);
  }
  if (config.rtu_over_tcp) {
    auto server = ModbusTcpServer::listen(io, *config.rtu_over_tcp, TcpFraming::rtu, context,
                                          limits, "--rtu-over-tcp");
    if (!server) return std::unexpected(UsageError{server.error()});
    faces.rtu_over_tcp = std::move(*server);
  }
  if (config.modbus_rtu) {
    auto port = RtuPort::open(io, *config.modbus_rtu, context,
                              {config.rtu_pacing, config.rtu_ignore_gaps, std::nullopt});
    if (!port) return std::unexpected(UsageError{port.error()});
    faces.rtu = std::move(*port);
  }
  return {};
}

/// The ready line's Modbus members: the bound addresses (null when off).
Json modbus_ready_json(const ModbusFaces& faces, const RunConfig& config) {
  const auto bound = [](const std::unique_ptr<ModbusTcpServer>& server) {
    return server ? Json(endpoint_string(server->local_endpoint())) : Json();
  };
  return Json{{"modbus_tcp", bound(faces.tcp)},
              {"rtu_over_tcp", bound(faces.rtu_over_tcp)},
              {"modbus_rtu", faces.rtu ? Json(fs::absolute(faces.rtu->path()).string()) : Json()},
              {"trace", config.trace ? Json(fs::absolute(*config.trace).string()) : Json()},
              {"quirks", modbus_quirk_names(config)}};
}

/// The M-bus faces of a run (docs/mbus-transports.md), open for as long as it lasts.
struct MbusFaces {
  std::unique_ptr<MbusTcpServer> tcp;
  std::unique_ptr<MbusSerialPort> serial;
};

/// Opens the M-bus TCP server and serial port configured (traced into `context.trace`).
std::expected<void, UsageError> open_mbus(asio::io_context& io, const RunConfig& config,
                                          MbusContext& context, MbusFaces& faces) {
  if (config.mbus_tcp) {
    const TcpServerLimits limits{64, config.modbus_idle_timeout};
    auto server = MbusTcpServer::listen(io, *config.mbus_tcp, context, limits, "--mbus-tcp");
    if (!server) return std::unexpected(UsageError{server.error()});
    faces.tcp = std::move(*server);
    if (!faces.tcp->local_endpoint().address().is_loopback()) {
      log_line(
          "warning: M-bus listens on {}; M-bus has no authentication: anyone who can reach it can "
          "change the meter's settings",
          endpoint_string(faces.tcp->local_endpoint()));
    }
  }
  if (config.mbus_serial) {
    auto port = MbusSerialPort::open(io, *config.mbus_serial, context, config.mbus_pacing);
    if (!port) return std::unexpected(UsageError{port.error()});
    faces.serial = std::move(*port);
  }
  return {};
}

/// The ready line's M-bus members (null when off).
Json mbus_ready_json(const MbusFaces& faces, const RunConfig& config) {
  return Json{
      {"mbus_tcp", faces.tcp ? Json(endpoint_string(faces.tcp->local_endpoint())) : Json()},
      {"mbus_serial", faces.serial ? Json(fs::absolute(faces.serial->path()).string()) : Json()},
      {"mbus_quirks", mbus_quirk_names(config)}};
}

void print_ready(const Twin& twin, const RunConfig& config, const asio::ip::tcp::endpoint& bound,
                 bool fresh, const ModbusFaces& faces, const MbusFaces& mbus,
                 const MqttFeed* mqtt) {
  const Meter& m = twin.meter();
  Json ready{{"event", "ready"},
             {"pid", ::getpid()},
             {"http", http_url(bound)},
             {"state_dir", fs::absolute(config.state_dir).string()},
             {"clock", to_string(config.clock)},
             {"speed", config.speed},
             {"persist_interval_s", config.persist_interval_s},
             {"busy_poll_us", config.busy_poll.count()},
             {"serial", bcd_string(m.state().serial_bcd)},
             {"fresh", fresh},
             {"error_code", m.error_code()},
             {"stopped", m.stopped()},
             {"power_down_counter", m.state().power_down_counter},
             {"scenario", scenario_json(twin)},
             {"endpoints", endpoints_json()}};
  ready.update(modbus_ready_json(faces, config));
  ready.update(mbus_ready_json(mbus, config));
  ready["mqtt"] = mqtt_ready_json(mqtt);
  fmt::print("{}\n", ready.dump());
  std::fflush(stdout);
}

void warn_about(const Twin& twin, const RunConfig& config, const asio::ip::tcp::endpoint& bound,
                const ModbusFaces& faces) {
  const Meter& m = twin.meter();
  if (m.stopped()) {
    log_line(
        "warning: the meter is stopped (error code 0x{:02X}): both storage copies in {} are "
        "corrupt; it will not save, so the files stay for inspection. Start with "
        "--factory-reset to replace it with a new meter (all energy is lost)",
        m.error_code(), config.state_dir.string());
  } else if (m.error_code() != 0) {
    log_line(
        "warning: storage error code 0x{:02X} (manual 8.1) while loading {}; the meter runs on",
        m.error_code(), config.state_dir.string());
  }
  if (!bound.address().is_loopback()) {
    log_line(
        "warning: the control API listens on {} without authentication; anyone who can reach "
        "it can change the meter",
        http_url(bound));
  }
  for (const auto* server : {faces.tcp.get(), faces.rtu_over_tcp.get()}) {
    if (server != nullptr && !server->local_endpoint().address().is_loopback()) {
      log_line(
          "warning: Modbus listens on {}; Modbus has no authentication: anyone who can reach it "
          "can "
          "change the meter's settings",
          endpoint_string(server->local_endpoint()));
    }
  }
}

int serve(asio::io_context& io, asio::signal_set& signals, Twin& twin, EventStreams& events,
          const RunConfig& config) {
  asio::steady_timer tick(io);
  asio::steady_timer persist(io);
  asio::steady_timer event_tick(io);
  if (config.clock == ClockMode::real) repeat(tick, kTick, [&] { twin.sync(); });
  repeat(event_tick, kEventInterval, [&] { events.broadcast(); });
  const auto interval = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(config.persist_interval_s));
  repeat(persist, interval, [&] {
    twin.sync();
    twin.save_if_changed();
  });
  signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (ec) return;
    twin.sync();
    twin.save();
    log_line("{}: state saved, exiting", signal == SIGINT ? "SIGINT" : "SIGTERM");
    events.close_all();
    io.stop();
  });
  run_event_loop(io, config.busy_poll, [&twin] { return twin.last_request(); });
  return kExitOk;
}

std::expected<int, UsageError> start(const RunConfig& config) {
  auto store = StateStore::open(config.state_dir);
  if (!store) return std::unexpected(UsageError{store.error()});
  if (config.factory_reset) wipe_storage(config.state_dir);
  bool fresh = false;
  FactoryOptions factory;
  if (config.serial_bcd) factory.serial_bcd = *config.serial_bcd;
  factory.ordered_c05 = config.ordered_c05;
  auto meter = make_meter(*store, factory, config.serial_bcd.has_value(), fresh);
  if (!meter) return std::unexpected(meter.error());
  Twin twin(*meter, std::move(*store), config.clock, config.speed);
  twin.set_audit(config.audit);
  if (!config.scenario) {
    if (auto ok = twin.set_load(config.load); !ok)
      return std::unexpected(UsageError{ok.error().message});
  }
  asio::io_context io;
  EventStreams events(io, [&twin] { return event_data(twin); });
  auto server = HttpServer::listen(io, config.endpoint, make_api_handler(twin, events));
  if (!server) return std::unexpected(UsageError{server.error()});
  ModbusContext context{twin, config.quirks, nullptr};
  ModbusFaces faces;
  if (auto ok = open_modbus(io, config, context, faces); !ok) return std::unexpected(ok.error());
  MbusContext mbus_context{twin, MbusSlave(config.mbus_quirks), context.trace};
  MbusFaces mbus;
  if (auto ok = open_mbus(io, config, mbus_context, mbus); !ok) return std::unexpected(ok.error());
  twin.restart_clock();
  if (config.scenario) twin.start_scenario(*config.scenario);  // its first row's voltage counts
  twin.set_power(true);
  twin.set_bluetooth(config.bluetooth);
  twin.save_if_changed();
  asio::signal_set signals(io, SIGINT, SIGTERM);
  const auto bound = (*server)->local_endpoint();
  warn_about(twin, config, bound, faces);
  add_cli_faults(twin, config);
  auto mqtt = MqttFeed::start(io, config, {&twin});
  if (!mqtt) return std::unexpected(mqtt.error());
  print_ready(twin, config, bound, fresh, faces, mbus, mqtt->get());
  return serve(io, signals, twin, events, config);
}

}  // namespace

int run_meter(const RunOptions& options) {
  std::signal(SIGPIPE, SIG_IGN);
  // Timers fire when asked, not up to 50 µs later (the default slack): the RTU turnaround
  // and byte pacing depend on it.
  ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  auto config = resolve_run_config(options);
  if (!config) {
    log_line("{}", config.error());
    return kExitUsage;
  }
  try {
    auto result = config->fleet ? run_fleet(*config) : start(*config);
    if (!result) {
      log_line("{}", result.error().message);
      return kExitUsage;
    }
    return *result;
  } catch (const std::exception& e) {
    log_line("internal error: {}", e.what());
    return kExitFailure;
  }
}

}  // namespace ambi
