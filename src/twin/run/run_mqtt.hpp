#pragma once
// `ambimeter run --mqtt URI`: the twin's meters published to an MQTT broker with Home
// Assistant discovery (docs/mqtt.md), from the run's one Asio loop.
//
// The rule for a fleet (C102): one round over every meter per --mqtt-interval (wall
// seconds), each meter read as a master reads it and only its changed values sent; a round
// takes at most kMqttStepBudget of the loop per kMqttStep and pauses while the broker has
// more than kMqttMaxBacklog messages unacknowledged, so a slow broker slows the round, not
// the meters' Modbus. After every reconnect a round starts at once and sends everything.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "io/json.hpp"
#include "mqtt/mqtt_publisher.hpp"
#include "twin/run/run_command.hpp"
#include "twin/run/run_support.hpp"

namespace ambi {

class Twin;

/// How often a round may run its slice, and how much of the loop a slice may take.
inline constexpr std::chrono::milliseconds kMqttStep{20};
inline constexpr std::chrono::milliseconds kMqttStepBudget{8};
/// Messages unacknowledged by the broker above which a round waits.
inline constexpr std::size_t kMqttMaxBacklog = 5'000;

/// --mqtt and its companions checked into `config.mqtt` / `config.mqtt_interval`.
[[nodiscard]] std::expected<void, std::string> resolve_mqtt(const RunOptions& options,
                                                            RunConfig& config);

/// Publishes a run's meters while it lives; its end publishes "offline" and disconnects.
class MqttFeed {
 public:
  /// Starts publishing `twins` (null when the run has no --mqtt). The client id defaults to
  /// "ambimeter-<first serial>", stable across restarts, distinct between shards.
  [[nodiscard]] static std::expected<std::unique_ptr<MqttFeed>, UsageError> start(
      boost::asio::io_context& io, const RunConfig& config, std::vector<Twin*> twins);

  MqttFeed(boost::asio::io_context& io, std::unique_ptr<MqttPublisher> publisher,
           std::vector<Twin*> twins, std::chrono::milliseconds interval);

  /// The ready line's "mqtt": the broker's URI, the topic prefix, the client id.
  [[nodiscard]] Json ready_json() const;

 private:
  void step();
  void visit(Twin& twin);

  std::unique_ptr<MqttPublisher> publisher_;
  std::vector<Twin*> twins_;
  std::chrono::milliseconds interval_;
  boost::asio::steady_timer timer_;
  std::size_t next_ = 0;  ///< the next meter of the running round
  bool round_ = false;
  std::chrono::steady_clock::time_point next_round_{};
  std::uint64_t sessions_ = 0;  ///< the publisher's connections when the round began
};

/// The ready line's "mqtt" member: null without --mqtt.
[[nodiscard]] Json mqtt_ready_json(const MqttFeed* feed);

}  // namespace ambi
