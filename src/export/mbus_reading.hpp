#pragma once
// A meter's exported values read over M-bus (the bridge): each RSP_UD record that carries a
// register's quantity (A2.2 against A3.2) becomes that register's sample, in the register's
// unit and with its decimals, so a meter read over M-bus exports under the same names and
// labels as over Modbus. Records without a register (the CT ratio) are left out, as are the
// registers M-bus does not carry (per-phase energy, the quadrants).
//
// Pure: no I/O.

#include <string>

#include "core/mbus/mbus_readout.hpp"
#include "export/meter_reading.hpp"

namespace ambi {

/// The register a record carries: "forward_active_wh" → "forward_active_kwh"; "" for none.
[[nodiscard]] std::string register_of_record(const MbusRecordDef& def);

/// The reading out of a decoded RSP_UD. The serial is the header's secondary address (the
/// meter's serial number unless it was changed); the versions are left empty (M-bus does not
/// carry them).
[[nodiscard]] MeterReading reading_from_mbus(const MbusReadout& readout);

}  // namespace ambi
