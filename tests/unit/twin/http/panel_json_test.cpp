// The front panel as JSON (GET /api/v1/panel) and the press body (POST /api/v1/panel/press).
#include "twin/http/panel_json.hpp"

#include <gtest/gtest.h>

namespace ambi {
namespace {

TEST(PanelJson, CarriesEveryTextOfTheScreenTheLedAndTheS0Counts) {
  LcdScreen screen;
  screen.mode = LcdMode::normal;
  screen.backlight = true;
  screen.software_version = "1.02";
  screen.icons = LcdIcons{2, true, false, "0500/5", false, true};
  screen.part1 = LcdLine{"SN", "", "", "19020246", "", ""};
  screen.part2 = LcdLine{"Fwd", "T1", "1.8.1", "000123.456", "kWh", ""};
  screen.part3 = LcdLine{"CT-H1", "", "", "000001.000", "kWh", "0005/5"};
  const Json j = panel_to_json(screen, 42, {7, 3});
  EXPECT_EQ(
      j.dump(),
      R"({"mode":"normal","backlight":true,"turned":false,"software_version":"1.02",)"
      R"("icons":{"tariff":2,"bluetooth":true,"communication":false,"ct_ratio":"0500/5",)"
      R"("import_arrow":false,"export_arrow":true},)"
      R"("part1":{"caption":"SN","label":"","obis":"","value":"19020246","unit":"","detail":""},)"
      R"("part2":{"caption":"Fwd","label":"T1","obis":"1.8.1","value":"000123.456","unit":"kWh","detail":""},)"
      R"("part3":{"caption":"CT-H1","label":"","obis":"","value":"000001.000","unit":"kWh","detail":"0005/5"},)"
      R"("menu":{"section":"","title":"","value":"","unit":"","cursor":-1,"editing":false,"message":"","qr":""},)"
      R"("led":{"flashes":42},"s0":[{"pulses":7},{"pulses":3}]})");
}

TEST(PanelJson, ShowsTheMenuPageOfALongPressOfStar) {
  Meter meter;
  meter.power_on();
  FrontPanel panel;
  panel.press(meter, Button::star, PressLength::long_press, 1000);
  const Json j = panel_to_json(panel.screen(meter, 1500), 0, {0, 0});
  EXPECT_EQ(j.at("mode"), "menu");
  EXPECT_EQ(j.at("menu").dump(),
            R"({"section":"7.4","title":"Select","value":"Bluetooth","unit":"","cursor":-1,)"
            R"("editing":true,"message":"","qr":""})");
  EXPECT_EQ(j.at("part2").at("value"), "");
}

TEST(PanelJson, NamesTheModes) {
  EXPECT_EQ(to_string(LcdMode::off), "off");
  EXPECT_EQ(to_string(LcdMode::normal), "normal");
  EXPECT_EQ(to_string(LcdMode::menu), "menu");
  EXPECT_EQ(panel_to_json(LcdScreen{}, 0, {0, 0}).at("mode"), "off");
}

TEST(PanelPressBody, ReadsTheButtonAndTheLength) {
  const auto star = panel_press_from_json(Json::parse(R"({"button":"star","long":true})"));
  ASSERT_TRUE(star.has_value());
  EXPECT_EQ(star->button, Button::star);
  EXPECT_EQ(star->length, PressLength::long_press);
  const auto left = panel_press_from_json(Json::parse(R"({"button":"left"})"));
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(left->button, Button::left);
  EXPECT_EQ(left->length, PressLength::short_press);
  const auto right = panel_press_from_json(Json::parse(R"({"long":false,"button":"right"})"));
  ASSERT_TRUE(right.has_value());
  EXPECT_EQ(right->button, Button::right);
}

TEST(PanelPressBody, RefusesABadBodyWith400NamingTheProblem) {
  const auto check = [](const char* body, const char* message) {
    const auto press = panel_press_from_json(Json::parse(body));
    ASSERT_FALSE(press.has_value()) << body;
    EXPECT_EQ(press.error().status, 400U) << body;
    EXPECT_EQ(press.error().message, message) << body;
  };
  check("{}", R"(missing "button": "left", "star" or "right")");
  check(R"({"button":3})", R"("button" must be "left", "star" or "right", got 3)");
  check(R"({"button":"up"})", R"("button" must be "left", "star" or "right", got "up")");
  check(R"({"button":"star","long":1})", R"("long" must be true or false, got 1)");
  check(R"({"button":"star","held_ms":3000})",
        R"(unknown member "held_ms"; expected button, long)");
}

}  // namespace
}  // namespace ambi
