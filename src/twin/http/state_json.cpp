#include "twin/http/state_json.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>

#include "core/modbus/modbus_map.hpp"
#include "twin/http/settings_json.hpp"

namespace ambi {
namespace {

constexpr std::array<const char*, kPhases> kPhaseKeys{"L1", "L2", "L3"};

double milli(std::int64_t value) {
  return static_cast<double>(value) / 1000.0;
}
double micro(std::int64_t value) {
  return static_cast<double>(value) / 1'000'000.0;
}
/// A version number as the manual writes it (1.02, not the float's 1.0199999809).
double version(float v) {
  return std::round(static_cast<double>(v) * 100.0) / 100.0;
}

Json power_json(std::int64_t p_mw, std::int64_t q_mvar, std::int64_t s_mva, double pf,
                int quadrant) {
  return Json{{"p_kw", micro(p_mw)},
              {"q_kvar", micro(q_mvar)},
              {"s_kva", micro(s_mva)},
              {"pf", pf},
              {"quadrant", quadrant}};
}

Json error_bits_json(std::uint8_t code) {
  static constexpr std::array<const char*, 8> kNames{
      "both_copies_bad",  "mantissa_unwritable", "backup_unwritable", "main_unwritable",
      "mantissa_corrupt", "backup_corrupt",      "main_corrupt",      "init_failed"};
  Json bits = Json::array();
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if ((static_cast<unsigned>(code) >> i) & 1U) bits.push_back(kNames[i]);
  }
  return bits;
}

Json status_bits_json(std::uint32_t word) {
  static constexpr std::array<const char*, 8> kNames{
      "communication_active", "bluetooth_active",       "t3_t4_activated", "c05_locked",
      "storage_error",        "tariff_input_energized", "powered",         "ct_history_full"};
  Json bits = Json::array();
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if ((word >> i) & 1U) bits.push_back(kNames[i]);
  }
  return bits;
}

Json s0_output_json(const S0Output& out, int number, const char* source) {
  Json recent = Json::array();
  for (const S0Pulse& pulse : out.recent()) {
    recent.push_back({{"t_ms", pulse.start_ms}, {"n", pulse.number}});
  }
  return Json{{"output", number},           {"source", source},
              {"owed", out.owed()},         {"emitted", out.emitted()},
              {"backlog", out.backlog()},   {"busy_until_ms", out.busy_until_ms()},
              {"recent", std::move(recent)}};
}

}  // namespace

namespace {
bool is_energy_register(const RegisterDef& def) {
  return def.unit == Unit::kwh || def.unit == Unit::kvarh;
}
}  // namespace

std::string bcd_string(std::uint32_t bcd, int digits) {
  return fmt::format("{:0{}X}", bcd, digits);
}

std::string ct_string(CtRatio ratio) {
  return fmt::format("{}/{}", ratio.primary, ratio.secondary);
}

double to_kwh(std::int64_t mwh) {
  return milli(mwh / 1000);
}

Json load_to_json(const LoadInput& load) {
  Json j = Json::object();
  for (std::size_t i = 0; i < load.phases.size(); ++i) {
    const PhaseInput& p = load.phases[i];
    j[kPhaseKeys[i]] = {{"v", p.volts}, {"i", p.amps}, {"phi", p.phi_deg}};
  }
  j["f"] = load.hz;
  return j;
}

Json measurement_to_json(const Measurement& m) {
  Json j = Json::object();
  for (std::size_t i = 0; i < m.phases.size(); ++i) {
    const PhaseMeasurement& p = m.phases[i];
    Json phase{{"v", p.volts}, {"i", p.amps}};
    phase.update(power_json(p.p_mw, p.q_mvar, p.s_mva, p.power_factor, p.quadrant));
    phase["direction"] = std::string(1, p.direction);
    j[kPhaseKeys[i]] = std::move(phase);
  }
  j["total"] = power_json(m.p_mw, m.q_mvar, m.s_mva, m.power_factor, m.quadrant);
  j["total"]["direction"] = m.p_mw >= 0 ? "F" : "R";
  j["hz"] = m.hz;
  j["line_voltages"] = {
      {"l1_l2", m.line_volts[0]}, {"l1_l3", m.line_volts[1]}, {"l2_l3", m.line_volts[2]}};
  return j;
}

Json energy_to_json(const Meter& meter) {
  Json j = Json::object();
  for (const RegisterDef& def : register_map()) {
    // Register values are billionths of a kWh (µWh): cut to whole Wh as the LCD shows.
    if (is_energy_register(def)) j[std::string(def.name)] = to_kwh(def.source(meter) / 1000);
  }
  return j;
}

Json energy_addresses_json() {
  Json j = Json::object();
  for (const RegisterDef& def : register_map()) {
    if (is_energy_register(def)) j[std::string(def.name)] = fmt::format("0x{:04X}", def.address);
  }
  return j;
}

Json status_to_json(const Meter& meter) {
  return Json{{"tariff", meter.tariff()},
              {"tariff_input", meter.tariff_input_energized()},
              {"t3_t4_activated", meter.state().t3_t4_activated},
              {"c05_locked", meter.c05_locked()},
              {"error_code", meter.error_code()},
              {"error_bits", error_bits_json(meter.error_code())},
              {"stopped", meter.stopped()},
              {"status_word", meter.status_word()},
              {"status_bits", status_bits_json(meter.status_word())},
              {"power_down_counter", meter.state().power_down_counter}};
}

Json identity_to_json(const Meter& meter) {
  const Identity& id = meter.identity();
  return Json{{"serial", bcd_string(meter.state().serial_bcd)},
              {"meter_code", bcd_string(id.meter_code_bcd, 4)},
              {"protocol_version", version(id.protocol_version)},
              {"software_version", version(id.software_version)},
              {"hardware_version", version(id.hardware_version)},
              {"checksum1", bcd_string(id.checksum1_bcd)},
              {"checksum2", bcd_string(id.checksum2_bcd)}};
}

Json ct_to_json(const Meter& meter) {
  Json history = Json::array();
  for (const CtHistoryEntry& e : meter.ct_history()) {
    history.push_back({{"ratio", ct_string(e.ratio)},
                       {"forward_kwh", to_kwh(e.forward_mwh)},
                       {"reverse_kwh", to_kwh(e.reverse_mwh)}});
  }
  return Json{{"ratio", ct_string(meter.state().ct)},
              {"changes", meter.state().ct_changes},
              {"history", std::move(history)}};
}

Json s0_to_json(const Meter& meter) {
  const bool active_reactive = meter.settings().pulse_type == PulseType::active_reactive;
  return Json::array(
      {s0_output_json(meter.s0(0), 1, active_reactive ? "active" : "forward active"),
       s0_output_json(meter.s0(1), 2, active_reactive ? "reactive" : "reverse active")});
}

Json meter_to_json(const Meter& meter) {
  return Json{{"power", {{"powered", meter.powered()}, {"supply_on", meter.supply_switched_on()}}},
              {"load", load_to_json(meter.load())},
              {"measurement", measurement_to_json(meter.measurement())},
              {"energy", energy_to_json(meter)},
              {"energy_addresses", energy_addresses_json()},
              {"ct", ct_to_json(meter)},
              {"settings", settings_to_json(meter)},
              {"status", status_to_json(meter)},
              {"identity", identity_to_json(meter)},
              {"s0", s0_to_json(meter)}};
}

}  // namespace ambi
