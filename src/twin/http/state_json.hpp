#pragma once
// The meter as JSON for the control API (docs/control-api.md): measurements, the energy
// registers of the 0x6000 block (manual A3.2) by name, settings, status, identity, S0.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/meter/meter.hpp"
#include "io/json.hpp"

namespace ambi {

/// 8 BCD digits as text ("19020246"), 4 digits for `digits` = 4.
[[nodiscard]] std::string bcd_string(std::uint32_t bcd, int digits = 8);
/// "500/5".
[[nodiscard]] std::string ct_string(CtRatio ratio);
/// mWh as kWh with 3 decimals (whole Wh, cut toward zero as the LCD shows them).
[[nodiscard]] double to_kwh(std::int64_t mwh);

/// {"L1":{"v","i","phi"},...,"f"}: the terminal inputs.
[[nodiscard]] Json load_to_json(const LoadInput& load);
/// Per phase and total measurements, frequency and line voltages.
[[nodiscard]] Json measurement_to_json(const Measurement& m);
/// Register name → kWh/kvarh, for every energy register of the Modbus map (0x6000 block).
[[nodiscard]] Json energy_to_json(const Meter& meter);
/// Register name → Modbus address ("0x6000").
[[nodiscard]] Json energy_addresses_json();
/// Tariff, inputs, flags, error code (manual 8.1), status word, power-down counter.
[[nodiscard]] Json status_to_json(const Meter& meter);
/// Serial, meter code, versions and checksums.
[[nodiscard]] Json identity_to_json(const Meter& meter);
/// CT ratio, number of changes and history (manual 7.6.17).
[[nodiscard]] Json ct_to_json(const Meter& meter);
/// Both S0 outputs: source, counts and recent pulses.
[[nodiscard]] Json s0_to_json(const Meter& meter);

/// Everything the meter knows, keyed as in GET /api/v1/state (without "time"/"scenario").
[[nodiscard]] Json meter_to_json(const Meter& meter);

}  // namespace ambi
