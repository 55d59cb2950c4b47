#pragma once
// The fixed data header of a variable data structure (EN 13757-3 6.3; manual A2.2), the
// 12 bytes an RSP_UD with CI 72 starts with:
//
//   | ID (4, BCD, LSB first) | MAN (2, LSB first) | VER | MED | ACCESS | STATUS | SIG (2) |

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ambi {

struct MbusDataHeader {
  std::uint32_t id_bcd = 0;        ///< secondary address, 8 BCD digits (sent LSB first)
  std::uint16_t manufacturer = 0;  ///< three letters packed in 5 bits each
  std::uint8_t version = 0;
  std::uint8_t medium = 0;
  std::uint8_t access_number = 0;
  std::uint8_t status = 0;
  std::uint16_t signature = 0;
  friend bool operator==(const MbusDataHeader&, const MbusDataHeader&) = default;
};
inline constexpr std::size_t kMbusDataHeaderSize = 12;
inline constexpr std::uint16_t kManufacturerInepro = 0x25CD;  ///< "INM"
inline constexpr std::uint8_t kMediumElectricity = 0x02;
inline constexpr std::uint8_t kStatusApplicationError = 0x02;

/// Appends the 12 header bytes.
void append_data_header(const MbusDataHeader& header, std::vector<std::uint8_t>& out);
/// The header at the start of `bytes`; nullopt when there are fewer than 12.
[[nodiscard]] std::optional<MbusDataHeader> decode_data_header(std::span<const std::uint8_t> bytes);

/// Three letters A-Z packed as EN 13757-3 6.3.3 ("INM" → 0x25CD); 0 for anything else.
[[nodiscard]] std::uint16_t manufacturer_id(std::string_view letters);
/// The letters of a packed manufacturer id ("INM").
[[nodiscard]] std::string manufacturer_letters(std::uint16_t id);

}  // namespace ambi
