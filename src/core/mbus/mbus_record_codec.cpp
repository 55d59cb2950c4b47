// EN 13757-3 record splitting and the integer and BCD codecs of data fields.
#include "core/mbus/mbus_record_codec.hpp"

#include <algorithm>

namespace ambi {
namespace {

using Bytes = std::span<const std::uint8_t>;
constexpr std::uint8_t kExtension = 0x80;
constexpr std::size_t kMaxExtensions = 10;
constexpr std::uint8_t kIdleFiller = 0x2F;
constexpr std::uint8_t kPlainTextVif = 0x7C;
/// DIF 0F / 1F: manufacturer-specific data follows to the end of the block (1F: more
/// records follow in the next telegram).
constexpr std::uint8_t kManufacturerData = 0x0F;
constexpr std::uint8_t kManufacturerDataMore = 0x1F;

/// EN 13757-3 Table 4, indexed by the low nibble of the DIF.
constexpr std::array<MbusDataField, 16> kDataFields{{
    {MbusCoding::none, 0},
    {MbusCoding::integer, 1},
    {MbusCoding::integer, 2},
    {MbusCoding::integer, 3},
    {MbusCoding::integer, 4},
    {MbusCoding::real, 4},
    {MbusCoding::integer, 6},
    {MbusCoding::integer, 8},
    {MbusCoding::none, 0},
    {MbusCoding::bcd, 1},
    {MbusCoding::bcd, 2},
    {MbusCoding::bcd, 3},
    {MbusCoding::bcd, 4},
    {MbusCoding::variable, 0},
    {MbusCoding::bcd, 6},
    {MbusCoding::special, 0},
}};

std::int64_t pow10(int digits) {
  std::int64_t p = 1;
  for (int i = 0; i < digits; ++i) p *= 10;
  return p;
}

/// The length of a variable-length field from its LVAR byte (EN 13757-3 6.3.3): text,
/// positive or negative BCD, binary. Floating and reserved forms are not supported.
std::optional<std::size_t> variable_length(std::uint8_t lvar) {
  if (lvar < 0xC0) return lvar;
  if (lvar <= 0xC9) return lvar - 0xC0U;
  if (lvar >= 0xD0 && lvar <= 0xD9) return lvar - 0xD0U;
  if (lvar >= 0xE0 && lvar <= 0xEF) return lvar - 0xE0U;
  return std::nullopt;
}

/// Reads a DIF or VIF and its extensions from `pos`; false when the block ends first.
std::expected<void, MbusParseError> skip_extended(Bytes block, std::size_t& pos) {
  if (pos >= block.size())
    return std::unexpected(MbusParseError{MbusParseError::Kind::truncated, pos});
  std::size_t extensions = 0;
  while ((block[pos++] & kExtension) != 0) {
    if (pos >= block.size())
      return std::unexpected(MbusParseError{MbusParseError::Kind::truncated, pos});
    if (++extensions > kMaxExtensions) {
      return std::unexpected(MbusParseError{MbusParseError::Kind::too_many_extensions, pos});
    }
  }
  return {};
}

/// One record starting at `pos` (not a filler or manufacturer block); advances `pos`.
std::expected<MbusRecord, MbusParseError> parse_record(Bytes block, std::size_t& pos) {
  const std::size_t start = pos;
  const auto truncated = [&] {
    return std::unexpected(MbusParseError{MbusParseError::Kind::truncated, start});
  };
  if (auto ok = skip_extended(block, pos); !ok) return std::unexpected(ok.error());
  const std::size_t vif_at = pos;
  if (auto ok = skip_extended(block, pos); !ok) return std::unexpected(ok.error());
  if ((block[vif_at] & ~kExtension) == kPlainTextVif) {
    if (pos >= block.size() || block.size() - pos - 1 < block[pos]) return truncated();
    pos += 1U + block[pos];
  }
  const std::size_t header_end = pos;
  const MbusDataField field = data_field(block[start]);
  std::size_t length = field.bytes;
  if (field.coding == MbusCoding::variable) {
    if (pos >= block.size()) return truncated();
    const auto lvar = variable_length(block[pos]);
    if (!lvar) return std::unexpected(MbusParseError{MbusParseError::Kind::bad_length, start});
    length = 1 + *lvar;
  }
  if (block.size() - pos < length) return truncated();
  MbusRecord record{{block.begin() + static_cast<std::ptrdiff_t>(start),
                     block.begin() + static_cast<std::ptrdiff_t>(header_end)},
                    {block.begin() + static_cast<std::ptrdiff_t>(pos),
                     block.begin() + static_cast<std::ptrdiff_t>(pos + length)}};
  pos += length;
  return record;
}

std::optional<std::int64_t> decode_bcd(Bytes data) {
  std::int64_t value = 0;
  bool negative = false;
  for (std::size_t i = data.size(); i-- > 0;) {
    for (const int shift : {4, 0}) {
      const int digit = (data[i] >> shift) & 0xF;
      if (digit == 0xF && i + 1 == data.size() && shift == 4) {
        negative = true;
      } else if (digit > 9) {
        return std::nullopt;
      } else {
        value = value * 10 + digit;
      }
    }
  }
  return negative ? -value : value;
}

void append_bcd(std::int64_t value, std::size_t bytes, std::vector<std::uint8_t>& out) {
  std::uint64_t magnitude =
      value < 0 ? static_cast<std::uint64_t>(-value) : static_cast<std::uint64_t>(value);
  for (std::size_t i = 0; i < bytes; ++i) {
    const auto low = magnitude % 10;
    const auto high = (magnitude / 10) % 10;
    out.push_back(static_cast<std::uint8_t>(high << 4 | low));
    magnitude /= 100;
  }
  if (value < 0 && bytes > 0) out.back() |= 0xF0;
}

}  // namespace

MbusDataField data_field(std::uint8_t dif) {
  return kDataFields[dif & 0x0FU];
}

std::size_t dib_size(Bytes header) {
  std::size_t n = 1;
  while (n < header.size() && (header[n - 1] & kExtension) != 0) ++n;
  return n;
}

std::expected<std::vector<MbusRecord>, MbusParseError> parse_records(Bytes block) {
  std::vector<MbusRecord> records;
  std::size_t pos = 0;
  while (pos < block.size()) {
    const std::uint8_t dif = block[pos];
    if (dif == kIdleFiller) {
      ++pos;
    } else if (dif == kManufacturerData || dif == kManufacturerDataMore) {
      records.push_back(
          {{dif}, {block.begin() + static_cast<std::ptrdiff_t>(pos + 1), block.end()}});
      break;
    } else {
      auto record = parse_record(block, pos);
      if (!record) return std::unexpected(record.error());
      records.push_back(std::move(*record));
    }
  }
  return records;
}

std::uint64_t decode_unsigned(Bytes data) {
  std::uint64_t value = 0;
  for (std::size_t i = std::min<std::size_t>(data.size(), 8); i-- > 0;)
    value = value << 8 | data[i];
  return value;
}

void append_unsigned(std::uint64_t value, std::size_t bytes, std::vector<std::uint8_t>& out) {
  for (std::size_t i = 0; i < bytes; ++i)
    out.push_back(static_cast<std::uint8_t>((value >> (8 * i)) & 0xFFU));
}

std::optional<std::int64_t> decode_value(std::uint8_t dif, Bytes data) {
  const MbusDataField field = data_field(dif);
  if (data.size() != field.bytes) return std::nullopt;
  if (field.coding == MbusCoding::bcd) return decode_bcd(data);
  if (field.coding != MbusCoding::integer) return std::nullopt;
  const std::uint64_t raw = decode_unsigned(data);
  const unsigned bits = 8U * field.bytes;
  if (bits == 64) return static_cast<std::int64_t>(raw);
  const std::uint64_t sign = std::uint64_t{1} << (bits - 1);
  return static_cast<std::int64_t>(raw ^ sign) - static_cast<std::int64_t>(sign);
}

std::int64_t clamp_to_field(std::uint8_t dif, std::int64_t value) {
  const MbusDataField field = data_field(dif);
  const int bytes = field.bytes;
  if (field.coding == MbusCoding::bcd) {
    return std::clamp(value, -(pow10(2 * bytes - 1) - 1), pow10(2 * bytes) - 1);
  }
  if (field.coding != MbusCoding::integer || bytes == 8) return value;
  const std::int64_t max = (std::int64_t{1} << (8 * bytes - 1)) - 1;
  return std::clamp(value, -max - 1, max);
}

void append_value(std::uint8_t dif, std::int64_t value, std::vector<std::uint8_t>& out) {
  const MbusDataField field = data_field(dif);
  const std::int64_t v = clamp_to_field(dif, value);
  if (field.coding == MbusCoding::bcd) return append_bcd(v, field.bytes, out);
  if (field.coding != MbusCoding::integer) return out.resize(out.size() + field.bytes, 0);
  append_unsigned(static_cast<std::uint64_t>(v), field.bytes, out);
}

std::vector<std::uint8_t> encode_value(std::uint8_t dif, std::int64_t value) {
  std::vector<std::uint8_t> out;
  out.reserve(data_field(dif).bytes);
  append_value(dif, value, out);
  return out;
}

}  // namespace ambi
