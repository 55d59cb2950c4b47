#include "app/http_api.hpp"

#include <array>
#include <cmath>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "app/log.hpp"
#include "core/profile.hpp"

namespace ambi {
namespace {

/// Longest single advance: 1e10 s (about 317 years) keeps simulated ms far from overflow.
constexpr double kMaxAdvanceSeconds = 1e10;

using RouteFn = ApiResult<Json> (*)(Twin&, const Json&);

struct Route {
  ApiEndpoint endpoint;
  RouteFn fn;
};

std::unexpected<ApiError> refused(const Rejection& r) {
  return std::unexpected(ApiError{status_of(r), r.message});
}

ApiResult<Json> get_state(Twin& twin, const Json&) {
  twin.sync();
  return twin.state_json();
}

ApiResult<Json> get_index(Twin&, const Json&) { return Json{{"endpoints", endpoints_json()}}; }

ApiResult<Json> put_load(Twin& twin, const Json& body) {
  const auto load = load_from_json(body, twin.meter().load());
  if (!load) return std::unexpected(load.error());
  if (auto ok = twin.set_load(*load); !ok) return refused(ok.error());
  return Json{{"load", load_to_json(twin.meter().load())},
              {"measurement", measurement_to_json(twin.meter().measurement())},
              {"scenario", nullptr}};
}

ApiResult<Json> put_scenario(Twin& twin, const Json& body) {
  if (auto ok = only_members(body, {"name", "csv"}); !ok) return std::unexpected(ok.error());
  const bool has_csv = body.contains("csv") && body.at("csv").is_string();
  const std::string name = body.contains("name") && body.at("name").is_string()
                               ? body.at("name").get<std::string>() : std::string();
  if (!has_csv && name != "demo") {
    return unprocessable("give {\"name\":\"demo\"} or {\"csv\":\"t,L1_v,L1_i\\n0,230,10\\n\"} (docs/scenarios.md)");
  }
  const std::string text = has_csv ? body.at("csv").get<std::string>() : std::string(demo_scenario_csv());
  auto profile = parse_scenario_csv(text, name.empty() ? std::string("api") : name);
  if (!profile) return unprocessable(profile.error());
  twin.start_scenario(std::move(*profile));
  return Json{{"scenario", twin.scenario_json()}};
}

ApiResult<Json> post_advance(Twin& twin, const Json& body) {
  if (auto ok = only_members(body, {"seconds"}); !ok) return std::unexpected(ok.error());
  const auto seconds = number_member(body, "seconds", true);
  if (!seconds) return std::unexpected(seconds.error());
  const double s = **seconds;
  if (!(s >= 0.001) || s > kMaxAdvanceSeconds) {
    return unprocessable(fmt::format("\"seconds\" must be between 0.001 and {:.0f}, got {}", kMaxAdvanceSeconds, s));
  }
  const std::int64_t ms = std::llround(s * 1000.0);
  if (auto ok = twin.advance(ms); !ok) return std::unexpected(ok.error());
  Json j = twin.time_json();
  j["advanced_ms"] = ms;
  return j;
}

ApiResult<Json> put_tariff_input(Twin& twin, const Json& body) {
  if (auto ok = only_members(body, {"energized"}); !ok) return std::unexpected(ok.error());
  const auto energized = bool_member(body, "energized");
  if (!energized) return std::unexpected(energized.error());
  twin.set_tariff_input(*energized);
  return Json{{"tariff_input", twin.meter().tariff_input_energized()}, {"tariff", twin.meter().tariff()}};
}

Json power_json(const Twin& twin) {
  return Json{{"powered", twin.meter().powered()},
              {"power_down_counter", twin.meter().state().power_down_counter},
              {"sim_ms", twin.meter().now_ms()}};
}

ApiResult<Json> post_power_cycle(Twin& twin, const Json& body) {
  if (auto ok = only_members(body, {"off_seconds"}); !ok) return std::unexpected(ok.error());
  const auto off = number_member(body, "off_seconds", false);
  if (!off) return std::unexpected(off.error());
  const double s = off->value_or(0.0);
  if (s < 0 || s > kMaxAdvanceSeconds) {
    return unprocessable(fmt::format("\"off_seconds\" must be between 0 and {:.0f}", kMaxAdvanceSeconds));
  }
  if (auto ok = twin.power_cycle(std::llround(s * 1000.0)); !ok) return std::unexpected(ok.error());
  return power_json(twin);
}

ApiResult<Json> post_power(Twin& twin, const Json& body) {
  if (auto ok = only_members(body, {"on"}); !ok) return std::unexpected(ok.error());
  const auto on = bool_member(body, "on");
  if (!on) return std::unexpected(on.error());
  twin.set_power(*on);
  return power_json(twin);
}

/// The password of a body as an app origin; missing → 403.
ApiResult<Origin> app_origin(const Json& body) {
  const auto password = password_of(body);
  if (!password) return std::unexpected(password.error());
  if (!*password) {
    return std::unexpected(ApiError{403, "missing \"password\": the meter's 4-digit password (default \"0000\")"});
  }
  return Origin{Source::app, **password};
}

ApiResult<Json> put_settings(Twin& twin, const Json& body) {
  if (auto ok = only_members(body, {"password", "settings"}); !ok) return std::unexpected(ok.error());
  const auto origin = app_origin(body);
  if (!origin) return std::unexpected(origin.error());
  if (!body.contains("settings")) return unprocessable("missing \"settings\": an object of setting name → value");
  const auto commands = settings_commands(body.at("settings"));
  if (!commands) return std::unexpected(commands.error());
  if (auto ok = twin.apply(*commands, *origin); !ok) return refused(ok.error());
  return Json{{"settings", settings_to_json(twin.meter())}};
}

ApiResult<Json> post_reset(Twin& twin, const Json& body) {
  if (auto ok = only_members(body, {"password", "what"}); !ok) return std::unexpected(ok.error());
  const auto origin = app_origin(body);
  if (!origin) return std::unexpected(origin.error());
  const auto command = reset_command(body);
  if (!command) return std::unexpected(command.error());
  if (auto ok = twin.apply(std::span(&*command, 1), *origin); !ok) return refused(ok.error());
  return Json{{"power_down_counter", twin.meter().state().power_down_counter},
              {"trip_kwh", to_kwh(twin.meter().trip_total())}};
}

const std::array<Route, 10> kRoutes{{
    {{"index", "GET", "/api/v1"}, get_index},
    {{"state", "GET", "/api/v1/state"}, get_state},
    {{"load", "PUT", "/api/v1/load"}, put_load},
    {{"scenario", "PUT", "/api/v1/scenario"}, put_scenario},
    {{"advance", "POST", "/api/v1/clock/advance"}, post_advance},
    {{"tariff_input", "PUT", "/api/v1/tariff-input"}, put_tariff_input},
    {{"power_cycle", "POST", "/api/v1/power-cycle"}, post_power_cycle},
    {{"power", "POST", "/api/v1/power"}, post_power},
    {{"settings", "PUT", "/api/v1/settings"}, put_settings},
    {{"reset", "POST", "/api/v1/reset"}, post_reset},
}};

HttpResponse error_response(const ApiError& e, std::string allow = {}) {
  return HttpResponse{e.status, Json{{"error", e.message}}.dump() + "\n", std::move(allow)};
}

ApiResult<Json> parse_body(const HttpRequest& request) {
  if (request.method == "GET" || request.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Json::object();
  }
  Json body = Json::parse(request.body, nullptr, false);
  if (body.is_discarded()) return std::unexpected(ApiError{400, "the body is not valid JSON"});
  if (!body.is_object()) return std::unexpected(ApiError{400, "the body must be a JSON object"});
  return body;
}

HttpResponse dispatch(Twin& twin, const HttpRequest& request) {
  std::string allow;
  for (const Route& route : kRoutes) {
    if (request.path != route.endpoint.path) continue;
    if (request.method != route.endpoint.method) {
      allow += fmt::format("{}{}", allow.empty() ? "" : ", ", route.endpoint.method);
      continue;
    }
    const auto body = parse_body(request);
    if (!body) return error_response(body.error());
    auto result = route.fn(twin, *body);
    if (!result) return error_response(result.error());
    return HttpResponse{200, result->dump() + "\n", {}};
  }
  if (!allow.empty()) {
    return error_response({405, fmt::format("{} needs {}", request.path, allow)}, allow);
  }
  return error_response({404, fmt::format("no endpoint {}; GET /api/v1 lists them", request.path)});
}

}  // namespace

std::vector<ApiEndpoint> api_endpoints() {
  std::vector<ApiEndpoint> endpoints;
  for (const Route& route : kRoutes) endpoints.push_back(route.endpoint);
  return endpoints;
}

Json endpoints_json() {
  Json j = Json::object();
  for (const ApiEndpoint& e : api_endpoints()) j[e.name] = fmt::format("{} {}", e.method, e.path);
  return j;
}

HttpHandler make_api_handler(Twin& twin) {
  return [&twin](const HttpRequest& request) {
    HttpResponse response = dispatch(twin, request);
    if (request.method != "GET") {
      log_line("{} {} -> {}", request.method, request.path, response.status);
    }
    return response;
  };
}

}  // namespace ambi
