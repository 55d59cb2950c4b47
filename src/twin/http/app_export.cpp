#include "twin/http/app_export.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <string_view>
#include <utility>
#include <vector>

#include "twin/http/state_json.hpp"

namespace ambi {
namespace {

/// Registers whose description does not follow from the name (manual A3.2 names).
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kSpecialNames{{
    {"voltage", "Voltage*"},
    {"current", "Current*"},
    {"frequency", "Grid frequency"},
    {"trip_kwh", "Resettable day counter"},
    {"trip_l1_kwh", "Resettable day counter L1"},
    {"trip_l2_kwh", "Resettable day counter L2"},
    {"trip_l3_kwh", "Resettable day counter L3"},
}};

/// The quadrant registers' wording (6063-6089), by quadrant 1-4, saying what each holds:
/// the IEC numbering of 4017-401A (Q2: P < 0, Q > 0; Q4: P > 0, Q < 0) wins over the
/// manual's labels of 606D ("Imp. capacitive ... Q2") and 6081 ("Exp. capacitive ... Q4"),
/// which contradict it (docs/spec-decisions.md).
constexpr std::array<std::string_view, 4> kQuadrantWords{"Imp. inductive", "Exp. capacitive",
                                                         "Exp. inductive", "Imp. capacitive"};

constexpr std::array<std::pair<Unit, int>, 9> kDecimals{{{Unit::volt, 2},
                                                         {Unit::hertz, 2},
                                                         {Unit::amp, 3},
                                                         {Unit::kw, 3},
                                                         {Unit::kvar, 3},
                                                         {Unit::kva, 3},
                                                         {Unit::power_factor, 3},
                                                         {Unit::kwh, 3},
                                                         {Unit::kvarh, 3}}};

bool is_energy(const RegisterDef& def) {
  return def.unit == Unit::kwh || def.unit == Unit::kvarh;
}

bool is_instantaneous(const RegisterDef& def) {
  return def.address >= 0x5000 && def.address < 0x6000 && def.encoding == Encoding::float_abcd;
}

std::vector<std::string> split(std::string_view name) {
  std::vector<std::string> words;
  for (std::size_t start = 0; start <= name.size();) {
    const std::size_t end = std::min(name.find('_', start), name.size());
    words.emplace_back(name.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

/// "q2_t1_kvarh" → "Exp. capacitive reactive energy in Q2 (T1)".
std::string quadrant_description(const std::vector<std::string>& words) {
  const int quadrant = words[0][1] - '0';
  const std::string which = words[1] == "total" ? "total" : fmt::format("T{}", words[1][1]);
  return fmt::format("{} reactive energy in Q{} ({})",
                     kQuadrantWords[static_cast<std::size_t>(quadrant - 1)], quadrant, which);
}

bool is_prefix(const std::string& word) {
  return word.size() == 2 && (word[0] == 'l' || word[0] == 't') &&
         std::isdigit(static_cast<unsigned char>(word[1]));
}

/// "l1_l2_voltage" → "L1-L2 Voltage", "t1_total_active_kwh" → "T1 Total active energy".
std::string generic_description(std::vector<std::string> words, bool energy) {
  if (energy) words.pop_back();
  std::string prefix;
  std::size_t i = 0;
  for (; i < words.size() && is_prefix(words[i]); ++i) {
    prefix += fmt::format("{}{}{}", prefix.empty() ? "" : "-",
                          static_cast<char>(std::toupper(words[i][0])), words[i][1]);
  }
  std::string rest;
  for (; i < words.size(); ++i) rest += fmt::format("{}{}", rest.empty() ? "" : " ", words[i]);
  if (!rest.empty()) rest[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(rest[0])));
  if (energy) rest += " energy";
  return prefix.empty() ? rest : fmt::format("{} {}", prefix, rest);
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
  for (const auto& [name, description] : kSpecialNames) {
    if (def.name == name) return std::string(description);
  }
  const std::vector<std::string> words = split(def.name);
  if (words[0].size() == 2 && words[0][0] == 'q') return quadrant_description(words);
  return generic_description(words, is_energy(def));
}

int app_decimals(Unit unit) {
  for (const auto& [u, decimals] : kDecimals) {
    if (u == unit) return decimals;
  }
  return 3;
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
