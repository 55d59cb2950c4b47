#include "twin/http/fleet_json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <random>

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

/// The query's parameters in order, as name and value.
std::vector<std::pair<std::string_view, std::string_view>> query_pairs(std::string_view query) {
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    pairs.emplace_back(pair.substr(0, eq),
                       eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
  }
  return pairs;
}

std::unexpected<ApiError> bad_request(std::string message) {
  return std::unexpected(ApiError{400, std::move(message)});
}

ApiResult<std::vector<std::size_t>> serials_selection(const Fleet& fleet, std::string_view list) {
  std::vector<std::size_t> indices;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view text = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    const auto serial = serial_from_text(text);
    const auto index = serial ? fleet.index_of(*serial) : std::nullopt;
    if (!index) return bad_request(fmt::format("serials: no meter {} in the fleet", text));
    indices.push_back(*index);
  }
  if (indices.empty()) return bad_request("serials= needs at least one serial");
  std::ranges::sort(indices);
  const auto [first, last] = std::ranges::unique(indices);
  indices.erase(first, last);
  return indices;
}

/// round(fraction × N) meters drawn with `seed`: the same draw for the same fleet size.
std::vector<std::size_t> fraction_selection(std::size_t meters, double fraction,
                                            std::uint64_t seed) {
  std::vector<std::size_t> indices(meters);
  std::iota(indices.begin(), indices.end(), std::size_t{0});
  std::mt19937_64 rng(seed);
  std::shuffle(indices.begin(), indices.end(), rng);
  const auto count = static_cast<std::size_t>(std::llround(fraction * static_cast<double>(meters)));
  indices.resize(count);
  std::ranges::sort(indices);
  return indices;
}

}  // namespace

ApiResult<std::vector<std::size_t>> select_meters(Fleet& fleet, std::string_view query) {
  std::optional<double> fraction;
  std::optional<std::size_t> seed;
  for (const auto& [name, value] : query_pairs(query)) {
    if (name == "serials") return serials_selection(fleet, value);
    if (name == "gateway") {
      auto gateway = page_number(name, value, fleet.size() / kMetersPerGateway);
      if (!gateway) return std::unexpected(gateway.error());
      std::vector<std::size_t> indices;
      const std::size_t begin = *gateway * kMetersPerGateway;
      for (std::size_t i = begin; i < std::min(fleet.size(), begin + kMetersPerGateway); ++i) {
        indices.push_back(i);
      }
      if (indices.empty()) return bad_request(fmt::format("gateway={}: no such gateway", value));
      return indices;
    }
    if (name == "fraction") {
      const std::string text(value);
      char* end = nullptr;
      const double f = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size() || !(f >= 0.0) || f > 1.0) {
        return bad_request(
            fmt::format("bad fraction=\"{}\": give a share of the fleet from 0 to 1", value));
      }
      fraction = f;
    } else if (name == "seed") {
      auto n = page_number(name, value, 9'999'999);
      if (!n) return std::unexpected(n.error());
      seed = *n;
    } else {
      return bad_request(fmt::format(
          "unknown parameter \"{}\": select meters with serials=, gateway= or fraction= and seed=",
          name));
    }
  }
  if (seed && !fraction) return bad_request("seed= goes with fraction=");
  if (fraction) {
    if (!seed) return bad_request("fraction= needs seed= (the same seed selects the same meters)");
    return fraction_selection(fleet.size(), *fraction, *seed);
  }
  std::vector<std::size_t> all(fleet.size());
  std::iota(all.begin(), all.end(), std::size_t{0});
  return all;
}

ApiResult<MetersPage> parse_meters_page(std::string_view query) {
  MetersPage page;
  for (const auto& [name, value] : query_pairs(query)) {
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
