// The settings as the API writes and reads them, derived from the settings table, and the
// schema the web page builds its form from — kept in docs/settings-schema.json (which the
// page's unit tests read) by the drift test below; AMBI_REGEN_DOCS=1 rewrites it.
#include "twin/http/settings_json.hpp"

#include <gtest/gtest.h>

#include "docs_drift.hpp"

namespace ambi {
namespace {

Meter powered_meter() {
  Meter m;
  m.power_on();
  return m;
}

TEST(SettingsJson, RendersEverySettingInItsJsonForm) {
  EXPECT_EQ(
      settings_to_json(powered_meter()).dump(),
      R"({"modbus_id":1,"modbus_baud":9600,"parity":"even","mbus_id":0,"mbus_baud":2400,)"
      R"("mbus_secondary_id":"19020246","s0_rate":1000.0,"pulse_type":"active&reactive",)"
      R"("pulse_width_ms":30,"combination":"C-04","lcd_cycle_s":5,"backlight":"button",)"
      R"("screen_direction":0,"obis":true,"data_type":"standard","tariff":1,"ct_ratio":"5/5"})");
}

TEST(SettingsJson, WhatItRendersParsesBackToTheSameSettings) {
  Meter m = powered_meter();
  const auto commands = settings_commands(Json::parse(
      R"({"modbus_baud":57600,"s0_rate":0.01,"screen_direction":"turned","obis":false,)"
      R"("tariff":"T3","ct_ratio":"500/5","mbus_secondary_id":"45230115","parity":3})"));
  ASSERT_TRUE(commands.has_value()) << commands.error().message;
  ASSERT_TRUE(m.apply_all(*commands, Origin{Source::modbus, {}}).has_value());
  const Json shown = settings_to_json(m);
  EXPECT_EQ(shown.at("modbus_baud"), 57600);
  EXPECT_EQ(shown.at("s0_rate"), 0.01);
  EXPECT_EQ(shown.at("screen_direction"), 1);
  EXPECT_EQ(shown.at("obis"), false);
  EXPECT_EQ(shown.at("tariff"), 3);
  EXPECT_EQ(shown.at("parity"), "odd");
  Meter again = powered_meter();
  const auto round = settings_commands(shown);
  ASSERT_TRUE(round.has_value()) << round.error().message;
  ASSERT_TRUE(again.apply_all(*round, Origin{Source::modbus, {}}).has_value());
  EXPECT_EQ(again.settings(), m.settings());
  EXPECT_EQ(again.state().ct, m.state().ct);
}

TEST(SettingsJson, ANumberThatIsNoChoiceIsRefusedOrLeftToTheMeter) {
  EXPECT_EQ(settings_commands(Json::parse(R"({"modbus_baud":56700})")).error().message,
            "modbus_baud 56700 is not one of 300, 600, 1200, 2400, 4800, 9600, 19200, 38400, "
            "57600, 115200");
  EXPECT_EQ(settings_commands(Json::parse(R"({"s0_rate":0.015})")).error().status, 422U);
  const auto left = settings_commands(Json::parse(R"({"s0_rate":500})"));
  ASSERT_TRUE(left.has_value());  // 50000 hundredths: the meter refuses it with its message
  Meter m = powered_meter();
  EXPECT_EQ(
      m.apply_all(*left, Origin{Source::modbus, {}}).error().message,
      "set S0 rate: S0 rate 500.00 imp/kWh not one of 10000, 2000, 1000, 100, 10, 1, 0.1, 0.01");
  EXPECT_FALSE(settings_commands(Json::parse(R"({"password":"0000"})")).has_value());
}

TEST(SettingsSchema, TheDocsCopyIsWhatTheServerHandsOut) {
  expect_docs_file("settings-schema.json", settings_schema_json().dump(2) + "\n");
}

TEST(SettingsSchema, EveryChoiceValueIsOneTheApiTakes) {
  const Json schema = settings_schema_json();
  ASSERT_EQ(schema.size(), setting_names().size());
  for (const Json& row : schema) {
    ASSERT_TRUE(row.contains("choices") || row.at("kind") != "choice") << row.dump();
    if (!row.contains("choices")) continue;
    for (const Json& choice : row.at("choices")) {
      const auto commands =
          settings_commands(Json{{row.at("key").get<std::string>(), choice.at("value")}});
      ASSERT_TRUE(commands.has_value()) << row.at("key") << " " << choice.dump();
      Meter m = powered_meter();
      if (row.at("key") == "combination" && choice.at("value") == "C-05") continue;
      ASSERT_TRUE(m.apply_all(*commands, Origin{Source::modbus, {}}).has_value()) << choice.dump();
      EXPECT_EQ(settings_to_json(m).at(row.at("key").get<std::string>()), choice.at("value"));
    }
  }
}

}  // namespace
}  // namespace ambi
