#pragma once
// The Modbus register map of manual A3.2, declared once (modbus_map_table.cpp) and used
// both ways: the meter encodes its registers through it, a reader decodes them through it,
// the writes of the "Write" table become meter commands through it, and the register
// table in docs/modbus-registers.md is rendered from it.
//
// Values travel as one integer per register (`RegisterValue`): for Float ABCD registers it
// is the value in billionths of the register's unit (finer than a float for any value
// above 0.01, and exact for energy and power: mWh × 1000 for kWh), for the other encodings it is
// the plain number the register carries (a BCD register's decimal value, a code, an ASCII
// character).

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/meter/commands.hpp"
#include "core/meter/setting_table.hpp"
#include "core/meter/settings.hpp"

namespace ambi {

class Meter;

/// How a register's words carry its value (PRODUCT.md rulings on "HEX" and data types).
enum class Encoding : std::uint8_t {
  float_abcd,     ///< IEEE 754 single, high word first; int32 in integer data mode (4026 = 2)
  bcd,            ///< one word, 4 BCD digits ("HEX" cells: 4002, 400C, 4010, 4021)
  bcd32,          ///< two words, 8 BCD digits, high word first (4000, 401B, 4023)
  binary_u16,     ///< one unsigned word
  binary_u32,     ///< two words, unsigned, high word first (status word 401D)
  signed16,       ///< one two's complement word ("Signed" cells)
  ascii,          ///< one character in the low byte (4012-4014: 'F' / 'R')
  ct_ratio_bcd,   ///< 401F: primary as 4 BCD digits, then secondary as 4 BCD digits
  reserved_zero,  ///< reserved inside a block: reads 0 (4025, 4027-4031)
};

/// The unit of a register, and with it its integer-data-mode resolution.
enum class Unit : std::uint8_t {
  none,
  volt,
  amp,
  hertz,
  kw,
  kvar,
  kva,
  power_factor,
  kwh,
  kvarh,
  imp_per_kwh,
  second,
  millisecond,
};

/// Whether a register can be written (the manual's "Write" table).
enum class Access : std::uint8_t { read, read_write };

/// Billionths of the unit (Float ABCD) or the plain number (every other encoding).
using RegisterValue = std::int64_t;
/// The value source of a register: what the meter shows there.
using ValueSource = RegisterValue (*)(const Meter&);
/// Turns a decoded written value into the command it asks for; nullopt when the value
/// cannot be such a command (exception 03).
using CommandMaker = std::optional<Command> (*)(RegisterValue);

/// The groups a reader names (`ambimeter read --group`): `status` holds the error code, the
/// power-down counter, the status word, quadrants and current directions; `none` the
/// reserved spans.
enum class RegisterGroup : std::uint8_t { identity, settings, status, instant, energy, none };
/// "identity" ... "energy" (the reader's `--group` names); "" for none.
[[nodiscard]] std::string_view to_string(RegisterGroup group);

/// One register (or reserved span) of A3.2.
struct RegisterDef {
  std::uint16_t address;
  std::uint8_t words;
  std::string_view name;  ///< snake_case, unique
  Encoding encoding;
  Unit unit;
  ValueSource source;
  CommandMaker write = nullptr;  ///< set for the registers of the "Write" table
  RegisterGroup group = RegisterGroup::none;
  /// What the register holds, in the manual's and the app's words ("L1 Voltage", "Exp.
  /// capacitive reactive energy in Q2 (T1)": quadrants by their IEC numbers, R28).
  std::string_view description = {};
  /// The setting the register carries; its codes' names are the settings table's.
  std::optional<SettingId> setting = std::nullopt;

  [[nodiscard]] constexpr Access access() const {
    return write != nullptr ? Access::read_write : Access::read;
  }
  [[nodiscard]] constexpr std::uint32_t end() const { return std::uint32_t{address} + words; }
};

/// Every register of the 0x4000, 0x5000 and 0x6000 blocks, sorted by address.
[[nodiscard]] std::span<const RegisterDef> register_map();
/// The register whose words include `address`; nullptr when unmapped.
[[nodiscard]] const RegisterDef* find_register(std::uint16_t address);
/// The register called `name`; nullptr when there is none.
[[nodiscard]] const RegisterDef* find_register(std::string_view name);

/// How a value in a unit is written for people (the reader, the app's export): a fixed
/// number of decimals — V and Hz 2; A, kW, kvar, kVA, PF, kWh and kvarh 3 — trailing zeros
/// trimmed (imp/kWh), or the float as it reads (versions: "1.02").
struct UnitFormat {
  int decimals = 0;
  bool trim = false;
  bool shortest = false;
};
[[nodiscard]] UnitFormat unit_format(Unit unit);

/// Short names for docs and tools ("float_abcd", "V").
[[nodiscard]] std::string_view to_string(Encoding encoding);
[[nodiscard]] std::string_view unit_symbol(Unit unit);
/// Billionths of the unit per least significant bit in integer data mode (R17): 10^7 for
/// V (0.01 V), Hz and kWh/kvarh; 10^6 for A, kW, kvar, kVA and PF (0.001); 0 when the unit
/// has no integer form and the register stays Float ABCD.
[[nodiscard]] std::int64_t integer_lsb_nano(Unit unit);
/// Billionths per unit: the scale of Float ABCD register values.
inline constexpr std::int64_t kNanoPerUnit = 1'000'000'000;

/// The encoding a register uses under the data type setting: Float ABCD registers with an
/// integer resolution are sent as a signed 32-bit integer when the data type is integer.
[[nodiscard]] bool sent_as_integer(const RegisterDef& def, DataType type);

/// Writes `value` into `out` (exactly `def.words` words) as the register carries it. A
/// Float ABCD energy (kWh, kvarh) is rounded toward zero, so that it never shows more than
/// was counted; other floats round to nearest.
void encode_register(const RegisterDef& def, RegisterValue value, DataType type,
                     std::span<std::uint16_t> out);
/// Reads a register's words back (exactly `def.words`); nullopt for a malformed value
/// (a BCD nibble above 9, a non-finite or huge float).
[[nodiscard]] std::optional<RegisterValue> decode_register(const RegisterDef& def,
                                                           std::span<const std::uint16_t> words,
                                                           DataType type);
/// A decoded value in the register's unit (kWh, V...); the plain number for the others.
[[nodiscard]] double in_unit(const RegisterDef& def, RegisterValue value);

/// The words of `count` registers from `start`, from the meter's present state. A read may
/// begin or end inside a 2-word value. nullopt when any address is unmapped (R6).
[[nodiscard]] std::optional<std::vector<std::uint16_t>> read_words(const Meter& meter,
                                                                   std::uint16_t start,
                                                                   std::uint16_t count);

/// The same words big-endian at the end of `out` (as a read response carries them); false,
/// with `out` as it was, when any address is unmapped.
[[nodiscard]] bool append_register_bytes(const Meter& meter, std::uint16_t start,
                                         std::uint16_t count, std::vector<std::uint8_t>& out);

/// Why a write cannot become commands.
enum class WriteError : std::uint8_t {
  not_writable,  ///< unmapped, read-only, or not covering whole values (exception 02)
  bad_value,     ///< malformed or impossible value (exception 03)
};

/// The commands that writing `words` from `start` asks for, one per register covered.
/// Every register must be writable and covered whole (a 2-word value needs both words).
[[nodiscard]] std::expected<std::vector<Command>, WriteError> plan_write(
    std::uint16_t start, std::span<const std::uint16_t> words, DataType type);

/// docs/modbus-registers.md: a preamble, then `render_register_markdown()`.
[[nodiscard]] std::string render_register_table();
/// The markdown table of every register, one row per entry of `register_map()` (reserved
/// spans included): what `ambimeter map --format md` prints.
[[nodiscard]] std::string render_register_markdown();

}  // namespace ambi
