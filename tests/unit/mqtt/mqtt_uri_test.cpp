#include <gtest/gtest.h>

#include <string>

#include "mqtt/mqtt_publisher.hpp"

namespace ambi {
namespace {

MqttOptions parsed(std::string_view text) {
  MqttOptions o;
  const auto ok = parse_mqtt_uri(text, "--mqtt", o);
  EXPECT_TRUE(ok.has_value()) << text << ": " << (ok ? "" : ok.error());
  return o;
}

TEST(MqttUri, HostAndPortWithTheDefaultPortWhenLeftOut) {
  EXPECT_EQ(parsed("mqtt://127.0.0.1:1884").host, "127.0.0.1");
  EXPECT_EQ(parsed("mqtt://127.0.0.1:1884").port, 1884);
  EXPECT_EQ(parsed("mqtt://broker.local").port, 1883);
  EXPECT_EQ(parsed("mqtt://broker.local/").host, "broker.local");
  EXPECT_EQ(parsed("mqtt://[::1]:2883").host, "::1");
  EXPECT_EQ(parsed("mqtt://[::1]:2883").port, 2883);
  EXPECT_EQ(parsed("mqtt://[::1]").port, 1883);
}

TEST(MqttUri, WrittenBackAsParsed) {
  EXPECT_EQ(mqtt_uri(parsed("mqtt://localhost")), "mqtt://localhost:1883");
  EXPECT_EQ(mqtt_uri(parsed("mqtt://[::1]:2883")), "mqtt://[::1]:2883");
}

TEST(MqttUri, MistakesAreOneLineNamingTheFlagAndTheForm) {
  for (std::string_view bad :
       {"127.0.0.1:1883", "tcp://h:1", "mqtts://h:8883", "mqtt://", "mqtt://:1883",
        "mqtt://h:", "mqtt://h:0", "mqtt://h:65536", "mqtt://h:12x", "mqtt://u:p@h:1883",
        "mqtt://h:1/topic", "mqtt://::1:1883", "mqtt://[::1", "mqtt://[::1]x"}) {
    MqttOptions o;
    const auto ok = parse_mqtt_uri(bad, "--mqtt", o);
    ASSERT_FALSE(ok.has_value()) << bad;
    EXPECT_TRUE(ok.error().starts_with("bad --mqtt \"")) << ok.error();
    EXPECT_NE(ok.error().find("mqtt://127.0.0.1:1883"), std::string::npos) << ok.error();
    EXPECT_EQ(ok.error().find('\n'), std::string::npos) << ok.error();
    EXPECT_EQ(o.host, "127.0.0.1") << bad;  // untouched
  }
}

TEST(MqttPublisher, BadTopicPrefixesAreRefusedBeforeAnyConnection) {
  MqttOptions o;
  o.port = 1;  // nothing is connected to
  o.topic_prefix = "a/#";
  const auto publisher = MqttPublisher::start(o, [](std::string_view) {});
  ASSERT_FALSE(publisher.has_value());
  EXPECT_TRUE(publisher.error().starts_with("bad --mqtt-prefix")) << publisher.error();
  o.topic_prefix = "ambimeter";
  o.discovery_prefix = "";
  const auto second = MqttPublisher::start(o, [](std::string_view) {});
  ASSERT_FALSE(second.has_value());
  EXPECT_TRUE(second.error().starts_with("bad --mqtt-discovery-prefix")) << second.error();
}

}  // namespace
}  // namespace ambi
