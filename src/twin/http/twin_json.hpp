#pragma once
// The running twin as the control API shows it (docs/control-api.md): GET /api/v1/state and
// /api/v1/panel, the simulated time, the scenario, and the HTTP answer to each refusal of
// the twin's service.

#include "twin/http/request_json.hpp"
#include "twin/http/state_json.hpp"
#include "twin/service/twin.hpp"

namespace ambi {

/// {"sim_ms","clock","speed"}.
[[nodiscard]] Json time_json(const Twin& twin);
/// {"name","position_ms","repeat_ms"} of the running scenario, or null.
[[nodiscard]] Json scenario_json(const Twin& twin);
/// GET /api/v1/state: time, scenario and everything the meter knows.
[[nodiscard]] Json state_json(const Twin& twin);
/// GET /api/v1/panel: the screen, the LED's flashes and the S0 pulse counts now.
[[nodiscard]] Json panel_json(const Twin& twin);

/// The 409 for a refusal of the twin, with a message that names the way out.
[[nodiscard]] ApiError api_error(TwinRefusal refusal);

}  // namespace ambi
