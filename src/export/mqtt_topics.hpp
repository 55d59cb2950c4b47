#pragma once
// What the MQTT exporter publishes (docs/mqtt.md), pure: the topic layout, Home Assistant's
// discovery payload of every exported value, and which messages one meter's reading needs
// given what was published of it before (`MqttMeterTrack`). The client that sends them is
// src/mqtt/ (libmosquitto); the twin (`run --mqtt`) and the bridge feed it readings.
//
//   <prefix>/<serial>/<value>                        a value's state: "230.01" (retained)
//   <prefix>/<serial>/availability                   the meter: "online" / "offline"
//   <prefix>/client/<client id>/availability         the publishing process (its last will)
//   <discovery prefix>/sensor/ambimeter_<serial>/<value>/config   Home Assistant discovery
//
// Pure: no I/O.

#include <cstdint>
#include <expected>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "export/exported_values.hpp"
#include "export/meter_reading.hpp"

namespace ambi {

/// The availability payloads (Home Assistant's defaults).
inline constexpr std::string_view kMqttOnline = "online";
inline constexpr std::string_view kMqttOffline = "offline";
/// Home Assistant's device: manufacturer and model of every meter.
inline constexpr std::string_view kMqttManufacturer = "Inepro Metering";
inline constexpr std::string_view kMqttModel = "Ambition 2PU CT";

/// Where a publisher's messages go.
struct MqttLayout {
  std::string prefix = "ambimeter";                ///< state and availability topics
  std::string discovery_prefix = "homeassistant";  ///< Home Assistant's discovery topics
  std::string client_id;                           ///< names the process's availability topic
};

/// "ambimeter/19020246/l1_voltage".
[[nodiscard]] std::string mqtt_state_topic(const MqttLayout& layout, std::string_view serial,
                                           std::string_view value);
/// "ambimeter/19020246/availability".
[[nodiscard]] std::string mqtt_meter_availability_topic(const MqttLayout& layout,
                                                        std::string_view serial);
/// "ambimeter/client/ambimeter-19020246/availability": the process's, with its last will.
[[nodiscard]] std::string mqtt_client_availability_topic(const MqttLayout& layout);
/// "homeassistant/sensor/ambimeter_19020246/l1_voltage/config".
[[nodiscard]] std::string mqtt_discovery_topic(const MqttLayout& layout, std::string_view serial,
                                               std::string_view value);

/// Home Assistant's discovery config of `value` of the meter `reading` identifies: name (the
/// register's description), unique_id and default_entity_id, state_topic, device_class,
/// state_class and unit (from exported_values.hpp), suggested_display_precision, the two
/// availability topics (both must say online), QoS 1, and the device (serial, model, meter
/// code, software and hardware version).
[[nodiscard]] nlohmann::json mqtt_discovery_payload(const MqttLayout& layout,
                                                    const MeterReading& reading,
                                                    const ExportedValue& value);

/// A topic prefix or client id is usable in a topic: not empty, no '+', '#', NUL or empty
/// level, no leading or trailing '/'. The error names `flag` and the fix.
[[nodiscard]] std::expected<void, std::string> check_mqtt_topic_part(std::string_view text,
                                                                     std::string_view flag);

/// One message: always QoS 1; retained unless said otherwise.
struct MqttMessage {
  std::string topic;
  std::string payload;
  bool retain = true;
};

/// What was published of one meter in the present connection: for every exported value
/// (by its index in `exported_values()`) whether its discovery config went out and the raw
/// value its state last carried. A state's text is a function of its raw value, so an
/// unchanged raw value is an unchanged message. About 1 KB per meter (109 values).
class MqttMeterTrack {
 public:
  MqttMeterTrack();
  /// Forgets everything sent (a new connection: the broker may have lost it all).
  void reset();
  /// The messages `reading` needs: the discovery configs of values seen for the first time
  /// (when `discovery`), then the states that changed. Marks them as sent.
  void plan(const MqttLayout& layout, const MeterReading& reading, bool discovery,
            std::vector<MqttMessage>& out);

 private:
  std::vector<RegisterValue> last_;
  std::vector<std::uint8_t> flags_;
};

}  // namespace ambi
