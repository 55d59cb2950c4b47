#include "twin/service/state_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <span>
#include <system_error>
#include <utility>
#include <vector>

#include "io/errno_text.hpp"

namespace ambi {
namespace {

namespace fs = std::filesystem;

struct AreaFile {
  const char* name;
  std::uint8_t unwritable_bit;
};
// Write order: mantissa first, then main, then backup (docs/storage.md).
constexpr AreaFile kMantissa{StateStore::kMantissaFile, error_bit::mantissa_unwritable};
constexpr AreaFile kMain{StateStore::kMainFile, error_bit::main_unwritable};
constexpr AreaFile kBackup{StateStore::kBackupFile, error_bit::backup_unwritable};

bool write_all(int fd, std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

bool fsync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  return ::close(fd) == 0 && ok;
}

/// Replaces `dir/name` with `bytes` so that the file is, at every instant, either wholly
/// the old content or wholly the new one.
bool replace_file(const fs::path& dir, const char* name, std::span<const std::byte> bytes) {
  const fs::path target = dir / name;
  fs::path tmp = target;
  tmp += ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  bool ok = write_all(fd, bytes) && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  ok = ok && ::rename(tmp.c_str(), target.c_str()) == 0;
  if (!ok) {
    ::unlink(tmp.c_str());
    return false;
  }
  return fsync_dir(dir);
}

struct ReadArea {
  std::vector<std::byte> bytes;
  bool exists = false;
  bool readable = true;
};

/// Reads a whole area file. A file that exists but cannot be read (no permission, a
/// directory in its place, an I/O error) is `readable = false`, never an exception (C23).
ReadArea read_area(const fs::path& path) {
  ReadArea area;
  std::error_code ec;
  area.exists = fs::exists(path, ec) || ec;
  if (!area.exists) return area;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    area.readable = false;
    return area;
  }
  std::array<std::byte, 4096> chunk{};
  for (;;) {
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) area.readable = false;
    if (n <= 0) break;
    area.bytes.insert(area.bytes.end(), chunk.begin(), chunk.begin() + n);
  }
  ::close(fd);
  if (!area.readable) area.bytes.clear();
  return area;
}

std::string lock_holder(int fd) {
  std::array<char, 32> buf{};
  const ssize_t n = ::pread(fd, buf.data(), buf.size() - 1, 0);
  std::string pid = n > 0 ? std::string(buf.data(), static_cast<std::size_t>(n)) : std::string();
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() ? std::string("unknown") : pid;
}

void write_pid(int fd) {
  const std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd, 0) != 0) return;
  [[maybe_unused]] const ssize_t n = ::pwrite(fd, pid.data(), pid.size(), 0);
}

}  // namespace

namespace {

std::expected<void, std::string> create_state_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    return std::unexpected(fmt::format(
        "cannot create state directory {}: {}; use --state to choose a writable directory",
        dir.string(), ec ? ec.message() : std::string("not a directory")));
  }
  return {};
}

}  // namespace

std::expected<StateStore, std::string> StateStore::open_member(std::filesystem::path dir) {
  if (auto ok = create_state_dir(dir); !ok) return std::unexpected(ok.error());
  return StateStore(std::move(dir), UniqueFd{});
}

std::expected<StateStore, std::string> StateStore::open(std::filesystem::path dir) {
  if (auto ok = create_state_dir(dir); !ok) return std::unexpected(ok.error());
  const fs::path lock_path = dir / kLockFile;
  UniqueFd lock{::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)};
  if (!lock) {
    return std::unexpected(
        fmt::format("cannot open lock file {}: {}; use --state to choose a writable directory",
                    lock_path.string(), errno_text()));
  }
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::string holder = lock_holder(lock.get());
    if (err == EWOULDBLOCK) {
      return std::unexpected(fmt::format(
          "state directory {} is in use by another ambimeter (pid {}); use --state to choose "
          "another",
          dir.string(), holder));
    }
    return std::unexpected(
        fmt::format("cannot lock {}: {}; use --state to choose another directory",
                    lock_path.string(), errno_text(err)));
  }
  write_pid(lock.get());
  return StateStore(std::move(dir), std::move(lock));
}

StoredState StateStore::decode(const std::vector<std::byte>& main, bool main_readable,
                               const std::vector<std::byte>& backup, bool backup_readable,
                               const std::vector<std::byte>& mantissa, bool mantissa_readable) {
  StoredState result;
  result.loaded = decode_storage(main, backup, mantissa);
  if (!main_readable) result.loaded.error_code |= kMain.unwritable_bit;
  if (!backup_readable) result.loaded.error_code |= kBackup.unwritable_bit;
  if (!mantissa_readable) result.loaded.error_code |= kMantissa.unwritable_bit;
  next_sequence_ = result.loaded.sequence + 1;
  frozen_ = (result.loaded.error_code & error_bit::both_copies_bad) != 0;
  return result;
}

StoredState StateStore::load_files() {
  const ReadArea main = read_area(dir_ / kMainFile);
  const ReadArea backup = read_area(dir_ / kBackupFile);
  const ReadArea mantissa = read_area(dir_ / kMantissaFile);
  if (!main.exists && !backup.exists && !mantissa.exists) {
    StoredState result;
    result.fresh = true;
    next_sequence_ = 1;
    frozen_ = false;
    return result;
  }
  return decode(main.bytes, main.readable, backup.bytes, backup.readable, mantissa.bytes,
                mantissa.readable);
}

StoredState StateStore::load_slots() {
  // A record this run created holds nothing yet: the meter is new, or an older version
  // kept it in its own files.
  if (fresh_record_) return load_files();
  const auto main = slots_->read(record_, SlotFile::kMain);
  const auto backup = slots_->read(record_, SlotFile::kBackup);
  const auto mantissa = slots_->read(record_, SlotFile::kMantissa);
  const std::vector<std::byte> none;
  if (main && backup && mantissa && main->empty() && backup->empty() && mantissa->empty()) {
    StoredState result;
    result.fresh = true;
    next_sequence_ = 1;
    frozen_ = false;
    return result;
  }
  StoredState result = decode(main.value_or(none), main.has_value(), backup.value_or(none),
                              backup.has_value(), mantissa.value_or(none), mantissa.has_value());
  loaded_resume_.reset();
  if (auto point = slots_->read_resume(record_);
      point && point->sequence == result.loaded.sequence && !frozen_) {
    loaded_resume_ = point;
  }
  return result;
}

StoredState StateStore::load() {
  loaded_ = true;
  return slots_ ? load_slots() : load_files();
}

std::uint8_t StateStore::save(const PersistentState& state, std::int64_t sim_ms,
                              const LoadSource& source) {
  if (!loaded_) static_cast<void>(load());
  if (frozen_) return 0;
  // The block first: a crash before the areas leaves it naming a sequence that was never
  // written, so the meter is not replayed from the older areas it finds. A block that
  // cannot be written is no area of the meter's (no 8.1 bit); its old sequence then names
  // no areas either.
  if (slots_)
    static_cast<void>(
        slots_->write_resume(record_, ResumePoint{next_sequence_, sim_ms, 0, source}));
  return save(state);
}

std::uint8_t StateStore::save(const PersistentState& state) {
  if (!loaded_) static_cast<void>(load());
  if (frozen_) return 0;
  const StorageImage image = encode_storage(state, next_sequence_++);
  std::uint8_t unwritable = 0;
  const std::array<std::pair<AreaFile, const std::vector<std::byte>*>, 3> order{
      {{kMantissa, &image.mantissa}, {kMain, &image.main}, {kBackup, &image.backup}}};
  if (slots_) {
    const std::array<SlotFile::Slot, 3> slots{SlotFile::kMantissa, SlotFile::kMain,
                                              SlotFile::kBackup};
    for (std::size_t i = 0; i < order.size(); ++i) {
      if ((unwritable_ & order.at(i).first.unwritable_bit) != 0 ||
          !slots_->write(record_, slots.at(i), *order.at(i).second)) {
        unwritable |= order.at(i).first.unwritable_bit;
      }
    }
    fresh_record_ = false;
    return unwritable;
  }
  for (const auto& [area, bytes] : order) {
    if ((unwritable_ & area.unwritable_bit) != 0 || !replace_file(dir_, area.name, *bytes)) {
      unwritable |= area.unwritable_bit;
    }
  }
  return unwritable;
}

namespace {

const char* file_of(StorageArea area) {
  switch (area) {
    case StorageArea::main:
      return StateStore::kMainFile;
    case StorageArea::backup:
      return StateStore::kBackupFile;
    case StorageArea::mantissa:
      return StateStore::kMantissaFile;
  }
  return StateStore::kMainFile;
}

SlotFile::Slot slot_of(StorageArea area) {
  switch (area) {
    case StorageArea::main:
      return SlotFile::kMain;
    case StorageArea::backup:
      return SlotFile::kBackup;
    case StorageArea::mantissa:
      return SlotFile::kMantissa;
  }
  return SlotFile::kMain;
}

}  // namespace

std::optional<std::vector<std::byte>> StateStore::read_stored(StorageArea area) const {
  if (slots_ && !fresh_record_) return slots_->read(record_, slot_of(area));
  ReadArea file = read_area(dir_ / file_of(area));
  if (!file.readable) return std::nullopt;
  return std::move(file.bytes);
}

bool StateStore::write_stored(StorageArea area, std::span<const std::byte> bytes) {
  if (slots_ && !fresh_record_) return slots_->write(record_, slot_of(area), bytes);
  return replace_file(dir_, file_of(area), bytes);
}

bool StateStore::damage(StorageTarget target) {
  const auto one = [&](StorageArea area) {
    auto bytes = read_stored(area);
    if (!bytes || bytes->size() < 2) return false;
    // A byte in the middle of the payload: the record's own checksum no longer fits.
    std::byte& b = (*bytes)[bytes->size() / 2];
    b = ~b;
    return write_stored(area, *bytes);
  };
  switch (target) {
    case StorageTarget::main:
      return one(StorageArea::main);
    case StorageTarget::backup:
      return one(StorageArea::backup);
    case StorageTarget::mantissa:
      return one(StorageArea::mantissa);
    case StorageTarget::both: {
      const bool main = one(StorageArea::main);
      return one(StorageArea::backup) && main;
    }
  }
  return false;
}

void StateStore::save_torn(const PersistentState& state) {
  if (!loaded_) static_cast<void>(load());
  if (frozen_) return;
  const StorageImage image = encode_storage(state, next_sequence_++);
  static_cast<void>(write_stored(StorageArea::mantissa, image.mantissa));
  // Main as the power left it: the new bytes up to the middle, the old ones after.
  std::vector<std::byte> torn = read_stored(StorageArea::main).value_or(std::vector<std::byte>{});
  torn.resize(image.main.size());
  std::copy(image.main.begin(), image.main.begin() + static_cast<std::ptrdiff_t>(torn.size() / 2),
            torn.begin());
  if (torn == image.main) torn[torn.size() - 1] = ~torn[torn.size() - 1];  // never whole
  static_cast<void>(write_stored(StorageArea::main, torn));
  if (slots_) static_cast<void>(slots_->sync());
}

std::string StateStore::where() const {
  if (!slots_) return dir_.string();
  return fmt::format("{} (record {}, {})", slots_->path().string(), record_,
                     dir_.filename().string());
}

void StateStore::wipe() {
  for (const char* name : {kMainFile, kBackupFile, kMantissaFile}) {
    std::error_code ec;
    fs::remove(dir_ / name, ec);
  }
  if (slots_) {
    static_cast<void>(slots_->wipe(record_));
    fresh_record_ = false;
  }
  loaded_ = false;
}

std::expected<StateStore, std::string> StateStore::open_slot(std::shared_ptr<SlotFile> slots,
                                                             std::uint32_t serial_bcd,
                                                             std::filesystem::path legacy_dir) {
  bool fresh = false;
  auto record = slots->record_of(serial_bcd, fresh);
  if (!record) return std::unexpected(record.error());
  StateStore store(std::move(legacy_dir), UniqueFd{});
  store.slots_ = std::move(slots);
  store.record_ = *record;
  store.fresh_record_ = fresh;
  return store;
}

}  // namespace ambi
