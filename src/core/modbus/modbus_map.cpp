// Codecs of the register map: one per encoding, both ways, plus reads and writes that span
// several registers and the rendered register table.
#include "core/modbus/modbus_map.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>

#include "core/meter/meter.hpp"
#include "core/modbus/modbus_codec.hpp"

namespace ambi {
namespace {

using Words = std::span<std::uint16_t>;
using ConstWords = std::span<const std::uint16_t>;
using Decoded = std::optional<RegisterValue>;

constexpr auto kNano = static_cast<double>(kNanoPerUnit);
/// Largest float magnitude accepted on decode: keeps billionths inside int64.
constexpr double kMaxDecodedFloat = 1e9;

void put32(Words out, std::uint32_t v) {
  out[0] = static_cast<std::uint16_t>(v >> 16);
  out[1] = static_cast<std::uint16_t>(v & 0xFFFFU);
}
std::uint32_t get32(ConstWords in) {
  return (std::uint32_t{in[0]} << 16) | in[1];
}

/// The low `digits` decimal digits of a non-negative value as BCD nibbles.
std::uint32_t to_bcd(RegisterValue v, int digits) {
  std::uint32_t out = 0;
  auto rest = static_cast<std::uint64_t>(std::max<RegisterValue>(v, 0));
  for (int i = 0; i < digits; ++i, rest /= 10) {
    out |= static_cast<std::uint32_t>(rest % 10) << (4 * i);
  }
  return out;
}
Decoded from_bcd(std::uint32_t bcd, int digits) {
  RegisterValue v = 0;
  for (int i = digits - 1; i >= 0; --i) {
    const std::uint32_t nibble = (bcd >> (4 * i)) & 0xFU;
    if (nibble > 9) return std::nullopt;
    v = v * 10 + nibble;
  }
  return v;
}

void enc_float(RegisterValue v, Words out) {
  const auto f = static_cast<float>(static_cast<double>(v) / kNano);
  put32(out, std::bit_cast<std::uint32_t>(f));
}
/// A counted quantity as Float ABCD, rounded toward zero: the float never shows more than
/// `v` billionths (PRODUCT.md "energy resolution on every face"). `f × 1e9` is exact in
/// long double (24 + 30 significant bits), so the comparison is too.
void enc_float_toward_zero(RegisterValue v, Words out) {
  auto f = static_cast<float>(static_cast<long double>(v) / kNano);
  const long double back = static_cast<long double>(f) * static_cast<long double>(kNanoPerUnit);
  const auto exact = static_cast<long double>(v);
  if ((v >= 0 && back > exact) || (v < 0 && back < exact)) f = std::nextafter(f, 0.0F);
  put32(out, std::bit_cast<std::uint32_t>(f));
}
Decoded dec_float(ConstWords in) {
  const auto f = static_cast<double>(std::bit_cast<float>(get32(in)));
  if (!std::isfinite(f) || std::abs(f) > kMaxDecodedFloat) return std::nullopt;
  return std::llround(f * kNano);
}
void enc_bcd(RegisterValue v, Words out) {
  out[0] = static_cast<std::uint16_t>(to_bcd(v, 4));
}
Decoded dec_bcd(ConstWords in) {
  return from_bcd(in[0], 4);
}
void enc_bcd32(RegisterValue v, Words out) {
  put32(out, to_bcd(v, 8));
}
Decoded dec_bcd32(ConstWords in) {
  return from_bcd(get32(in), 8);
}
void enc_u16(RegisterValue v, Words out) {
  out[0] = static_cast<std::uint16_t>(v);
}
Decoded dec_u16(ConstWords in) {
  return RegisterValue{in[0]};
}
void enc_u32(RegisterValue v, Words out) {
  put32(out, static_cast<std::uint32_t>(v));
}
Decoded dec_u32(ConstWords in) {
  return RegisterValue{get32(in)};
}
void enc_s16(RegisterValue v, Words out) {
  out[0] = static_cast<std::uint16_t>(static_cast<std::int16_t>(v));
}
Decoded dec_s16(ConstWords in) {
  return RegisterValue{static_cast<std::int16_t>(in[0])};
}
void enc_ascii(RegisterValue v, Words out) {
  out[0] = static_cast<std::uint16_t>(v & 0xFF);
}
Decoded dec_ascii(ConstWords in) {
  if (in[0] > 0xFF) return std::nullopt;
  return RegisterValue{in[0]};
}
void enc_zero(RegisterValue, Words out) {
  std::fill(out.begin(), out.end(), std::uint16_t{0});
}
Decoded dec_zero(ConstWords) {
  return RegisterValue{0};
}

struct Codec {
  std::string_view name;
  void (*encode)(RegisterValue, Words);
  Decoded (*decode)(ConstWords);
};
/// Indexed by `Encoding`.
constexpr std::array<Codec, 9> kCodecs{{
    {"float_abcd", &enc_float, &dec_float},
    {"bcd", &enc_bcd, &dec_bcd},
    {"bcd32", &enc_bcd32, &dec_bcd32},
    {"binary_u16", &enc_u16, &dec_u16},
    {"binary_u32", &enc_u32, &dec_u32},
    {"signed16", &enc_s16, &dec_s16},
    {"ascii", &enc_ascii, &dec_ascii},
    {"ct_ratio_bcd", &enc_bcd32, &dec_bcd32},
    {"reserved_zero", &enc_zero, &dec_zero},
}};
const Codec& codec(Encoding e) {
  return kCodecs[static_cast<std::size_t>(e)];
}

struct UnitInfo {
  std::string_view symbol;
  std::int64_t integer_lsb_nano;  ///< 0: no integer form (R17 lists none)
  UnitFormat format;
};
/// Indexed by `Unit`.
constexpr std::array<UnitInfo, 13> kUnits{{
    {"-", 0, {0, false, true}},  // versions: as the float reads
    {"V", 10'000'000, {2, false, false}},
    {"A", 1'000'000, {3, false, false}},
    {"Hz", 10'000'000, {2, false, false}},
    {"kW", 1'000'000, {3, false, false}},
    {"kvar", 1'000'000, {3, false, false}},
    {"kVA", 1'000'000, {3, false, false}},
    {"-", 1'000'000, {3, false, false}},
    {"kWh", 10'000'000, {3, false, false}},
    {"kvarh", 10'000'000, {3, false, false}},
    {"imp/kWh", 0, {2, true, false}},
    {"s", 0, {0, false, false}},
    {"ms", 0, {0, false, false}},
}};
const UnitInfo& unit_info(Unit u) {
  return kUnits[static_cast<std::size_t>(u)];
}

/// Energies are counted: their floats round toward zero.
bool is_counted(Unit unit) {
  return unit == Unit::kwh || unit == Unit::kvarh;
}

/// Integer data mode: billionths → signed 32-bit count of LSBs, cut toward zero (C1).
void enc_integer(RegisterValue v, std::int64_t lsb, Words out) {
  constexpr std::int64_t kMin = std::numeric_limits<std::int32_t>::min();
  constexpr std::int64_t kMax = std::numeric_limits<std::int32_t>::max();
  put32(out, static_cast<std::uint32_t>(std::clamp(v / lsb, kMin, kMax)));
}

}  // namespace

std::string_view to_string(Encoding encoding) {
  return codec(encoding).name;
}
std::string_view unit_symbol(Unit unit) {
  return unit_info(unit).symbol;
}
std::int64_t integer_lsb_nano(Unit unit) {
  return unit_info(unit).integer_lsb_nano;
}
UnitFormat unit_format(Unit unit) {
  return unit_info(unit).format;
}

bool sent_as_integer(const RegisterDef& def, DataType type) {
  return type == DataType::integer && def.encoding == Encoding::float_abcd &&
         integer_lsb_nano(def.unit) != 0;
}

void encode_register(const RegisterDef& def, RegisterValue value, DataType type, Words out) {
  if (sent_as_integer(def, type)) {
    enc_integer(value, integer_lsb_nano(def.unit), out);
  } else if (def.encoding == Encoding::float_abcd && is_counted(def.unit)) {
    enc_float_toward_zero(value, out);
  } else {
    codec(def.encoding).encode(value, out);
  }
}

std::optional<RegisterValue> decode_register(const RegisterDef& def, ConstWords words,
                                             DataType type) {
  if (sent_as_integer(def, type)) {
    return RegisterValue{static_cast<std::int32_t>(get32(words))} * integer_lsb_nano(def.unit);
  }
  return codec(def.encoding).decode(words);
}

double in_unit(const RegisterDef& def, RegisterValue value) {
  const auto v = static_cast<double>(value);
  return def.encoding == Encoding::float_abcd ? v / kNano : v;
}

namespace {

/// Hands `emit` the words of `count` registers from `start`, in order; false at the first
/// unmapped address (after the words before it).
template <class Emit>
bool for_each_word(const Meter& meter, std::uint16_t start, std::uint16_t count, Emit emit) {
  const std::uint32_t end = std::uint32_t{start} + count;
  std::array<std::uint16_t, 16> buffer{};
  for (std::uint32_t addr = start; addr < end;) {
    const RegisterDef* def =
        addr <= 0xFFFF ? find_register(static_cast<std::uint16_t>(addr)) : nullptr;
    if (def == nullptr) return false;
    const auto words = std::span(buffer).first(def->words);
    encode_register(*def, def->source(meter), meter.settings().data_type, words);
    const std::uint32_t stop = std::min(def->end(), end);
    for (std::uint32_t a = addr; a < stop; ++a) emit(words[a - def->address]);
    addr = stop;
  }
  return true;
}

}  // namespace

std::optional<std::vector<std::uint16_t>> read_words(const Meter& meter, std::uint16_t start,
                                                     std::uint16_t count) {
  std::vector<std::uint16_t> out;
  out.reserve(count);
  if (!for_each_word(meter, start, count, [&out](std::uint16_t w) { out.push_back(w); }))
    return std::nullopt;
  return out;
}

bool append_register_bytes(const Meter& meter, std::uint16_t start, std::uint16_t count,
                           std::vector<std::uint8_t>& out) {
  const std::size_t before = out.size();
  out.reserve(before + 2 * std::size_t{count});
  const bool ok =
      for_each_word(meter, start, count, [&out](std::uint16_t w) { append_be16(out, w); });
  if (!ok) out.resize(before);
  return ok;
}

std::expected<std::vector<Command>, WriteError> plan_write(std::uint16_t start, ConstWords words,
                                                           DataType type) {
  std::vector<const RegisterDef*> defs;
  for (std::size_t i = 0; i < words.size();) {
    const std::size_t addr = std::size_t{start} + i;
    const RegisterDef* def =
        addr <= 0xFFFF ? find_register(static_cast<std::uint16_t>(addr)) : nullptr;
    if (def == nullptr || def->write == nullptr || def->address != addr ||
        i + def->words > words.size()) {
      return std::unexpected(WriteError::not_writable);
    }
    defs.push_back(def);
    i += def->words;
  }
  std::vector<Command> commands;
  std::size_t offset = 0;
  for (const RegisterDef* def : defs) {
    const auto value = decode_register(*def, words.subspan(offset, def->words), type);
    const auto command = value ? def->write(*value) : std::nullopt;
    if (!command) return std::unexpected(WriteError::bad_value);
    commands.push_back(*command);
    offset += def->words;
  }
  return commands;
}

std::string_view to_string(RegisterGroup group) {
  constexpr std::array<std::string_view, 6> kNames{"identity", "settings", "status",
                                                   "instant",  "energy",   ""};
  static_assert(static_cast<std::size_t>(RegisterGroup::none) + 1 == kNames.size());
  return kNames[static_cast<std::size_t>(group)];
}

std::string render_register_table() {
  return "<!-- Generated from src/core/modbus/modbus_map_table.cpp by\n"
         "     tests/unit/core/modbus/modbus_docs_test.cpp.\n"
         "     Do not edit: run the unit tests with AMBI_REGEN_DOCS=1 to rewrite it. -->\n"
         "# Modbus registers\n\n"
         "Every register of manual A3.2 as the twin serves it; see docs/modbus.md for the\n"
         "encodings, the integer data mode (unverified) and the exceptions.\n\n"
         "`group` is the reader's `ambimeter read --group` that reads the register.\n\n" +
         render_register_markdown();
}

std::string render_register_markdown() {
  std::string out =
      "| address | name | description | group | words | encoding | unit | access | write FC | "
      "integer mode (4026 = 2) |\n"
      "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const RegisterDef& def : register_map()) {
    const std::string write = def.access() == Access::read ? "" : def.words == 1 ? "06, 16" : "16";
    std::string integer;
    if (sent_as_integer(def, DataType::integer)) {
      const std::string_view symbol = unit_symbol(def.unit);
      integer =
          fmt::format("int32 × {:g}{}{}", static_cast<double>(integer_lsb_nano(def.unit)) / kNano,
                      symbol == "-" ? "" : " ", symbol == "-" ? "" : symbol);
    }
    fmt::format_to(std::back_inserter(out),
                   "| 0x{:04X} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", def.address,
                   def.name, def.description, to_string(def.group), def.words,
                   to_string(def.encoding), unit_symbol(def.unit),
                   def.access() == Access::read ? "read" : "read_write", write, integer);
  }
  return out;
}

}  // namespace ambi
