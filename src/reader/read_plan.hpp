#pragma once
// How a reader asks a meter for its registers (manual A3.2): which registers form the groups
// a user names, how few contiguous FC 03 block reads cover a set of registers, and how the
// words that come back decode into values and text. Pure: the transport lives in src/tools.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/modbus/modbus_codec.hpp"
#include "core/modbus/modbus_map.hpp"

namespace ambi {

/// The group a mapped register belongs to (its row's); nullopt for the reserved spans.
[[nodiscard]] std::optional<RegisterGroup> register_group(const RegisterDef& def);
/// Parses a group name; nullopt for anything else ("all" is handled by the caller).
[[nodiscard]] std::optional<RegisterGroup> parse_register_group(std::string_view name);
/// Every register of `group`, in address order (reserved spans excluded).
[[nodiscard]] std::vector<const RegisterDef*> registers_in(RegisterGroup group);
/// Every mapped register that is not reserved, in address order.
[[nodiscard]] std::vector<const RegisterDef*> all_registers();

/// One FC 03 request: `count` words from `start`.
struct BlockRead {
  std::uint16_t start = 0;
  std::uint16_t count = 0;
  friend bool operator==(const BlockRead&, const BlockRead&) = default;
};

/// The most words one FC 03 request may ask for (Modbus application protocol 6.3).
inline constexpr std::uint16_t kMaxReadWords = kMaxReadRegisters;

/// As few block reads as cover every register of `wanted` (any order, duplicates allowed):
/// a block never spans an unmapped address (the meter would answer exception 02, R6), may
/// include reserved spans and unwanted registers between wanted ones, and holds at most
/// `max_words` words. Blocks come out in address order, and each covers whole registers
/// (one longer than `max_words` gets a block of its own). Addresses that are not the first
/// word of a mapped register are ignored.
[[nodiscard]] std::vector<BlockRead> plan_block_reads(std::span<const RegisterDef* const> wanted,
                                                      std::uint16_t max_words = kMaxReadWords);

/// One register as read: its definition, its raw words and the decoded value (nullopt when
/// the words are malformed, e.g. a BCD nibble above 9).
struct RegisterReading {
  const RegisterDef* def = nullptr;
  std::vector<std::uint16_t> words;
  std::optional<RegisterValue> value;
};

/// Decodes `wanted` (in the order given) out of the words returned for `plan`
/// (`replies[i]` holds the words of `plan[i]`). `type` is the meter's data type setting
/// (register 4026), which decides how Float ABCD registers with an integer form travel.
/// A register not covered by the plan, or by a reply shorter than asked, gets no value.
[[nodiscard]] std::vector<RegisterReading> decode_block_reads(
    std::span<const RegisterDef* const> wanted, std::span<const BlockRead> plan,
    std::span<const std::vector<std::uint16_t>> replies, DataType type);

/// The value as a person reads it, without the unit: "230.01", "8760.000", "F", "500/5",
/// "19020246", "C-04", "even", "9600", "on", "integer", "0x00000005" (status word).
/// Codes are spelled as the settings JSON of the control API spells them; a code outside
/// the register's list reads "code N". Floats: V and Hz 2 decimals; A, kW, kvar, kVA, PF,
/// kWh and kvarh 3; imp/kWh as many as needed (0-2); versions as the float reads ("1.02").
[[nodiscard]] std::string format_register(const RegisterDef& def, RegisterValue value);
/// The value as a number in the register's unit (kWh, V ...; the plain number for codes,
/// BCD and ASCII registers): what `--format json` and the log store.
[[nodiscard]] double register_number(const RegisterDef& def, RegisterValue value);

}  // namespace ambi
