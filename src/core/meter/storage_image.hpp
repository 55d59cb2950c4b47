#pragma once
// The meter's storage as bytes (manual 8.1): every value stored twice with checksums.
//
// Three areas, each a self-checking record:
//   main     — the whole persistent state with energies in whole mWh
//   backup   — an identical second copy
//   mantissa — the sub-mWh remainders of every energy counter
// Each area: magic "AMB1", area id, format version, sequence number, payload length,
// payload, CRC-32. The twin's state store writes the areas to files (write, fsync, rename)
// in the order mantissa, main, backup (docs/storage.md): a crash at any instant leaves at
// least one valid copy of main or backup, and the mantissa on disk is never older than the
// copy it completes.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/meter/meter.hpp"

namespace ambi {

enum class StorageArea : std::uint8_t { main = 1, backup = 2, mantissa = 3 };

/// The three encoded areas of one save.
struct StorageImage {
  std::vector<std::byte> main;
  std::vector<std::byte> backup;
  std::vector<std::byte> mantissa;
};

/// Encodes a state as a save numbered `sequence` (monotonic across saves).
[[nodiscard]] StorageImage encode_storage(const PersistentState& state, std::uint64_t sequence);

/// The result of loading: the state, the 8.1 error bits found, and the sequence loaded.
struct LoadedStorage {
  PersistentState state{};
  std::uint8_t error_code = 0;
  std::uint64_t sequence = 0;
};

/// Decodes the three areas (an empty span means the area is missing). A bad main copy
/// falls back to the backup (bit 6); a bad backup sets bit 5; a bad mantissa sets bit 4 and
/// restores remainders as zero; both copies bad sets bits 0, 5 and 6 and returns a default
/// state that must not be used (the meter stops).
[[nodiscard]] LoadedStorage decode_storage(std::span<const std::byte> main,
                                           std::span<const std::byte> backup,
                                           std::span<const std::byte> mantissa);

/// CRC-32 (IEEE 802.3, reflected, as zlib) of a byte range.
[[nodiscard]] std::uint32_t crc32(std::span<const std::byte> bytes);

}  // namespace ambi
