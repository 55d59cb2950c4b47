#pragma once
// The MQTT client at the edge (docs/mqtt.md): meters' readings published to a broker with
// Home Assistant discovery, through libmosquitto. Shared by `ambimeter run --mqtt` (the
// twin, one meter or a fleet) and `ambimeter bridge` (real meters).
//
// Threading: libmosquitto runs its own network thread (mosquitto_loop_start), which
// connects, reconnects with a growing delay and calls back; `publish` and `set_available`
// are called from the owner's thread (the Asio loop). Shared state is guarded by one mutex,
// never held while calling into libmosquitto.

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "export/meter_reading.hpp"

namespace ambi {

/// Where and how to publish.
struct MqttOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 1883;
  std::string client_id;  ///< also names the process's availability topic; "" picks one
  std::string username, password;
  std::string topic_prefix = "ambimeter";
  std::string discovery_prefix = "homeassistant";
  bool discovery = true;
  int keepalive_s = 30;
};

/// "mqtt://HOST[:PORT]" (IPv6 in brackets; port 1883 when left out) into `options`. The
/// error is one line naming `flag` and the fix.
[[nodiscard]] std::expected<void, std::string> parse_mqtt_uri(std::string_view text,
                                                              std::string_view flag,
                                                              MqttOptions& options);
/// "mqtt://127.0.0.1:1883", "mqtt://[::1]:1883".
[[nodiscard]] std::string mqtt_uri(const MqttOptions& options);

class MqttPublisher {
 public:
  /// Connects in the background: a broker that is down is not an error, it keeps trying.
  /// The error is for bad options only (a topic prefix with a wildcard, a host that does not
  /// resolve). `log` gets one line when the connection is lost and one when it is back (no
  /// lines while it retries); it is called from libmosquitto's thread.
  static std::expected<std::unique_ptr<MqttPublisher>, std::string> start(
      MqttOptions options, std::function<void(std::string_view)> log);

  /// Publishes `reading` (retained, QoS 1): discovery on first sight of a serial and after
  /// every reconnect, the meter's availability "online", then the states that changed since
  /// the last publish in this connection (all of them after a reconnect). Nothing while
  /// disconnected: the next publish after the reconnect sends everything.
  void publish(const MeterReading& reading);
  /// Per-meter availability (retained): a bridge marks a meter that stops answering
  /// offline; `publish` marks it online again. Sent again after every reconnect.
  void set_available(const std::string& serial, bool online);

  /// Connected to the broker now.
  [[nodiscard]] bool connected() const;
  /// Connections made so far: it grows by one with every (re)connect.
  [[nodiscard]] std::uint64_t sessions() const;
  /// Messages handed to libmosquitto and not yet acknowledged by the broker (PUBACK): a
  /// caller with many meters waits while it is high.
  [[nodiscard]] std::size_t backlog() const;
  /// Messages handed to libmosquitto since the start.
  [[nodiscard]] std::uint64_t published() const;
  [[nodiscard]] const MqttOptions& options() const;

  /// Publishes "offline" on the process's availability topic, waits up to 2 s for the
  /// broker to acknowledge what was sent, and disconnects cleanly (so the last will is not
  /// sent: the offline was).
  ~MqttPublisher();
  MqttPublisher(const MqttPublisher&) = delete;
  MqttPublisher& operator=(const MqttPublisher&) = delete;
  MqttPublisher(MqttPublisher&&) = delete;
  MqttPublisher& operator=(MqttPublisher&&) = delete;

  struct Impl;

 private:
  explicit MqttPublisher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ambi
