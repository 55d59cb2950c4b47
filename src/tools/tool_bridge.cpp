// ambimeter bridge: poll meters, publish to MQTT and Prometheus (docs/integrations.md).
#include "tools/tool_bridge.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "export/mbus_reading.hpp"
#include "export/meter_reading.hpp"
#include "export/prometheus_text.hpp"
#include "io/exit_codes.hpp"
#include "mqtt/mqtt_publisher.hpp"
#include "net/http_server.hpp"
#include "net/listen_address.hpp"
#include "tools/meter_uri.hpp"
#include "tools/readings.hpp"
#include "tools/tool_session.hpp"

namespace ambi {
namespace {

constexpr std::string_view kCommand = "bridge";

/// One meter the bridge polls, and what it knows of it.
struct BridgedMeter {
  MeterUri uri;
  std::optional<MeterSession> session;
  std::optional<MeterReading> last;  ///< the last good reading
  bool failing = false;
  std::uint64_t polls_ok = 0;
  std::uint64_t polls_failed = 0;
  double poll_seconds = 0;
};

/// Everything the meter answers that the exporters publish, over its protocol.
std::expected<MeterReading, std::string> read_export(MeterSession& session) {
  if (ModbusClient* client = session.modbus()) {
    auto decoded = read_modbus_registers(*client, session.uri().unit, export_registers());
    if (!decoded) return std::unexpected{decoded.error().message};
    return reading_from_registers(decoded->registers);
  }
  auto target = session.mbus_target();
  if (!target) return std::unexpected{target.error()};
  auto readout = session.mbus()->read(*target);
  if (!readout) return std::unexpected{readout.error().message};
  return reading_from_mbus(*readout);
}

/// --mqtt mqtt://HOST[:PORT] and the --mqtt-* options into the publisher's options.
std::expected<MqttOptions, std::string> mqtt_options(const BridgeOptions& o) {
  MqttOptions m;
  if (auto ok = parse_mqtt_uri(o.mqtt, "--mqtt", m); !ok) return std::unexpected{ok.error()};
  m.client_id = fmt::format("ambimeter-bridge-{}", ::getpid());
  m.topic_prefix = o.mqtt_prefix;
  m.discovery_prefix = o.mqtt_discovery_prefix;
  m.username = o.mqtt_user;
  m.password = o.mqtt_password;
  return m;
}

/// The bridge's own metrics: per meter, whether it answered and how often.
std::vector<HealthMetric> bridge_health(const std::vector<BridgedMeter>& meters) {
  std::vector<HealthMetric> out;
  for (const BridgedMeter& m : meters) {
    const std::string& uri = m.uri.text;  // as the user typed it
    out.push_back({"ambimeter_bridge_up",
                   "1 when the meter answered the last poll, else 0.",
                   MetricKind::gauge,
                   {{"uri", uri}},
                   m.failing || !m.last ? 0.0 : 1.0});
    out.push_back({"ambimeter_bridge_polls_total",
                   "Polls of the meter, by outcome.",
                   MetricKind::counter,
                   {{"uri", uri}, {"outcome", "ok"}},
                   static_cast<double>(m.polls_ok)});
    out.push_back({"ambimeter_bridge_polls_total",
                   "Polls of the meter, by outcome.",
                   MetricKind::counter,
                   {{"uri", uri}, {"outcome", "failed"}},
                   static_cast<double>(m.polls_failed)});
    out.push_back({"ambimeter_bridge_poll_duration_seconds",
                   "How long the last poll took.",
                   MetricKind::gauge,
                   {{"uri", uri}},
                   m.poll_seconds});
  }
  return out;
}

/// /metrics on its own thread: the poll loop hands it each round's text.
class MetricsServer {
 public:
  static std::expected<std::unique_ptr<MetricsServer>, std::string> start(
      const boost::asio::ip::tcp::endpoint& endpoint) {
    auto self = std::unique_ptr<MetricsServer>(new MetricsServer);
    MetricsServer* raw = self.get();
    auto server = HttpServer::listen(
        self->io_, endpoint, [raw](const HttpRequest& request) { return raw->answer(request); });
    if (!server) return std::unexpected{server.error()};
    self->server_ = std::move(*server);
    self->thread_ = std::thread([raw] { raw->io_.run(); });
    return self;
  }
  ~MetricsServer() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  [[nodiscard]] boost::asio::ip::tcp::endpoint endpoint() const {
    return server_->local_endpoint();
  }
  void update(std::string text) {
    const std::scoped_lock lock(mutex_);
    text_ = std::move(text);
  }

 private:
  MetricsServer() : guard_(io_.get_executor()) {}
  HttpResponse answer(const HttpRequest& request) {
    if (request.path != "/metrics") {
      return make_response(404, R"({"error":"not found; the bridge serves GET /metrics"})");
    }
    if (request.method != "GET" && request.method != "HEAD") {
      HttpResponse r = make_response(405, R"({"error":"GET /metrics only"})");
      r.allow = "GET, HEAD";
      return r;
    }
    const std::scoped_lock lock(mutex_);
    return make_response(200, text_, std::string{kPrometheusContentType});
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::mutex mutex_;
  std::string text_;
};

/// The publishers a bridge runs.
struct Outputs {
  std::unique_ptr<MqttPublisher> mqtt;
  std::unique_ptr<MetricsServer> metrics;
};

void mark_failed(BridgedMeter& m, const std::string& why, Outputs& out) {
  ++m.polls_failed;
  m.session.reset();  // opened afresh next time: a TCP peer may have gone, a selection lapsed
  if (m.failing) return;
  m.failing = true;
  tool_error(kCommand, fmt::format("{}: {}; retrying every poll", m.uri.text, why));
  if (out.mqtt && m.last) out.mqtt->set_available(m.last->serial, false);
}

void poll(BridgedMeter& m, Outputs& out) {
  const auto started = std::chrono::steady_clock::now();
  if (!m.session) {
    auto session = MeterSession::open(m.uri);
    if (!session) {
      mark_failed(m, session.error(), out);
      return;
    }
    m.session.emplace(std::move(*session));
  }
  auto reading = read_export(*m.session);
  m.poll_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!reading) {
    mark_failed(m, reading.error(), out);
    return;
  }
  ++m.polls_ok;
  if (m.failing) tool_error(kCommand, fmt::format("{}: answers again", m.uri.text));
  m.failing = false;
  m.last = std::move(*reading);
  if (out.mqtt) out.mqtt->publish(*m.last);  // marks the meter online again, too
}

/// The /metrics text of the meters that answered their last poll. A serial read through
/// two URIs (one meter over Modbus and M-bus) is exported once, from the first URI, since
/// Prometheus refuses a series twice in one scrape.
std::string render(const std::vector<BridgedMeter>& meters) {
  std::vector<MeterReading> live;
  for (const BridgedMeter& m : meters) {
    if (!m.last || m.failing) continue;
    const bool seen = std::ranges::any_of(
        live, [&](const MeterReading& r) { return r.serial == m.last->serial; });
    if (!seen) live.push_back(*m.last);
  }
  return render_prometheus(live, bridge_health(meters));
}

/// Checks the options and starts the outputs; the exit code on failure.
std::expected<Outputs, int> start_outputs(const BridgeOptions& o) {
  if (o.mqtt.empty() && o.metrics.empty()) {
    tool_error(kCommand,
               "nothing to publish to; give --mqtt mqtt://HOST[:PORT] and/or --metrics HOST:PORT");
    return std::unexpected{kExitUsage};
  }
  Outputs out;
  if (!o.metrics.empty()) {
    auto endpoint = parse_listen_address(o.metrics, "--metrics", "127.0.0.1:9464");
    if (!endpoint) {
      tool_error(kCommand, endpoint.error());
      return std::unexpected{kExitUsage};
    }
    auto server = MetricsServer::start(*endpoint);
    if (!server) {
      tool_error(kCommand, fmt::format("--metrics: {}", server.error()));
      return std::unexpected{kExitFailure};
    }
    out.metrics = std::move(*server);
  }
  if (!o.mqtt.empty()) {
    auto options = mqtt_options(o);
    if (!options) {
      tool_error(kCommand, options.error());
      return std::unexpected{kExitUsage};
    }
    auto publisher =
        MqttPublisher::start(*options, [](std::string_view line) { tool_error(kCommand, line); });
    if (!publisher) {
      tool_error(kCommand, publisher.error());
      return std::unexpected{kExitUsage};
    }
    out.mqtt = std::move(*publisher);
  }
  return out;
}

/// The meters the URIs name; the exit code on a bad URI.
std::expected<std::vector<BridgedMeter>, int> parse_meters(const BridgeOptions& o) {
  std::vector<BridgedMeter> meters;
  for (const std::string& text : o.uris) {
    auto uri = parse_meter_uri(text);
    if (!uri) {
      tool_error(kCommand, uri.error());
      return std::unexpected{kExitUsage};
    }
    meters.push_back(BridgedMeter{.uri = std::move(*uri),
                                  .session = std::nullopt,
                                  .last = std::nullopt,
                                  .failing = false,
                                  .polls_ok = 0,
                                  .polls_failed = 0,
                                  .poll_seconds = 0});
  }
  return meters;
}

}  // namespace

CLI::App* add_bridge_command(CLI::App& app, BridgeOptions& o) {
  CLI::App* bridge = app.add_subcommand(
      "bridge",
      "Poll meters (real ones or twins) and publish them to MQTT with Home Assistant discovery "
      "and on a Prometheus /metrics endpoint");
  bridge->add_option("uri", o.uris, "The meters, as read takes them (docs/tools.md)")->required();
  bridge->add_option("--interval", o.interval, "Time between polls of every meter (10s)");
  bridge->add_option("--mqtt", o.mqtt, "Publish to this broker: mqtt://HOST[:PORT]");
  bridge->add_option("--mqtt-prefix", o.mqtt_prefix, "The state topics' prefix (ambimeter)");
  bridge->add_option("--mqtt-discovery-prefix", o.mqtt_discovery_prefix,
                     "Home Assistant's discovery prefix (homeassistant)");
  bridge->add_option("--mqtt-user", o.mqtt_user, "The broker's user name");
  bridge->add_option("--mqtt-password", o.mqtt_password, "The broker's password");
  bridge->add_option("--metrics", o.metrics,
                     "Serve Prometheus's GET /metrics on HOST:PORT (e.g. 127.0.0.1:9464)");
  bridge->add_option("--count", o.count, "Stop after N polls of every meter (0: until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  return bridge;
}

int run_bridge(const BridgeOptions& o) {
  const auto interval = parse_interval(o.interval);
  if (!interval) {
    tool_error(kCommand, fmt::format("--interval: {}", interval.error()));
    return kExitUsage;
  }
  auto meters = parse_meters(o);
  if (!meters) return meters.error();
  auto outputs = start_outputs(o);
  if (!outputs) return outputs.error();
  install_stop_handlers();
  std::string metrics_url = "null";
  if (outputs->metrics) {
    const auto e = outputs->metrics->endpoint();
    metrics_url = fmt::format("\"http://{}:{}/metrics\"", e.address().to_string(), e.port());
  }
  const std::string mqtt_url = o.mqtt.empty() ? "null" : fmt::format("\"{}\"", o.mqtt);
  // The ready line, as `run` writes one: what a script waits for before it scrapes.
  fmt::print(
      "{{\"event\":\"ready\",\"command\":\"bridge\",\"meters\":{},\"metrics\":{},"
      "\"mqtt\":{}}}\n",
      meters->size(), metrics_url, mqtt_url);
  std::fflush(stdout);
  auto next = std::chrono::steady_clock::now();
  for (int n = 0; (o.count == 0 || n < o.count) && !stop_requested(); ++n) {
    for (BridgedMeter& m : *meters) poll(m, *outputs);
    if (outputs->metrics) outputs->metrics->update(render(*meters));
    if (o.count != 0 && n + 1 == o.count) break;
    next += *interval;
    sleep_until_or_stop(next);
  }
  return kExitOk;
}

}  // namespace ambi
