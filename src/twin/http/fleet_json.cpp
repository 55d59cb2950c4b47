#include "twin/http/fleet_json.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "twin/http/state_json.hpp"

namespace ambi {

namespace {

ApiResult<std::size_t> page_number(std::string_view name, std::string_view text, std::size_t max) {
  std::size_t value = 0;
  bool ok = !text.empty() && text.size() <= 7;
  for (const char c : text) {
    if (c < '0' || c > '9') ok = false;
    if (ok) value = value * 10 + static_cast<std::size_t>(c - '0');
  }
  if (!ok || value > max) {
    return std::unexpected(ApiError{
        400, fmt::format("bad {}=\"{}\": give a whole number from 0 to {}", name, text, max)});
  }
  return value;
}

}  // namespace

ApiResult<MetersPage> parse_meters_page(std::string_view query) {
  MetersPage page;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (name == "offset") {
      auto n = page_number(name, value, kMaxFleetMeters);
      if (!n) return std::unexpected(n.error());
      page.offset = *n;
    } else if (name == "limit") {
      auto n = page_number(name, value, kMaxMetersPage);
      if (!n) return std::unexpected(n.error());
      page.limit = *n;
    } else {
      return std::unexpected(ApiError{
          400, fmt::format("unknown parameter \"{}\": GET /api/v1/meters takes offset and limit",
                           name)});
    }
  }
  return page;
}

Json fleet_meter_json(Twin& twin, std::string_view modbus_endpoint) {
  twin.sync();
  const Meter& m = twin.meter();
  const Settings& s = m.settings();
  return Json{
      {"serial", bcd_string(m.state().serial_bcd)},
      {"modbus", {{"endpoint", modbus_endpoint}, {"unit", s.modbus_id}}},
      {"mbus", {{"primary", s.mbus_id}, {"secondary", bcd_string(s.mbus_secondary_id)}}},
      {"powered", m.powered()},
      {"p_w", static_cast<double>(m.measurement().p_mw) / 1000.0},
      {"forward_kwh", to_kwh(m.counter(counter_index::total(Family::active, Dir::forward)))},
      {"reverse_kwh", to_kwh(m.counter(counter_index::total(Family::active, Dir::reverse)))},
      {"error_code", m.error_code()},
      {"sim_ms", m.now_ms()}};
}

Json meters_page_json(Fleet& fleet, const MetersPage& page,
                      const std::vector<std::string>& gateways) {
  Json meters = Json::array();
  const std::size_t end = std::min(fleet.size(), page.offset + page.limit);
  for (std::size_t i = page.offset; i < end; ++i) {
    const std::size_t gateway = i / kMetersPerGateway;
    meters.push_back(
        fleet_meter_json(fleet.at(i), gateway < gateways.size() ? gateways[gateway] : ""));
  }
  return Json{{"total", fleet.size()},
              {"offset", page.offset},
              {"limit", page.limit},
              {"meters", std::move(meters)}};
}

}  // namespace ambi
