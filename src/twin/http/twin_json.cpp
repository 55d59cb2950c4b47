#include "twin/http/twin_json.hpp"

#include <cstdint>
#include <optional>

#include "twin/http/panel_json.hpp"

namespace ambi {

Json time_json(const Twin& twin) {
  return Json{{"sim_ms", twin.meter().now_ms()},
              {"clock", to_string(twin.clock().mode())},
              {"speed", twin.clock().speed()}};
}

Json scenario_json(const Twin& twin) {
  const ProfilePlayer* player = twin.scenario();
  if (player == nullptr) return nullptr;
  Json j{{"name", player->profile().name}, {"position_ms", player->position_ms()}};
  const std::optional<std::int64_t>& repeat = player->profile().repeat_ms;
  j["repeat_ms"] = repeat ? Json(*repeat) : Json();
  return j;
}

Json state_json(const Twin& twin) {
  Json j{{"time", time_json(twin)}};
  j["scenario"] = scenario_json(twin);
  j.update(meter_to_json(twin.meter()));
  return j;
}

Json panel_json(const Twin& twin) {
  return panel_to_json(twin.screen(), twin.led_flashes(), twin.s0_pulses());
}

ApiError api_error(TwinRefusal refusal) {
  switch (refusal) {
    case TwinRefusal::clock_is_real:
      return {409, "the clock is real; start with --clock stepped to advance it"};
    case TwinRefusal::clock_is_stepped:
      return {409, "the clock is stepped: it moves only by POST /api/v1/clock/advance"};
    case TwinRefusal::off_time_needs_stepped_clock:
      return {409,
              "off_seconds needs --clock stepped; with a real clock use POST /api/v1/power "
              "{\"on\":false}, wait, then {\"on\":true}"};
    case TwinRefusal::speed_fixed:
      return {409,
              "the fleet file's epoch fixes the speed (fleet.speed), so that its shards agree; "
              "change it in the file and restart"};
  }
  return {409, "refused"};
}

}  // namespace ambi
