#pragma once
// The meter's M-bus data records (manual A2.2), declared once (mbus_records_table.cpp) and
// used both ways: the meter encodes its RSP_UD through them (mbus_rsp_ud.hpp), a reader
// decodes an RSP_UD back into named values through them (mbus_readout.hpp), the SND_UD
// writes of the "Write" table become meter commands through them, and docs/mbus-records.md
// is rendered from them (mbus_records_docs.hpp). The record layout itself is EN 13757-3's
// (mbus_record_codec.hpp).

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/mbus/mbus_record_codec.hpp"
#include "core/meter/commands.hpp"

namespace ambi {

class Meter;

/// A record's value from the meter's present state, in steps of the record's resolution.
using MbusValueSource = std::int64_t (*)(const Meter&);

/// The group a reader files a record under (`ambimeter read --group`; the names are the
/// Modbus register groups'). The data header's fields are the `identity` group.
enum class MbusGroup : std::uint8_t { settings, instant, energy };
/// "settings", "instant", "energy".
[[nodiscard]] std::string_view to_string(MbusGroup group);

/// How a record's value is shown to a person.
enum class MbusFormat : std::uint8_t {
  scaled,    ///< raw × 10^exponent with as many decimals as the resolution has ("230.12")
  tariff,    ///< the tariff code with its letter ("T2"); the number is the code
  ct_ratio,  ///< 4 digits primary, 2 secondary, as a ratio ("1000/5"); text only, no number
};

/// One record of the manual's "Read" and "Read (2)" tables, in RSP_UD order.
struct MbusRecordDef {
  std::string_view name;         ///< snake_case, unique
  std::string_view description;  ///< the quantity, as the manual's "Contents" column names it
  MbusHeader header;
  std::string_view unit;  ///< "Wh", "V", ...; "-" for a plain number
  int exponent;           ///< the value is `raw × 10^exponent unit`
  std::int64_t example;   ///< the manual's example value (raw)
  MbusValueSource source;
  MbusGroup group = MbusGroup::instant;
  MbusFormat format = MbusFormat::scaled;
};
/// Every record of the meter's RSP_UD, in order.
[[nodiscard]] std::span<const MbusRecordDef> mbus_read_records();
/// The record whose header is exactly `header`; nullptr when there is none.
[[nodiscard]] const MbusRecordDef* find_mbus_record(std::span<const std::uint8_t> header);
[[nodiscard]] const MbusRecordDef* find_mbus_record(std::string_view name);
/// A raw value in the record's unit (230.12 for 23012 at 0.01 V).
[[nodiscard]] double in_unit(const MbusRecordDef& def, std::int64_t raw);
/// The value as a number in the record's unit; nullopt for a value shown as text only
/// (`MbusFormat::ct_ratio`).
[[nodiscard]] std::optional<double> mbus_number(const MbusRecordDef& def, std::int64_t raw);
/// The value as a person reads it, per the record's format: "230.12", "T2", "1000/5".
[[nodiscard]] std::string format_mbus_value(const MbusRecordDef& def, std::int64_t raw);

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

}  // namespace ambi
