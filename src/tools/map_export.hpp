#pragma once
// `ambimeter map`: the Modbus register map (manual A3.2) and the M-bus record table (A2.2)
// in open formats, rendered from the same tables the twin serves from and the docs are
// generated from (core/modbus/modbus_map_table.cpp, core/mbus/mbus_records_table.cpp).
// Pure: the caller writes the string out.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ambi {

/// How the tables are printed: markdown (the docs' tables), JSON or CSV.
enum class MapFormat : std::uint8_t { md, json, csv };
/// Which tables: the Modbus registers, the M-bus records (read and write), or both.
enum class MapTables : std::uint8_t { modbus, mbus, all };

/// Parses "md", "json" or "csv"; nullopt for anything else.
[[nodiscard]] std::optional<MapFormat> parse_map_format(std::string_view text);
/// Parses "modbus", "mbus" or "all"; nullopt for anything else.
[[nodiscard]] std::optional<MapTables> parse_map_tables(std::string_view text);

/// The CSV columns, in order. Every row names its `table` ("modbus", "mbus_read",
/// "mbus_write"); a column that does not apply to a row's table is empty.
inline constexpr std::string_view kMapCsvHeader =
    "table,name,description,group,address,words,encoding,unit,access,write_fc,integer_scale,"
    "dif_dife,vif_vife,exponent,example";

/// The tables in `format`:
/// - md: "# Modbus registers (manual A3.2)" over `render_register_markdown()`, "# M-bus
///   records (manual A2.2)" over `render_mbus_record_markdown()`: the docs' tables verbatim.
/// - json: `{"modbus": {"registers": [...]}, "mbus": {"read": [...], "write": [...]}}`
///   (only the tables asked for); each register with address (number and "0x4000"), name,
///   description, group (null for reserved spans), words, encoding, unit (null for none),
///   access, write_function_codes and integer_mode (`{"data_type": "int32", "scale": 0.01}`
///   or null); each record with its DIF/DIFE and VIF/VIFE bytes, data field, unit, exponent,
///   resolution, format and the manual's example.
/// - csv: the header `kMapCsvHeader`, then one row per register and record.
[[nodiscard]] std::string render_map(MapFormat format, MapTables tables);

}  // namespace ambi
