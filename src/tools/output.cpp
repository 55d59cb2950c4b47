// Table, CSV and JSON renderings of readings.
#include "tools/output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "io/csv.hpp"

namespace ambi {

std::optional<OutputFormat> parse_output_format(std::string_view text) {
  if (text == "table") return OutputFormat::table;
  if (text == "csv") return OutputFormat::csv;
  if (text == "json") return OutputFormat::json;
  return std::nullopt;
}

std::string render_table(std::span<const MeterValue> readings) {
  std::size_t name_w = 4;
  std::size_t value_w = 5;
  std::size_t unit_w = 4;
  std::vector<std::string_view> groups;  // in order of first appearance
  for (const MeterValue& r : readings) {
    name_w = std::max(name_w, r.name.size());
    value_w = std::max(value_w, r.text.size());
    unit_w = std::max(unit_w, r.unit.size());
    if (std::ranges::find(groups, r.group) == groups.end()) groups.push_back(r.group);
  }
  std::string out = fmt::format("{:<{}}  {:>{}}  {:<{}}  {}\n", "NAME", name_w, "VALUE", value_w,
                                "UNIT", unit_w, "SOURCE");
  for (const std::string_view group : groups) {
    if (groups.size() > 1) out += fmt::format("\n[{}]\n", group);
    for (const MeterValue& r : readings) {
      if (r.group != group) continue;
      out += fmt::format("{:<{}}  {:>{}}  {:<{}}  {}\n", r.name, name_w, r.text, value_w, r.unit,
                         unit_w, r.where);
    }
  }
  return out;
}

std::string render_csv(std::span<const MeterValue> readings) {
  std::string out = "name,description,value,unit,source\n";
  for (const MeterValue& r : readings) {
    out += fmt::format("{},{},{},{},{}\n", csv_field(r.name), csv_field(r.description),
                       csv_field(r.text), csv_field(r.unit), csv_field(r.where));
  }
  return out;
}

std::string render_json(std::span<const MeterValue> readings, std::string_view meter,
                        std::string_view time) {
  nlohmann::ordered_json values = nlohmann::ordered_json::object();
  for (const MeterValue& r : readings) {
    nlohmann::ordered_json v;
    if (r.number) {
      v["value"] = *r.number;
    } else {
      v["value"] = r.text;
    }
    v["text"] = r.text;
    v["unit"] = r.unit;
    v["group"] = r.group;
    v["source"] = r.where;
    values[r.name] = std::move(v);
  }
  nlohmann::ordered_json doc;
  doc["meter"] = meter;
  doc["time"] = time;
  doc["values"] = std::move(values);
  return doc.dump(2) + "\n";
}

std::string render(OutputFormat format, std::span<const MeterValue> readings,
                   std::string_view meter, std::string_view time) {
  switch (format) {
    case OutputFormat::table:
      return render_table(readings);
    case OutputFormat::csv:
      return render_csv(readings);
    case OutputFormat::json:
      return render_json(readings, meter, time);
  }
  return {};
}

}  // namespace ambi
