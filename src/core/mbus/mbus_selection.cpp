// The selection layout and its wildcard match (EN 13757-3 11.4).
#include "core/mbus/mbus_selection.hpp"

#include "core/mbus/mbus_data_header.hpp"
#include "core/mbus/mbus_record_codec.hpp"

namespace ambi {
namespace {

constexpr std::uint32_t kAnyDigit = 0xF;
constexpr std::uint32_t kAnyByte = 0xFF;

/// Every `width`-bit piece of `wanted` is either all ones (any) or equal to `own`'s.
bool pieces_match(std::uint32_t wanted, std::uint32_t own, int pieces, int width,
                  std::uint32_t any) {
  for (int i = 0; i < pieces; ++i) {
    const int shift = i * width;
    const std::uint32_t w = (wanted >> shift) & any;
    if (w != any && w != ((own >> shift) & any)) return false;
  }
  return true;
}

}  // namespace

std::array<std::uint8_t, kMbusSelectionSize> MbusSelection::bytes() const {
  return {static_cast<std::uint8_t>(id),
          static_cast<std::uint8_t>(id >> 8),
          static_cast<std::uint8_t>(id >> 16),
          static_cast<std::uint8_t>(id >> 24),
          static_cast<std::uint8_t>(manufacturer),
          static_cast<std::uint8_t>(manufacturer >> 8),
          version,
          medium};
}

std::optional<MbusSelection> MbusSelection::parse(std::span<const std::uint8_t> data) {
  if (data.size() != kMbusSelectionSize) return std::nullopt;
  return MbusSelection{static_cast<std::uint32_t>(decode_unsigned(data.first(4))),
                       static_cast<std::uint16_t>(decode_unsigned(data.subspan(4, 2))), data[6],
                       data[7]};
}

bool MbusSelection::matches(const MbusSelection& address) const {
  return pieces_match(id, address.id, 8, 4, kAnyDigit) &&
         pieces_match(manufacturer, address.manufacturer, 2, 8, kAnyByte) &&
         pieces_match(version, address.version, 1, 8, kAnyByte) &&
         pieces_match(medium, address.medium, 1, 8, kAnyByte);
}

MbusSelection secondary_address(const MbusDataHeader& header) {
  return {header.id_bcd, header.manufacturer, header.version, header.medium};
}

}  // namespace ambi
