// EN 13757-3 data records: splitting a record block, the integer and BCD codecs, the
// meter's RSP_UD both ways, SND_UD write planning and the rendered record tables.
#include "core/mbus/mbus_records.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

#include "core/codec/hex.hpp"
#include "core/meter/meter.hpp"

namespace ambi {
namespace {

using Bytes = std::span<const std::uint8_t>;
constexpr std::uint8_t kExtension = 0x80;
constexpr std::size_t kMaxExtensions = 10;
constexpr std::uint8_t kIdleFiller = 0x2F;
constexpr std::uint8_t kPlainTextVif = 0x7C;

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

std::vector<std::uint8_t> encode_bcd(std::int64_t value, std::size_t bytes) {
  std::vector<std::uint8_t> out(bytes);
  std::uint64_t magnitude =
      value < 0 ? static_cast<std::uint64_t>(-value) : static_cast<std::uint64_t>(value);
  for (std::size_t i = 0; i < bytes; ++i) {
    const auto low = magnitude % 10;
    const auto high = (magnitude / 10) % 10;
    out[i] = static_cast<std::uint8_t>(high << 4 | low);
    magnitude /= 100;
  }
  if (value < 0) out.back() |= 0xF0;
  return out;
}

/// The number of DIF and DIFE bytes at the start of a header.
std::size_t dib_size(Bytes header) {
  std::size_t n = 1;
  while (n < header.size() && (header[n - 1] & kExtension) != 0) ++n;
  return n;
}

std::string coding_name(std::uint8_t dif) {
  const MbusDataField field = data_field(dif);
  if (field.coding == MbusCoding::bcd) return fmt::format("bcd{}", field.bytes * 2);
  return fmt::format("int{}", field.bytes * 8);
}

}  // namespace

MbusDataField data_field(std::uint8_t dif) {
  return kDataFields[dif & 0x0FU];
}

std::expected<std::vector<MbusRecord>, MbusParseError> parse_records(Bytes block) {
  std::vector<MbusRecord> records;
  std::size_t pos = 0;
  while (pos < block.size()) {
    const std::uint8_t dif = block[pos];
    if (dif == kIdleFiller) {
      ++pos;
    } else if (dif == 0x0F || dif == 0x1F) {
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

std::vector<std::uint8_t> encode_value(std::uint8_t dif, std::int64_t value) {
  const MbusDataField field = data_field(dif);
  const std::int64_t v = clamp_to_field(dif, value);
  if (field.coding == MbusCoding::bcd) return encode_bcd(v, field.bytes);
  std::vector<std::uint8_t> out(field.bytes);
  if (field.coding != MbusCoding::integer) return out;
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::uint8_t>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xFFU);
  }
  return out;
}

const MbusRecordDef* find_mbus_record(Bytes header) {
  const auto defs = mbus_read_records();
  const auto it = std::find_if(defs.begin(), defs.end(), [&](const MbusRecordDef& d) {
    return std::ranges::equal(d.header.view(), header);
  });
  return it == defs.end() ? nullptr : &*it;
}

const MbusRecordDef* find_mbus_record(std::string_view name) {
  const auto defs = mbus_read_records();
  const auto it = std::find_if(defs.begin(), defs.end(),
                               [&](const MbusRecordDef& d) { return d.name == name; });
  return it == defs.end() ? nullptr : &*it;
}

double in_unit(const MbusRecordDef& def, std::int64_t raw) {
  return static_cast<double>(raw) * std::pow(10.0, def.exponent);
}

std::expected<std::vector<Command>, MbusWriteError> plan_mbus_write(Bytes block) {
  const auto records = parse_records(block);
  if (!records) return std::unexpected(MbusWriteError::malformed);
  const auto defs = mbus_write_records();
  std::vector<Command> commands;
  for (const MbusRecord& record : *records) {
    const auto def = std::find_if(defs.begin(), defs.end(), [&](const MbusWriteDef& d) {
      return std::ranges::equal(d.header.view(), record.header);
    });
    if (def == defs.end()) return std::unexpected(MbusWriteError::not_writable);
    auto command = def->make(record.header[0], record.data);
    if (!command) return std::unexpected(MbusWriteError::bad_value);
    commands.push_back(*command);
  }
  return commands;
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

MbusDataHeader meter_data_header(const Meter& meter, std::uint8_t access_number) {
  return MbusDataHeader{meter.settings().mbus_secondary_id,
                        kManufacturerInepro,
                        static_cast<std::uint8_t>(meter.identity().software_version),
                        kMediumElectricity,
                        access_number,
                        meter.error_code() != 0 ? kStatusApplicationError : std::uint8_t{0},
                        0};
}

std::vector<std::uint8_t> encode_rsp_ud(const Meter& meter, std::uint8_t access_number) {
  const MbusDataHeader h = meter_data_header(meter, access_number);
  std::vector<std::uint8_t> out;
  const auto put = [&](std::uint64_t value, std::size_t bytes) {
    for (std::size_t i = 0; i < bytes; ++i)
      out.push_back(static_cast<std::uint8_t>((value >> (8 * i)) & 0xFFU));
  };
  put(h.id_bcd, 4);
  put(h.manufacturer, 2);
  put(h.version, 1);
  put(h.medium, 1);
  put(h.access_number, 1);
  put(h.status, 1);
  put(h.signature, 2);
  for (const MbusRecordDef& def : mbus_read_records()) {
    const auto header = def.header.view();
    out.insert(out.end(), header.begin(), header.end());
    const auto data = encode_value(def.header.dif(), def.source(meter));
    out.insert(out.end(), data.begin(), data.end());
  }
  return out;
}

std::expected<MbusReadout, MbusParseError> decode_rsp_ud(Bytes user_data) {
  if (user_data.size() < kMbusDataHeaderSize) {
    return std::unexpected(MbusParseError{MbusParseError::Kind::short_header, user_data.size()});
  }
  MbusReadout out;
  MbusDataHeader& h = out.header;
  h.id_bcd = static_cast<std::uint32_t>(decode_unsigned(user_data.subspan(0, 4)));
  h.manufacturer = static_cast<std::uint16_t>(decode_unsigned(user_data.subspan(4, 2)));
  h.version = user_data[6];
  h.medium = user_data[7];
  h.access_number = user_data[8];
  h.status = user_data[9];
  h.signature = static_cast<std::uint16_t>(decode_unsigned(user_data.subspan(10, 2)));
  auto records = parse_records(user_data.subspan(kMbusDataHeaderSize));
  if (!records) {
    MbusParseError error = records.error();
    error.offset += kMbusDataHeaderSize;
    return std::unexpected(error);
  }
  for (MbusRecord& record : *records) {
    const MbusRecordDef* def = find_mbus_record(record.header);
    const auto value = decode_value(record.header[0], record.data);
    out.values.push_back({def, std::move(record), value});
  }
  return out;
}

std::string render_mbus_record_table() {
  std::string out =
      "<!-- Generated from src/core/mbus_records_table.cpp by tests/unit/mbus_docs_test.cpp.\n"
      "     Do not edit: run the unit tests with AMBI_REGEN_DOCS=1 to rewrite it. -->\n"
      "# M-bus records\n\n"
      "The data records of the meter's RSP_UD (manual A2.2 \"Read\" and \"Read (2)\"), in the\n"
      "order they are sent, and the records the meter accepts in an SND_UD with CI 51 "
      "(\"Write\").\n"
      "See docs/mbus.md for the header, the addressing and the link layer.\n\n"
      "## Read (RSP_UD, CI 72)\n\n"
      "| # | name | contents | DIF DIFE | VIF VIFE | data | unit | example |\n"
      "|---|---|---|---|---|---|---|---|\n";
  int row = 0;
  for (const MbusRecordDef& def : mbus_read_records()) {
    const auto header = def.header.view();
    const std::size_t dib = dib_size(header);
    const std::string step = fmt::format("{:g}", std::pow(10.0, def.exponent));
    const std::string unit = def.unit == "-"     ? (def.exponent == 0 ? "-" : step)
                             : def.exponent == 0 ? std::string(def.unit)
                                                 : fmt::format("{} {}", step, def.unit);
    fmt::format_to(std::back_inserter(out), "| {} | {} | {} | {} | {} | {} | {} | {} = `{}` |\n",
                   ++row, def.name, def.description, hex_bytes(header.first(dib)),
                   hex_bytes(header.subspan(dib)), coding_name(def.header.dif()), unit, def.example,
                   hex_bytes(encode_value(def.header.dif(), def.example)));
  }
  out +=
      "\n## Write (SND_UD, CI 51)\n\n| name | effect | DIF | VIF VIFE | data "
      "|\n|---|---|---|---|---|\n";
  for (const MbusWriteDef& def : mbus_write_records()) {
    const auto header = def.header.view();
    const std::size_t dib = dib_size(header);
    fmt::format_to(std::back_inserter(out), "| {} | {} | {} | {} | {} |\n", def.name,
                   def.description, hex_bytes(header.first(dib)), hex_bytes(header.subspan(dib)),
                   coding_name(def.header.dif()));
  }
  return out;
}

}  // namespace ambi
