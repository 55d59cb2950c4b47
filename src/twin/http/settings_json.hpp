#pragma once
// The meter's settings as the control API writes and reads them (docs/control-api.md,
// docs/settings.md), every one derived from the settings table (core/meter/setting_table):
// GET /api/v1/state "settings", the body of PUT /api/v1/settings, and the schema the web
// page builds its settings form from (GET /api/v1/settings/schema).

#include <string>
#include <vector>

#include "core/meter/meter.hpp"
#include "core/meter/setting_table.hpp"
#include "io/json.hpp"
#include "twin/http/request_json.hpp"

namespace ambi {

/// A setting's value in the JSON form of its row (9600, "even", 0, true, "500/5").
[[nodiscard]] Json setting_to_json(const SettingDef& def, std::int64_t value);
/// Every setting, in the form PUT /api/v1/settings accepts (the password is never shown).
[[nodiscard]] Json settings_to_json(const Meter& meter);

/// The JSON keys PUT /api/v1/settings accepts, in table order.
[[nodiscard]] const std::vector<std::string>& setting_names();
/// The commands of a "settings" object, in the order given. Unknown names and bad types
/// give 422; ranges are left to the meter (apply_all).
[[nodiscard]] ApiResult<std::vector<Command>> settings_commands(const Json& settings);

/// GET /api/v1/settings/schema: every setting the API takes, with its key, the app's label,
/// the manual section, its kind and JSON form, range or choices (each with the JSON value
/// to send and the app's text), unit, default, and whether the app's page shows it.
[[nodiscard]] Json settings_schema_json();

}  // namespace ambi
