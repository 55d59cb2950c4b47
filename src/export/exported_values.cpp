#include "export/exported_values.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

namespace ambi {
namespace {

constexpr std::array<std::string_view, 6> kPhases{"l1", "l2", "l3", "l1_l2", "l1_l3", "l2_l3"};
constexpr std::array<std::string_view, 4> kTariffs{"t1", "t2", "t3", "t4"};
constexpr std::array<std::string_view, 4> kQuadrants{"q1", "q2", "q3", "q4"};

/// Takes a leading "l1_"/"l1_l2_"... (a phase), "t1_"... (a tariff) or "q1_"... (a quadrant)
/// off `name`; "all" when there is none.
std::string_view take_prefix(std::string_view& name, std::span<const std::string_view> set) {
  // Longest first: "l1_l2_voltage" is phase l1_l2, not l1.
  std::string_view best;
  for (std::string_view p : set) {
    if (p.size() > best.size() && name.size() > p.size() && name.starts_with(p) &&
        name[p.size()] == '_') {
      best = p;
    }
  }
  if (best.empty()) return "all";
  name.remove_prefix(best.size() + 1);
  return best;
}

/// The instant quantity a name ends with, after its phase.
struct Instant {
  std::string_view rest;  ///< the name without its phase
  std::string_view family;
  std::string_view help;
  std::string_view device_class;
  bool phased = true;
};
constexpr std::array<Instant, 7> kInstants{{
    {"voltage", "ambimeter_voltage_volts", "Voltage per phase and between phases (V).", "voltage"},
    {"current", "ambimeter_current_amperes", "Current per phase (A).", "current"},
    {"frequency", "ambimeter_frequency_hertz", "Grid frequency (Hz).", "frequency", false},
    {"active_power", "ambimeter_active_power_kilowatts", "Active power (kW).", "power"},
    {"reactive_power", "ambimeter_reactive_power_kilovars", "Reactive power (kvar).",
     "reactive_power"},
    {"apparent_power", "ambimeter_apparent_power_kilovoltamperes", "Apparent power (kVA).",
     "apparent_power"},
    {"power_factor", "ambimeter_power_factor_ratio", "Power factor.", "power_factor"},
}};

ExportedValue base(const RegisterDef& def, std::string_view family, std::string_view help) {
  ExportedValue v;
  v.reg = &def;
  v.family = family;
  v.help = help;
  return v;
}

constexpr std::string_view kActiveFamily = "ambimeter_active_energy_kilowatthours_total";
constexpr std::string_view kReactiveFamily = "ambimeter_reactive_energy_kilovarhours_total";
constexpr std::string_view kActiveCombined = "ambimeter_active_energy_combined_kilowatthours";
constexpr std::string_view kReactiveCombined = "ambimeter_reactive_energy_combined_kilovarhours";

std::optional<ExportedValue> instant_value(const RegisterDef& def) {
  std::string_view rest = def.name;
  if (rest == "voltage" || rest == "current") return std::nullopt;  // read as 0 (C95)
  if (rest.starts_with("total_")) rest.remove_prefix(6);
  const std::string_view phase = take_prefix(rest, kPhases);
  const auto it = std::ranges::find(kInstants, rest, &Instant::rest);
  if (it == kInstants.end()) return std::nullopt;
  ExportedValue v = base(def, it->family, it->help);
  v.phase = it->phased ? phase : "";
  v.device_class = it->device_class;
  v.state_class = "measurement";
  v.unit = unit_symbol(def.unit) == "-" ? "" : unit_symbol(def.unit);
  return v;
}

ExportedValue energy_base(const RegisterDef& def, bool reactive) {
  ExportedValue v =
      base(def, reactive ? kReactiveFamily : kActiveFamily,
           reactive ? "Reactive energy registers (kvarh) that only grow, by phase, tariff, "
                      "direction and quadrant."
                    : "Active energy registers (kWh) that only grow, by phase, tariff and "
                      "direction.");
  v.kind = MetricKind::counter;
  v.device_class = reactive ? "reactive_energy" : "energy";
  v.state_class = "total_increasing";
  v.unit = reactive ? "kvarh" : "kWh";
  return v;
}

/// A "total" register: forward and reverse as the combination code combines them (C-04
/// forward − reverse by default), which falls while the meter exports and may be negative.
ExportedValue combined_energy(const RegisterDef& def, bool reactive) {
  ExportedValue v =
      base(def, reactive ? kReactiveCombined : kActiveCombined,
           reactive ? "Total reactive energy registers (kvarh) as the combination code combines "
                      "forward and reverse; may fall."
                    : "Total active energy registers (kWh) as the combination code combines "
                      "forward and reverse; may fall.");
  v.device_class = reactive ? "reactive_energy" : "energy";
  v.state_class = "total";
  v.unit = reactive ? "kvarh" : "kWh";
  return v;
}

/// "t1_forward_active_kwh", "l2_total_reactive_kvarh", "q3_t1_kvarh", "trip_l1_kwh".
std::optional<ExportedValue> energy_value(const RegisterDef& def) {
  std::string_view rest = def.name;
  if (rest.starts_with("trip")) {
    rest.remove_prefix(4);
    if (rest.starts_with("_")) rest.remove_prefix(1);
    std::string_view phase = "all";
    if (rest != "kwh") phase = take_prefix(rest, kPhases);
    if (rest != "kwh") return std::nullopt;
    ExportedValue v = base(def, "ambimeter_resettable_active_energy_kilowatthours",
                           "The resettable day (trip) counters (kWh), as the combination code "
                           "combines forward and reverse; back to 0 when a user resets them.");
    v.phase = phase;
    v.device_class = "energy";
    v.state_class = "total";
    v.unit = "kWh";
    v.resettable = true;
    return v;
  }
  const std::string_view quadrant = take_prefix(rest, kQuadrants);
  if (quadrant != "all") {  // q1_total_kvarh, q1_t2_kvarh
    std::string_view tariff = "all";
    if (rest != "total_kvarh") tariff = take_prefix(rest, kTariffs);
    if (rest != "total_kvarh" && rest != "kvarh") return std::nullopt;
    ExportedValue v = energy_base(def, true);
    v.phase = "all";
    v.tariff = tariff;
    // Q1 and Q4 are imported reactive energy, Q2 and Q3 exported (the map's descriptions).
    v.direction = quadrant == "q1" || quadrant == "q4" ? "import" : "export";
    v.quadrant = quadrant;
    return v;
  }
  const std::string_view tariff = take_prefix(rest, kTariffs);
  const std::string_view phase = take_prefix(rest, kPhases);
  const bool reactive = rest.ends_with("_reactive_kvarh");
  if (!reactive && !rest.ends_with("_active_kwh")) return std::nullopt;
  rest.remove_suffix(reactive ? 15 : 11);
  if (rest == "total") {
    ExportedValue v = combined_energy(def, reactive);
    v.phase = phase;
    v.tariff = tariff;
    return v;
  }
  std::string_view direction;
  if (rest == "forward") direction = "import";
  if (rest == "reverse") direction = "export";
  if (direction.empty()) return std::nullopt;
  ExportedValue v = energy_base(def, reactive);
  v.phase = phase;
  v.tariff = tariff;
  v.direction = direction;
  if (reactive) v.quadrant = "all";
  return v;
}

std::optional<ExportedValue> status_value(const RegisterDef& def) {
  const std::string_view name = def.name;
  if (name == "error_code") {
    return base(def, "ambimeter_error_code",
                "The meter's error code (register 0x4015; 0 is none).");
  }
  if (name == "power_down_counter") {
    ExportedValue v = base(def, "ambimeter_power_down_count",
                           "Power-downs counted by the meter (register 0x4016).");
    v.state_class = "total";
    return v;
  }
  if (name == "status_word") {
    return base(def, "ambimeter_status_word", "The active status word (0x401D).");
  }
  if (name == "tariff") {
    return base(def, "ambimeter_active_tariff", "The active tariff (1-4).");
  }
  std::string_view rest = name;
  const std::string_view phase = take_prefix(rest, kPhases);
  if (rest == "quadrant") {
    ExportedValue v = base(def, "ambimeter_quadrant", "The present quadrant (1-4).");
    v.phase = phase;
    return v;
  }
  if (rest == "current_direction") {
    ExportedValue v = base(def, "ambimeter_current_reversed",
                           "1 when the phase's current flows in reverse (R), 0 (F).");
    v.transform = ExportTransform::is_reverse;
    v.phase = phase;
    return v;
  }
  return std::nullopt;
}

std::optional<ExportedValue> exported_value(const RegisterDef& def) {
  switch (def.group) {
    case RegisterGroup::instant:
      return instant_value(def);
    case RegisterGroup::energy:
      return energy_value(def);
    case RegisterGroup::status:
    case RegisterGroup::settings:
      return status_value(def);
    default:
      return std::nullopt;
  }
}

std::vector<ExportedValue> build() {
  std::vector<ExportedValue> out;
  for (const RegisterDef& def : register_map()) {
    if (auto v = exported_value(def)) out.push_back(*v);
  }
  return out;
}

}  // namespace

std::span<const ExportedValue> exported_values() {
  static const std::vector<ExportedValue> kValues = build();
  return kValues;
}

const ExportedValue* find_exported(std::string_view name) {
  const auto values = exported_values();
  const auto it =
      std::ranges::find_if(values, [&](const ExportedValue& v) { return v.reg->name == name; });
  return it == values.end() ? nullptr : &*it;
}

namespace {

std::string labels_text(const ExportedValue& v) {
  std::string out;
  const auto add = [&](std::string_view name, std::string_view value) {
    if (value.empty()) return;
    if (!out.empty()) out += ", ";
    out += fmt::format("{}={}", name, value);
  };
  add("phase", v.phase);
  add("tariff", v.tariff);
  add("direction", v.direction);
  add("quadrant", v.quadrant);
  return out.empty() ? "-" : out;
}

std::string_view or_dash(std::string_view text) {
  return text.empty() ? "-" : text;
}

}  // namespace

std::string render_exported_table() {
  std::string out =
      "<!-- Generated from src/export/exported_values.cpp by\n"
      "     tests/unit/export/exported_values_test.cpp.\n"
      "     Do not edit: run the unit tests with AMBI_REGEN_DOCS=1 to rewrite it. -->\n"
      "# Exported values\n\n"
      "What `ambimeter run` and `ambimeter bridge` publish of each meter: on Prometheus's\n"
      "`/metrics` a sample of the family with the meter's `serial` and the labels below, on MQTT\n"
      "a retained state topic with a Home Assistant sensor of the classes below. The values are\n"
      "the registers' (docs/modbus-registers.md), in their units and with the reader's\n"
      "decimals; spec decision C95 says why these and not others.\n\n"
      "| register | address | Prometheus family | type | labels | device class | state class | "
      "unit |\n|---|---|---|---|---|---|---|---|\n";
  for (const ExportedValue& v : exported_values()) {
    fmt::format_to(std::back_inserter(out), "| {} | 0x{:04X} | {} | {} | {} | {} | {} | {} |\n",
                   v.reg->name, v.reg->address, v.family,
                   v.kind == MetricKind::counter ? "counter" : "gauge", labels_text(v),
                   or_dash(v.device_class), or_dash(v.state_class), or_dash(v.unit));
  }
  return out;
}

}  // namespace ambi
