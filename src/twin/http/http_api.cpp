#include "twin/http/http_api.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>

#include "core/profile/profile.hpp"
#include "io/log.hpp"
#include "twin/http/app_export.hpp"
#include "twin/http/audit_json.hpp"
#include "twin/http/fault_json.hpp"
#include "twin/http/fleet_json.hpp"
#include "twin/http/metrics_endpoint.hpp"
#include "twin/http/panel_json.hpp"
#include "twin/http/settings_json.hpp"
#include "twin/http/twin_json.hpp"
#include "twin/http/web_assets.hpp"

namespace ambi {
namespace {

/// Longest single advance: 1e10 s (about 317 years) keeps simulated ms far from overflow.
constexpr double kMaxAdvanceSeconds = 1e10;
/// Fastest clock PUT /api/v1/clock sets: a bit more than a day per second.
constexpr double kMaxApiSpeed = 100'000;
constexpr std::string_view kAssetsPrefix = "/assets/";
constexpr std::string_view kMetersPath = "/api/v1/meters";
constexpr std::string_view kFleetPrefix = "/api/v1/fleet/";

/// What a route may use besides the request.
struct ApiContext {
  Twin& twin;  ///< the meter addressed; in a fleet without /meters/{serial}, its first
  EventStreams& events;
  Fleet* fleet = nullptr;                              ///< a fleet's API (docs/fleet.md)
  const std::vector<std::string>* gateways = nullptr;  ///< with a fleet: gateway endpoints
  HttpCounts* http = nullptr;                          ///< the requests answered (GET /metrics)
};

using JsonRouteFn = ApiResult<Json> (*)(Twin&, const Json&);
using ContextJsonRouteFn = ApiResult<Json> (*)(ApiContext&, const Json&);
using RouteFn = ApiResult<HttpResponse> (*)(ApiContext&, const HttpRequest&);

struct Route {
  ApiEndpoint endpoint;
  RouteFn fn;
};

std::unexpected<ApiError> refused(const Rejection& r) {
  return std::unexpected(ApiError{status_of(r), r.message});
}

ApiResult<Json> get_state(Twin& twin, const Json&) {
  twin.sync();
  return state_json(twin);
}

/// A fleet's audits besides its meters': every gateway's (not a meter's own port) and every
/// RS485 bus's, {"kind", "name", "path"}, the path by number (a name may hold a '/').
Json fleet_audits_json(const Fleet& fleet) {
  const FleetLayout& layout = fleet.layout();
  Json audits = Json::array();
  for (std::size_t e = 0; e < fleet.endpoint_count(); ++e) {
    if (e < layout.endpoint_gateways.size() && !layout.endpoint_gateways[e]) continue;
    audits.push_back(Json{
        {"kind", "gateway"},
        {"name", e < layout.endpoint_names.size() ? layout.endpoint_names[e] : std::to_string(e)},
        {"path", fmt::format("/api/v1/gateways/{}/audit", e)}});
  }
  for (std::size_t b = 0; b < layout.bus_names.size(); ++b) {
    audits.push_back(Json{{"kind", "bus"},
                          {"name", layout.bus_names[b]},
                          {"path", fmt::format("/api/v1/buses/{}/audit", b)}});
  }
  return audits;
}

/// The endpoints, and whether this is a fleet: {"meters": N, "gateways": [...], "audits":
/// [...]} or null (the web page shows its fleet view when it is one).
ApiResult<Json> get_index(ApiContext& c, const Json&) {
  Json fleet = nullptr;
  if (c.fleet != nullptr && c.gateways != nullptr) {
    fleet = Json{{"meters", c.fleet->size()},
                 {"gateways", *c.gateways},
                 {"audits", fleet_audits_json(*c.fleet)}};
  }
  return Json{{"endpoints", endpoints_json()}, {"fleet", std::move(fleet)}};
}

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
                               ? body.at("name").get<std::string>()
                               : std::string();
  if (!has_csv && name != "demo") {
    return unprocessable(
        "give {\"name\":\"demo\"} or {\"csv\":\"t,L1_v,L1_i\\n0,230,10\\n\"} (docs/scenarios.md)");
  }
  const std::string text =
      has_csv ? body.at("csv").get<std::string>() : std::string(demo_scenario_csv());
  auto profile = parse_scenario_csv(text, name.empty() ? std::string("api") : name);
  if (!profile) return unprocessable(profile.error());
  twin.start_scenario(std::move(*profile));
  return Json{{"scenario", scenario_json(twin)}};
}

/// The fleet's clock, or the one twin's.
ApiResult<Json> post_advance(ApiContext& c, const Json& body) {
  if (auto ok = only_members(body, {"seconds"}); !ok) return std::unexpected(ok.error());
  const auto seconds = number_member(body, "seconds", true);
  if (!seconds) return std::unexpected(seconds.error());
  const std::optional<double>& given = *seconds;
  if (!given) return unprocessable("missing \"seconds\"");  // required: not reached
  const double s = *given;
  if (!(s >= 0.001) || s > kMaxAdvanceSeconds) {
    return unprocessable(
        fmt::format("\"seconds\" must be between 0.001 and {:.0f}, got {}", kMaxAdvanceSeconds, s));
  }
  const std::int64_t ms = std::llround(s * 1000.0);
  if (auto ok = c.fleet != nullptr ? c.fleet->advance(ms) : c.twin.advance(ms); !ok) {
    return std::unexpected(api_error(ok.error()));
  }
  Json j = time_json(c.twin);
  j["advanced_ms"] = ms;
  return j;
}

ApiResult<Json> put_tariff_input(Twin& twin, const Json& body) {
  if (auto ok = only_members(body, {"energized"}); !ok) return std::unexpected(ok.error());
  const auto energized = bool_member(body, "energized");
  if (!energized) return std::unexpected(energized.error());
  twin.set_tariff_input(*energized);
  return Json{{"tariff_input", twin.meter().tariff_input_energized()},
              {"tariff", twin.meter().tariff()}};
}

Json power_json(const Twin& twin) {
  return Json{{"powered", twin.meter().powered()},
              {"supply_on", twin.meter().supply_switched_on()},
              {"power_down_counter", twin.meter().state().power_down_counter},
              {"sim_ms", twin.meter().now_ms()}};
}

ApiResult<Json> post_power_cycle(Twin& twin, const Json& body) {
  if (auto ok = only_members(body, {"off_seconds"}); !ok) return std::unexpected(ok.error());
  const auto off = number_member(body, "off_seconds", false);
  if (!off) return std::unexpected(off.error());
  const double s = off->value_or(0.0);
  if (s < 0 || s > kMaxAdvanceSeconds) {
    return unprocessable(
        fmt::format("\"off_seconds\" must be between 0 and {:.0f}", kMaxAdvanceSeconds));
  }
  if (auto ok = twin.power_cycle(std::llround(s * 1000.0)); !ok) {
    return std::unexpected(api_error(ok.error()));
  }
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
  const std::optional<std::array<char, 4>>& given = *password;
  if (!given.has_value()) {
    return std::unexpected(
        ApiError{403, "missing \"password\": the meter's 4-digit password (default \"0000\")"});
  }
  return Origin{Source::app, given};
}

ApiResult<Json> put_settings(Twin& twin, const Json& body) {
  if (auto ok = only_members(body, {"password", "settings"}); !ok)
    return std::unexpected(ok.error());
  const auto origin = app_origin(body);
  if (!origin) return std::unexpected(origin.error());
  if (!body.contains("settings"))
    return unprocessable("missing \"settings\": an object of setting name → value");
  const auto commands = settings_commands(body.at("settings"));
  if (!commands) return std::unexpected(commands.error());
  if (auto ok = twin.apply(*commands, *origin); !ok) return refused(ok.error());
  return Json{{"settings", settings_to_json(twin.meter())}};
}

ApiResult<Json> get_settings_schema(Twin&, const Json&) {
  return settings_schema_json();
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

/// The Meter Manager app reaches the meter only over an active Bluetooth link (manual A4).
ApiResult<void> bluetooth_link(const Twin& twin) {
  if (!twin.meter().powered()) {
    return std::unexpected(ApiError{
        409,
        "the meter has no supply, so no Bluetooth either (manual 5.8): switch the supply on "
        "(POST /api/v1/power {\"on\":true}) and give a phase voltage, then activate Bluetooth "
        "(7.5)"});
  }
  if ((twin.meter().status_word() & status_bit::bluetooth_active) == 0) {
    return std::unexpected(ApiError{
        409, "Bluetooth is off: activate it in the meter's menu (7.5) or start with --bluetooth"});
  }
  return {};
}

/// The app's "save".
ApiResult<Json> put_app_settings(Twin& twin, const Json& body) {
  if (auto ok = bluetooth_link(twin); !ok) return std::unexpected(ok.error());
  return put_settings(twin, body);
}

/// The app's "reset trip counter" and "reset power down counter".
ApiResult<Json> post_app_reset(Twin& twin, const Json& body) {
  if (auto ok = bluetooth_link(twin); !ok) return std::unexpected(ok.error());
  return post_reset(twin, body);
}

ApiResult<Json> put_clock(ApiContext& c, const Json& body) {
  if (auto ok = only_members(body, {"speed"}); !ok) return std::unexpected(ok.error());
  const auto speed = number_member(body, "speed", true);
  if (!speed) return std::unexpected(speed.error());
  const std::optional<double>& given = *speed;
  if (!given) return unprocessable("missing \"speed\"");  // required: not reached
  const double v = *given;
  if (!(v > 0) || v > kMaxApiSpeed) {
    return unprocessable(fmt::format(
        "\"speed\" must be > 0 and at most {:.0f} simulated seconds per wall second, got {}",
        kMaxApiSpeed, v));
  }
  if (auto ok = c.fleet != nullptr ? c.fleet->set_speed(v) : c.twin.set_speed(v); !ok) {
    return std::unexpected(api_error(ok.error()));
  }
  return Json{{"time", time_json(c.twin)}};
}

ApiResult<Json> get_panel(Twin& twin, const Json&) {
  twin.sync();
  return panel_json(twin);
}

ApiResult<Json> post_panel_press(Twin& twin, const Json& body) {
  const auto press = panel_press_from_json(body);
  if (!press) return std::unexpected(press.error());
  if (const auto sent = twin.press(press->button, press->length)) {
    log_line("front panel: {}{}", command_name(sent->command),
             sent->outcome ? std::string() : ": refused: " + sent->outcome.error().message);
  }
  return panel_json(twin);
}

HttpResponse error_response(const ApiError& e, std::string allow = {}) {
  HttpResponse response = make_response(e.status, Json{{"error", e.message}}.dump() + "\n");
  response.allow = std::move(allow);
  return response;
}

ApiResult<HttpResponse> get_export(ApiContext& c, const HttpRequest&) {
  c.twin.sync();
  HttpResponse response =
      make_response(200, app_export_csv(c.twin.meter()), "text/csv; charset=utf-8");
  response.headers.emplace_back(
      "Content-Disposition",
      fmt::format("attachment; filename=\"{}\"", app_export_filename(c.twin.meter())));
  return response;
}

ApiResult<HttpResponse> get_events(ApiContext& c, const HttpRequest&) {
  if (c.events.full()) {
    return std::unexpected(
        ApiError{503, fmt::format("too many event streams (at most {}); close a page and retry",
                                  c.events.max_streams())});
  }
  HttpResponse response;
  response.take_over = [&events = c.events](boost::asio::ip::tcp::socket socket) {
    events.add(std::move(socket));
  };
  return response;
}

ApiResult<HttpResponse> asset_response(std::string_view name) {
  const auto asset = find_web_asset(name);
  if (!asset)
    return std::unexpected(ApiError{404, fmt::format("no file {} in the web page", name)});
  return make_response(200, std::string(asset->bytes), std::string(asset->content_type));
}

ApiResult<HttpResponse> get_page(ApiContext&, const HttpRequest&) {
  return asset_response("index.html");
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

/// A route whose answer is the JSON a JsonRouteFn returns for the request's body.
template <JsonRouteFn F>
ApiResult<HttpResponse> json_route(ApiContext& c, const HttpRequest& request) {
  const auto body = parse_body(request);
  if (!body) return std::unexpected(body.error());
  auto result = F(c.twin, *body);
  if (!result) return std::unexpected(result.error());
  return make_response(200, result->dump() + "\n");
}

/// The same for a route that needs more than the twin (the clock of a fleet).
template <ContextJsonRouteFn F>
ApiResult<HttpResponse> context_json_route(ApiContext& c, const HttpRequest& request) {
  const auto body = parse_body(request);
  if (!body) return std::unexpected(body.error());
  auto result = F(c, *body);
  if (!result) return std::unexpected(result.error());
  return make_response(200, result->dump() + "\n");
}

/// GET /metrics (docs/prometheus.md): the meter's, or the fleet's selected meters'.
ApiResult<HttpResponse> get_metrics(ApiContext& c, const HttpRequest& request) {
  static const HttpCounts kNone;
  const HttpCounts& http = c.http != nullptr ? *c.http : kNone;
  return c.fleet != nullptr ? fleet_metrics_response(*c.fleet, http, request.query)
                            : metrics_response(c.twin, http, request.query);
}

/// GET /api/v1/faults: every fault of the meter's link, active or ended, with its counts.
ApiResult<Json> get_faults(Twin& twin, const Json&) {
  twin.sync();
  const std::int64_t now = twin.meter().now_ms();
  Json list = Json::array();
  for (const Fault& f : twin.faults()) list.push_back(fault_json(f, now));
  return Json{{"sim_ms", now}, {"faults", std::move(list)}};
}

/// POST /api/v1/faults: a new fault on the meter's link; 201 with it.
ApiResult<HttpResponse> post_fault(ApiContext& c, const HttpRequest& request) {
  const auto body = parse_body(request);
  if (!body) return std::unexpected(body.error());
  c.twin.sync();
  const std::int64_t now = c.twin.meter().now_ms();
  auto fault = fault_from_json(*body, now, c.twin.meter().state().serial_bcd);
  if (!fault) return std::unexpected(fault.error());
  const std::uint32_t id = c.twin.add_fault(*fault);
  log_line("fault {} ({}) on meter {}", id, to_string(fault->kind),
           bcd_string(c.twin.meter().state().serial_bcd));
  return make_response(201, fault_json(c.twin.faults().back(), now).dump() + "\n");
}

constexpr std::string_view kFaultsPrefix = "/api/v1/faults/";

/// DELETE /api/v1/faults/{id}: the fault ends (it stays listed as ended).
HttpResponse delete_fault(ApiContext& c, const HttpRequest& request) {
  if (request.method != "DELETE") {
    return error_response({405, fmt::format("{} needs DELETE", request.path)}, "DELETE");
  }
  const std::string_view text = std::string_view(request.path).substr(kFaultsPrefix.size());
  std::uint32_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || end != text.data() + text.size() || !c.twin.end_fault(id)) {
    return error_response({404, fmt::format("no fault {}; GET /api/v1/faults lists them", text)});
  }
  c.twin.sync();
  for (const Fault& f : c.twin.faults()) {
    if (f.id == id) return make_response(200, fault_json(f, c.twin.meter().now_ms()).dump() + "\n");
  }
  return error_response({404, fmt::format("no fault {}", id)});
}

constexpr std::string_view kGatewaysPrefix = "/api/v1/gateways/";

/// Which of `count` things `name` is: one of their `names`, or a place 0 to count - 1.
std::optional<std::size_t> named_or_numbered(const std::vector<std::string>& names,
                                             std::string_view name, std::size_t count) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  std::size_t i = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), i);
  if (ec == std::errc{} && end == name.data() + name.size() && i < count) return i;
  return std::nullopt;
}

/// Endpoint `name` of the fleet: its name in the layout, or its place (0, 1, ...) in the
/// ready line's `gateways`.
std::optional<std::size_t> endpoint_named(const Fleet& fleet, std::string_view name) {
  return named_or_numbered(fleet.layout().endpoint_names, name, fleet.endpoint_count());
}

/// GET/POST /api/v1/gateways/{g}/faults, DELETE /api/v1/gateways/{g}/faults/{id}: a fleet
/// endpoint's own faults (link kinds: on its connections and every reply it sends).
HttpResponse gateway_faults(ApiContext& c, std::vector<Fault>& faults, std::string_view id_text,
                            const HttpRequest& request) {
  c.twin.sync();  // every meter shares the fleet's clock
  const std::int64_t now = c.twin.meter().now_ms();
  if (!id_text.empty()) {
    if (request.method != "DELETE") {
      return error_response({405, fmt::format("{} needs DELETE", request.path)}, "DELETE");
    }
    std::uint32_t id = 0;
    const auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    if (ec != std::errc{} || end != id_text.data() + id_text.size() || !end_fault(faults, id)) {
      return error_response({404, fmt::format("no fault {} on this gateway", id_text)});
    }
    return make_response(200, fault_json(*std::find_if(faults.begin(), faults.end(),
                                                       [&](const Fault& f) { return f.id == id; }),
                                         now)
                                      .dump() +
                                  "\n");
  }
  if (request.method == "GET") {
    Json list = Json::array();
    for (const Fault& f : faults) list.push_back(fault_json(f, now));
    return make_response(200, Json{{"sim_ms", now}, {"faults", std::move(list)}}.dump() + "\n");
  }
  if (request.method != "POST") {
    return error_response({405, fmt::format("{} needs GET, POST", request.path)}, "GET, POST");
  }
  const auto body = parse_body(request);
  if (!body) return error_response(body.error());
  auto fault = fault_from_json(*body, now, 0);
  if (!fault) return error_response(fault.error());
  if (fault_class(fault->kind) != FaultClass::link) {
    return error_response({422, fmt::format("\"kind\" {} acts on a meter: a gateway takes link "
                                            "faults (no-reply, delay, exception, reset, close, "
                                            "stall, refuse...); POST /api/v1/meters/SERIAL/faults",
                                            to_string(fault->kind))});
  }
  const std::uint32_t id = add_fault(faults, *fault);
  log_line("fault {} ({}) on gateway {}", id, to_string(fault->kind), request.path);
  return make_response(201, fault_json(faults.back(), now).dump() + "\n");
}

/// GET /api/v1/gateways/{g}/audit: the poll audit of every request through a gateway.
HttpResponse gateway_audit(ApiContext& c, const HttpRequest& request, std::string_view name) {
  if (request.method != "GET")
    return error_response({405, fmt::format("{} needs GET", request.path)}, "GET");
  const auto e = endpoint_named(*c.fleet, name);
  if (!e) {
    return error_response({404, fmt::format("no gateway {}: give its name or number from the "
                                            "ready line's gateways",
                                            name)});
  }
  const auto& gateways = c.fleet->layout().endpoint_gateways;
  if (*e < gateways.size() && !gateways[*e]) {
    return error_response({404, fmt::format("endpoint {} is one meter's own port, no gateway: its "
                                            "audit is GET /api/v1/meters/SERIAL/audit",
                                            name)});
  }
  return make_response(200, gateway_audit_json(*c.fleet, *e).dump() + "\n");
}

constexpr std::string_view kBusesPrefix = "/api/v1/buses/";

/// GET /api/v1/buses/{b}/audit: the poll audit of every frame on an RS485 bus of the fleet,
/// the bus named as in the ready line's `buses` or by its place (0, 1, ...).
HttpResponse dispatch_buses(ApiContext& c, const HttpRequest& request) {
  const std::string_view rest = std::string_view(request.path).substr(kBusesPrefix.size());
  if (!rest.ends_with("/audit")) {
    return error_response(
        {404, fmt::format("no endpoint {}; a bus has /api/v1/buses/NAME/audit", request.path)});
  }
  if (request.method != "GET")
    return error_response({405, fmt::format("{} needs GET", request.path)}, "GET");
  const std::string_view name = rest.substr(0, rest.size() - 6);
  const auto& names = c.fleet->layout().bus_names;
  const auto bus = named_or_numbered(names, name, names.size());
  if (!bus) {
    return error_response({404, fmt::format("no bus {}: give its name or number from the ready "
                                            "line's buses ({} of them)",
                                            name, names.size())});
  }
  return make_response(200, bus_audit_json(*c.fleet, *bus).dump() + "\n");
}

HttpResponse dispatch_gateways(ApiContext& c, const HttpRequest& request) {
  const std::string_view rest = std::string_view(request.path).substr(kGatewaysPrefix.size());
  if (rest.ends_with("/audit")) return gateway_audit(c, request, rest.substr(0, rest.size() - 6));
  const auto at = rest.rfind("/faults");
  const std::string_view tail = at == std::string_view::npos ? "" : rest.substr(at + 7);
  if (at == std::string_view::npos || (!tail.empty() && tail.front() != '/')) {
    return error_response({404, fmt::format("no endpoint {}; a gateway has "
                                            "/api/v1/gateways/NAME/faults and /audit",
                                            request.path)});
  }
  const auto e = endpoint_named(*c.fleet, rest.substr(0, at));
  if (!e) {
    return error_response({404, fmt::format("no gateway {}: give its name or number from the "
                                            "ready line's gateways",
                                            rest.substr(0, at))});
  }
  return gateway_faults(c, c.fleet->endpoint_faults(*e), tail.empty() ? tail : tail.substr(1),
                        request);
}

const std::array<Route, 23> kRoutes{{
    {{"index", "GET", "/api/v1"}, context_json_route<get_index>},
    {{"state", "GET", "/api/v1/state"}, json_route<get_state>},
    {{"load", "PUT", "/api/v1/load"}, json_route<put_load>},
    {{"scenario", "PUT", "/api/v1/scenario"}, json_route<put_scenario>},
    {{"advance", "POST", "/api/v1/clock/advance"}, context_json_route<post_advance>},
    {{"clock", "PUT", "/api/v1/clock"}, context_json_route<put_clock>},
    {{"tariff_input", "PUT", "/api/v1/tariff-input"}, json_route<put_tariff_input>},
    {{"power_cycle", "POST", "/api/v1/power-cycle"}, json_route<post_power_cycle>},
    {{"power", "POST", "/api/v1/power"}, json_route<post_power>},
    {{"settings", "PUT", "/api/v1/settings"}, json_route<put_settings>},
    {{"settings_schema", "GET", "/api/v1/settings/schema"}, json_route<get_settings_schema>},
    {{"reset", "POST", "/api/v1/reset"}, json_route<post_reset>},
    {{"page", "GET", "/"}, get_page},
    {{"panel", "GET", "/api/v1/panel"}, json_route<get_panel>},
    {{"panel_press", "POST", "/api/v1/panel/press"}, json_route<post_panel_press>},
    {{"app_settings", "PUT", "/api/v1/app/settings"}, json_route<put_app_settings>},
    {{"app_reset", "POST", "/api/v1/app/reset"}, json_route<post_app_reset>},
    {{"app_export", "GET", "/api/v1/app/export.csv"}, get_export},
    {{"events", "GET", "/api/v1/events"}, get_events},
    {{"faults", "GET", "/api/v1/faults"}, json_route<get_faults>},
    {{"fault_add", "POST", "/api/v1/faults"}, post_fault},
    {{"audit", "GET", "/api/v1/audit"}, json_route<get_audit>},
    {{"metrics", "GET", "/metrics"}, get_metrics},
}};

/// GET /assets/<name>: the embedded files of the page.
HttpResponse asset(const HttpRequest& request) {
  if (request.method != "GET")
    return error_response({405, fmt::format("{} needs GET", request.path)}, "GET");
  auto response = asset_response(std::string_view(request.path).substr(kAssetsPrefix.size()));
  return response ? std::move(*response) : error_response(response.error());
}

HttpResponse dispatch_meters(ApiContext& context, const HttpRequest& request);
HttpResponse dispatch_fleet(ApiContext& context, const HttpRequest& request);

HttpResponse dispatch(ApiContext& context, const HttpRequest& request) {
  if (request.path.starts_with(kAssetsPrefix)) return asset(request);
  if (context.fleet != nullptr &&
      (request.path == kMetersPath || request.path.starts_with(std::string(kMetersPath) + "/"))) {
    return dispatch_meters(context, request);
  }
  if (context.fleet != nullptr && request.path.starts_with(kFleetPrefix)) {
    return dispatch_fleet(context, request);
  }
  if (context.fleet != nullptr && request.path.starts_with(kGatewaysPrefix)) {
    return dispatch_gateways(context, request);
  }
  if (context.fleet != nullptr && request.path.starts_with(kBusesPrefix)) {
    return dispatch_buses(context, request);
  }
  if (request.path.starts_with(kFaultsPrefix)) return delete_fault(context, request);
  std::string allow;
  for (const Route& route : kRoutes) {
    if (request.path != route.endpoint.path) continue;
    if (request.method != route.endpoint.method) {
      allow += fmt::format("{}{}", allow.empty() ? "" : ", ", route.endpoint.method);
      continue;
    }
    auto result = route.fn(context, request);
    return result ? std::move(*result) : error_response(result.error());
  }
  if (!allow.empty()) {
    return error_response({405, fmt::format("{} needs {}", request.path, allow)}, allow);
  }
  return error_response({404, fmt::format("no endpoint {}; GET /api/v1 lists them", request.path)});
}

/// The paths a meter of a fleet does not have of its own: the clock, the event stream and
/// the page are the fleet's.
bool fleet_wide(std::string_view path) {
  return path == "/api/v1/clock" || path == "/api/v1/clock/advance" || path == "/api/v1/events" ||
         path == "/" || path == "/api/v1";
}

/// GET /api/v1/meters and /api/v1/meters/{serial}/...: the list, and every path of a single
/// meter's API for the meter with that serial.
HttpResponse dispatch_meters(ApiContext& context, const HttpRequest& request) {
  const std::string_view rest = std::string_view(request.path).substr(kMetersPath.size());
  if (rest.empty()) {
    if (request.method != "GET") return error_response({405, "/api/v1/meters needs GET"}, "GET");
    const auto page = parse_meters_page(request.query, *context.fleet);
    if (!page) return error_response(page.error());
    return make_response(200,
                         meters_page_json(*context.fleet, *page, *context.gateways).dump() + "\n");
  }
  const std::string_view after = rest.substr(1);
  const std::string_view serial_text = after.substr(0, after.find('/'));
  const std::string_view sub = after.substr(serial_text.size());
  Twin* twin = nullptr;
  if (auto serial = serial_from_text(serial_text)) twin = context.fleet->find(*serial);
  if (twin == nullptr) {
    return error_response(
        {404, fmt::format("no meter {} in the fleet; GET /api/v1/meters lists them", serial_text)});
  }
  if (sub == "/live") {
    // What one event of the stream holds, for this meter: the web page's fleet view polls it
    // for the meter it shows (the stream is the first meter's).
    if (request.method != "GET") {
      return error_response({405, fmt::format("{} needs GET", request.path)}, "GET");
    }
    return make_response(200, event_data(*twin) + "\n");
  }
  HttpRequest inner = request;
  inner.path = sub.empty() ? std::string("/api/v1/state") : fmt::format("/api/v1{}", sub);
  if (fleet_wide(inner.path)) {
    return error_response({404, fmt::format("no endpoint {}: {} is the fleet's, without "
                                            "/meters/{{serial}}",
                                            request.path, inner.path)});
  }
  ApiContext meter{*twin, context.events};
  return dispatch(meter, inner);
}

/// POST|PUT /api/v1/fleet/PATH?SELECTOR: the per-meter request PATH (load, scenario, power,
/// power-cycle, tariff-input, settings, reset) for every selected meter, in fleet order, with
/// the same body. Answers how many were selected and changed, and the first refusals.
/// Whether one meter's API has `path` (whatever the method): a 404 for such a path is that
/// meter's own answer ("no fault 3"), not a wrong path.
bool known_path(std::string_view path) {
  if (path.starts_with(kFaultsPrefix)) return true;
  return std::any_of(kRoutes.begin(), kRoutes.end(),
                     [&](const Route& route) { return route.endpoint.path == path; });
}

HttpResponse dispatch_fleet(ApiContext& context, const HttpRequest& request) {
  HttpRequest inner = request;
  inner.path =
      fmt::format("/api/v1/{}", std::string_view(request.path).substr(kFleetPrefix.size()));
  inner.query.clear();
  if (request.method == "GET" || fleet_wide(inner.path)) {
    return error_response(
        {404, fmt::format("no endpoint {}: /api/v1/fleet/ takes the changes of one meter's API "
                          "(PUT load, scenario, tariff-input, settings; POST power, power-cycle, "
                          "reset, faults; DELETE faults/ID) for a selection of meters",
                          request.path)});
  }
  const auto selected = select_meters(*context.fleet, request.query);
  if (!selected) return error_response(selected.error());
  std::size_t changed = 0;
  Json refused = Json::array();
  for (const std::size_t i : *selected) {
    ApiContext meter{context.fleet->at(i), context.events};
    const HttpResponse response = dispatch(meter, inner);
    if (response.status < 300) {
      ++changed;
      continue;
    }
    if (changed == 0 && refused.empty() && (response.status == 405 || !known_path(inner.path))) {
      return response;  // the path or the method itself is wrong: the same for every meter
    }
    if (refused.size() < 10) {
      Json body = Json::parse(response.body, nullptr, false);
      refused.push_back(
          Json{{"serial", bcd_string(context.fleet->at(i).meter().state().serial_bcd)},
               {"status", response.status},
               {"error", body.is_object() ? body.value("error", "") : ""}});
    }
  }
  return make_response(200, Json{{"selected", selected->size()},
                                 {"changed", changed},
                                 {"refused", selected->size() - changed},
                                 {"first_refusals", std::move(refused)}}
                                    .dump() +
                                "\n");
}

}  // namespace

std::vector<ApiEndpoint> api_endpoints() {
  std::vector<ApiEndpoint> endpoints;
  endpoints.reserve(kRoutes.size());
  for (const Route& route : kRoutes) endpoints.push_back(route.endpoint);
  return endpoints;
}

Json endpoints_json() {
  Json j = Json::object();
  for (const ApiEndpoint& e : api_endpoints()) j[e.name] = fmt::format("{} {}", e.method, e.path);
  return j;
}

namespace {

HttpHandler make_handler(ApiContext context) {
  auto counts = std::make_shared<HttpCounts>();
  context.http = counts.get();
  return [context, counts](const HttpRequest& request) mutable {
    HttpResponse response = dispatch(context, request);
    counts->count(response.status);
    if (request.method != "GET") {
      log_line("{} {} -> {}", request.method, request.path, response.status);
      if (response.status < 300) context.events.changed();
    }
    return response;
  };
}

}  // namespace

HttpHandler make_api_handler(Twin& twin, EventStreams& events) {
  return make_handler(ApiContext{twin, events});
}

HttpHandler make_fleet_api_handler(Fleet& fleet, std::vector<std::string> gateways,
                                   EventStreams& events) {
  auto endpoints = std::make_shared<const std::vector<std::string>>(std::move(gateways));
  HttpHandler handler = make_handler(ApiContext{fleet.at(0), events, &fleet, endpoints.get()});
  return [endpoints, handler = std::move(handler)](const HttpRequest& request) {
    return handler(request);
  };
}

std::string event_data(Twin& twin) {
  twin.sync();
  return Json{{"state", state_json(twin)},
              {"panel", panel_json(twin)},
              {"app", app_values_json(app_values(twin.meter()))}}
      .dump();
}

}  // namespace ambi
