// `ambimeter run --meters N`: a fleet of full meters behind Modbus TCP gateways
// (docs/fleet.md), on one io_context thread like a single meter.
#include <fmt/format.h>
#include <unistd.h>

#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <memory>
#include <vector>

#include "io/log.hpp"
#include "twin/http/http_api.hpp"
#include "twin/http/state_json.hpp"
#include "twin/run/run_support.hpp"
#include "twin/service/event_loop.hpp"
#include "twin/service/fleet.hpp"
#include "twin/transport/modbus_gateway.hpp"
#include "twin/transport/modbus_tcp.hpp"

namespace ambi {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

/// The meters' folders: STATE/fleet/<serial>, one lock for all (STATE/fleet/lock).
constexpr const char* kFleetDir = "fleet";

/// Opens (or creates) every meter of the fleet in `root`.
std::expected<void, UsageError> open_meters(const RunConfig& config, const fs::path& root,
                                            Fleet& fleet, std::size_t& fresh_meters) {
  const auto identities =
      fleet_identities(config.serial_bcd.value_or(FactoryOptions{}.serial_bcd), config.meters);
  if (!identities) return std::unexpected(UsageError{identities.error()});
  for (const FleetIdentity& id : *identities) {
    auto store = StateStore::open_member(root / bcd_string(id.serial_bcd));
    if (!store) return std::unexpected(UsageError{store.error()});
    if (config.factory_reset) wipe_storage(store->dir());
    FactoryOptions factory{id.serial_bcd, config.ordered_c05, id.modbus_id, id.mbus_id};
    bool fresh = false;
    auto meter = make_meter(*store, factory, true, fresh);
    if (!meter) return std::unexpected(meter.error());
    if (fresh) ++fresh_meters;
    Twin& twin = fleet.add(*meter, std::move(*store));
    if (!config.scenario) {
      if (auto ok = twin.set_load(config.load); !ok) {
        return std::unexpected(UsageError{ok.error().message});
      }
    }
  }
  return {};
}

/// The gateways in front of the fleet, 247 meters each, with their Modbus TCP servers.
struct Gateways {
  std::vector<std::unique_ptr<ModbusGateway>> gateways;
  std::vector<std::unique_ptr<ModbusContext>> contexts;
  std::vector<std::unique_ptr<ModbusTcpServer>> servers;
  std::vector<std::string> endpoints;
};

/// Gateway g listens on the --modbus-tcp port + g (every one on a free port with port 0).
std::expected<void, UsageError> open_gateways(asio::io_context& io, const RunConfig& config,
                                              Fleet& fleet, Gateways& out) {
  const TcpServerLimits limits{64, config.modbus_idle_timeout};
  const asio::ip::tcp::endpoint first = config.modbus_tcp.value_or(asio::ip::tcp::endpoint{});
  for (std::size_t begin = 0; begin < fleet.size(); begin += kMetersPerGateway) {
    const std::size_t g = begin / kMetersPerGateway;
    const std::size_t end = std::min(fleet.size(), begin + kMetersPerGateway);
    std::vector<Twin*> meters;
    for (std::size_t i = begin; i < end; ++i) meters.push_back(&fleet.at(i));
    GatewayIdentity identity;
    identity.serial_bcd = meters.front()->meter().state().serial_bcd;
    identity.meters = static_cast<std::uint16_t>(meters.size());
    identity.first_unit = 1;
    identity.last_unit = static_cast<std::uint16_t>(meters.size());
    auto& gateway =
        out.gateways.emplace_back(std::make_unique<ModbusGateway>(std::move(meters), identity));
    auto& context = out.contexts.emplace_back(std::make_unique<ModbusContext>(
        ModbusContext{*gateway->meters().front(), config.quirks, nullptr, gateway.get()}));
    if (first.port() != 0 && first.port() + g > 65535) {
      return std::unexpected(UsageError{fmt::format(
          "--meters {} needs {} gateway ports from {}, past 65535: give a lower --modbus-tcp port "
          "or port 0",
          fleet.size(), (fleet.size() + kMetersPerGateway - 1) / kMetersPerGateway, first.port())});
    }
    asio::ip::tcp::endpoint at(
        first.address(), first.port() == 0 ? 0 : static_cast<unsigned short>(first.port() + g));
    auto server =
        ModbusTcpServer::listen(io, at, TcpFraming::mbap, *context, limits, "--modbus-tcp");
    if (!server) return std::unexpected(UsageError{server.error()});
    out.endpoints.push_back(endpoint_string((*server)->local_endpoint()));
    out.servers.push_back(std::move(*server));
  }
  return {};
}

void print_ready(const Fleet& fleet, const RunConfig& config, const asio::ip::tcp::endpoint& bound,
                 std::size_t fresh_meters, const Gateways& gateways) {
  Json list = Json::array();
  for (std::size_t g = 0; g < gateways.gateways.size(); ++g) {
    const auto& meters = gateways.gateways[g]->meters();
    list.push_back(Json{{"modbus_tcp", gateways.endpoints[g]},
                        {"meters", meters.size()},
                        {"units", {1, meters.size()}},
                        {"serials",
                         {bcd_string(meters.front()->meter().state().serial_bcd),
                          bcd_string(meters.back()->meter().state().serial_bcd)}}});
  }
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
             {"fresh", fresh_meters},
             {"with_error_code", errors},
             {"stopped", stopped},
             {"gateways", std::move(list)},
             {"modbus_tcp", gateways.endpoints.front()},
             {"mbus_tcp", nullptr},
             {"endpoints", endpoints_json()}};
  fmt::print("{}\n", ready.dump());
  std::fflush(stdout);
}

int serve(asio::io_context& io, asio::signal_set& signals, Fleet& fleet, EventStreams& events,
          const RunConfig& config, const Gateways& gateways) {
  // No clock tick: a meter is brought to now when it is read (Modbus, the API), changed or
  // saved. Its energy between two load changes is exact arithmetic, so the result is the
  // same as ticking, and an idle fleet costs one pass over its meters per save interval.
  asio::steady_timer persist(io);
  asio::steady_timer event_tick(io);
  repeat(event_tick, kEventInterval, [&] { events.broadcast(); });
  const auto interval = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(config.persist_interval_s));
  repeat(persist, interval, [&] {
    fleet.sync();
    fleet.save_if_changed();
  });
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
    for (const auto& gateway : gateways.gateways) last = std::max(last, gateway->last_request());
    return last;
  });
  return kExitOk;
}

}  // namespace

std::expected<int, UsageError> run_fleet(const RunConfig& config) {
  const fs::path root = config.state_dir / kFleetDir;
  auto lock = StateStore::open(root);  // the fleet's lock; its own areas stay unused
  if (!lock) return std::unexpected(UsageError{lock.error()});
  Fleet fleet(config.clock, config.speed);
  std::size_t fresh_meters = 0;
  if (auto ok = open_meters(config, root, fleet, fresh_meters); !ok) {
    return std::unexpected(ok.error());
  }
  asio::io_context io;
  Gateways gateways;
  if (auto ok = open_gateways(io, config, fleet, gateways); !ok) return std::unexpected(ok.error());
  EventStreams events(io, [&fleet] { return event_data(fleet.at(0)); });
  auto server = HttpServer::listen(io, config.endpoint,
                                   make_fleet_api_handler(fleet, gateways.endpoints, events));
  if (!server) return std::unexpected(UsageError{server.error()});
  fleet.restart_clock();
  for (std::size_t i = 0; i < fleet.size(); ++i) {
    Twin& twin = fleet.at(i);
    if (config.scenario) twin.start_scenario(*config.scenario);
    twin.set_power(true);
    twin.set_bluetooth(config.bluetooth);
    twin.save_if_changed();
  }
  asio::signal_set signals(io, SIGINT, SIGTERM);
  const auto bound = (*server)->local_endpoint();
  if (!bound.address().is_loopback()) {
    log_line(
        "warning: the control API listens on {} without authentication; anyone who can reach "
        "it can change the meters",
        http_url(bound));
  }
  print_ready(fleet, config, bound, fresh_meters, gateways);
  return serve(io, signals, fleet, events, config, gateways);
}

}  // namespace ambi
