#pragma once
// Selection by secondary address (EN 13757-3 11.4): the 8 data bytes of an SND_UD with
// CI 52 to address 0xFD, and the rule by which a slave decides it is the one selected. The
// meter's slave and the reader's master (and its wildcard search) both use these, so the
// two sides cannot disagree on the layout or the wildcards.
//
//   | ID (4: 8 BCD digits, LSB first) | MAN (2, LSB first) | VER | MED |
//
// In a selection an F digit of the ID, and an FF byte of the manufacturer, version or
// medium, match anything.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace ambi {

struct MbusDataHeader;

inline constexpr std::size_t kMbusSelectionSize = 8;
/// The ID that matches every meter: all eight digits F.
inline constexpr std::uint32_t kMbusAnyId = 0xFFFFFFFF;

/// A secondary address, or a selection mask of one (the defaults match every meter).
struct MbusSelection {
  std::uint32_t id = kMbusAnyId;        ///< 8 BCD digits, F for "any digit"
  std::uint16_t manufacturer = 0xFFFF;  ///< packed letters; an FF byte for "any"
  std::uint8_t version = 0xFF;
  std::uint8_t medium = 0xFF;

  /// The 8 data bytes of the SND_UD CI 52.
  [[nodiscard]] std::array<std::uint8_t, kMbusSelectionSize> bytes() const;
  /// The selection in the data of an SND_UD CI 52; nullopt unless exactly 8 bytes.
  [[nodiscard]] static std::optional<MbusSelection> parse(std::span<const std::uint8_t> data);
  /// True when this selection, wildcards and all, names `address` (a slave's own
  /// secondary address, without wildcards).
  [[nodiscard]] bool matches(const MbusSelection& address) const;
  friend bool operator==(const MbusSelection&, const MbusSelection&) = default;
};

/// The secondary address a data header announces: its ID, manufacturer, version, medium.
[[nodiscard]] MbusSelection secondary_address(const MbusDataHeader& header);

}  // namespace ambi
