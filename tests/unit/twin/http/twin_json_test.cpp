// The running twin as the API shows it: the panel JSON carries the LED's flashes, the time
// JSON the clock's speed, and every refusal of the twin's service becomes a 409 that names
// the way out.
#include "twin/http/twin_json.hpp"

#include <gtest/gtest.h>

#include "twin_fixture.hpp"

namespace ambi {
namespace {

TEST_F(TwinTest, ThePanelJsonCarriesTheLedFlashesAndTheS0Pulses) {
  LoadInput load;
  load.phases[0] = PhaseInput{230.0, 10.0, 0.0};
  ASSERT_TRUE(twin_->set_load(load).has_value());
  ASSERT_TRUE(twin_->advance(3'600'000).has_value());
  wall_ms_ += 10'000;
  const Json panel = panel_json(*twin_);
  EXPECT_EQ(panel.at("led").at("flashes"), PulseLed::kMaxBacklog);
  EXPECT_EQ(panel.at("s0").at(0).at("pulses"), twin_->meter().s0(0).emitted());
  EXPECT_EQ(panel.at("mode"), "normal");
}

TEST_F(TwinTest, TheTimeJsonShowsTheClock) {
  EXPECT_EQ(time_json(*twin_), (Json{{"sim_ms", 0}, {"clock", "stepped"}, {"speed", 1.0}}));
  twin_.reset();
  twin_ = make(ClockMode::real);
  ASSERT_TRUE(twin_->set_speed(3600.0).has_value());
  EXPECT_EQ(time_json(*twin_).at("speed"), 3600.0);
  EXPECT_EQ(scenario_json(*twin_), nullptr);
}

TEST(TwinRefusalJson, EveryRefusalIsA409NamingTheWayOut) {
  EXPECT_EQ(api_error(TwinRefusal::clock_is_real).status, 409U);
  EXPECT_EQ(api_error(TwinRefusal::clock_is_real).message,
            "the clock is real; start with --clock stepped to advance it");
  EXPECT_EQ(api_error(TwinRefusal::clock_is_stepped).message,
            "the clock is stepped: it moves only by POST /api/v1/clock/advance");
  EXPECT_NE(api_error(TwinRefusal::off_time_needs_stepped_clock).message.find("--clock stepped"),
            std::string::npos);
}

}  // namespace
}  // namespace ambi
