#include "twin/service/fleet_journal.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <span>

#include "core/meter/storage_image.hpp"
#include "io/errno_text.hpp"

namespace ambi {
namespace {

// Two copies, at 0 and 512 (separate sectors): "AMBIJRN1", sequence, simulated ms (both
// little-endian 64-bit), the run's generation (32-bit), CRC-32 of the 28 bytes before it.
constexpr std::array<char, 8> kMagic{'A', 'M', 'B', 'I', 'J', 'R', 'N', '1'};
constexpr std::size_t kCovered = 28;
constexpr std::size_t kCopySize = kCovered + 4;
constexpr std::array<off_t, 2> kCopyAt{0, 512};

void put_u64(std::byte* at, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) at[i] = static_cast<std::byte>((v >> (8 * i)) & 0xFFU);
}

std::uint64_t get_u64(const std::byte* at, int bytes = 8) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8U) | static_cast<std::uint64_t>(at[i]);
  return v;
}

}  // namespace

std::expected<FleetJournal, std::string> FleetJournal::open(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / kFileName;
  UniqueFd fd{::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)};
  if (!fd) {
    return std::unexpected(
        fmt::format("cannot open {}: {}; use --state to choose a writable directory", path.string(),
                    errno_text()));
  }
  FleetJournal journal(path, std::move(fd));
  for (const off_t at : kCopyAt) {
    std::array<std::byte, kCopySize> b{};
    if (::pread(journal.fd_.get(), b.data(), b.size(), at) != static_cast<ssize_t>(b.size())) {
      continue;
    }
    if (std::memcmp(b.data(), kMagic.data(), kMagic.size()) != 0) continue;
    if (crc32(std::span<const std::byte>(b).first(kCovered)) !=
        static_cast<std::uint32_t>(get_u64(b.data() + kCovered, 4))) {
      continue;
    }
    const std::uint64_t sequence = get_u64(b.data() + 8);
    if (journal.last_ && sequence <= journal.sequence_) continue;
    journal.sequence_ = sequence;
    journal.last_ = static_cast<std::int64_t>(get_u64(b.data() + 16));
    journal.last_generation_ = static_cast<std::uint32_t>(get_u64(b.data() + 24, 4));
  }
  journal.run_generation_ = journal.last_generation_ + 1;
  return journal;
}

bool FleetJournal::write(std::int64_t sim_ms) {
  const std::uint64_t sequence = sequence_ + 1;
  std::array<std::byte, kCopySize> b{};
  std::memcpy(b.data(), kMagic.data(), kMagic.size());
  put_u64(b.data() + 8, sequence);
  put_u64(b.data() + 16, static_cast<std::uint64_t>(sim_ms));
  for (std::size_t i = 0; i < 4; ++i) {
    b.at(24 + i) = static_cast<std::byte>((run_generation_ >> (8 * i)) & 0xFFU);
  }
  const std::uint32_t crc = crc32(std::span<const std::byte>(b).first(kCovered));
  for (std::size_t i = 0; i < 4; ++i) {
    b.at(kCovered + i) = static_cast<std::byte>((crc >> (8 * i)) & 0xFFU);
  }
  const off_t at = kCopyAt.at(sequence % 2);
  ssize_t n = 0;
  do {
    n = ::pwrite(fd_.get(), b.data(), b.size(), at);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(b.size()) || ::fdatasync(fd_.get()) != 0) return false;
  sequence_ = sequence;
  last_ = sim_ms;
  last_generation_ = run_generation_;
  return true;
}

void FleetJournal::wipe() {
  const std::array<std::byte, kCopySize> zero{};
  for (const off_t at : kCopyAt) {
    static_cast<void>(::pwrite(fd_.get(), zero.data(), zero.size(), at));
  }
  static_cast<void>(::fdatasync(fd_.get()));
  last_.reset();
  sequence_ = 0;
  last_generation_ = 0;
  run_generation_ = 1;
}

}  // namespace ambi
