#pragma once
// A persistent state with every field away from its default, shared by the storage tests.

#include <cstddef>
#include <span>
#include <vector>

#include "core/meter/meter.hpp"

namespace ambi::test {

/// Every field non-default; every counter with distinct whole mWh and a non-zero remainder.
inline PersistentState rich_state() {
  PersistentState s;
  s.settings.modbus_id = 17;
  s.settings.modbus_baud_code = 9;
  s.settings.parity = Parity::odd;
  s.settings.mbus_id = 42;
  s.settings.mbus_baud = 9600;
  s.settings.s0_rate_centi = 1;
  s.settings.pulse_type = PulseType::forward_reverse;
  s.settings.pulse_width_ms = 77;
  s.settings.combination = CombinationCode::forward_plus_reverse;
  s.settings.lcd_cycle_s = 12;
  s.settings.backlight = Backlight::on;
  s.settings.screen_direction = 1;
  s.settings.obis = false;
  s.settings.data_type = DataType::integer;
  s.settings.password = {'7', '3', '0', '9'};
  s.settings.mbus_secondary_id = 0x45230115;
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    const auto n = static_cast<std::int64_t>(i);
    s.registers.counters[i] =
        EnergyCounter::from_parts(1'000'003 * (n + 1) + (n << 33), (n * 58'111 + 17) % kMwMsPerMwh);
  }
  s.tariff = 3;
  s.t3_t4_activated = true;
  s.ct = CtRatio{1500, 5};
  for (std::size_t i = 0; i < s.ct_history.size(); ++i) {
    const auto n = static_cast<std::int64_t>(i);
    s.ct_history[i] = CtHistoryEntry{CtRatio{static_cast<std::uint16_t>(100 + i * 7), 1},
                                     5'000'000 + n * 1'234'567, 70'000 + n * 3};
  }
  s.ct_changes = 5;
  s.power_down_counter = 4321;
  s.serial_bcd = 0x23110457;
  return s;
}

inline std::span<const std::byte> bytes_of(const std::vector<std::byte>& v) {
  return v;
}

}  // namespace ambi::test
