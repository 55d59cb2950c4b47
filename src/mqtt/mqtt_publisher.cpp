#include "mqtt/mqtt_publisher.hpp"

#include <fmt/format.h>
#include <mosquitto.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "export/mqtt_topics.hpp"
#include "io/errno_text.hpp"

namespace ambi {
namespace {

using Clock = std::chrono::steady_clock;

/// Reconnect delays: libmosquitto waits delay × attempts² (0, 1, 4, 9 s), at most 15 s.
constexpr unsigned kReconnectDelayS = 1;
constexpr unsigned kReconnectDelayMaxS = 15;
/// QoS 1 messages libmosquitto keeps on the wire before waiting for acknowledgements.
constexpr int kMaxInflight = 100;
/// How long the destructor waits for the broker to acknowledge what was sent.
constexpr std::chrono::seconds kFlushTimeout{2};

/// One meter as its publisher knows it.
struct MeterEntry {
  MqttMeterTrack track;
  std::uint64_t track_session = 0;  ///< the connection `track` describes
  bool online = false;
  bool availability_known = false;
  std::uint64_t availability_session = 0;  ///< the connection its availability went out in
};

/// The numeric address of `host` (resolved once, so reconnecting needs no DNS).
std::expected<std::string, std::string> numeric_host(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0) {
    return std::unexpected(std::string(::gai_strerror(rc)));
  }
  std::array<char, NI_MAXHOST> text{};
  const int rc = ::getnameinfo(found->ai_addr, found->ai_addrlen, text.data(),
                               static_cast<socklen_t>(text.size()), nullptr, 0, NI_NUMERICHOST);
  ::freeaddrinfo(found);
  if (rc != 0) return std::unexpected(std::string(::gai_strerror(rc)));
  return std::string(text.data());
}

std::string default_client_id() {
  std::array<char, 64> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) name[0] = '\0';
  return fmt::format("ambimeter-{}-{}", name.data(), ::getpid());
}

std::string error_text(int rc) {
  if (rc == MOSQ_ERR_ERRNO) return errno_text();
  return ::mosquitto_strerror(rc);
}

}  // namespace

struct MqttPublisher::Impl {
  MqttOptions options;
  MqttLayout layout;
  std::string uri;
  std::string address;  ///< options.host resolved
  std::function<void(std::string_view)> log;
  mosquitto* mosq = nullptr;

  mutable std::mutex mutex;
  std::condition_variable acked_cv;
  bool connected = false;
  std::uint64_t sessions = 0;
  bool lost = false;  ///< a loss (or a failed first attempt) was logged: log the return
  Clock::time_point lost_at{};
  int refused = 0;  ///< the CONNACK code last logged
  std::unordered_map<std::string, MeterEntry> meters;
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> acked{0};
  /// Retries a first connection that failed at once: libmosquitto's thread waits for a
  /// first attempt that got under way and does not retry one refused on the spot.
  std::thread starter;
  std::condition_variable stop_cv;
  bool stopping = false;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  Impl(Impl&&) = delete;
  Impl& operator=(Impl&&) = delete;
  ~Impl() {
    if (mosq != nullptr) ::mosquitto_destroy(mosq);
  }

  /// Hands `messages` to libmosquitto (QoS 1). Never called with `mutex` held.
  void send(const std::vector<MqttMessage>& messages) {
    for (const MqttMessage& m : messages) {
      sent.fetch_add(1);
      const int rc =
          ::mosquitto_publish(mosq, nullptr, m.topic.c_str(), static_cast<int>(m.payload.size()),
                              m.payload.data(), 1, m.retain);
      if (rc != MOSQ_ERR_SUCCESS) sent.fetch_sub(1);
    }
  }

  MqttMessage availability(std::string topic, bool online) const {
    return {std::move(topic), std::string(online ? kMqttOnline : kMqttOffline), true};
  }

  void on_connect(int rc) {
    if (rc != 0) {
      bool first = false;
      {
        const std::lock_guard lock(mutex);
        first = refused != rc;
        refused = rc;
        if (!lost) lost_at = Clock::now();
        lost = true;
      }
      if (first) {
        log(
            fmt::format("mqtt: {} refused the connection: {}; check --mqtt-user and "
                        "--mqtt-password (retrying in the background)",
                        uri, ::mosquitto_connack_string(rc)));
      }
      return;
    }
    std::vector<MqttMessage> out;
    bool was_lost = false;
    Clock::duration down{};
    {
      const std::lock_guard lock(mutex);
      connected = true;
      ++sessions;
      was_lost = lost;
      down = Clock::now() - lost_at;
      lost = false;
      refused = 0;
      out.push_back(availability(mqtt_client_availability_topic(layout), true));
      for (auto& [serial, entry] : meters) {
        if (!entry.availability_known) continue;
        out.push_back(availability(mqtt_meter_availability_topic(layout, serial), entry.online));
        entry.availability_session = sessions;
      }
    }
    send(out);
    if (was_lost) {
      log(
          fmt::format("mqtt: connected to {} again after {} s; publishing discovery and every "
                      "value again",
                      uri, std::chrono::duration_cast<std::chrono::seconds>(down).count()));
    }
  }

  void on_disconnect(int rc) {
    bool report = false;
    bool never = false;  // the first attempt failed after connect_async returned
    {
      const std::lock_guard lock(mutex);
      report = connected && rc != 0;
      never = sessions == 0 && !lost && rc != 0;
      connected = false;
      if (report || never) {
        lost = true;
        lost_at = Clock::now();
      }
    }
    acked_cv.notify_all();
    if (report) {
      log(
          fmt::format("mqtt: lost the connection to {}; reconnecting in the background (every "
                      "value is published again when it is back)",
                      uri));
    } else if (never) {
      log(fmt::format("mqtt: {} does not answer; publishing starts when it does", uri));
    }
  }

  void on_publish() {
    acked.fetch_add(1);
    {
      const std::lock_guard lock(mutex);
    }
    acked_cv.notify_all();
  }

  /// Sets up the client, its last will and its callbacks; connects in the background.
  std::expected<void, std::string> begin() {
    mosq = ::mosquitto_new(options.client_id.c_str(), true, this);
    if (mosq == nullptr) return std::unexpected(fmt::format("mqtt: {}", errno_text()));
    if (!options.username.empty()) {
      ::mosquitto_username_pw_set(mosq, options.username.c_str(),
                                  options.password.empty() ? nullptr : options.password.c_str());
    }
    const std::string will = mqtt_client_availability_topic(layout);
    ::mosquitto_will_set(mosq, will.c_str(), static_cast<int>(kMqttOffline.size()),
                         kMqttOffline.data(), 1, true);
    ::mosquitto_reconnect_delay_set(mosq, kReconnectDelayS, kReconnectDelayMaxS, true);
    ::mosquitto_max_inflight_messages_set(mosq, kMaxInflight);
    ::mosquitto_connect_callback_set(
        mosq, [](mosquitto*, void* self, int rc) { static_cast<Impl*>(self)->on_connect(rc); });
    ::mosquitto_disconnect_callback_set(
        mosq, [](mosquitto*, void* self, int rc) { static_cast<Impl*>(self)->on_disconnect(rc); });
    ::mosquitto_publish_callback_set(
        mosq, [](mosquitto*, void* self, int) { static_cast<Impl*>(self)->on_publish(); });
    if (const int rc =
            ::mosquitto_connect_async(mosq, address.c_str(), options.port, options.keepalive_s);
        rc != MOSQ_ERR_SUCCESS) {
      {
        const std::lock_guard lock(mutex);
        lost = true;
        lost_at = Clock::now();
      }
      log(fmt::format("mqtt: {} does not answer ({}); publishing starts when it does", uri,
                      error_text(rc)));
      starter = std::thread([this] { retry_first_connect(); });
    }
    if (const int rc = ::mosquitto_loop_start(mosq); rc != MOSQ_ERR_SUCCESS) {
      return std::unexpected(fmt::format("mqtt: cannot start its thread: {}", error_text(rc)));
    }
    return {};
  }

  /// Tries again with libmosquitto's delays until an attempt gets under way; from then on
  /// its thread reconnects by itself.
  void retry_first_connect() {
    for (unsigned attempt = 1;; ++attempt) {
      const auto delay =
          std::chrono::seconds(std::min(kReconnectDelayS * attempt * attempt, kReconnectDelayMaxS));
      {
        std::unique_lock lock(mutex);
        if (stop_cv.wait_for(lock, delay, [this] { return stopping; })) return;
      }
      if (::mosquitto_reconnect_async(mosq) == MOSQ_ERR_SUCCESS) return;
    }
  }

  /// Sends "offline", waits for the broker's acknowledgements, disconnects, stops the thread.
  void finish() {
    {
      const std::lock_guard lock(mutex);
      stopping = true;
    }
    stop_cv.notify_all();
    if (starter.joinable()) starter.join();
    bool was_connected = false;
    {
      const std::lock_guard lock(mutex);
      was_connected = connected;
    }
    if (was_connected) {
      send({availability(mqtt_client_availability_topic(layout), false)});
      std::unique_lock lock(mutex);
      acked_cv.wait_for(lock, kFlushTimeout,
                        [this] { return !connected || acked.load() >= sent.load(); });
    }
    ::mosquitto_disconnect(mosq);
    // Connected, the thread ends once the DISCONNECT is out; otherwise it may be waiting
    // to retry, or in connect(): cancel it.
    ::mosquitto_loop_stop(mosq, !was_connected);
  }
};

std::expected<std::unique_ptr<MqttPublisher>, std::string> MqttPublisher::start(
    MqttOptions options, std::function<void(std::string_view)> log) {
  static std::once_flag init;
  std::call_once(init, [] { ::mosquitto_lib_init(); });
  if (options.client_id.empty()) options.client_id = default_client_id();
  if (auto ok = check_mqtt_topic_part(options.topic_prefix, "--mqtt-prefix"); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = check_mqtt_topic_part(options.discovery_prefix, "--mqtt-discovery-prefix"); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = check_mqtt_topic_part(options.client_id, "MQTT client id");
      !ok || options.client_id.find('/') != std::string::npos) {
    return std::unexpected(
        fmt::format("bad MQTT client id \"{}\": it goes into a topic; give "
                    "letters, digits, '-' and '_'",
                    options.client_id));
  }
  auto impl = std::make_unique<Impl>();
  impl->uri = mqtt_uri(options);
  auto address = numeric_host(options.host);
  if (!address) {
    return std::unexpected(fmt::format("cannot resolve the MQTT broker {}: {}; check --mqtt",
                                       impl->uri, address.error()));
  }
  impl->address = *address;
  impl->layout = MqttLayout{options.topic_prefix, options.discovery_prefix, options.client_id};
  impl->options = std::move(options);
  impl->log = std::move(log);
  if (auto ok = impl->begin(); !ok) return std::unexpected(ok.error());
  return std::unique_ptr<MqttPublisher>(new MqttPublisher(std::move(impl)));
}

MqttPublisher::MqttPublisher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MqttPublisher::~MqttPublisher() {
  if (impl_) impl_->finish();
}

void MqttPublisher::publish(const MeterReading& reading) {
  if (reading.serial.empty()) return;
  std::vector<MqttMessage> out;
  {
    const std::lock_guard lock(impl_->mutex);
    if (!impl_->connected) return;
    MeterEntry& entry = impl_->meters[reading.serial];
    const std::uint64_t session = impl_->sessions;
    if (entry.track_session != session) {
      entry.track.reset();
      entry.track_session = session;
    }
    if (!entry.availability_known || !entry.online || entry.availability_session != session) {
      out.push_back(
          impl_->availability(mqtt_meter_availability_topic(impl_->layout, reading.serial), true));
      entry.online = true;
      entry.availability_known = true;
      entry.availability_session = session;
    }
    entry.track.plan(impl_->layout, reading, impl_->options.discovery, out);
  }
  impl_->send(out);
}

void MqttPublisher::set_available(const std::string& serial, bool online) {
  std::vector<MqttMessage> out;
  {
    const std::lock_guard lock(impl_->mutex);
    MeterEntry& entry = impl_->meters[serial];
    const std::uint64_t session = impl_->sessions;
    if (entry.availability_known && entry.online == online &&
        (entry.availability_session == session || !impl_->connected)) {
      return;
    }
    entry.online = online;
    entry.availability_known = true;
    if (!impl_->connected) return;  // sent when the connection is back
    entry.availability_session = session;
    out.push_back(
        impl_->availability(mqtt_meter_availability_topic(impl_->layout, serial), online));
  }
  impl_->send(out);
}

bool MqttPublisher::connected() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->connected;
}

std::uint64_t MqttPublisher::sessions() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->sessions;
}

std::size_t MqttPublisher::backlog() const {
  const std::uint64_t acked = impl_->acked.load();
  const std::uint64_t sent = impl_->sent.load();
  return sent > acked ? static_cast<std::size_t>(sent - acked) : 0;
}

std::uint64_t MqttPublisher::published() const {
  return impl_->sent.load();
}

const MqttOptions& MqttPublisher::options() const {
  return impl_->options;
}

}  // namespace ambi
