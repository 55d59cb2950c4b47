#include "twin/run/run_mqtt.hpp"

#include <fmt/format.h>

#include <utility>

#include "export/meter_reading.hpp"
#include "export/mqtt_topics.hpp"
#include "io/log.hpp"
#include "twin/http/state_json.hpp"
#include "twin/service/twin.hpp"

namespace ambi {
namespace {

/// Bounds of --mqtt-interval (wall seconds).
constexpr double kMinIntervalS = 0.1;
constexpr double kMaxIntervalS = 86'400;

/// The options that mean nothing without --mqtt, by flag.
std::string_view orphan_option(const RunOptions& o) {
  if (o.mqtt_prefix) return "--mqtt-prefix";
  if (o.mqtt_discovery_prefix) return "--mqtt-discovery-prefix";
  if (o.mqtt_discovery) return "--mqtt-discovery";
  if (o.mqtt_interval_s) return "--mqtt-interval";
  if (o.mqtt_user) return "--mqtt-user";
  if (o.mqtt_password) return "--mqtt-password";
  if (o.mqtt_client_id) return "--mqtt-client-id";
  return {};
}

}  // namespace

std::expected<void, std::string> resolve_mqtt(const RunOptions& o, RunConfig& c) {
  using Error = std::unexpected<std::string>;
  if (!o.mqtt) {
    if (const auto flag = orphan_option(o); !flag.empty()) {
      return Error(
          fmt::format("{} needs --mqtt mqtt://HOST:PORT (the broker to publish to)", flag));
    }
    return {};
  }
  MqttOptions m;
  if (auto ok = parse_mqtt_uri(*o.mqtt, "--mqtt", m); !ok) return Error(ok.error());
  m.topic_prefix = o.mqtt_prefix.value_or(m.topic_prefix);
  m.discovery_prefix = o.mqtt_discovery_prefix.value_or(m.discovery_prefix);
  if (auto ok = check_mqtt_topic_part(m.topic_prefix, "--mqtt-prefix"); !ok) {
    return Error(ok.error());
  }
  if (auto ok = check_mqtt_topic_part(m.discovery_prefix, "--mqtt-discovery-prefix"); !ok) {
    return Error(ok.error());
  }
  const std::string discovery = o.mqtt_discovery.value_or("on");
  if (discovery != "on" && discovery != "off") {
    return Error(fmt::format("bad --mqtt-discovery \"{}\": give on or off", discovery));
  }
  m.discovery = discovery == "on";
  const double interval = o.mqtt_interval_s.value_or(10.0);
  if (!(interval >= kMinIntervalS && interval <= kMaxIntervalS)) {
    return Error(fmt::format("bad --mqtt-interval {}: give wall seconds from {} to {}", interval,
                             kMinIntervalS, kMaxIntervalS));
  }
  if (o.mqtt_password && !o.mqtt_user) {
    return Error("--mqtt-password needs --mqtt-user (the broker's user name)");
  }
  m.username = o.mqtt_user.value_or("");
  m.password = o.mqtt_password.value_or("");
  m.client_id = o.mqtt_client_id.value_or("");
  if (!m.client_id.empty() && (m.client_id.find_first_of("/+#") != std::string::npos ||
                               !check_mqtt_topic_part(m.client_id, "--mqtt-client-id"))) {
    return Error(
        fmt::format("bad --mqtt-client-id \"{}\": it names a topic level; give "
                    "letters, digits, '-' and '_'",
                    m.client_id));
  }
  c.mqtt = std::move(m);
  c.mqtt_interval = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::duration<double>(interval));
  return {};
}

std::expected<std::unique_ptr<MqttFeed>, UsageError> MqttFeed::start(boost::asio::io_context& io,
                                                                     const RunConfig& config,
                                                                     std::vector<Twin*> twins) {
  if (!config.mqtt || twins.empty()) return std::unique_ptr<MqttFeed>{};
  MqttOptions options = *config.mqtt;
  if (options.client_id.empty()) {
    options.client_id =
        fmt::format("ambimeter-{}", bcd_string(twins.front()->meter().state().serial_bcd));
  }
  auto publisher =
      MqttPublisher::start(std::move(options), [](std::string_view line) { log_line("{}", line); });
  if (!publisher) return std::unexpected(UsageError{publisher.error()});
  return std::make_unique<MqttFeed>(io, std::move(*publisher), std::move(twins),
                                    config.mqtt_interval);
}

MqttFeed::MqttFeed(boost::asio::io_context& io, std::unique_ptr<MqttPublisher> publisher,
                   std::vector<Twin*> twins, std::chrono::milliseconds interval)
    : publisher_(std::move(publisher)), twins_(std::move(twins)), interval_(interval), timer_(io) {
  repeat(timer_, kMqttStep, [this] { step(); });
}

void MqttFeed::step() {
  using SteadyClock = std::chrono::steady_clock;
  const auto now = SteadyClock::now();
  if (!publisher_->connected()) return;  // the reconnect starts a round of its own
  const std::uint64_t sessions = publisher_->sessions();
  if (sessions != sessions_ || (!round_ && now >= next_round_)) {
    round_ = true;  // a new connection restarts the round: everything goes out again
    next_ = 0;
    sessions_ = sessions;
    next_round_ = now + interval_;
  }
  if (!round_) return;
  const auto deadline = now + kMqttStepBudget;
  while (next_ < twins_.size() && publisher_->backlog() < kMqttMaxBacklog &&
         SteadyClock::now() < deadline) {
    visit(*twins_[next_++]);
  }
  if (next_ == twins_.size()) round_ = false;
}

void MqttFeed::visit(Twin& twin) {
  twin.sync();
  const Meter& meter = twin.meter();
  if (!meter.powered()) {  // silent on its bus, as a real meter without supply
    publisher_->set_available(bcd_string(meter.state().serial_bcd), false);
    return;
  }
  publisher_->publish(read_meter(meter));
}

Json MqttFeed::ready_json() const {
  const MqttOptions& o = publisher_->options();
  return Json{{"uri", mqtt_uri(o)},
              {"prefix", o.topic_prefix},
              {"discovery_prefix", o.discovery ? Json(o.discovery_prefix) : Json()},
              {"client_id", o.client_id},
              {"interval_s", static_cast<double>(interval_.count()) / 1000.0}};
}

Json mqtt_ready_json(const MqttFeed* feed) {
  return feed != nullptr ? feed->ready_json() : Json();
}

}  // namespace ambi
