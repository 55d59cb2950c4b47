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

#include "core/meter/storage_image.hpp"
#include "io/unique_fd.hpp"

namespace ambi {

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
  static constexpr Slot kMantissa{128, 896};
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
  /// Empties a record's three areas (--factory-reset).
  [[nodiscard]] bool wipe(std::size_t record);
  /// fdatasync of the file when something was written since the last sync.
  [[nodiscard]] bool sync();

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::size_t records() const { return serials_.size(); }

 private:
  SlotFile(std::filesystem::path path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  [[nodiscard]] bool write_header(std::size_t record, std::uint32_t serial_bcd);

  std::filesystem::path path_;
  UniqueFd fd_;
  std::vector<std::uint32_t> serials_;
  std::unordered_map<std::uint32_t, std::size_t> by_serial_;
  bool dirty_ = false;
};

}  // namespace ambi
