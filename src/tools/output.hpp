#pragma once
// How the reader tools print readings: an aligned table for people, CSV and JSON for
// scripts (docs/tools.md). Pure formatting: the caller writes the string out.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "tools/readings.hpp"

namespace ambi {

enum class OutputFormat : std::uint8_t { table, csv, json };
/// Parses "table", "csv" or "json".
[[nodiscard]] std::optional<OutputFormat> parse_output_format(std::string_view text);

/// Columns NAME VALUE UNIT SOURCE, values right-aligned; with more than one group, the
/// readings of each group under a "[group]" line, groups in order of first appearance.
[[nodiscard]] std::string render_table(std::span<const MeterValue> readings);
/// A header row "name,description,value,unit,source", then one row per reading; fields
/// quoted per RFC 4180 where needed.
[[nodiscard]] std::string render_csv(std::span<const MeterValue> readings);
/// {"meter":..., "time":..., "values":{name:{"value","text","unit","group","source"}}}:
/// "value" is the number in the unit (or the text when the value has no number).
[[nodiscard]] std::string render_json(std::span<const MeterValue> readings, std::string_view meter,
                                      std::string_view time);
/// Dispatches on `format`.
[[nodiscard]] std::string render(OutputFormat format, std::span<const MeterValue> readings,
                                 std::string_view meter, std::string_view time);

}  // namespace ambi
