#include "export/mqtt_topics.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace ambi {
namespace {

using Json = nlohmann::json;

/// `MqttMeterTrack`'s flags per value.
constexpr std::uint8_t kDiscovered = 1;
constexpr std::uint8_t kStateSent = 2;

/// "ambimeter_19020246": the device's identifier and the discovery node id.
std::string device_id(std::string_view serial) {
  return fmt::format("ambimeter_{}", serial);
}

Json device_json(const MeterReading& reading) {
  Json device{{"identifiers", Json::array({device_id(reading.serial)})},
              {"name", fmt::format("{} {}", kMqttModel, reading.serial)},
              {"manufacturer", kMqttManufacturer},
              {"model", kMqttModel},
              {"serial_number", reading.serial}};
  if (!reading.meter_code.empty()) device["model_id"] = reading.meter_code;
  if (!reading.software_version.empty()) device["sw_version"] = reading.software_version;
  if (!reading.hardware_version.empty()) device["hw_version"] = reading.hardware_version;
  return device;
}

/// Decimals a dashboard shows: the reader's for Float ABCD values, none for integers.
int display_precision(const ExportedValue& value) {
  if (value.reg->encoding != Encoding::float_abcd) return 0;
  return unit_format(value.reg->unit).decimals;
}

/// The status registers (error code, counters, quadrants, directions) are diagnostics.
bool is_diagnostic(const ExportedValue& value) {
  return value.reg->group == RegisterGroup::status;
}

std::size_t index_of(const ExportedValue* value) {
  return static_cast<std::size_t>(value - exported_values().data());
}

}  // namespace

std::string mqtt_state_topic(const MqttLayout& layout, std::string_view serial,
                             std::string_view value) {
  return fmt::format("{}/{}/{}", layout.prefix, serial, value);
}

std::string mqtt_meter_availability_topic(const MqttLayout& layout, std::string_view serial) {
  return fmt::format("{}/{}/availability", layout.prefix, serial);
}

std::string mqtt_client_availability_topic(const MqttLayout& layout) {
  return fmt::format("{}/client/{}/availability", layout.prefix, layout.client_id);
}

std::string mqtt_discovery_topic(const MqttLayout& layout, std::string_view serial,
                                 std::string_view value) {
  return fmt::format("{}/sensor/{}/{}/config", layout.discovery_prefix, device_id(serial), value);
}

Json mqtt_discovery_payload(const MqttLayout& layout, const MeterReading& reading,
                            const ExportedValue& value) {
  const std::string_view name = value.reg->name;
  const std::string unique = fmt::format("{}_{}", device_id(reading.serial), name);
  const auto availability = [](std::string topic) {
    return Json{{"topic", std::move(topic)},
                {"payload_available", kMqttOnline},
                {"payload_not_available", kMqttOffline}};
  };
  Json config{
      {"name", value.reg->description.empty() ? name : value.reg->description},
      {"unique_id", unique},
      {"default_entity_id", fmt::format("sensor.{}", unique)},
      {"state_topic", mqtt_state_topic(layout, reading.serial, name)},
      {"availability",
       Json::array({availability(mqtt_client_availability_topic(layout)),
                    availability(mqtt_meter_availability_topic(layout, reading.serial))})},
      {"availability_mode", "all"},
      {"qos", 1},
      {"suggested_display_precision", display_precision(value)},
      {"device", device_json(reading)},
      {"origin", {{"name", "ambimeter"}}},
  };
  if (!value.device_class.empty()) config["device_class"] = value.device_class;
  if (!value.state_class.empty()) config["state_class"] = value.state_class;
  if (!value.unit.empty()) config["unit_of_measurement"] = value.unit;
  if (is_diagnostic(value)) config["entity_category"] = "diagnostic";
  return config;
}

std::expected<void, std::string> check_mqtt_topic_part(std::string_view text,
                                                       std::string_view flag) {
  const auto bad = [&](std::string_view why) {
    std::string shown(text);  // one line, whatever was given
    std::ranges::replace_if(
        shown, [](char c) { return static_cast<unsigned char>(c) < 0x20; }, '?');
    return std::unexpected(
        fmt::format("bad {} \"{}\": {}; give letters, digits, '-', '_' and "
                    "'/' between levels, e.g. {} ambimeter",
                    flag, shown, why, flag));
  };
  if (text.empty()) return bad("it is empty");
  if (text.find_first_of("+#") != std::string_view::npos) {
    return bad("'+' and '#' are MQTT wildcards");
  }
  if (std::ranges::any_of(text, [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
    return bad("it has control characters");
  }
  if (text.front() == '/' || text.back() == '/' || text.find("//") != std::string_view::npos) {
    return bad("it has an empty level");
  }
  return {};
}

MqttMeterTrack::MqttMeterTrack()
    : last_(exported_values().size(), 0), flags_(exported_values().size(), 0) {}

void MqttMeterTrack::reset() {
  std::ranges::fill(flags_, std::uint8_t{0});
}

void MqttMeterTrack::plan(const MqttLayout& layout, const MeterReading& reading, bool discovery,
                          std::vector<MqttMessage>& out) {
  if (discovery) {
    for (const ExportSample& s : reading.samples) {
      std::uint8_t& flags = flags_.at(index_of(s.value));
      if ((flags & kDiscovered) != 0) continue;
      out.push_back({mqtt_discovery_topic(layout, reading.serial, s.value->reg->name),
                     mqtt_discovery_payload(layout, reading, *s.value).dump(), true});
      flags = static_cast<std::uint8_t>(flags | kDiscovered);
    }
  }
  for (const ExportSample& s : reading.samples) {
    const std::size_t i = index_of(s.value);
    std::uint8_t& flags = flags_.at(i);
    if ((flags & kStateSent) != 0 && last_[i] == s.raw) continue;
    out.push_back({mqtt_state_topic(layout, reading.serial, s.value->reg->name), s.text, true});
    flags = static_cast<std::uint8_t>(flags | kStateSent);
    last_[i] = s.raw;
  }
}

}  // namespace ambi
