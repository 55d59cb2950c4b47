#include "twin/http/app_export.hpp"

#include <fmt/format.h>

#include <string_view>
#include <utility>
#include <vector>

#include "twin/http/state_json.hpp"

namespace ambi {
namespace {

bool is_energy(const RegisterDef& def) {
  return def.unit == Unit::kwh || def.unit == Unit::kvarh;
}

bool is_instantaneous(const RegisterDef& def) {
  return def.address >= 0x5000 && def.address < 0x6000 && def.encoding == Encoding::float_abcd;
}

/// A fixed-point number without "-0.000".
std::string fixed(double value, int decimals) {
  std::string text = fmt::format("{:.{}f}", value, decimals);
  if (text.starts_with('-') && text.find_first_not_of("-0.") == std::string::npos) text.erase(0, 1);
  return text;
}

AppRow app_row(const RegisterDef& def, std::string value) {
  const std::string_view symbol = unit_symbol(def.unit);
  return {app_description(def), std::move(value),
          symbol == "-" ? std::string{} : std::string{symbol}};
}

Json rows_json(const std::vector<AppRow>& rows) {
  Json out = Json::array();
  for (const AppRow& r : rows)
    out.push_back({{"description", r.description}, {"value", r.value}, {"unit", r.unit}});
  return out;
}

}  // namespace

std::string app_description(const RegisterDef& def) {
  if (!is_energy(def) && !is_instantaneous(def)) return {};
  return std::string(def.description);
}

int app_decimals(Unit unit) {
  return unit_format(unit).decimals;
}

AppValues app_values(const Meter& meter) {
  AppValues values;
  for (const RegisterDef& def : register_map()) {
    // Billionths of a kWh cut to whole Wh, as GET /api/v1/state and the LCD show them.
    if (is_energy(def))
      values.energy.push_back(app_row(def, fixed(to_kwh(def.source(meter) / 1000), 3)));
    if (is_instantaneous(def)) {
      values.instant.push_back(
          app_row(def, fixed(in_unit(def, def.source(meter)), app_decimals(def.unit))));
    }
  }
  return values;
}

Json app_values_json(const AppValues& values) {
  return Json{{"energy", rows_json(values.energy)}, {"instant", rows_json(values.instant)}};
}

std::string app_export_csv(const Meter& meter) {
  const AppValues values = app_values(meter);
  std::string csv = "description,value,unit\r\n";
  for (const auto* rows : {&values.energy, &values.instant}) {
    for (const AppRow& r : *rows)
      csv += fmt::format("{},{},{}\r\n", csv_field(r.description), r.value, r.unit);
  }
  return csv;
}

std::string app_export_filename(const Meter& meter) {
  return fmt::format("ambition-{}.csv", bcd_string(meter.state().serial_bcd));
}

}  // namespace ambi
