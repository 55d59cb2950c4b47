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

void put_u64(std::byte* at, std::uint64_t v) {
  put_u32(at, static_cast<std::uint32_t>(v));
  put_u32(at + 4, static_cast<std::uint32_t>(v >> 32U));
}

std::uint64_t get_u64(const std::byte* at) {
  return std::uint64_t{get_u32(at)} | (std::uint64_t{get_u32(at + 4)} << 32U);
}

/// The resume block: "AMBIRSM1", sequence, simulated ms, the source's kind and the run's
/// generation (4 bytes each), the seed, then 16 numbers (the load's 3 × V, A, φ and Hz, or the
/// household model's fields in declaration order) as IEEE doubles, then a CRC-32 of everything
/// before it.
constexpr std::array<char, 8> kResumeMagic{'A', 'M', 'B', 'I', 'R', 'S', 'M', '1'};
constexpr std::size_t kResumeNumbers = 16;
constexpr std::size_t kResumeSize = 8 + 8 + 8 + 4 + 4 + 8 + 8 * kResumeNumbers + 4;
constexpr std::size_t kNumbersAt = 40;
static_assert(kResumeSize <= SlotFile::kResume.size);

std::array<double, kResumeNumbers> numbers_of(const LoadSource& source) {
  std::array<double, kResumeNumbers> n{};
  if (source.kind == LoadSource::Kind::constant) {
    for (std::size_t p = 0; p < kPhases; ++p) {
      const PhaseInput& ph = source.load.phases.at(p);
      n.at(3 * p) = ph.volts;
      n.at(3 * p + 1) = ph.amps;
      n.at(3 * p + 2) = ph.phi_deg;
    }
    n[9] = source.load.hz;
  } else if (source.kind == LoadSource::Kind::household) {
    const HouseholdModel& m = source.model;
    n = {static_cast<double>(m.step_ms),
         m.base_w,
         m.spread,
         m.noise,
         m.pv_peak_w,
         m.pv_share,
         m.ev_w,
         m.ev_share,
         m.ev_days,
         static_cast<double>(m.ev_from_ms),
         static_cast<double>(m.ev_to_ms),
         m.ev_kwh_min,
         m.ev_kwh_max,
         m.volts,
         m.power_factor,
         m.hz};
  }
  return n;
}

LoadSource source_of(std::uint32_t kind, std::uint64_t seed,
                     const std::array<double, kResumeNumbers>& n) {
  LoadSource source;
  if (kind == static_cast<std::uint32_t>(LoadSource::Kind::constant)) {
    source.kind = LoadSource::Kind::constant;
    for (std::size_t p = 0; p < kPhases; ++p) {
      source.load.phases.at(p) = PhaseInput{n.at(3 * p), n.at(3 * p + 1), n.at(3 * p + 2)};
    }
    source.load.hz = n[9];
  } else if (kind == static_cast<std::uint32_t>(LoadSource::Kind::household)) {
    source.kind = LoadSource::Kind::household;
    source.seed = seed;
    HouseholdModel& m = source.model;
    m.step_ms = static_cast<std::int64_t>(n[0]);
    m.base_w = n[1];
    m.spread = n[2];
    m.noise = n[3];
    m.pv_peak_w = n[4];
    m.pv_share = n[5];
    m.ev_w = n[6];
    m.ev_share = n[7];
    m.ev_days = n[8];
    m.ev_from_ms = static_cast<std::int64_t>(n[9]);
    m.ev_to_ms = static_cast<std::int64_t>(n[10]);
    m.ev_kwh_min = n[11];
    m.ev_kwh_max = n[12];
    m.volts = n[13];
    m.power_factor = n[14];
    m.hz = n[15];
  }
  return source;
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

std::optional<ResumePoint> SlotFile::read_resume(std::size_t record) const {
  std::array<std::byte, kResumeSize> b{};
  if (!pread_all(fd_.get(), b, record_at(record) + static_cast<off_t>(kResume.offset))) {
    return std::nullopt;
  }
  if (std::memcmp(b.data(), kResumeMagic.data(), kResumeMagic.size()) != 0) return std::nullopt;
  const std::size_t covered = kResumeSize - 4;
  if (crc32(std::span<const std::byte>(b).first(covered)) != get_u32(b.data() + covered)) {
    return std::nullopt;
  }
  ResumePoint point;
  point.sequence = get_u64(b.data() + 8);
  point.sim_ms = static_cast<std::int64_t>(get_u64(b.data() + 16));
  std::array<double, kResumeNumbers> n{};
  for (std::size_t i = 0; i < kResumeNumbers; ++i) {
    const std::uint64_t bits = get_u64(b.data() + kNumbersAt + 8 * i);
    std::memcpy(&n.at(i), &bits, sizeof bits);
  }
  point.generation = get_u32(b.data() + 28);
  point.source = source_of(get_u32(b.data() + 24), get_u64(b.data() + 32), n);
  return point;
}

bool SlotFile::write_resume(std::size_t record, const ResumePoint& point) {
  std::array<std::byte, kResumeSize> b{};
  std::memcpy(b.data(), kResumeMagic.data(), kResumeMagic.size());
  put_u64(b.data() + 8, point.sequence);
  put_u64(b.data() + 16, static_cast<std::uint64_t>(point.sim_ms));
  put_u32(b.data() + 24, static_cast<std::uint32_t>(point.source.kind));
  put_u32(b.data() + 28, generation_);
  put_u64(b.data() + 32, point.source.seed);
  const auto n = numbers_of(point.source);
  for (std::size_t i = 0; i < kResumeNumbers; ++i) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &n.at(i), sizeof bits);
    put_u64(b.data() + kNumbersAt + 8 * i, bits);
  }
  const std::size_t covered = kResumeSize - 4;
  put_u32(b.data() + covered, crc32(std::span<const std::byte>(b).first(covered)));
  dirty_ = true;
  return pwrite_all(fd_.get(), b, record_at(record) + static_cast<off_t>(kResume.offset));
}

bool SlotFile::wipe(std::size_t record) {
  const std::array<std::byte, 8> none{};
  dirty_ = true;
  bool ok = true;
  for (const Slot slot : {kMantissa, kMain, kBackup, kResume}) {
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
