// A fleet's one slot file (docs/storage.md): every meter's three areas in a record of its
// own, the 8.1 semantics per meter, older per-meter files taken over once.
#include "twin/service/slot_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "storage_test_state.hpp"
#include "temp_dir.hpp"
#include "twin/service/fleet.hpp"
#include "twin/service/state_store.hpp"

namespace ambi {
namespace {

namespace fs = std::filesystem;
using test::rich_state;

/// The n-th serial from 19020246, as BCD (a serial with a hex digit is no serial).
std::uint32_t nth(std::uint32_t n) {
  return bcd_add(0x19020246, n).value_or(0);
}

PersistentState state_of(std::uint32_t serial, std::int64_t energy) {
  PersistentState s = rich_state();
  s.serial_bcd = serial;
  s.settings.mbus_secondary_id = serial;
  s.registers.counters[0] = EnergyCounter::from_parts(energy, 0);
  return s;
}

std::shared_ptr<SlotFile> open_slots(const fs::path& dir) {
  auto slots = SlotFile::open(dir);
  EXPECT_TRUE(slots) << slots.error();
  return *slots;
}

StateStore member(const std::shared_ptr<SlotFile>& slots, const fs::path& dir,
                  std::uint32_t serial) {
  auto store = StateStore::open_slot(slots, serial, dir / fmt::format("{:08X}", serial));
  EXPECT_TRUE(store) << store.error();
  return std::move(*store);
}

/// Flips one byte of the slot file at `offset`.
void flip(const fs::path& file, std::size_t offset) {
  const int fd = ::open(file.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  char byte = 0;
  ASSERT_EQ(::pread(fd, &byte, 1, static_cast<off_t>(offset)), 1);
  byte = static_cast<char>(byte ^ 0x5A);
  ASSERT_EQ(::pwrite(fd, &byte, 1, static_cast<off_t>(offset)), 1);
  ::close(fd);
}

TEST(SlotFile, EveryMeterComesBackFromItsOwnRecord) {
  TempDir dir;
  {
    auto slots = open_slots(dir.path());
    for (std::uint32_t n = 0; n < 50; ++n) {
      StateStore store = member(slots, dir.path(), nth(n));
      EXPECT_TRUE(store.load().fresh);
      EXPECT_EQ(store.save(state_of(nth(n), 1000 * n)), 0);
    }
    EXPECT_TRUE(slots->sync());
  }
  EXPECT_EQ(fs::file_size(dir.path() / SlotFile::kFileName), 50 * SlotFile::kRecordSize);
  auto slots = open_slots(dir.path());
  EXPECT_EQ(slots->records(), 50U);
  for (std::uint32_t n = 0; n < 50; ++n) {
    StateStore store = member(slots, dir.path(), nth(n));
    const StoredState loaded = store.load();
    ASSERT_FALSE(loaded.fresh);
    EXPECT_EQ(loaded.loaded.error_code, 0);
    EXPECT_EQ(loaded.loaded.state, state_of(nth(n), 1000 * n));
  }
  EXPECT_EQ(slots->records(), 50U);  // nobody was given a new record
  // No folder per meter: one file for the fleet.
  EXPECT_FALSE(fs::exists(dir.path() / "19020246"));
}

TEST(SlotFile, ACorruptCopySetsThatMetersBitsOnly) {
  TempDir dir;
  {
    auto slots = open_slots(dir.path());
    for (std::uint32_t n = 0; n < 3; ++n) {
      StateStore store = member(slots, dir.path(), nth(n));
      static_cast<void>(store.load());
      EXPECT_EQ(store.save(state_of(nth(n), 5000)), 0);
    }
  }
  const fs::path file = dir.path() / SlotFile::kFileName;
  flip(file, SlotFile::kRecordSize + SlotFile::kMain.offset + 40);      // meter 1: main
  flip(file, 2 * SlotFile::kRecordSize + SlotFile::kMain.offset + 40);  // meter 2: both
  flip(file, 2 * SlotFile::kRecordSize + SlotFile::kBackup.offset + 40);
  auto slots = open_slots(dir.path());
  std::array<std::uint8_t, 3> bits{};
  for (std::uint32_t n = 0; n < 3; ++n) {
    StateStore store = member(slots, dir.path(), nth(n));
    const StoredState loaded = store.load();
    bits.at(n) = loaded.loaded.error_code;
    if (n < 2) {
      EXPECT_EQ(loaded.loaded.state, state_of(nth(n), 5000));
    }
  }
  EXPECT_EQ(bits[0], 0);
  EXPECT_EQ(bits[1], error_bit::main_corrupt);
  EXPECT_EQ(bits[2] & error_bit::both_copies_bad, error_bit::both_copies_bad);
}

TEST(SlotFile, ADamagedHeaderIsRecognisedByItsAreas) {
  TempDir dir;
  {
    auto slots = open_slots(dir.path());
    StateStore store = member(slots, dir.path(), 0x12345678);
    static_cast<void>(store.load());
    EXPECT_EQ(store.save(state_of(0x12345678, 777)), 0);
  }
  flip(dir.path() / SlotFile::kFileName, 9);  // inside the serial of the header
  auto slots = open_slots(dir.path());
  StateStore store = member(slots, dir.path(), 0x12345678);
  const StoredState loaded = store.load();
  ASSERT_FALSE(loaded.fresh);
  EXPECT_EQ(loaded.loaded.state, state_of(0x12345678, 777));
}

TEST(SlotFile, AMeterOfAnOlderVersionIsTakenOverFromItsFilesOnce) {
  TempDir dir;
  const fs::path legacy = dir.path() / "19020246";
  {
    auto files = StateStore::open_member(legacy);
    ASSERT_TRUE(files) << files.error();
    static_cast<void>(files->load());
    EXPECT_EQ(files->save(state_of(0x19020246, 4242)), 0);
  }
  {
    auto slots = open_slots(dir.path());
    StateStore store = member(slots, dir.path(), 0x19020246);
    const StoredState loaded = store.load();
    ASSERT_FALSE(loaded.fresh);
    EXPECT_EQ(loaded.loaded.state, state_of(0x19020246, 4242));
    EXPECT_EQ(store.save(state_of(0x19020246, 5000)), 0);
  }
  auto slots = open_slots(dir.path());
  StateStore store = member(slots, dir.path(), 0x19020246);
  EXPECT_EQ(store.load().loaded.state, state_of(0x19020246, 5000));  // the record wins now
}

TEST(SlotFile, WipeMakesTheMeterNew) {
  TempDir dir;
  auto slots = open_slots(dir.path());
  StateStore store = member(slots, dir.path(), 0x19020246);
  static_cast<void>(store.load());
  EXPECT_EQ(store.save(state_of(0x19020246, 1)), 0);
  store.wipe();
  EXPECT_TRUE(store.load().fresh);
}

}  // namespace
}  // namespace ambi
