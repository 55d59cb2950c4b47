#include "export/mqtt_topics.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "core/meter/meter.hpp"
#include "modbus_test_support.hpp"

namespace ambi {
namespace {

MqttLayout layout() {
  MqttLayout l;
  l.prefix = "site/meters";
  l.discovery_prefix = "homeassistant";
  l.client_id = "ambimeter-19020246";
  return l;
}

std::vector<MqttMessage> plan_once(MqttMeterTrack& track, const MeterReading& reading,
                                   bool discovery = true) {
  std::vector<MqttMessage> out;
  track.plan(layout(), reading, discovery, out);
  return out;
}

TEST(MqttTopics, TopicsFollowTheLayout) {
  const MqttLayout l = layout();
  EXPECT_EQ(mqtt_state_topic(l, "19020246", "l1_voltage"), "site/meters/19020246/l1_voltage");
  EXPECT_EQ(mqtt_meter_availability_topic(l, "19020246"), "site/meters/19020246/availability");
  EXPECT_EQ(mqtt_client_availability_topic(l),
            "site/meters/client/ambimeter-19020246/availability");
  EXPECT_EQ(mqtt_discovery_topic(l, "19020246", "t1_forward_active_kwh"),
            "homeassistant/sensor/ambimeter_19020246/t1_forward_active_kwh/config");
}

TEST(MqttTopics, TheDiscoveryConfigCarriesTheDeviceTheClassesAndBothAvailabilities) {
  const MeterReading reading = read_meter(modbus_test::busy_meter());
  const ExportedValue* kwh = find_exported("l1_forward_active_kwh");
  ASSERT_NE(kwh, nullptr);
  const nlohmann::json c = mqtt_discovery_payload(layout(), reading, *kwh);
  EXPECT_EQ(c["name"], "L1 Forward active energy");
  EXPECT_EQ(c["unique_id"], "ambimeter_" + reading.serial + "_l1_forward_active_kwh");
  EXPECT_EQ(c["default_entity_id"],
            "sensor.ambimeter_" + reading.serial + "_l1_forward_active_kwh");
  EXPECT_EQ(c["state_topic"], "site/meters/" + reading.serial + "/l1_forward_active_kwh");
  EXPECT_EQ(c["device_class"], "energy");
  EXPECT_EQ(c["state_class"], "total_increasing");
  EXPECT_EQ(c["unit_of_measurement"], "kWh");
  EXPECT_EQ(c["suggested_display_precision"], 3);
  EXPECT_EQ(c["qos"], 1);
  EXPECT_EQ(c["availability_mode"], "all");
  ASSERT_EQ(c["availability"].size(), 2U);
  EXPECT_EQ(c["availability"][0]["topic"], "site/meters/client/ambimeter-19020246/availability");
  EXPECT_EQ(c["availability"][1]["topic"], "site/meters/" + reading.serial + "/availability");
  EXPECT_EQ(c["availability"][1]["payload_available"], "online");
  EXPECT_EQ(c["availability"][1]["payload_not_available"], "offline");
  const nlohmann::json& d = c["device"];
  EXPECT_EQ(d["identifiers"], nlohmann::json::array({"ambimeter_" + reading.serial}));
  EXPECT_EQ(d["serial_number"], reading.serial);
  EXPECT_EQ(d["manufacturer"], "Inepro Metering");
  EXPECT_EQ(d["model"], "Ambition 2PU CT");
  EXPECT_EQ(d["model_id"], reading.meter_code);
  EXPECT_EQ(d["sw_version"], reading.software_version);
  EXPECT_EQ(d["hw_version"], reading.hardware_version);
  EXPECT_FALSE(c.contains("entity_category"));
}

TEST(MqttTopics, TripTotalsAndCodesGetTheirOwnClasses) {
  const MeterReading reading = read_meter(modbus_test::busy_meter());
  const auto config = [&](std::string_view name) {
    const ExportedValue* v = find_exported(name);
    EXPECT_NE(v, nullptr) << name;
    return mqtt_discovery_payload(layout(), reading, *v);
  };
  EXPECT_EQ(config("trip_kwh")["state_class"], "total");
  EXPECT_EQ(config("total_active_kwh")["state_class"], "total");
  const nlohmann::json kvarh = config("q2_t1_kvarh");
  EXPECT_EQ(kvarh["device_class"], "reactive_energy");
  EXPECT_EQ(kvarh["unit_of_measurement"], "kvarh");
  EXPECT_EQ(kvarh["state_class"], "total_increasing");
  const nlohmann::json volts = config("l1_l2_voltage");
  EXPECT_EQ(volts["state_class"], "measurement");
  EXPECT_EQ(volts["unit_of_measurement"], "V");
  EXPECT_EQ(volts["suggested_display_precision"], 2);
  const nlohmann::json pf = config("power_factor");
  EXPECT_EQ(pf["device_class"], "power_factor");
  EXPECT_FALSE(pf.contains("unit_of_measurement"));
  const nlohmann::json error = config("error_code");
  EXPECT_FALSE(error.contains("device_class"));
  EXPECT_FALSE(error.contains("state_class"));
  EXPECT_FALSE(error.contains("unit_of_measurement"));
  EXPECT_EQ(error["entity_category"], "diagnostic");
  EXPECT_EQ(error["suggested_display_precision"], 0);
}

TEST(MqttTopics, AnUnknownIdentityLeavesItsDeviceKeysOut) {
  MeterReading reading;
  reading.serial = "12345678";
  const nlohmann::json d =
      mqtt_discovery_payload(layout(), reading, *find_exported("frequency"))["device"];
  EXPECT_FALSE(d.contains("model_id"));
  EXPECT_FALSE(d.contains("sw_version"));
  EXPECT_FALSE(d.contains("hw_version"));
  EXPECT_EQ(d["name"], "Ambition 2PU CT 12345678");
}

TEST(MqttTopics, TopicPartsRefuseWildcardsAndEmptyLevels) {
  EXPECT_TRUE(check_mqtt_topic_part("ambimeter", "--mqtt-prefix").has_value());
  EXPECT_TRUE(check_mqtt_topic_part("site/a-1/meters_2", "--mqtt-prefix").has_value());
  for (std::string_view bad : {"", "a/+/b", "a/#", "/a", "a/", "a//b", "a\nb"}) {
    const auto ok = check_mqtt_topic_part(bad, "--mqtt-prefix");
    ASSERT_FALSE(ok.has_value()) << bad;
    EXPECT_TRUE(ok.error().starts_with("bad --mqtt-prefix")) << ok.error();
    EXPECT_EQ(ok.error().find('\n'), std::string::npos) << ok.error();
  }
}

TEST(MqttMeterTrack, TheFirstReadingSendsEveryConfigThenEveryState) {
  const MeterReading reading = read_meter(modbus_test::busy_meter());
  MqttMeterTrack track;
  const std::vector<MqttMessage> first = plan_once(track, reading);
  const std::size_t n = reading.samples.size();
  ASSERT_EQ(first.size(), 2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_TRUE(first[i].topic.ends_with("/config")) << first[i].topic;
    EXPECT_TRUE(first[i].retain);
    const ExportSample& s = reading.samples[i];
    EXPECT_EQ(first[n + i].topic, mqtt_state_topic(layout(), reading.serial, s.value->reg->name));
    EXPECT_EQ(first[n + i].payload, s.text);
    EXPECT_TRUE(first[n + i].retain);
  }
  std::set<std::string> topics;
  for (const MqttMessage& m : first) EXPECT_TRUE(topics.insert(m.topic).second) << m.topic;
}

TEST(MqttMeterTrack, OnlyChangedStatesGoOutAgainUntilAReset) {
  Meter meter = modbus_test::busy_meter();
  MqttMeterTrack track;
  (void)plan_once(track, read_meter(meter));
  EXPECT_TRUE(plan_once(track, read_meter(meter)).empty());
  meter.advance(3'600'000);  // an hour more of the last load: energy grows, power does not
  const MeterReading later = read_meter(meter);
  const std::vector<MqttMessage> changed = plan_once(track, later);
  ASSERT_FALSE(changed.empty());
  bool forward = false;
  for (const MqttMessage& m : changed) {
    EXPECT_FALSE(m.topic.ends_with("/config")) << m.topic;
    EXPECT_FALSE(m.topic.ends_with("_voltage")) << m.topic;
    forward = forward || m.topic.ends_with("/l1_forward_active_kwh");
  }
  EXPECT_TRUE(forward);
  EXPECT_LT(changed.size(), later.samples.size());
  track.reset();
  EXPECT_EQ(plan_once(track, later).size(), 2 * later.samples.size());
}

TEST(MqttMeterTrack, WithoutDiscoveryOnlyStatesGoOut) {
  const MeterReading reading = read_meter(modbus_test::busy_meter());
  MqttMeterTrack track;
  const std::vector<MqttMessage> out = plan_once(track, reading, false);
  ASSERT_EQ(out.size(), reading.samples.size());
  for (const MqttMessage& m : out) EXPECT_FALSE(m.topic.ends_with("/config")) << m.topic;
}

TEST(MqttMeterTrack, AValueReadLaterIsDiscoveredWhenItFirstAppears) {
  MeterReading reading = read_meter(modbus_test::busy_meter());
  const ExportSample missing = reading.samples.back();
  reading.samples.pop_back();
  MqttMeterTrack track;
  EXPECT_EQ(plan_once(track, reading).size(), 2 * reading.samples.size());
  reading.samples.push_back(missing);
  const std::vector<MqttMessage> out = plan_once(track, reading);
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[0].topic, mqtt_discovery_topic(layout(), reading.serial, missing.value->reg->name));
  EXPECT_EQ(out[1].payload, missing.text);
}

}  // namespace
}  // namespace ambi
