#include "twin/service/slot_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "io/errno_text.hpp"

namespace ambi {
namespace {

/// A record starts with "AMBISLT1", the serial (4 bytes, little-endian) and a CRC-32 of
/// those 12 bytes.
constexpr std::array<char, 8> kMagic{'A', 'M', 'B', 'I', 'S', 'L', 'T', '1'};
constexpr std::size_t kHeaderSize = 16;

void put_u32(std::byte* at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) at[i] = static_cast<std::byte>((v >> (8 * i)) & 0xFFU);
}

std::uint32_t get_u32(const std::byte* at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8U) | static_cast<std::uint32_t>(at[i]);
  return v;
}

bool pwrite_all(int fd, std::span<const std::byte> bytes, off_t at) {
  while (!bytes.empty()) {
    const ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes = bytes.subspan(static_cast<std::size_t>(n));
    at += n;
  }
  return true;
}

bool pread_all(int fd, std::span<std::byte> bytes, off_t at) {
  while (!bytes.empty()) {
    const ssize_t n = ::pread(fd, bytes.data(), bytes.size(), at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes = bytes.subspan(static_cast<std::size_t>(n));
    at += n;
  }
  return true;
}

off_t record_at(std::size_t record) {
  return static_cast<off_t>(record * SlotFile::kRecordSize);
}

/// The serial of a record whose header is damaged, from its areas (each copy carries it).
std::optional<std::uint32_t> serial_from_areas(std::span<const std::byte> record) {
  const auto area = [&](SlotFile::Slot slot) -> std::span<const std::byte> {
    const std::uint32_t length = get_u32(record.data() + slot.offset);
    if (length == 0 || length > slot.size - 4) return {};
    return record.subspan(slot.offset + 4, length);
  };
  const LoadedStorage loaded =
      decode_storage(area(SlotFile::kMain), area(SlotFile::kBackup), area(SlotFile::kMantissa));
  if ((loaded.error_code & error_bit::both_copies_bad) != 0) return std::nullopt;
  return loaded.state.serial_bcd;
}

}  // namespace

std::expected<std::shared_ptr<SlotFile>, std::string> SlotFile::open(
    const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / kFileName;
  UniqueFd fd{::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)};
  if (!fd) {
    return std::unexpected(
        fmt::format("cannot open {}: {}; use --state to choose a writable "
                    "directory",
                    path.string(), errno_text()));
  }
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) {
    return std::unexpected(fmt::format("cannot read {}: {}", path.string(), errno_text()));
  }
  std::shared_ptr<SlotFile> file(new SlotFile(path, std::move(fd)));
  const auto count = static_cast<std::size_t>(st.st_size) / kRecordSize;
  std::vector<std::byte> record(kRecordSize);
  for (std::size_t r = 0; r < count; ++r) {
    std::uint32_t serial = 0;
    bool known = false;
    if (pread_all(file->fd_.get(), record, record_at(r))) {
      const bool magic = std::memcmp(record.data(), kMagic.data(), kMagic.size()) == 0;
      const std::uint32_t crc = crc32(std::span<const std::byte>(record).first(12));
      if (magic && crc == get_u32(record.data() + 12)) {
        serial = get_u32(record.data() + 8);
        known = true;
      } else if (auto from_areas = serial_from_areas(record)) {
        serial = *from_areas;
        known = true;
      }
    }
    file->serials_.push_back(known ? serial : 0);
    if (known && !file->by_serial_.contains(serial)) file->by_serial_.emplace(serial, r);
  }
  return file;
}

bool SlotFile::write_header(std::size_t record, std::uint32_t serial_bcd) {
  std::array<std::byte, kHeaderSize> header{};
  std::memcpy(header.data(), kMagic.data(), kMagic.size());
  put_u32(header.data() + 8, serial_bcd);
  put_u32(header.data() + 12, crc32(std::span<const std::byte>(header).first(12)));
  dirty_ = true;
  return pwrite_all(fd_.get(), header, record_at(record));
}

std::expected<std::size_t, std::string> SlotFile::record_of(std::uint32_t serial_bcd, bool& fresh) {
  if (const auto it = by_serial_.find(serial_bcd); it != by_serial_.end()) {
    fresh = false;
    return it->second;
  }
  fresh = true;
  const std::size_t record = serials_.size();
  // The whole record, zeroed (empty areas), then its header.
  const std::vector<std::byte> zero(kRecordSize);
  if (!pwrite_all(fd_.get(), zero, record_at(record)) || !write_header(record, serial_bcd)) {
    return std::unexpected(
        fmt::format("cannot write {}: {}; use --state to choose a writable "
                    "directory",
                    path_.string(), errno_text()));
  }
  serials_.push_back(serial_bcd);
  by_serial_.emplace(serial_bcd, record);
  return record;
}

std::optional<std::vector<std::byte>> SlotFile::read(std::size_t record, Slot slot) const {
  std::array<std::byte, 4> length_bytes{};
  if (!pread_all(fd_.get(), length_bytes, record_at(record) + static_cast<off_t>(slot.offset))) {
    return std::nullopt;
  }
  const std::uint32_t length = get_u32(length_bytes.data());
  if (length > slot.size - 4) return std::nullopt;
  std::vector<std::byte> bytes(length);
  if (length > 0 &&
      !pread_all(fd_.get(), bytes, record_at(record) + static_cast<off_t>(slot.offset + 4))) {
    return std::nullopt;
  }
  return bytes;
}

bool SlotFile::write(std::size_t record, Slot slot, std::span<const std::byte> bytes) {
  if (bytes.size() > slot.size - 4) return false;
  std::vector<std::byte> out(4 + bytes.size());
  put_u32(out.data(), static_cast<std::uint32_t>(bytes.size()));
  std::memcpy(out.data() + 4, bytes.data(), bytes.size());
  dirty_ = true;
  return pwrite_all(fd_.get(), out, record_at(record) + static_cast<off_t>(slot.offset));
}

bool SlotFile::wipe(std::size_t record) {
  const std::array<std::byte, 4> none{};
  dirty_ = true;
  bool ok = true;
  for (const Slot slot : {kMantissa, kMain, kBackup}) {
    ok = pwrite_all(fd_.get(), none, record_at(record) + static_cast<off_t>(slot.offset)) && ok;
  }
  return ok;
}

bool SlotFile::sync() {
  if (!dirty_) return true;
  dirty_ = false;
  return ::fdatasync(fd_.get()) == 0;
}

}  // namespace ambi
