#pragma once
// M-bus application layer (EN 13757-3) of the meter: the data records of manual A2.2,
// declared once (mbus_records_table.cpp) and used both ways. The meter encodes its RSP_UD
// through them, a reader decodes an RSP_UD back into named values through them, the SND_UD
// writes of the "Write" table become meter commands through them, and docs/mbus-records.md
// is rendered from them.
//
// A data record is | DIF | DIFE... | VIF | VIFE... | (plain-text unit) | data |. The header
// bytes (DIF to the last VIFE, with any plain-text unit) name a record; the low nibble of
// the DIF says how the data is coded. Integers are little-endian two's complement (type B),
// BCD digits are least significant byte first with an F in the top nibble for a negative
// value (type A).

#include <array>
#include <cstdint>
#include <expected>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/meter/commands.hpp"

namespace ambi {

class Meter;

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
/// `value` limited to the range of DIF `dif`'s data field (int24: ±8388607; bcd4: -999..9999).
[[nodiscard]] std::int64_t clamp_to_field(std::uint8_t dif, std::int64_t value);
/// Little-endian unsigned value of `data` (8 bytes at most).
[[nodiscard]] std::uint64_t decode_unsigned(std::span<const std::uint8_t> data);

/// A record's value from the meter's present state, in steps of the record's resolution.
using MbusValueSource = std::int64_t (*)(const Meter&);

/// One record of the manual's "Read" and "Read (2)" tables, in RSP_UD order.
struct MbusRecordDef {
  std::string_view name;         ///< snake_case, unique
  std::string_view description;  ///< the quantity, as the manual's "Contents" column names it
  MbusHeader header;
  std::string_view unit;  ///< "Wh", "V", ...; "-" for a plain number
  int exponent;           ///< the value is `raw × 10^exponent unit`
  std::int64_t example;   ///< the manual's example value (raw)
  MbusValueSource source;
};
/// Every record of the meter's RSP_UD, in order.
[[nodiscard]] std::span<const MbusRecordDef> mbus_read_records();
/// The record whose header is exactly `header`; nullptr when there is none.
[[nodiscard]] const MbusRecordDef* find_mbus_record(std::span<const std::uint8_t> header);
[[nodiscard]] const MbusRecordDef* find_mbus_record(std::string_view name);
/// A raw value in the record's unit (230.12 for 23012 at 0.01 V).
[[nodiscard]] double in_unit(const MbusRecordDef& def, std::int64_t raw);

/// Turns a written record's data into the command it asks for; nullopt for a value that
/// cannot be such a command.
using MbusCommandMaker = std::optional<Command> (*)(std::uint8_t dif,
                                                    std::span<const std::uint8_t> data);
/// One record of the manual's "Write" table (sent with SND_UD, CI 51).
struct MbusWriteDef {
  std::string_view name;
  std::string_view description;
  MbusHeader header;
  MbusCommandMaker make;
};
[[nodiscard]] std::span<const MbusWriteDef> mbus_write_records();

/// Why an SND_UD record block cannot become commands. The meter answers none of them.
enum class MbusWriteError : std::uint8_t {
  malformed,     ///< the block does not split into records
  not_writable,  ///< a record that is not in the Write table
  bad_value,     ///< a value that cannot be the command (BCD nibble > 9...)
};
/// The commands an SND_UD data-send block (CI 51) asks for, one per record, in order.
[[nodiscard]] std::expected<std::vector<Command>, MbusWriteError> plan_mbus_write(
    std::span<const std::uint8_t> block);

/// The fixed data header of a variable data structure (EN 13757-3 6.3; manual A2.2).
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

/// Three letters A-Z packed as EN 13757-3 6.3.3 ("INM" → 0x25CD); 0 for anything else.
[[nodiscard]] std::uint16_t manufacturer_id(std::string_view letters);
/// The letters of a packed manufacturer id ("INM").
[[nodiscard]] std::string manufacturer_letters(std::uint16_t id);

/// The header the meter sends: secondary address, INM, major software version, electricity,
/// `access_number`, status 00 (02 when the meter reports an error code), signature 0.
[[nodiscard]] MbusDataHeader meter_data_header(const Meter& meter, std::uint8_t access_number);
/// The user data of the meter's RSP_UD (after CI 72): the header, then every record.
[[nodiscard]] std::vector<std::uint8_t> encode_rsp_ud(const Meter& meter,
                                                      std::uint8_t access_number);

/// A decoded record: the table's definition when known, and its value when decodable.
struct MbusValue {
  const MbusRecordDef* def = nullptr;
  MbusRecord record;
  std::optional<std::int64_t> value;
};
/// A decoded RSP_UD.
struct MbusReadout {
  MbusDataHeader header;
  std::vector<MbusValue> values;
};
/// Decodes RSP_UD user data (after CI 72). Records the table does not know are kept with
/// `def == nullptr`.
[[nodiscard]] std::expected<MbusReadout, MbusParseError> decode_rsp_ud(
    std::span<const std::uint8_t> user_data);

/// The markdown tables of every read and write record (docs/mbus-records.md).
[[nodiscard]] std::string render_mbus_record_table();

}  // namespace ambi
