// The register map of manual A3.2 as one constexpr table: every read register of the
// 0x4000, 0x5000 and 0x6000 blocks, with the "Write" table's registers carrying the
// command a write becomes. Energy names match the control API's (state_json).
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "core/meter/meter.hpp"
#include "core/modbus/modbus_map.hpp"

namespace ambi {
namespace {

namespace ci = counter_index;
using E = Encoding;
using U = Unit;
constexpr Family kAct = Family::active;
constexpr Family kReact = Family::reactive;
constexpr Dir kFwd = Dir::forward;
constexpr Dir kRev = Dir::reverse;

// ---- value sources ------------------------------------------------------------------------
// One line per source and per row of the table.
// clang-format off

constexpr std::int64_t kNanoPerCenti = 10'000'000;
/// A physical value in billionths of its unit.
RegisterValue nano(double v) { return std::isfinite(v) ? std::llround(v * 1e9) : 0; }
/// Billionths of kW (kWh...) from mW (mWh...).
RegisterValue from_milli(std::int64_t v) { return v * 1'000; }
std::int64_t from_bcd(std::uint32_t bcd) {
  std::int64_t v = 0;
  for (int shift = 28; shift >= 0; shift -= 4) v = v * 10 + ((bcd >> shift) & 0xFU);
  return v;
}
const PhaseMeasurement& phase(const Meter& m, int p) {
  return m.measurement().phases[static_cast<std::size_t>(p)];
}

RegisterValue zero(const Meter&) { return 0; }
template <int P> RegisterValue volts(const Meter& m) { return nano(phase(m, P).volts); }
template <int P> RegisterValue amps(const Meter& m) { return nano(phase(m, P).amps); }
template <int L> RegisterValue line_volts(const Meter& m) {
  return nano(m.measurement().line_volts[L]);
}
RegisterValue hz(const Meter& m) { return nano(m.measurement().hz); }
RegisterValue p_total(const Meter& m) { return from_milli(m.measurement().p_mw); }
RegisterValue q_total(const Meter& m) { return from_milli(m.measurement().q_mvar); }
RegisterValue s_total(const Meter& m) { return from_milli(m.measurement().s_mva); }
RegisterValue pf_total(const Meter& m) { return nano(m.measurement().power_factor); }
template <int P> RegisterValue p_phase(const Meter& m) { return from_milli(phase(m, P).p_mw); }
template <int P> RegisterValue q_phase(const Meter& m) { return from_milli(phase(m, P).q_mvar); }
template <int P> RegisterValue s_phase(const Meter& m) { return from_milli(phase(m, P).s_mva); }
template <int P> RegisterValue pf_phase(const Meter& m) { return nano(phase(m, P).power_factor); }
template <int P> RegisterValue direction(const Meter& m) { return phase(m, P).direction; }
template <int P> RegisterValue quadrant(const Meter& m) { return phase(m, P).quadrant; }
RegisterValue quadrant_total(const Meter& m) { return m.measurement().quadrant; }

template <Family F> RegisterValue total(const Meter& m) { return from_milli(m.total(F)); }
template <Family F, int T> RegisterValue tariff_total(const Meter& m) {
  return from_milli(m.total_tariff(F, T));
}
template <Family F, int P> RegisterValue phase_total(const Meter& m) {
  return from_milli(m.total_phase(F, P));
}
template <std::size_t I> RegisterValue counter(const Meter& m) { return from_milli(m.counter(I)); }
RegisterValue trip(const Meter& m) { return from_milli(m.trip_total()); }
template <int P> RegisterValue trip_phase(const Meter& m) { return from_milli(m.trip_phase(P)); }

RegisterValue serial(const Meter& m) { return from_bcd(m.identity().serial_bcd); }
RegisterValue meter_code(const Meter& m) { return from_bcd(m.identity().meter_code_bcd); }
RegisterValue protocol_version(const Meter& m) { return nano(m.identity().protocol_version); }
RegisterValue software_version(const Meter& m) { return nano(m.identity().software_version); }
RegisterValue hardware_version(const Meter& m) { return nano(m.identity().hardware_version); }
RegisterValue checksum1(const Meter& m) { return from_bcd(m.identity().checksum1_bcd); }
RegisterValue checksum2(const Meter& m) { return from_bcd(m.identity().checksum2_bcd); }
RegisterValue modbus_id(const Meter& m) { return m.settings().modbus_id; }
RegisterValue baud_code(const Meter& m) { return m.settings().modbus_baud_code; }
RegisterValue ct_secondary(const Meter& m) { return m.state().ct.secondary; }
RegisterValue ct_primary(const Meter& m) { return m.state().ct.primary; }
RegisterValue ct_ratio(const Meter& m) {
  return m.state().ct.primary * 10'000L + m.state().ct.secondary;
}
RegisterValue s0_rate(const Meter& m) {
  return RegisterValue{m.settings().s0_rate_centi} * kNanoPerCenti;
}
RegisterValue combination(const Meter& m) { return static_cast<int>(m.settings().combination); }
RegisterValue lcd_cycle(const Meter& m) { return m.settings().lcd_cycle_s; }
RegisterValue parity(const Meter& m) { return static_cast<int>(m.settings().parity); }
RegisterValue error_code(const Meter& m) { return m.error_code(); }
RegisterValue power_downs(const Meter& m) { return m.state().power_down_counter; }
RegisterValue status(const Meter& m) { return m.status_word(); }
RegisterValue pulse_width(const Meter& m) { return m.settings().pulse_width_ms; }
RegisterValue pulse_type(const Meter& m) { return static_cast<int>(m.settings().pulse_type); }
RegisterValue data_type(const Meter& m) { return static_cast<int>(m.settings().data_type); }
RegisterValue screen(const Meter& m) { return m.settings().screen_direction; }
RegisterValue obis(const Meter& m) { return m.settings().obis ? 1 : 0; }
RegisterValue tariff(const Meter& m) { return m.tariff(); }

// ---- command makers (the "Write" table) ---------------------------------------------------

template <class C>
std::optional<Command> set(RegisterValue v) {
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) return {};
  return C{static_cast<int>(v)};
}
/// A rate in hundredths of imp/kWh: the value must be what a float of that many hundredths
/// reads as (0.1 travels as 0x3DCCCCCD = 0.100000001), so 0.075 or 1234.5678 are refused.
std::optional<Command> set_s0_rate(RegisterValue v) {
  const long centi = std::lround(static_cast<double>(v) / static_cast<double>(kNanoPerCenti));
  const auto sent = static_cast<float>(static_cast<double>(v) / 1e9);
  if (sent != static_cast<float>(static_cast<double>(centi) / 100.0)) return {};
  return SetS0Rate{centi};
}
std::optional<Command> set_ct_ratio(RegisterValue v) {
  return SetCtRatio{static_cast<long>(v / 10'000), static_cast<long>(v % 10'000)};
}
std::optional<Command> set_obis(RegisterValue v) {
  if (v != 0 && v != 1) return {};
  return SetObis{v == 1};
}
std::optional<Command> reset_power_downs(RegisterValue v) {
  if (v != 0) return {};
  return ResetPowerDownCounter{};
}
std::optional<Command> reset_trip(RegisterValue) { return ResetTripCounter{}; }

// ---- row builders -------------------------------------------------------------------------

using G = RegisterGroup;
using I = SettingId;

constexpr RegisterDef f32(RegisterGroup g, std::uint16_t a, std::string_view n, std::string_view d,
                          Unit u, ValueSource s, CommandMaker w = nullptr,
                          std::optional<SettingId> setting = std::nullopt) {
  return {a, 2, n, E::float_abcd, u, s, w, g, d, setting};
}
constexpr RegisterDef reg(RegisterGroup g, std::uint16_t a, std::uint8_t words, std::string_view n,
                          std::string_view d, Encoding e, Unit u, ValueSource s,
                          CommandMaker w = nullptr,
                          std::optional<SettingId> setting = std::nullopt) {
  return {a, words, n, e, u, s, w, g, d, setting};
}
constexpr RegisterDef reserved(std::uint16_t a, std::uint8_t words, std::string_view n) {
  return {a, words, n, E::reserved_zero, U::none, &zero, nullptr, G::none, "Reserved", std::nullopt};
}

constexpr std::array kMap{
    // 0x4000 block: identity, settings and status.
    reg(G::identity, 0x4000, 2, "serial_number", "Serial number", E::bcd32, U::none, &serial),
    reg(G::identity, 0x4002, 1, "meter_code", "Meter code", E::bcd, U::none, &meter_code),
    reg(G::settings, 0x4003, 1, "modbus_id", "Modbus ID", E::signed16, U::none, &modbus_id, &set<SetModbusId>, I::modbus_id),
    reg(G::settings, 0x4004, 1, "baud_rate", "Baud rate", E::signed16, U::none, &baud_code, &set<SetModbusBaud>, I::modbus_baud),
    f32(G::identity, 0x4005, "protocol_version", "Protocol version", U::none, &protocol_version),
    f32(G::identity, 0x4007, "software_version", "Software version", U::none, &software_version),
    f32(G::identity, 0x4009, "hardware_version", "Hardware version", U::none, &hardware_version),
    reg(G::settings, 0x400B, 1, "meter_amps", "Meter amps", E::signed16, U::amp, &ct_secondary),
    reg(G::settings, 0x400C, 1, "ct_primary", "CT ratio (primary current)", E::bcd, U::amp, &ct_primary),
    f32(G::settings, 0x400D, "s0_rate", "S0 output rate", U::imp_per_kwh, &s0_rate, &set_s0_rate, I::s0_rate),
    reg(G::settings, 0x400F, 1, "combination_code", "Combination code", E::signed16, U::none, &combination, &set<SetCombination>, I::combination),
    reg(G::settings, 0x4010, 1, "lcd_cycle_time", "LCD cycle time", E::bcd, U::second, &lcd_cycle, &set<SetLcdCycle>, I::lcd_cycle),
    reg(G::settings, 0x4011, 1, "parity", "Parity setting", E::signed16, U::none, &parity, &set<SetParity>, I::parity),
    reg(G::status, 0x4012, 1, "l1_current_direction", "L1 Current direction", E::ascii, U::none, &direction<0>),
    reg(G::status, 0x4013, 1, "l2_current_direction", "L2 Current direction", E::ascii, U::none, &direction<1>),
    reg(G::status, 0x4014, 1, "l3_current_direction", "L3 Current direction", E::ascii, U::none, &direction<2>),
    reg(G::status, 0x4015, 1, "error_code", "Error code", E::signed16, U::none, &error_code),
    reg(G::status, 0x4016, 1, "power_down_counter", "Power down counter", E::binary_u16, U::none, &power_downs, &reset_power_downs),
    reg(G::status, 0x4017, 1, "quadrant", "Present quadrant", E::signed16, U::none, &quadrant_total),
    reg(G::status, 0x4018, 1, "l1_quadrant", "L1 Quadrant", E::signed16, U::none, &quadrant<0>),
    reg(G::status, 0x4019, 1, "l2_quadrant", "L2 Quadrant", E::signed16, U::none, &quadrant<1>),
    reg(G::status, 0x401A, 1, "l3_quadrant", "L3 Quadrant", E::signed16, U::none, &quadrant<2>),
    reg(G::identity, 0x401B, 2, "checksum_1", "Checksum", E::bcd32, U::none, &checksum1),
    reg(G::status, 0x401D, 2, "status_word", "Active status word", E::binary_u32, U::none, &status),
    reg(G::settings, 0x401F, 2, "ct_ratio", "CT ratio", E::ct_ratio_bcd, U::amp, &ct_ratio, &set_ct_ratio, I::ct_ratio),
    reg(G::settings, 0x4021, 1, "pulse_width", "Pulse width", E::bcd, U::millisecond, &pulse_width, &set<SetPulseWidth>, I::pulse_width),
    reg(G::settings, 0x4022, 1, "pulse_type", "Pulse type setting", E::binary_u16, U::none, &pulse_type, &set<SetPulseType>, I::pulse_type),
    reg(G::identity, 0x4023, 2, "checksum_2", "Checksum 2 (non-relevant)", E::bcd32, U::none, &checksum2),
    reserved(0x4025, 1, "reserved_4025"),
    reg(G::settings, 0x4026, 1, "data_type", "Data type setting", E::signed16, U::none, &data_type, &set<SetDataType>, I::data_type),
    reserved(0x4027, 11, "reserved_4027"),
    reg(G::settings, 0x4032, 1, "screen_direction", "Screen direction", E::signed16, U::none, &screen, &set<SetScreenDirection>, I::screen_direction),
    reg(G::settings, 0x4033, 1, "obis", "OBIS code ON/OFF", E::signed16, U::none, &obis, &set_obis, I::obis),
    // 0x5000 block: instantaneous values. 5000 and 500A are single-phase values (R9).
    f32(G::instant, 0x5000, "voltage", "Voltage*", U::volt, &zero),
    f32(G::instant, 0x5002, "l1_voltage", "L1 Voltage", U::volt, &volts<0>),
    f32(G::instant, 0x5004, "l2_voltage", "L2 Voltage", U::volt, &volts<1>),
    f32(G::instant, 0x5006, "l3_voltage", "L3 Voltage", U::volt, &volts<2>),
    f32(G::instant, 0x5008, "frequency", "Grid frequency", U::hertz, &hz),
    f32(G::instant, 0x500A, "current", "Current*", U::amp, &zero),
    f32(G::instant, 0x500C, "l1_current", "L1 Current", U::amp, &amps<0>),
    f32(G::instant, 0x500E, "l2_current", "L2 Current", U::amp, &amps<1>),
    f32(G::instant, 0x5010, "l3_current", "L3 Current", U::amp, &amps<2>),
    f32(G::instant, 0x5012, "total_active_power", "Total active power", U::kw, &p_total),
    f32(G::instant, 0x5014, "l1_active_power", "L1 Active power", U::kw, &p_phase<0>),
    f32(G::instant, 0x5016, "l2_active_power", "L2 Active power", U::kw, &p_phase<1>),
    f32(G::instant, 0x5018, "l3_active_power", "L3 Active power", U::kw, &p_phase<2>),
    f32(G::instant, 0x501A, "total_reactive_power", "Total reactive power", U::kvar, &q_total),
    f32(G::instant, 0x501C, "l1_reactive_power", "L1 Reactive power", U::kvar, &q_phase<0>),
    f32(G::instant, 0x501E, "l2_reactive_power", "L2 Reactive power", U::kvar, &q_phase<1>),
    f32(G::instant, 0x5020, "l3_reactive_power", "L3 Reactive power", U::kvar, &q_phase<2>),
    f32(G::instant, 0x5022, "total_apparent_power", "Total apparent power", U::kva, &s_total),
    f32(G::instant, 0x5024, "l1_apparent_power", "L1 Apparent power", U::kva, &s_phase<0>),
    f32(G::instant, 0x5026, "l2_apparent_power", "L2 Apparent power", U::kva, &s_phase<1>),
    f32(G::instant, 0x5028, "l3_apparent_power", "L3 Apparent power", U::kva, &s_phase<2>),
    f32(G::instant, 0x502A, "power_factor", "Power factor", U::power_factor, &pf_total),
    f32(G::instant, 0x502C, "l1_power_factor", "L1 Power factor", U::power_factor, &pf_phase<0>),
    f32(G::instant, 0x502E, "l2_power_factor", "L2 Power factor", U::power_factor, &pf_phase<1>),
    f32(G::instant, 0x5030, "l3_power_factor", "L3 Power factor", U::power_factor, &pf_phase<2>),
    f32(G::instant, 0x5032, "l1_l2_voltage", "L1-L2 Voltage", U::volt, &line_volts<0>),
    f32(G::instant, 0x5034, "l1_l3_voltage", "L1-L3 Voltage", U::volt, &line_volts<1>),
    f32(G::instant, 0x5036, "l2_l3_voltage", "L2-L3 Voltage", U::volt, &line_volts<2>),
    // 0x6000 block: energy (mWh → kWh), rolled over (R22); totals per combination code.
    f32(G::energy, 0x6000, "total_active_kwh", "Total active energy", U::kwh, &total<kAct>),
    f32(G::energy, 0x6002, "t1_total_active_kwh", "T1 Total active energy", U::kwh, &tariff_total<kAct, 1>),
    f32(G::energy, 0x6004, "t2_total_active_kwh", "T2 Total active energy", U::kwh, &tariff_total<kAct, 2>),
    f32(G::energy, 0x6006, "l1_total_active_kwh", "L1 Total active energy", U::kwh, &phase_total<kAct, 0>),
    f32(G::energy, 0x6008, "l2_total_active_kwh", "L2 Total active energy", U::kwh, &phase_total<kAct, 1>),
    f32(G::energy, 0x600A, "l3_total_active_kwh", "L3 Total active energy", U::kwh, &phase_total<kAct, 2>),
    f32(G::energy, 0x600C, "forward_active_kwh", "Forward active energy", U::kwh, &counter<ci::total(kAct, kFwd)>),
    f32(G::energy, 0x600E, "t1_forward_active_kwh", "T1 Forward active energy", U::kwh, &counter<ci::tariff(kAct, 1, kFwd)>),
    f32(G::energy, 0x6010, "t2_forward_active_kwh", "T2 Forward active energy", U::kwh, &counter<ci::tariff(kAct, 2, kFwd)>),
    f32(G::energy, 0x6012, "l1_forward_active_kwh", "L1 Forward active energy", U::kwh, &counter<ci::phase(kAct, 0, kFwd)>),
    f32(G::energy, 0x6014, "l2_forward_active_kwh", "L2 Forward active energy", U::kwh, &counter<ci::phase(kAct, 1, kFwd)>),
    f32(G::energy, 0x6016, "l3_forward_active_kwh", "L3 Forward active energy", U::kwh, &counter<ci::phase(kAct, 2, kFwd)>),
    f32(G::energy, 0x6018, "reverse_active_kwh", "Reverse active energy", U::kwh, &counter<ci::total(kAct, kRev)>),
    f32(G::energy, 0x601A, "t1_reverse_active_kwh", "T1 Reverse active energy", U::kwh, &counter<ci::tariff(kAct, 1, kRev)>),
    f32(G::energy, 0x601C, "t2_reverse_active_kwh", "T2 Reverse active energy", U::kwh, &counter<ci::tariff(kAct, 2, kRev)>),
    f32(G::energy, 0x601E, "l1_reverse_active_kwh", "L1 Reverse active energy", U::kwh, &counter<ci::phase(kAct, 0, kRev)>),
    f32(G::energy, 0x6020, "l2_reverse_active_kwh", "L2 Reverse active energy", U::kwh, &counter<ci::phase(kAct, 1, kRev)>),
    f32(G::energy, 0x6022, "l3_reverse_active_kwh", "L3 Reverse active energy", U::kwh, &counter<ci::phase(kAct, 2, kRev)>),
    f32(G::energy, 0x6024, "total_reactive_kvarh", "Total reactive energy", U::kvarh, &total<kReact>),
    f32(G::energy, 0x6026, "t1_total_reactive_kvarh", "T1 Total reactive energy", U::kvarh, &tariff_total<kReact, 1>),
    f32(G::energy, 0x6028, "t2_total_reactive_kvarh", "T2 Total reactive energy", U::kvarh, &tariff_total<kReact, 2>),
    f32(G::energy, 0x602A, "l1_total_reactive_kvarh", "L1 Total reactive energy", U::kvarh, &phase_total<kReact, 0>),
    f32(G::energy, 0x602C, "l2_total_reactive_kvarh", "L2 Total reactive energy", U::kvarh, &phase_total<kReact, 1>),
    f32(G::energy, 0x602E, "l3_total_reactive_kvarh", "L3 Total reactive energy", U::kvarh, &phase_total<kReact, 2>),
    f32(G::energy, 0x6030, "forward_reactive_kvarh", "Forward reactive energy", U::kvarh, &counter<ci::total(kReact, kFwd)>),
    f32(G::energy, 0x6032, "t1_forward_reactive_kvarh", "T1 Forward reactive energy", U::kvarh, &counter<ci::tariff(kReact, 1, kFwd)>),
    f32(G::energy, 0x6034, "t2_forward_reactive_kvarh", "T2 Forward reactive energy", U::kvarh, &counter<ci::tariff(kReact, 2, kFwd)>),
    f32(G::energy, 0x6036, "l1_forward_reactive_kvarh", "L1 Forward reactive energy", U::kvarh, &counter<ci::phase(kReact, 0, kFwd)>),
    f32(G::energy, 0x6038, "l2_forward_reactive_kvarh", "L2 Forward reactive energy", U::kvarh, &counter<ci::phase(kReact, 1, kFwd)>),
    f32(G::energy, 0x603A, "l3_forward_reactive_kvarh", "L3 Forward reactive energy", U::kvarh, &counter<ci::phase(kReact, 2, kFwd)>),
    f32(G::energy, 0x603C, "reverse_reactive_kvarh", "Reverse reactive energy", U::kvarh, &counter<ci::total(kReact, kRev)>),
    f32(G::energy, 0x603E, "t1_reverse_reactive_kvarh", "T1 Reverse reactive energy", U::kvarh, &counter<ci::tariff(kReact, 1, kRev)>),
    f32(G::energy, 0x6040, "t2_reverse_reactive_kvarh", "T2 Reverse reactive energy", U::kvarh, &counter<ci::tariff(kReact, 2, kRev)>),
    f32(G::energy, 0x6042, "l1_reverse_reactive_kvarh", "L1 Reverse reactive energy", U::kvarh, &counter<ci::phase(kReact, 0, kRev)>),
    f32(G::energy, 0x6044, "l2_reverse_reactive_kvarh", "L2 Reverse reactive energy", U::kvarh, &counter<ci::phase(kReact, 1, kRev)>),
    f32(G::energy, 0x6046, "l3_reverse_reactive_kvarh", "L3 Reverse reactive energy", U::kvarh, &counter<ci::phase(kReact, 2, kRev)>),
    reg(G::settings, 0x6048, 1, "tariff", "Tariff", E::signed16, U::none, &tariff, &set<SetTariff>, I::tariff),
    f32(G::energy, 0x6049, "trip_kwh", "Resettable day counter", U::kwh, &trip, &reset_trip),
    f32(G::energy, 0x604B, "t3_total_active_kwh", "T3 Total active energy", U::kwh, &tariff_total<kAct, 3>),
    f32(G::energy, 0x604D, "t4_total_active_kwh", "T4 Total active energy", U::kwh, &tariff_total<kAct, 4>),
    f32(G::energy, 0x604F, "t3_forward_active_kwh", "T3 Forward active energy", U::kwh, &counter<ci::tariff(kAct, 3, kFwd)>),
    f32(G::energy, 0x6051, "t4_forward_active_kwh", "T4 Forward active energy", U::kwh, &counter<ci::tariff(kAct, 4, kFwd)>),
    f32(G::energy, 0x6053, "t3_reverse_active_kwh", "T3 Reverse active energy", U::kwh, &counter<ci::tariff(kAct, 3, kRev)>),
    f32(G::energy, 0x6055, "t4_reverse_active_kwh", "T4 Reverse active energy", U::kwh, &counter<ci::tariff(kAct, 4, kRev)>),
    f32(G::energy, 0x6057, "t3_total_reactive_kvarh", "T3 Total reactive energy", U::kvarh, &tariff_total<kReact, 3>),
    f32(G::energy, 0x6059, "t4_total_reactive_kvarh", "T4 Total reactive energy", U::kvarh, &tariff_total<kReact, 4>),
    f32(G::energy, 0x605B, "t3_forward_reactive_kvarh", "T3 Forward reactive energy", U::kvarh, &counter<ci::tariff(kReact, 3, kFwd)>),
    f32(G::energy, 0x605D, "t4_forward_reactive_kvarh", "T4 Forward reactive energy", U::kvarh, &counter<ci::tariff(kReact, 4, kFwd)>),
    f32(G::energy, 0x605F, "t3_reverse_reactive_kvarh", "T3 Reverse reactive energy", U::kvarh, &counter<ci::tariff(kReact, 3, kRev)>),
    f32(G::energy, 0x6061, "t4_reverse_reactive_kvarh", "T4 Reverse reactive energy", U::kvarh, &counter<ci::tariff(kReact, 4, kRev)>),
    f32(G::energy, 0x6063, "q1_total_kvarh", "Imp. inductive reactive energy in Q1 (total)", U::kvarh, &counter<ci::quadrant(1)>),
    f32(G::energy, 0x6065, "q1_t1_kvarh", "Imp. inductive reactive energy in Q1 (T1)", U::kvarh, &counter<ci::quadrant_tariff(1, 1)>),
    f32(G::energy, 0x6067, "q1_t2_kvarh", "Imp. inductive reactive energy in Q1 (T2)", U::kvarh, &counter<ci::quadrant_tariff(1, 2)>),
    f32(G::energy, 0x6069, "q1_t3_kvarh", "Imp. inductive reactive energy in Q1 (T3)", U::kvarh, &counter<ci::quadrant_tariff(1, 3)>),
    f32(G::energy, 0x606B, "q1_t4_kvarh", "Imp. inductive reactive energy in Q1 (T4)", U::kvarh, &counter<ci::quadrant_tariff(1, 4)>),
    f32(G::energy, 0x606D, "q2_total_kvarh", "Exp. capacitive reactive energy in Q2 (total)", U::kvarh, &counter<ci::quadrant(2)>),
    f32(G::energy, 0x606F, "q2_t1_kvarh", "Exp. capacitive reactive energy in Q2 (T1)", U::kvarh, &counter<ci::quadrant_tariff(2, 1)>),
    f32(G::energy, 0x6071, "q2_t2_kvarh", "Exp. capacitive reactive energy in Q2 (T2)", U::kvarh, &counter<ci::quadrant_tariff(2, 2)>),
    f32(G::energy, 0x6073, "q2_t3_kvarh", "Exp. capacitive reactive energy in Q2 (T3)", U::kvarh, &counter<ci::quadrant_tariff(2, 3)>),
    f32(G::energy, 0x6075, "q2_t4_kvarh", "Exp. capacitive reactive energy in Q2 (T4)", U::kvarh, &counter<ci::quadrant_tariff(2, 4)>),
    f32(G::energy, 0x6077, "q3_total_kvarh", "Exp. inductive reactive energy in Q3 (total)", U::kvarh, &counter<ci::quadrant(3)>),
    f32(G::energy, 0x6079, "q3_t1_kvarh", "Exp. inductive reactive energy in Q3 (T1)", U::kvarh, &counter<ci::quadrant_tariff(3, 1)>),
    f32(G::energy, 0x607B, "q3_t2_kvarh", "Exp. inductive reactive energy in Q3 (T2)", U::kvarh, &counter<ci::quadrant_tariff(3, 2)>),
    f32(G::energy, 0x607D, "q3_t3_kvarh", "Exp. inductive reactive energy in Q3 (T3)", U::kvarh, &counter<ci::quadrant_tariff(3, 3)>),
    f32(G::energy, 0x607F, "q3_t4_kvarh", "Exp. inductive reactive energy in Q3 (T4)", U::kvarh, &counter<ci::quadrant_tariff(3, 4)>),
    f32(G::energy, 0x6081, "q4_total_kvarh", "Imp. capacitive reactive energy in Q4 (total)", U::kvarh, &counter<ci::quadrant(4)>),
    f32(G::energy, 0x6083, "q4_t1_kvarh", "Imp. capacitive reactive energy in Q4 (T1)", U::kvarh, &counter<ci::quadrant_tariff(4, 1)>),
    f32(G::energy, 0x6085, "q4_t2_kvarh", "Imp. capacitive reactive energy in Q4 (T2)", U::kvarh, &counter<ci::quadrant_tariff(4, 2)>),
    f32(G::energy, 0x6087, "q4_t3_kvarh", "Imp. capacitive reactive energy in Q4 (T3)", U::kvarh, &counter<ci::quadrant_tariff(4, 3)>),
    f32(G::energy, 0x6089, "q4_t4_kvarh", "Imp. capacitive reactive energy in Q4 (T4)", U::kvarh, &counter<ci::quadrant_tariff(4, 4)>),
    f32(G::energy, 0x608B, "trip_l1_kwh", "Resettable day counter L1", U::kwh, &trip_phase<0>),
    f32(G::energy, 0x608D, "trip_l2_kwh", "Resettable day counter L2", U::kwh, &trip_phase<1>),
    f32(G::energy, 0x608F, "trip_l3_kwh", "Resettable day counter L3", U::kwh, &trip_phase<2>),
};

/// Rows are sorted; inside a block (same high nibble) each starts where the previous ends.
constexpr bool blocks_are_contiguous() {
  for (std::size_t i = 1; i < kMap.size(); ++i) {
    const bool same_block = (kMap[i].address >> 12) == (kMap[i - 1].address >> 12);
    if (same_block ? kMap[i].address != kMap[i - 1].end() : kMap[i].address < kMap[i - 1].end()) {
      return false;
    }
  }
  return true;
}
constexpr bool names_are_unique() {
  for (std::size_t i = 0; i < kMap.size(); ++i) {
    for (std::size_t j = i + 1; j < kMap.size(); ++j) {
      if (kMap[i].name == kMap[j].name) return false;
    }
  }
  return true;
}
// clang-format on
static_assert(blocks_are_contiguous());
static_assert(names_are_unique());
static_assert(kMap.back().end() == 0x6091);

constexpr std::uint16_t kFirstAddress = 0x4000;
constexpr std::uint8_t kUnmapped = 0xFF;
static_assert(kMap.front().address == kFirstAddress && kMap.size() < kUnmapped);

/// The row of every address from 0x4000 to 0x6090 (kUnmapped for the gaps between blocks):
/// a read finds each register in one step.
constexpr auto kRowOf = [] {
  std::array<std::uint8_t, 0x6091 - kFirstAddress> rows{};
  rows.fill(kUnmapped);
  for (std::size_t i = 0; i < kMap.size(); ++i) {
    for (std::uint32_t a = kMap[i].address; a < kMap[i].end(); ++a) {
      rows[a - kFirstAddress] = static_cast<std::uint8_t>(i);
    }
  }
  return rows;
}();

}  // namespace

std::span<const RegisterDef> register_map() {
  return kMap;
}

const RegisterDef* find_register(std::uint16_t address) {
  if (address < kFirstAddress) return nullptr;
  const std::size_t at = std::size_t{address} - kFirstAddress;
  if (at >= kRowOf.size()) return nullptr;
  const std::uint8_t row = kRowOf[at];
  return row == kUnmapped ? nullptr : &kMap[row];
}

const RegisterDef* find_register(std::string_view name) {
  const auto it = std::find_if(kMap.begin(), kMap.end(),
                               [name](const RegisterDef& d) { return d.name == name; });
  return it == kMap.end() ? nullptr : &*it;
}

}  // namespace ambi
