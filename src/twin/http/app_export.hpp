#pragma once
// The Meter Manager app's export (manual A4.3: energy values and instantaneous values, saved
// as CSV), served as GET /api/v1/app/export.csv (docs/control-api.md). Rows follow the
// register map (0x6000 block, then 0x5000 block) with the app's descriptions; values are
// the ones GET /api/v1/state shows, in the same units, at the resolution of the app's screen.

#include <string>
#include <string_view>
#include <vector>

#include "core/meter/meter.hpp"
#include "core/modbus/modbus_map.hpp"
#include "io/csv.hpp"
#include "twin/http/state_json.hpp"

namespace ambi {

/// The description the app shows for a 0x5000/0x6000 register ("T1 Total active energy",
/// "L1 Voltage", "Grid frequency", "Resettable day counter L2"); empty for other registers.
[[nodiscard]] std::string app_description(const RegisterDef& def);

/// Decimals of a value in `unit`: V and Hz 2; A, kW, kvar, kVA, PF, kWh and kvarh 3.
[[nodiscard]] int app_decimals(Unit unit);

/// One line of the app's Energy or Instantaneous page: as the export and the page show it.
struct AppRow {
  std::string description;  ///< "L1 Voltage"
  std::string value;        ///< "230.00": the state's value at the app's resolution
  std::string unit;         ///< "V"; empty for the power factor
};
/// The app's two value pages: the energy registers (0x6000 block, whole Wh as in the state)
/// and the instantaneous values (0x5000 block), in register order.
struct AppValues {
  std::vector<AppRow> energy;
  std::vector<AppRow> instant;
};
[[nodiscard]] AppValues app_values(const Meter& meter);
/// {"energy":[{"description","value","unit"}...],"instant":[...]}: what the page's tables
/// show (sent with every event, so the page and the CSV cannot disagree).
[[nodiscard]] Json app_values_json(const AppValues& values);

/// The CSV: header "description,value,unit", then one row per energy register (kWh/kvarh,
/// whole Wh as in the state) and per instantaneous value; lines end with CRLF.
[[nodiscard]] std::string app_export_csv(const Meter& meter);

/// "ambition-<serial>.csv", the download's file name.
[[nodiscard]] std::string app_export_filename(const Meter& meter);

}  // namespace ambi
