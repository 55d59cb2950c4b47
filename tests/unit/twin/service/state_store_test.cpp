#include "twin/service/state_store.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "storage_test_state.hpp"

namespace ambi {
namespace {

namespace fs = std::filesystem;
using test::rich_state;

/// A fresh directory under /tmp, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string templ = "/tmp/ambi-store-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

void flip_byte(const fs::path& path, std::size_t offset) {
  std::string bytes = read_file(path);
  bytes.at(offset) = static_cast<char>(bytes.at(offset) ^ 0x20);
  write_file(path, bytes);
}

StateStore open_ok(const fs::path& dir) {
  auto store = StateStore::open(dir);
  if (!store) throw std::runtime_error(store.error());
  return std::move(*store);
}

/// Saves `state` into `dir` with a store that is closed again afterwards.
void save_once(const fs::path& dir, const PersistentState& state) {
  StateStore store = open_ok(dir);
  static_cast<void>(store.load());
  ASSERT_EQ(store.save(state), 0);
}

StoredState load_once(const fs::path& dir) {
  StateStore store = open_ok(dir);
  return store.load();
}

TEST(StateStore, AFreshDirectoryLoadsAsAFactoryNewMeter) {
  TempDir tmp;
  StateStore store = open_ok(tmp.path());
  const StoredState stored = store.load();
  EXPECT_TRUE(stored.fresh);
  EXPECT_EQ(store.next_sequence(), 1U);
}

TEST(StateStore, OpenCreatesAMissingDirectoryAndRecordsThePid) {
  TempDir tmp;
  const fs::path dir = tmp.path() / "a" / "b";
  StateStore store = open_ok(dir);
  EXPECT_TRUE(fs::is_directory(dir));
  EXPECT_EQ(read_file(dir / StateStore::kLockFile), fmt::format("{}\n", ::getpid()));
}

TEST(StateStore, OpenNamesThePathWhenTheDirectoryCannotBeCreated) {
  TempDir tmp;
  write_file(tmp.path() / "file", "x");
  const fs::path dir = tmp.path() / "file" / "state";
  const auto store = StateStore::open(dir);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().rfind(fmt::format("cannot create state directory {}: ", dir.string()), 0),
            0U)
      << store.error();
  EXPECT_NE(store.error().find("use --state"), std::string::npos);
}

TEST(StateStore, ASecondOpenOfTheSameDirectoryIsRefused) {
  TempDir tmp;
  StateStore first = open_ok(tmp.path());
  const auto second = StateStore::open(tmp.path());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(),
            fmt::format("state directory {} is in use by another ambimeter (pid {}); use --state "
                        "to choose another",
                        tmp.path().string(), ::getpid()));
}

TEST(StateStore, TheLockIsReleasedWhenTheStoreIsDestroyed) {
  TempDir tmp;
  {
    StateStore first = open_ok(tmp.path());
  }
  EXPECT_TRUE(StateStore::open(tmp.path()));
}

TEST(StateStore, SaveThenLoadRoundTripsExactly) {
  TempDir tmp;
  save_once(tmp.path(), rich_state());
  EXPECT_TRUE(fs::exists(tmp.path() / StateStore::kMainFile));
  EXPECT_TRUE(fs::exists(tmp.path() / StateStore::kBackupFile));
  EXPECT_TRUE(fs::exists(tmp.path() / StateStore::kMantissaFile));
  EXPECT_FALSE(fs::exists(tmp.path() / "eeprom-main.bin.tmp"));
  StateStore store = open_ok(tmp.path());
  const StoredState stored = store.load();
  EXPECT_FALSE(stored.fresh);
  EXPECT_EQ(stored.loaded.error_code, 0);
  EXPECT_EQ(stored.loaded.sequence, 1U);
  EXPECT_EQ(stored.loaded.state, rich_state());
  EXPECT_EQ(store.next_sequence(), 2U);
}

TEST(StateStore, SequenceContinuesFromTheLoadedSave) {
  TempDir tmp;
  {
    StateStore store = open_ok(tmp.path());
    static_cast<void>(store.load());
    ASSERT_EQ(store.save(PersistentState{}), 0);
    ASSERT_EQ(store.save(rich_state()), 0);
  }
  {
    StateStore store = open_ok(tmp.path());
    ASSERT_EQ(store.save(PersistentState{}), 0);  // without load(): seeds from disk first
  }
  const StoredState stored = load_once(tmp.path());
  EXPECT_EQ(stored.loaded.sequence, 3U);
  EXPECT_EQ(stored.loaded.state, PersistentState{});
}

TEST(StateStore, ACorruptedFileOnDiskSetsItsBit) {
  struct Case {
    const char* file;
    std::uint8_t bits;
  };
  for (const Case c : {Case{StateStore::kMainFile, error_bit::main_corrupt},
                       Case{StateStore::kBackupFile, error_bit::backup_corrupt}}) {
    TempDir tmp;
    save_once(tmp.path(), rich_state());
    flip_byte(tmp.path() / c.file, 200);
    const StoredState stored = load_once(tmp.path());
    EXPECT_EQ(stored.loaded.error_code, c.bits) << c.file;
    EXPECT_EQ(stored.loaded.state, rich_state()) << c.file;
  }
}

TEST(StateStore, AMissingMainFileLoadsTheBackupWithBit6) {
  TempDir tmp;
  save_once(tmp.path(), rich_state());
  fs::remove(tmp.path() / StateStore::kMainFile);
  const StoredState stored = load_once(tmp.path());
  EXPECT_FALSE(stored.fresh);
  EXPECT_EQ(stored.loaded.error_code, error_bit::main_corrupt);
  EXPECT_EQ(stored.loaded.state, rich_state());
}

TEST(StateStore, AMissingMantissaFileZeroesTheRemaindersWithBit4) {
  TempDir tmp;
  save_once(tmp.path(), rich_state());
  fs::remove(tmp.path() / StateStore::kMantissaFile);
  const StoredState stored = load_once(tmp.path());
  EXPECT_EQ(stored.loaded.error_code, error_bit::mantissa_corrupt);
  EXPECT_EQ(stored.loaded.state.registers.mwh(7), rich_state().registers.mwh(7));
  EXPECT_EQ(stored.loaded.state.registers.at(7).remainder_mw_ms(), 0);
}

TEST(StateStore, BothCopiesBadIsReportedAndNeverOverwritten) {
  TempDir tmp;
  save_once(tmp.path(), rich_state());
  flip_byte(tmp.path() / StateStore::kMainFile, 30);
  flip_byte(tmp.path() / StateStore::kBackupFile, 40);
  const std::string main_before = read_file(tmp.path() / StateStore::kMainFile);
  StateStore store = open_ok(tmp.path());
  const StoredState stored = store.load();
  EXPECT_FALSE(stored.fresh);
  EXPECT_EQ(stored.loaded.error_code, 0x61);
  EXPECT_EQ(store.save(PersistentState{}), 0);
  EXPECT_EQ(read_file(tmp.path() / StateStore::kMainFile), main_before);
}

TEST(StateStore, AnAreaThatCannotBeWrittenSetsItsBitAndTheOthersStillSave) {
  TempDir tmp;
  save_once(tmp.path(), PersistentState{});
  // A directory where the temporary file must go: open() fails even for root.
  fs::create_directory(tmp.path() / "eeprom-main.bin.tmp");
  {
    StateStore store = open_ok(tmp.path());
    static_cast<void>(store.load());
    EXPECT_EQ(store.save(rich_state()), error_bit::main_unwritable);
  }
  const StoredState stored = load_once(tmp.path());
  EXPECT_EQ(stored.loaded.error_code, 0);
  EXPECT_EQ(stored.loaded.sequence, 2U);  // the backup is newer than the stale main
  EXPECT_EQ(stored.loaded.state, rich_state());
}

TEST(StateStore, AReadOnlyDirectorySetsAllUnwritableBits) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "running as root: mode 0500 does not stop root from writing";
  }
  TempDir tmp;
  StateStore store = open_ok(tmp.path());
  static_cast<void>(store.load());
  ::chmod(tmp.path().c_str(), 0500);
  EXPECT_EQ(store.save(rich_state()), error_bit::mantissa_unwritable |
                                          error_bit::backup_unwritable |
                                          error_bit::main_unwritable);
  ::chmod(tmp.path().c_str(), 0700);
}

TEST(StateStore, AnUnreadableFileIsCorruptAndCannotBeOperated) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "running as root: mode 0000 does not stop root from reading";
  }
  TempDir tmp;
  save_once(tmp.path(), rich_state());
  ::chmod((tmp.path() / StateStore::kMainFile).c_str(), 0000);
  const StoredState stored = load_once(tmp.path());
  EXPECT_EQ(stored.loaded.error_code, error_bit::main_corrupt | error_bit::main_unwritable);
  EXPECT_EQ(stored.loaded.state, rich_state());
}

TEST(StateStore, ADirectoryInPlaceOfAFileIsCorruptAndCannotBeOperated) {
  TempDir tmp;
  save_once(tmp.path(), rich_state());
  const auto main = tmp.path() / StateStore::kMainFile;
  std::filesystem::remove(main);
  std::filesystem::create_directory(main);
  const StoredState stored = load_once(tmp.path());
  EXPECT_EQ(stored.loaded.error_code, error_bit::main_corrupt | error_bit::main_unwritable);
  EXPECT_EQ(stored.loaded.state, rich_state()) << "recovered from the backup";
  auto store = StateStore::open(tmp.path());
  ASSERT_TRUE(store.has_value());
  static_cast<void>(store->load());
  EXPECT_EQ(store->save(rich_state()), error_bit::main_unwritable)
      << "main cannot be written either";
}

}  // namespace
}  // namespace ambi
