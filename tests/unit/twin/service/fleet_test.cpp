// A fleet (twin/service/fleet.hpp): generated identities, and many full meters on one
// simulated clock that only the fleet moves.
#include "twin/service/fleet.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "fleet_fixture.hpp"
#include "temp_dir.hpp"

namespace ambi {
namespace {

TEST(FleetIdentities, SerialsCountUpAsBcdAndIdsRestartPerGateway) {
  const auto ids = fleet_identities(0x19020246, 600);
  ASSERT_TRUE(ids.has_value());
  ASSERT_EQ(ids->size(), 600U);
  EXPECT_EQ((*ids)[0], (FleetIdentity{0x19020246, 1, 1, 0}));
  EXPECT_EQ((*ids)[3].serial_bcd, 0x19020249U);
  EXPECT_EQ((*ids)[4].serial_bcd, 0x19020250U);  // BCD: 49 + 1 = 50
  EXPECT_EQ((*ids)[246], (FleetIdentity{0x19020492, 247, 247, 0}));
  EXPECT_EQ((*ids)[247], (FleetIdentity{0x19020493, 1, 248, 1}));
  EXPECT_EQ((*ids)[250].mbus_id, 1);  // M-bus primary addresses 1-250 in turn
  EXPECT_EQ((*ids)[599].gateway, 2U);
}

TEST(FleetIdentities, RefusesAnEmptyOrOverfullFleetAndSerialsPast99999999) {
  EXPECT_FALSE(fleet_identities(0x19020246, 0).has_value());
  EXPECT_FALSE(fleet_identities(0x19020246, kMaxFleetMeters + 1).has_value());
  const auto past = fleet_identities(0x99999990, 20);
  ASSERT_FALSE(past.has_value());
  EXPECT_NE(past.error().find("99999999"), std::string::npos);
  EXPECT_TRUE(fleet_identities(0x99999990, 10).has_value());
}

TEST(FleetSerials, BcdArithmeticAndText) {
  EXPECT_EQ(bcd_add(0x19020299, 1), 0x19020300U);
  EXPECT_EQ(bcd_add(0x99999999, 0), 0x99999999U);
  EXPECT_FALSE(bcd_add(0x99999999, 1).has_value());
  EXPECT_FALSE(bcd_add(0x1902024A, 1).has_value());  // not BCD
  EXPECT_EQ(serial_from_text("19020246"), 0x19020246U);
  EXPECT_FALSE(serial_from_text("1902024").has_value());
  EXPECT_FALSE(serial_from_text("1902024x").has_value());
}

/// A fleet on a fresh state directory and a steady clock the test moves by hand.
class FleetTest : public ::testing::Test {
 protected:
  void make(ClockMode mode, std::size_t meters) {
    fleet_ = std::make_unique<Fleet>(mode, 1.0, [this] { return now(); });
    (void)add_meters(*fleet_, dir_.path(), meters);
  }
  [[nodiscard]] SimClock::WallClock::time_point now() const {
    return SimClock::WallClock::time_point{} + std::chrono::milliseconds(wall_ms_);
  }

  TempDir dir_{"ambi-fleet"};
  std::int64_t wall_ms_ = 1'000;
  std::unique_ptr<Fleet> fleet_;
};

TEST_F(FleetTest, EveryMeterKeepsItsOwnIdentity) {
  make(ClockMode::stepped, 3);
  EXPECT_EQ(fleet_->at(2).meter().state().serial_bcd, 0x19020248U);
  EXPECT_EQ(fleet_->at(2).meter().settings().modbus_id, 3);
  EXPECT_EQ(fleet_->at(2).meter().settings().mbus_id, 3);
  EXPECT_EQ(fleet_->at(2).meter().settings().mbus_secondary_id, 0x19020248U);
  EXPECT_EQ(fleet_->find(0x19020247), &fleet_->at(1));
  EXPECT_EQ(fleet_->find(0x19020249), nullptr);
}

TEST_F(FleetTest, AdvancingTheFleetMovesEveryMetersTimeAndEnergyExactly) {
  make(ClockMode::stepped, 3);
  LoadInput load;
  load.phases[0] = {230.0, 10.0, 0.0};  // 2.3 kW on L1
  ASSERT_TRUE(fleet_->at(1).set_load(load).has_value());
  fleet_->restart_clock();
  ASSERT_TRUE(fleet_->advance(3'600'000).has_value());
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(fleet_->at(i).meter().now_ms(), 3'600'000);
  EXPECT_EQ(fleet_->at(1).meter().total(Family::active), 2'300'000);  // 2.3 kWh in mWh
  EXPECT_EQ(fleet_->at(0).meter().total(Family::active), 0);
  EXPECT_FALSE(fleet_->set_speed(2.0).has_value()) << "a stepped clock has no speed";
}

TEST_F(FleetTest, ARealClockRunsForEveryMeterAndItsSpeedIsTheFleets) {
  make(ClockMode::real, 2);
  fleet_->restart_clock();
  wall_ms_ += 1'000;
  fleet_->sync();
  EXPECT_EQ(fleet_->at(0).meter().now_ms(), 1'000);
  EXPECT_EQ(fleet_->at(1).meter().now_ms(), 1'000);
  ASSERT_TRUE(fleet_->set_speed(10.0).has_value());
  wall_ms_ += 1'000;
  fleet_->sync();
  EXPECT_EQ(fleet_->at(0).meter().now_ms(), 11'000);
  EXPECT_EQ(fleet_->at(1).meter().now_ms(), 11'000);
  EXPECT_FALSE(fleet_->advance(1'000).has_value()) << "a real clock is not stepped";
}

TEST_F(FleetTest, TheClockRestartsFromTheEarliestMeterSoNoneIsCarriedPastItsTime) {
  make(ClockMode::stepped, 2);
  fleet_->restart_clock();
  ASSERT_TRUE(fleet_->at(0).advance(5'000).has_value());  // one meter's own step moves the
  fleet_->sync();                                         // shared clock: both follow
  EXPECT_EQ(fleet_->at(1).meter().now_ms(), 5'000);
  fleet_->restart_clock();
  EXPECT_EQ(fleet_->clock().target_ms(now()), 5'000);
}

}  // namespace
}  // namespace ambi
