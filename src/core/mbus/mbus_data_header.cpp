// The 12-byte data header of an RSP_UD both ways, and the packed manufacturer letters.
#include "core/mbus/mbus_data_header.hpp"

#include "core/mbus/mbus_record_codec.hpp"

namespace ambi {

void append_data_header(const MbusDataHeader& h, std::vector<std::uint8_t>& out) {
  append_unsigned(h.id_bcd, 4, out);
  append_unsigned(h.manufacturer, 2, out);
  out.push_back(h.version);
  out.push_back(h.medium);
  out.push_back(h.access_number);
  out.push_back(h.status);
  append_unsigned(h.signature, 2, out);
}

std::optional<MbusDataHeader> decode_data_header(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kMbusDataHeaderSize) return std::nullopt;
  MbusDataHeader h;
  h.id_bcd = static_cast<std::uint32_t>(decode_unsigned(bytes.subspan(0, 4)));
  h.manufacturer = static_cast<std::uint16_t>(decode_unsigned(bytes.subspan(4, 2)));
  h.version = bytes[6];
  h.medium = bytes[7];
  h.access_number = bytes[8];
  h.status = bytes[9];
  h.signature = static_cast<std::uint16_t>(decode_unsigned(bytes.subspan(10, 2)));
  return h;
}

std::uint16_t manufacturer_id(std::string_view letters) {
  if (letters.size() != 3) return 0;
  unsigned id = 0;
  for (const char c : letters) {
    if (c < 'A' || c > 'Z') return 0;
    id = id * 32 + static_cast<unsigned>(c - 'A' + 1);
  }
  return static_cast<std::uint16_t>(id);
}

std::string manufacturer_letters(std::uint16_t id) {
  std::string out;
  for (const int shift : {10, 5, 0}) out.push_back(static_cast<char>('@' + ((id >> shift) & 0x1F)));
  return out;
}

}  // namespace ambi
