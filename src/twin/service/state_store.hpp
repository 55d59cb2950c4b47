#pragma once
// The storage image on disk (manual 8.1): three area files in a state directory, each
// replaced atomically (write NAME.tmp, fsync, rename, fsync the directory), in the order
// mantissa, main, backup, so that a crash at any instant leaves at least one valid copy.
// See docs/storage.md.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/fault/fault.hpp"
#include "core/meter/storage_image.hpp"
#include "io/unique_fd.hpp"
#include "twin/service/slot_file.hpp"

namespace ambi {

/// What `StateStore::load` found.
struct StoredState {
  bool fresh = false;      ///< no area file exists: a factory-new meter
  LoadedStorage loaded{};  ///< the decoded state and 8.1 bits; meaningful when !fresh
};

/// Owns one state directory for the life of a meter process (exclusive lock on `dir/lock`).
/// Move-only: the lock goes with it.
class StateStore {
 public:
  static constexpr const char* kMainFile = "eeprom-main.bin";
  static constexpr const char* kBackupFile = "eeprom-backup.bin";
  static constexpr const char* kMantissaFile = "eeprom-mantissa.bin";
  static constexpr const char* kLockFile = "lock";

  /// Creates `dir` if needed and locks it. Fails with a one-line message naming the path
  /// and the fix when it cannot be created or another process holds it.
  [[nodiscard]] static std::expected<StateStore, std::string> open(std::filesystem::path dir);
  /// A meter's directory inside a fleet's state directory, which the fleet has locked with
  /// `open` (one lock for the fleet, not one descriptor per meter). Creates `dir` if needed.
  [[nodiscard]] static std::expected<StateStore, std::string> open_member(
      std::filesystem::path dir);
  /// A fleet meter's record in the fleet's one slot file (docs/storage.md). `legacy_dir` is
  /// where an older version kept this meter's area files: a meter with no record yet is
  /// loaded from there once, then saved to its record.
  [[nodiscard]] static std::expected<StateStore, std::string> open_slot(
      std::shared_ptr<SlotFile> slots, std::uint32_t serial_bcd, std::filesystem::path legacy_dir);

  /// --factory-reset: forgets the stored areas (files or slots).
  void wipe();

  /// Reads the three area files (a missing or unreadable file counts as an empty area) and
  /// decodes them. An area file that exists but cannot be read also sets its
  /// *_unwritable bit ("cannot be operated"). Saves continue after the loaded sequence.
  /// After a load with `error_bit::both_copies_bad`, `save` refuses to write.
  [[nodiscard]] StoredState load();

  /// Writes the image's areas (mantissa, main, backup), each atomically. Returns the
  /// `error_bit::*_unwritable` bits of the areas that could not be written (0 when all
  /// were). Does nothing and returns 0 when the last load found both copies bad: a stopped
  /// meter never overwrites the evidence (recover with `ambimeter run --factory-reset`).
  [[nodiscard]] std::uint8_t save(const PersistentState& state);
  /// The same for a fleet meter (slots only; plain `save` elsewhere): first records in the
  /// record's resume block that these areas hold simulated time `sim_ms` and that `source`
  /// drives the load from then on (docs/storage.md "Replay").
  [[nodiscard]] std::uint8_t save(const PersistentState& state, std::int64_t sim_ms,
                                  const LoadSource& source);
  // ---- storage faults (docs/faults.md "Storage faults") ----------------------------------
  /// While set, the areas of these `error_bit::*_unwritable` bits are not written: `save`
  /// reports them as it reports a real write failure.
  void set_unwritable(std::uint8_t bits) { unwritable_ = bits; }
  /// Damages the stored `target` area(s) (a byte of the payload changed, so its checksum
  /// fails); false when there is nothing stored to damage or it cannot be written.
  [[nodiscard]] bool damage(StorageTarget target);
  /// A save the power interrupts: the mantissa is written, main only half (the rest of it
  /// stays as it was, so its checksum fails) and the backup not at all.
  void save_torn(const PersistentState& state);

  /// Whether this store keeps resume blocks (a fleet meter's slot record).
  [[nodiscard]] bool replays() const { return slots_ != nullptr; }
  /// After `load`: the resume block of the very save that was loaded (same sequence), if
  /// there is one: the meter can then be replayed from it.
  [[nodiscard]] const std::optional<ResumePoint>& loaded_resume() const { return loaded_resume_; }

  /// The sequence number the next save will carry.
  [[nodiscard]] std::uint64_t next_sequence() const { return next_sequence_; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  /// Where the areas are, for messages: the state directory, or the fleet's slot file and
  /// the meter's record in it.
  [[nodiscard]] std::string where() const;

 private:
  StateStore(std::filesystem::path dir, UniqueFd lock)
      : dir_(std::move(dir)), lock_(std::move(lock)) {}

  [[nodiscard]] StoredState decode(const std::vector<std::byte>& main, bool main_readable,
                                   const std::vector<std::byte>& backup, bool backup_readable,
                                   const std::vector<std::byte>& mantissa, bool mantissa_readable);
  [[nodiscard]] StoredState load_files();
  [[nodiscard]] StoredState load_slots();

  std::filesystem::path dir_;
  UniqueFd lock_;
  std::shared_ptr<SlotFile> slots_;  ///< a fleet's slot file, or none: the area files of dir_
  std::size_t record_ = 0;
  bool fresh_record_ = false;  ///< the record was created by this open
  std::uint64_t next_sequence_ = 1;
  bool loaded_ = false;
  bool frozen_ = false;
  std::uint8_t unwritable_ = 0;  ///< areas a fault keeps from being written
  std::optional<ResumePoint> loaded_resume_;
  [[nodiscard]] std::optional<std::vector<std::byte>> read_stored(StorageArea area) const;
  [[nodiscard]] bool write_stored(StorageArea area, std::span<const std::byte> bytes);
};

}  // namespace ambi
