// A fleet's replay (docs/storage.md "Replay"): the resume block of a meter's record, the
// fleet's clock journal, a meter brought back to the journal's time by playing its recorded
// load source again, and the save pass that skips the meters a replay gives back.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>

#include "core/profile/profile.hpp"
#include "temp_dir.hpp"
#include "twin/service/fleet.hpp"
#include "twin/service/fleet_journal.hpp"
#include "twin/service/slot_file.hpp"
#include "twin/service/state_store.hpp"

namespace ambi {
namespace {

namespace fs = std::filesystem;

void flip(const fs::path& file, std::size_t offset) {
  const int fd = ::open(file.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  char byte = 0;
  ASSERT_EQ(::pread(fd, &byte, 1, static_cast<off_t>(offset)), 1);
  byte = static_cast<char>(byte ^ 0x5A);
  ASSERT_EQ(::pwrite(fd, &byte, 1, static_cast<off_t>(offset)), 1);
  ::close(fd);
}

HouseholdModel household() {
  HouseholdModel m;
  m.step_ms = std::int64_t{15} * 60'000;
  m.base_w = 600;
  m.pv_peak_w = 4000;
  m.ev_w = 11000;
  m.ev_share = 1;
  return m;
}

LoadInput three_phase(double amps) {
  LoadInput load;
  for (auto& p : load.phases) p = {230.0, amps, 0.0};
  return load;
}

TEST(ResumeBlock, KeepsTheSequenceTimeGenerationAndSourceOfASave) {
  TempDir dir("ambi-resume");
  auto slots = SlotFile::open(dir.path());
  ASSERT_TRUE(slots) << slots.error();
  bool fresh = false;
  const std::size_t r0 = *(*slots)->record_of(0x19020246, fresh);
  const std::size_t r1 = *(*slots)->record_of(0x19020247, fresh);
  EXPECT_FALSE((*slots)->read_resume(r0).has_value()) << "a new record has no block";

  LoadSource curve{LoadSource::Kind::household, {}, household(), 0xDEADBEEF12345678ULL};
  LoadSource fixed{LoadSource::Kind::constant, three_phase(12.5), {}, 0};
  fixed.load.phases[2].phi_deg = 25.0;
  (*slots)->set_generation(7);
  ASSERT_TRUE((*slots)->write_resume(r0, ResumePoint{41, 86'400'000, 0, curve}));
  ASSERT_TRUE((*slots)->write_resume(r1, ResumePoint{3, -5, 0, fixed}));

  const auto a = (*slots)->read_resume(r0);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->sequence, 41U);
  EXPECT_EQ(a->sim_ms, 86'400'000);
  EXPECT_EQ(a->generation, 7U);
  EXPECT_EQ(a->source.kind, LoadSource::Kind::household);
  EXPECT_EQ(a->source.seed, 0xDEADBEEF12345678ULL);
  EXPECT_EQ(a->source.model.step_ms, household().step_ms);
  EXPECT_EQ(a->source.model.ev_w, 11000);
  EXPECT_EQ(a->source.model.ev_to_ms, household().ev_to_ms);
  const auto b = (*slots)->read_resume(r1);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->source.kind, LoadSource::Kind::constant);
  EXPECT_EQ(b->source.load, fixed.load);
  EXPECT_EQ(b->sim_ms, -5);

  // A damaged block is no block: that meter is not replayed.
  flip(dir.path() / SlotFile::kFileName,
       r1 * SlotFile::kRecordSize + SlotFile::kResume.offset + 50);
  EXPECT_FALSE((*slots)->read_resume(r1).has_value());
  EXPECT_TRUE((*slots)->read_resume(r0).has_value());
  ASSERT_TRUE((*slots)->wipe(r0));
  EXPECT_FALSE((*slots)->read_resume(r0).has_value()) << "--factory-reset forgets it";
}

TEST(FleetJournal, KeepsTheLastTimeInTwoCopiesAndCountsRuns) {
  TempDir dir("ambi-journal");
  {
    auto journal = FleetJournal::open(dir.path());
    ASSERT_TRUE(journal) << journal.error();
    EXPECT_FALSE(journal->last().has_value());
    EXPECT_EQ(journal->generation(), 1U);
    ASSERT_TRUE(journal->write(1'000));
    ASSERT_TRUE(journal->write(2'000));
    ASSERT_TRUE(journal->write(3'000));
    EXPECT_EQ(journal->last(), 3'000);
  }
  {
    auto journal = FleetJournal::open(dir.path());
    ASSERT_TRUE(journal);
    EXPECT_EQ(journal->last(), 3'000);
    EXPECT_EQ(journal->last_generation(), 1U);
    EXPECT_EQ(journal->generation(), 2U) << "a new run";
    ASSERT_TRUE(journal->write(4'000));  // sequence 4: the copy at 0
  }
  // The newest copy torn: the older one holds.
  flip(dir.path() / FleetJournal::kFileName, 12);
  {
    auto journal = FleetJournal::open(dir.path());
    ASSERT_TRUE(journal);
    EXPECT_EQ(journal->last(), 3'000);
    EXPECT_EQ(journal->last_generation(), 1U);
    journal->wipe();
    EXPECT_FALSE(journal->last().has_value());
  }
  auto journal = FleetJournal::open(dir.path());
  ASSERT_TRUE(journal);
  EXPECT_FALSE(journal->last().has_value()) << "wiped";
}

/// Meters on a fleet's slot file, a steady clock moved by hand, a stepped simulated clock.
class ReplayTest : public ::testing::Test {
 protected:
  void open_fleet() {
    fleet_ = std::make_unique<Fleet>(ClockMode::stepped, 1.0, [this] { return now(); });
    auto slots = SlotFile::open(dir_.path());
    ASSERT_TRUE(slots) << slots.error();
    slots_ = *slots;
    fleet_->set_slots(slots_);
    auto journal = FleetJournal::open(dir_.path());
    ASSERT_TRUE(journal) << journal.error();
    fleet_->set_journal(std::move(*journal));
  }
  StateStore store_of(std::uint32_t serial) {
    auto store = StateStore::open_slot(slots_, serial, dir_.path() / fmt::format("{:08X}", serial));
    EXPECT_TRUE(store) << store.error();
    return std::move(*store);
  }
  [[nodiscard]] SimClock::WallClock::time_point now() const {
    return SimClock::WallClock::time_point{} + std::chrono::milliseconds(wall_ms_);
  }

  TempDir dir_{"ambi-replay"};
  std::int64_t wall_ms_ = 1'000;
  std::shared_ptr<SlotFile> slots_;
  std::unique_ptr<Fleet> fleet_;
};

TEST_F(ReplayTest, AMeterReplayedFromItsLastSaveCountsExactlyWhatItHadCounted) {
  open_fleet();
  const std::uint32_t serial = 0x19020246;
  Twin& twin = fleet_->add(Meter(FactoryOptions{serial}), store_of(serial));
  twin.start_scenario(
      generated_profile(std::make_shared<const HouseholdModel>(household()), 99, "household"));
  twin.set_power(true);  // saves: the record now names the household curve
  const std::int64_t saved_at = twin.meter().now_ms();
  EXPECT_EQ(twin.load_source().kind, LoadSource::Kind::household);
  ASSERT_TRUE(fleet_->advance(86'400'000 + 13 * 3'600'000).has_value());  // to 13:00, day 2
  const PersistentState counted = twin.meter().state();
  const std::int64_t until = twin.meter().now_ms();
  EXPECT_GT(counted.registers.counters[0].mwh() + counted.registers.counters[1].mwh(), 10'000)
      << "it counted something";

  // A crash: nothing saved since. Another process opens the record.
  StateStore store = store_of(serial);
  const StoredState loaded = store.load();
  ASSERT_FALSE(loaded.fresh);
  const auto& point = store.loaded_resume();
  ASSERT_TRUE(point.has_value());
  EXPECT_EQ(point->sim_ms, saved_at);
  Meter restored(loaded.loaded.state, loaded.loaded.error_code);
  restored.skip_to(point->sim_ms);
  Fleet again(ClockMode::stepped, 1.0, [this] { return now(); });
  Twin& back = again.add(restored, std::move(store));
  back.replay(point->source, until, until + 60'000);
  // The power-up of the replay is this start's: one more than the run before counted.
  PersistentState expected = counted;
  expected.power_down_counter = static_cast<std::uint16_t>(counted.power_down_counter + 1);
  EXPECT_EQ(back.meter().state(), expected);
  EXPECT_EQ(back.meter().now_ms(), until + 60'000) << "the time away is not counted";
}

TEST_F(ReplayTest, APassSkipsReplayableMetersButSavesEachWithinSixtyPasses) {
  open_fleet();
  std::vector<Twin*> meters;
  for (std::uint32_t n = 0; n < 120; ++n) {
    const std::uint32_t serial = *bcd_add(0x19020246, n);
    Twin& twin = fleet_->add(Meter(FactoryOptions{serial}), store_of(serial));
    ASSERT_TRUE(twin.set_load(three_phase(5)).has_value());
    twin.set_power(true);
    meters.push_back(&twin);
  }
  // One meter on a scenario table: not replayable, so saved on every pass.
  LoadProfile table;
  table.steps.push_back(
      ProfileStep{0, PreparedLoad{three_phase(1), measure(three_phase(1), true)}, std::nullopt});
  table.steps.push_back(ProfileStep{
      60'000, PreparedLoad{three_phase(2), measure(three_phase(2), true)}, std::nullopt});
  table.repeat_ms = 120'000;
  meters[7]->start_scenario(table);
  EXPECT_EQ(meters[7]->load_source().kind, LoadSource::Kind::none);
  fleet_->restart_clock();
  std::size_t total = 0;
  for (std::size_t pass = 0; pass < Fleet::kCheckpointPasses; ++pass) {
    ASSERT_TRUE(fleet_->advance(1'000).has_value());
    const std::size_t saved = fleet_->persist();
    EXPECT_LE(saved, 3U) << "a slice of 120 / 60 and the scenario meter";
    total += saved;
  }
  EXPECT_GE(total, 120U + Fleet::kCheckpointPasses - 2);
  EXPECT_EQ(fleet_->journal()->last(), 60'000);
  // An API change of one meter's load saves it at once with its new source.
  const std::size_t before = slots_->records();
  ASSERT_TRUE(meters[3]->set_load(three_phase(9)).has_value());
  auto store = store_of(meters[3]->meter().state().serial_bcd);
  static_cast<void>(store.load());
  ASSERT_TRUE(store.loaded_resume().has_value());
  EXPECT_EQ(store.loaded_resume()->source.load, three_phase(9));
  EXPECT_EQ(slots_->records(), before);
  // A meter whose supply is switched off is no longer replayable: the pass takes it.
  meters[4]->set_power(false);
  EXPECT_FALSE(meters[4]->may_skip_pass(fleet_->clock().target_ms(now())));
}

TEST_F(ReplayTest, APassTakesEveryMeterOnceTheReplayWouldBeTooLong) {
  open_fleet();
  const std::uint32_t serial = 0x19020246;
  Twin& twin = fleet_->add(Meter(FactoryOptions{serial}), store_of(serial));
  twin.start_scenario(
      generated_profile(std::make_shared<const HouseholdModel>(household()), 1, "household"));
  twin.set_power(true);
  fleet_->restart_clock();
  const std::int64_t limit = Twin::kReplaySteps * household().step_ms;
  EXPECT_TRUE(twin.may_skip_pass(limit));
  EXPECT_FALSE(twin.may_skip_pass(limit + 1));
  ASSERT_TRUE(fleet_->advance(limit + 1).has_value());
  EXPECT_EQ(fleet_->persist(), 1U);
  EXPECT_TRUE(twin.may_skip_pass(fleet_->clock().target_ms(now())));
}

}  // namespace
}  // namespace ambi
