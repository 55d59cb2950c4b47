// Meter and storage faults on a twin (docs/faults.md): they act at the simulated instants
// they start and end, on what the meter counts and on its storage as manual 8.1 says.
#include <gtest/gtest.h>

#include "core/fault/fault.hpp"
#include "twin/service/twin.hpp"
#include "twin_fixture.hpp"

namespace ambi {
namespace {

LoadInput balanced(double amps) {
  LoadInput load;
  for (auto& p : load.phases) p = PhaseInput{230.0, amps, 0.0};
  return load;
}

Fault fault(FaultKind kind, std::int64_t start_ms, std::optional<std::int64_t> end_ms) {
  Fault f;
  f.kind = kind;
  f.start_ms = start_ms;
  f.end_ms = end_ms;
  return f;
}

constexpr std::int64_t kHour = 3'600'000;

class TwinFaultTest : public TwinTest {
 protected:
  TwinFaultTest() { EXPECT_TRUE(twin_->set_load(balanced(10)).has_value()); }
  [[nodiscard]] Reading phase_energy(int phase, Dir dir) const {
    return twin_->meter().counter(counter_index::phase(Family::active, phase, dir));
  }
  void advance(std::int64_t ms) { ASSERT_TRUE(twin_->advance(ms).has_value()); }
};

TEST_F(TwinFaultTest, AMeterFaultActsExactlyInItsWindowHoweverTimeIsStepped) {
  Fault f = fault(FaultKind::ct_reversed, kHour / 2, kHour / 2 + kHour / 4);
  f.phase = 1;
  twin_->add_fault(f);
  advance(2 * kHour);                                 // one step over the whole window
  EXPECT_EQ(phase_energy(1, Dir::reverse), 575'000);  // 2.3 kW for 15 minutes
  EXPECT_EQ(phase_energy(1, Dir::forward), 4'025'000);
  EXPECT_EQ(phase_energy(0, Dir::forward), 4'600'000);
  EXPECT_EQ(twin_->faults().front().applied, 1);
}

TEST_F(TwinFaultTest, ASupplyLossCountsAPowerUpAndNothingInBetween) {
  const std::uint16_t before = twin_->meter().state().power_down_counter;
  twin_->add_fault(fault(FaultKind::supply_lost, twin_->meter().now_ms(), kHour));
  EXPECT_FALSE(twin_->meter().powered());
  advance(2 * kHour);
  EXPECT_TRUE(twin_->meter().powered());
  EXPECT_EQ(twin_->meter().state().power_down_counter, before + 1);
  EXPECT_EQ(twin_->meter().total(Family::active), 6'900'000);  // the second hour only
}

TEST_F(TwinFaultTest, EndingAPhaseLossRestoresThePhase) {
  Fault f = fault(FaultKind::phase_lost, 0, std::nullopt);
  f.phase = 2;
  const std::uint32_t id = twin_->add_fault(f);
  EXPECT_EQ(twin_->meter().measurement().phases[2].volts, 0.0);
  EXPECT_EQ(twin_->meter().measurement().phases[2].p_mw, 0);
  advance(kHour);
  EXPECT_TRUE(twin_->end_fault(id));
  EXPECT_EQ(twin_->meter().measurement().phases[2].p_mw, 2'300'000);
  advance(kHour);
  EXPECT_EQ(phase_energy(2, Dir::forward), 2'300'000);
}

TEST_F(TwinFaultTest, OneCorruptCopyIsRecoveredFromTheOtherWithItsBit) {
  advance(kHour);
  const Registers counted = twin_->meter().registers();
  Fault f = fault(FaultKind::corrupt, twin_->meter().now_ms(), std::nullopt);
  f.area = StorageTarget::main;
  twin_->add_fault(f);
  EXPECT_EQ(twin_->meter().error_code(), error_bit::main_corrupt);
  EXPECT_FALSE(twin_->meter().stopped());
  EXPECT_EQ(twin_->meter().registers(), counted);  // nothing counted is lost
  f.area = StorageTarget::backup;
  twin_->add_fault(f);
  EXPECT_EQ(twin_->meter().error_code(), error_bit::backup_corrupt);
  f.area = StorageTarget::mantissa;
  twin_->add_fault(f);
  EXPECT_EQ(twin_->meter().error_code(), error_bit::mantissa_corrupt);
}

TEST_F(TwinFaultTest, BothCopiesCorruptStopTheMeterWithErrorXX) {
  Fault f = fault(FaultKind::corrupt, 0, std::nullopt);
  f.area = StorageTarget::both;
  twin_->add_fault(f);
  EXPECT_TRUE(twin_->meter().stopped());
  EXPECT_EQ(twin_->meter().error_code(),
            error_bit::both_copies_bad | error_bit::main_corrupt | error_bit::backup_corrupt);
  EXPECT_EQ(twin_->screen().part2.value, "61");
  advance(kHour);
  EXPECT_EQ(twin_->meter().total(Family::active), 0);
}

TEST_F(TwinFaultTest, AnUnwritableAreaShowsItsBitForTheWindow) {
  Fault f = fault(FaultKind::unwritable, twin_->meter().now_ms(), kHour);
  f.area = StorageTarget::backup;
  twin_->add_fault(f);
  EXPECT_EQ(twin_->meter().error_code(), error_bit::backup_unwritable);
  advance(kHour);
  EXPECT_EQ(twin_->meter().error_code(), 0);
}

TEST_F(TwinFaultTest, ATornSaveFallsBackToTheLastWholeSave) {
  advance(kHour);
  twin_->save();
  const Registers saved = twin_->meter().registers();
  advance(kHour);  // counted, not saved
  Fault f = fault(FaultKind::torn_write, twin_->meter().now_ms(), std::nullopt);
  twin_->add_fault(f);
  EXPECT_EQ(twin_->meter().error_code(), error_bit::main_corrupt);
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    EXPECT_EQ(twin_->meter().registers().counters[i].mwh(), saved.counters[i].mwh()) << i;
  }
}

TEST_F(TwinFaultTest, ATornSaveWithKillCallsThePowerFailure) {
  bool died = false;
  twin_->on_power_failure([&] { died = true; });
  Fault f = fault(FaultKind::torn_write, 0, std::nullopt);
  f.kill = true;
  twin_->add_fault(f);
  EXPECT_TRUE(died);
}

}  // namespace
}  // namespace ambi
