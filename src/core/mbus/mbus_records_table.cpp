// The M-bus records of manual A2.2 as two constexpr tables: the RSP_UD data blocks of the
// "Read" and "Read (2)" tables with their exact DIF/DIFE/VIF/VIFE bytes, and the records of
// the "Write" table with the command each becomes. Names follow the Modbus map's where the
// quantity is the same; energies carry their M-bus unit (Wh, varh).
//
// The VIF bytes, as EN 13757-3 reads them:
//   03 Wh · 83 3C Wh, backward flow · 83 FC 10 Wh, extension 10 (the resettable counter)
//   FB 82 73 kvarh × 10^-3 = varh · FD C7 0.01 V · FD D9 mA · 2B W · FB 14 var · FB 34 VA
//   FD 3A dimensionless · FB 2C mHz · 7C 01 54 plain-text unit "T" · FC 01-03 phase L1-L3
//   DIFE 10/20/30 tariff 1-3, DIFE 80 10 tariff 4.
//
// Each Read record also names the group a reader files it under (energy for Wh and varh,
// settings for the tariff and the CT ratio, instant otherwise) and how its value is shown.
#include <cmath>

#include "core/mbus/mbus_records.hpp"
#include "core/meter/meter.hpp"

namespace ambi {
namespace {

namespace ci = counter_index;
constexpr Family kAct = Family::active;
constexpr Family kReact = Family::reactive;
constexpr Dir kFwd = Dir::forward;
constexpr Dir kRev = Dir::reverse;
constexpr MbusGroup kEnergy = MbusGroup::energy;
constexpr MbusGroup kSettings = MbusGroup::settings;

// ---- value sources ------------------------------------------------------------------------
// clang-format off

/// A physical value in billionths, so that 230.12 V is exactly 23012 hundredths.
std::int64_t nano(double v) { return std::isfinite(v) ? std::llround(v * 1e9) : 0; }
const PhaseMeasurement& phase(const Meter& m, int p) {
  return m.measurement().phases[static_cast<std::size_t>(p)];
}

template <std::size_t I> std::int64_t wh(const Meter& m) { return m.counter(I) / 1000; }
std::int64_t trip_wh(const Meter& m) { return m.trip_total() / 1000; }
template <int P> std::int64_t centivolts(const Meter& m) { return nano(phase(m, P).volts) / 10'000'000; }
template <int P> std::int64_t milliamps(const Meter& m) { return nano(phase(m, P).amps) / 1'000'000; }
std::int64_t p_total(const Meter& m) { return m.measurement().p_mw / 1000; }
std::int64_t q_total(const Meter& m) { return m.measurement().q_mvar / 1000; }
std::int64_t s_total(const Meter& m) { return m.measurement().s_mva / 1000; }
template <int P> std::int64_t p_phase(const Meter& m) { return phase(m, P).p_mw / 1000; }
template <int P> std::int64_t q_phase(const Meter& m) { return phase(m, P).q_mvar / 1000; }
std::int64_t pf_centi(const Meter& m) { return nano(m.measurement().power_factor) / 10'000'000; }
std::int64_t millihertz(const Meter& m) { return nano(m.measurement().hz) / 1'000'000; }
std::int64_t tariff(const Meter& m) { return m.tariff(); }
std::int64_t ct_ratio(const Meter& m) { return m.state().ct.primary * 100L + m.state().ct.secondary; }

// ---- command makers (the "Write" table) ---------------------------------------------------

std::optional<Command> set_mbus_id(std::uint8_t, std::span<const std::uint8_t> data) {
  return SetMbusId{static_cast<int>(decode_unsigned(data))};
}
std::optional<Command> set_secondary_id(std::uint8_t, std::span<const std::uint8_t> data) {
  return SetMbusSecondaryId{static_cast<std::uint32_t>(decode_unsigned(data))};
}
template <class C>
std::optional<Command> set_bcd(std::uint8_t dif, std::span<const std::uint8_t> data) {
  const auto value = decode_value(dif, data);
  if (!value || *value < 0) return std::nullopt;
  return C{static_cast<int>(*value)};
}
template <class C>
std::optional<Command> reset(std::uint8_t, std::span<const std::uint8_t>) { return C{}; }

// ---- the tables ---------------------------------------------------------------------------

constexpr std::int64_t kWh = 123'456'789;  // the manual's example energy
constexpr std::int64_t kW = 1'234'567;     // the manual's example power

constexpr std::array kReadRecords = std::to_array<MbusRecordDef>({
    {"forward_active_wh", "total forward active energy", {0x04, 0x03}, "Wh", 0, kWh, wh<ci::total(kAct, kFwd)>, kEnergy},
    {"t1_forward_active_wh", "forward active energy T1", {0x84, 0x10, 0x03}, "Wh", 0, kWh, wh<ci::tariff(kAct, 1, kFwd)>, kEnergy},
    {"t2_forward_active_wh", "forward active energy T2", {0x84, 0x20, 0x03}, "Wh", 0, kWh, wh<ci::tariff(kAct, 2, kFwd)>, kEnergy},
    {"t3_forward_active_wh", "forward active energy T3", {0x84, 0x30, 0x03}, "Wh", 0, kWh, wh<ci::tariff(kAct, 3, kFwd)>, kEnergy},
    {"t4_forward_active_wh", "forward active energy T4", {0x84, 0x80, 0x10, 0x03}, "Wh", 0, kWh, wh<ci::tariff(kAct, 4, kFwd)>, kEnergy},
    {"reverse_active_wh", "total reverse active energy", {0x04, 0x83, 0x3C}, "Wh", 0, kWh, wh<ci::total(kAct, kRev)>, kEnergy},
    {"t1_reverse_active_wh", "reverse active energy T1", {0x84, 0x10, 0x83, 0x3C}, "Wh", 0, kWh, wh<ci::tariff(kAct, 1, kRev)>, kEnergy},
    {"t2_reverse_active_wh", "reverse active energy T2", {0x84, 0x20, 0x83, 0x3C}, "Wh", 0, kWh, wh<ci::tariff(kAct, 2, kRev)>, kEnergy},
    {"t3_reverse_active_wh", "reverse active energy T3", {0x84, 0x30, 0x83, 0x3C}, "Wh", 0, kWh, wh<ci::tariff(kAct, 3, kRev)>, kEnergy},
    {"t4_reverse_active_wh", "reverse active energy T4", {0x84, 0x80, 0x10, 0x83, 0x3C}, "Wh", 0, kWh, wh<ci::tariff(kAct, 4, kRev)>, kEnergy},
    {"trip_wh", "total kWh (resettable), per the combination code", {0x04, 0x83, 0xFC, 0x10}, "Wh", 0, kWh, trip_wh, kEnergy},
    {"forward_reactive_varh", "forward reactive energy", {0x04, 0xFB, 0x82, 0x73}, "varh", 0, kWh, wh<ci::total(kReact, kFwd)>, kEnergy},
    {"reverse_reactive_varh", "reverse reactive energy", {0x04, 0xFB, 0x82, 0xF3, 0x3C}, "varh", 0, kWh, wh<ci::total(kReact, kRev)>, kEnergy},
    {"l1_voltage", "L1 voltage", {0x02, 0xFD, 0xC7, 0xFC, 0x01}, "V", -2, 23'012, centivolts<0>},
    {"l2_voltage", "L2 voltage", {0x02, 0xFD, 0xC7, 0xFC, 0x02}, "V", -2, 23'012, centivolts<1>},
    {"l3_voltage", "L3 voltage", {0x02, 0xFD, 0xC7, 0xFC, 0x03}, "V", -2, 23'012, centivolts<2>},
    {"l1_current", "L1 current", {0x03, 0xFD, 0xD9, 0xFC, 0x01}, "A", -3, 100'123, milliamps<0>},
    {"l2_current", "L2 current", {0x03, 0xFD, 0xD9, 0xFC, 0x02}, "A", -3, 100'123, milliamps<1>},
    {"l3_current", "L3 current", {0x03, 0xFD, 0xD9, 0xFC, 0x03}, "A", -3, 100'123, milliamps<2>},
    {"total_active_power", "total active power", {0x03, 0x2B}, "W", 0, kW, p_total},
    {"l1_active_power", "L1 active power", {0x03, 0xAB, 0xFC, 0x01}, "W", 0, kW, p_phase<0>},
    {"l2_active_power", "L2 active power", {0x03, 0xAB, 0xFC, 0x02}, "W", 0, kW, p_phase<1>},
    {"l3_active_power", "L3 active power", {0x03, 0xAB, 0xFC, 0x03}, "W", 0, -kW, p_phase<2>},
    {"total_reactive_power", "total reactive power", {0x03, 0xFB, 0x14}, "var", 0, kW, q_total},
    {"l1_reactive_power", "L1 reactive power", {0x03, 0xFB, 0x94, 0xFC, 0x01}, "var", 0, kW, q_phase<0>},
    {"l2_reactive_power", "L2 reactive power", {0x03, 0xFB, 0x94, 0xFC, 0x02}, "var", 0, kW, q_phase<1>},
    {"l3_reactive_power", "L3 reactive power", {0x03, 0xFB, 0x94, 0xFC, 0x03}, "var", 0, kW, q_phase<2>},
    {"total_apparent_power", "total apparent power", {0x03, 0xFB, 0x34}, "VA", 0, kW, s_total},
    {"power_factor", "total power factor", {0x0A, 0xFD, 0x3A}, "-", -2, 100, pf_centi},
    {"frequency", "grid frequency", {0x03, 0xFB, 0x2C}, "Hz", -3, 50'999, millihertz},
    {"tariff", "active tariff (plain-text unit \"T\")", {0x09, 0x7C, 0x01, 0x54}, "-", 0, 1, tariff, kSettings, MbusFormat::tariff},
    {"ct_ratio", "CT ratio: 4 digits primary, 2 digits secondary", {0x0B, 0xFD, 0x3A}, "-", 0, 999'505, ct_ratio, kSettings, MbusFormat::ct_ratio},
});

constexpr std::array kWriteRecords = std::to_array<MbusWriteDef>({
    {"mbus_id", "primary address 0-250, binary", {0x01, 0x7A}, set_mbus_id},
    {"secondary_address", "secondary address, 8 BCD digits as read in the header", {0x0C, 0x79}, set_secondary_id},
    {"tariff", "tariff 1-4, BCD", {0x09, 0x7C, 0x01, 0x54}, set_bcd<SetTariff>},
    {"combination_code", "combination code 1-5, BCD", {0x09, 0xFD, 0x3A}, set_bcd<SetCombination>},
    {"s0_rate", "S0 rate in hundredths of imp/kWh, 8 BCD digits", {0x0C, 0xFD, 0x3A}, set_bcd<SetS0Rate>},
    {"trip_reset", "resettable kWh: resets the trip counter, the value is ignored", {0x0C, 0x04}, reset<ResetTripCounter>},
    {"power_down_counter_reset", "resets the power-down counter, the value is ignored", {0x0A, 0xFD, 0x60}, reset<ResetPowerDownCounter>},
});
// clang-format on

}  // namespace

std::span<const MbusRecordDef> mbus_read_records() {
  return kReadRecords;
}
std::span<const MbusWriteDef> mbus_write_records() {
  return kWriteRecords;
}

}  // namespace ambi
