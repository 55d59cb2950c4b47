#pragma once
// One file for the storage of every meter of a fleet (docs/storage.md "A fleet's store"):
// a record of 4 KiB per meter holding its three areas (manual 8.1: main, backup, mantissa,
// each the very bytes a single meter writes to its own files, with their checksums). A save
// overwrites the meter's slots in place; the fleet syncs the file once per save pass, not
// three times per meter (bench/fleet_store_bench measures the difference).

#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/meter/load.hpp"
#include "core/meter/storage_image.hpp"
#include "core/profile/load_generator.hpp"
#include "io/unique_fd.hpp"

namespace ambi {

/// What drove a fleet meter's load from one of its saves on (docs/storage.md "Replay"): a
/// constant load, or a generated household curve (a pure function of simulated time).
/// Anything else (a scenario table, the supply switched off) cannot be replayed.
struct LoadSource {
  enum class Kind : std::uint8_t { none = 0, constant = 1, household = 2 };
  Kind kind = Kind::none;
  LoadInput load{};        ///< kind constant
  HouseholdModel model{};  ///< kind household
  std::uint64_t seed = 0;  ///< kind household: the meter's seed
};

/// A save of a fleet meter as its record's resume block keeps it: the sequence number of
/// the areas written, the simulated time they hold, and the load source from then on.
struct ResumePoint {
  std::uint64_t sequence = 0;
  std::int64_t sim_ms = 0;
  std::uint32_t generation = 0;  ///< the run that wrote it (`FleetJournal`)
  LoadSource source{};
};

class SlotFile {
 public:
  static constexpr const char* kFileName = "meters.slots";
  static constexpr std::size_t kRecordSize = 4096;
  /// Where each area lives in a record, and how many bytes it may take (a length word of 4
  /// bytes, then the area).
  struct Slot {
    std::size_t offset;
    std::size_t size;
  };
  static constexpr Slot kMantissa{128, 512};
  /// The resume block: the `ResumePoint` of the last save (not an area of the meter's own).
  static constexpr Slot kResume{640, 384};
  static constexpr Slot kMain{1024, 1536};
  static constexpr Slot kBackup{2560, 1536};

  /// Opens (or creates) `dir/meters.slots` and reads its records' headers. The caller holds
  /// the fleet's lock on `dir`.
  [[nodiscard]] static std::expected<std::shared_ptr<SlotFile>, std::string> open(
      const std::filesystem::path& dir);

  /// The record of `serial_bcd`: the existing one, or a new one at the end (its areas
  /// empty). `fresh` tells which.
  [[nodiscard]] std::expected<std::size_t, std::string> record_of(std::uint32_t serial_bcd,
                                                                  bool& fresh);

  /// The area's bytes as last written; empty when never written; none when the slot cannot
  /// be read (an I/O error or a length that does not fit: the area "cannot be operated").
  [[nodiscard]] std::optional<std::vector<std::byte>> read(std::size_t record, Slot slot) const;
  /// Writes an area into its slot (no sync). False when it cannot be written or does not
  /// fit.
  [[nodiscard]] bool write(std::size_t record, Slot slot, std::span<const std::byte> bytes);
  /// The record's resume block; none when absent or damaged (a record of an older version,
  /// a torn write): the meter is then not replayed.
  [[nodiscard]] std::optional<ResumePoint> read_resume(std::size_t record) const;
  /// Writes the resume block (no sync), stamped with this run's generation (`point`'s own is
  /// ignored). False when it cannot be written.
  [[nodiscard]] bool write_resume(std::size_t record, const ResumePoint& point);
  /// Empties a record's three areas and its resume block (--factory-reset).
  [[nodiscard]] bool wipe(std::size_t record);
  /// fdatasync of the file when something was written since the last sync.
  [[nodiscard]] bool sync();

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::size_t records() const { return serials_.size(); }
  /// The run's generation, stamped on every resume block it writes.
  void set_generation(std::uint32_t generation) { generation_ = generation; }

 private:
  SlotFile(std::filesystem::path path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  [[nodiscard]] bool write_header(std::size_t record, std::uint32_t serial_bcd);

  std::filesystem::path path_;
  UniqueFd fd_;
  std::vector<std::uint32_t> serials_;
  std::unordered_map<std::uint32_t, std::size_t> by_serial_;
  bool dirty_ = false;
  std::uint32_t generation_ = 0;
};

}  // namespace ambi
