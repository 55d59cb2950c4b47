#pragma once
// EN 13757-3 data records, with no knowledge of the meter: splitting a record block into
// records, and the integer and BCD codecs of their data fields.
//
// A data record is | DIF | DIFE... | VIF | VIFE... | (plain-text unit) | data |. The header
// bytes (DIF to the last VIFE, with any plain-text unit) name a record; the low nibble of
// the DIF says how the data is coded. Integers are little-endian two's complement (type B),
// BCD digits are least significant byte first with an F in the top nibble for a negative
// value (type A).

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <initializer_list>
#include <optional>
#include <span>
#include <vector>

namespace ambi {

/// How a data field is coded: the low nibble of the DIF (EN 13757-3 Table 4).
enum class MbusCoding : std::uint8_t { none, integer, real, bcd, variable, special };
struct MbusDataField {
  MbusCoding coding;
  std::uint8_t bytes;  ///< fixed length; 0 for none, variable and special
};
[[nodiscard]] MbusDataField data_field(std::uint8_t dif);

/// The header bytes of a record (DIF, DIFEs, VIF, VIFEs, plain text), at most 8.
struct MbusHeader {
  std::array<std::uint8_t, 8> bytes{};
  std::uint8_t size = 0;
  constexpr MbusHeader(std::initializer_list<std::uint8_t> list) {
    for (const std::uint8_t b : list) bytes[size++] = b;
  }
  [[nodiscard]] constexpr std::span<const std::uint8_t> view() const {
    return {bytes.data(), size};
  }
  [[nodiscard]] constexpr std::uint8_t dif() const { return bytes[0]; }
};

/// The number of DIF and DIFE bytes at the start of a record header (the data information
/// block); the rest is the value information block.
[[nodiscard]] std::size_t dib_size(std::span<const std::uint8_t> header);

/// One data record as it travels.
struct MbusRecord {
  std::vector<std::uint8_t> header;  ///< DIF ... last VIFE, plain-text unit included
  std::vector<std::uint8_t> data;    ///< a variable-length field starts with its LVAR byte
  friend bool operator==(const MbusRecord&, const MbusRecord&) = default;
};

/// Why a record block could not be split into records.
struct MbusParseError {
  enum class Kind : std::uint8_t {
    truncated,            ///< the bytes end inside a record
    too_many_extensions,  ///< more than 10 DIFEs or 10 VIFEs
    bad_length,           ///< a variable-length LVAR the meter does not know (F0-FF)
    short_header,         ///< an RSP_UD of fewer than the 12 fixed header bytes
  };
  Kind kind;
  std::size_t offset = 0;  ///< where in the block
  friend bool operator==(const MbusParseError&, const MbusParseError&) = default;
};

/// Splits a record block into records. Idle fillers (2F) are skipped; a DIF 0F or 1F makes
/// the rest of the block one manufacturer-specific record (header {DIF}).
[[nodiscard]] std::expected<std::vector<MbusRecord>, MbusParseError> parse_records(
    std::span<const std::uint8_t> block);

/// The value of an integer or BCD data field of DIF `dif`; nullopt for other codings, a
/// length that does not match the DIF, or a BCD nibble above 9 (F only as the top sign).
[[nodiscard]] std::optional<std::int64_t> decode_value(std::uint8_t dif,
                                                       std::span<const std::uint8_t> data);
/// The data bytes of `value` for DIF `dif` (integer or BCD), clamped to what the field can
/// carry; `bytes` zeros for other codings.
[[nodiscard]] std::vector<std::uint8_t> encode_value(std::uint8_t dif, std::int64_t value);
/// Appends what `encode_value` returns to `out`, without a buffer of its own.
void append_value(std::uint8_t dif, std::int64_t value, std::vector<std::uint8_t>& out);
/// `value` limited to the range of DIF `dif`'s data field (int24: ±8388607; bcd4: -999..9999).
[[nodiscard]] std::int64_t clamp_to_field(std::uint8_t dif, std::int64_t value);
/// Little-endian unsigned value of `data` (8 bytes at most).
[[nodiscard]] std::uint64_t decode_unsigned(std::span<const std::uint8_t> data);
/// Appends the `bytes` low bytes of `value`, least significant first.
void append_unsigned(std::uint64_t value, std::size_t bytes, std::vector<std::uint8_t>& out);

}  // namespace ambi
