#include "twin/http/fleet_json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
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

/// gateway=G: an endpoint of the fleet, from 0.
ApiResult<std::size_t> endpoint_index(std::string_view value, const Fleet& fleet) {
  return page_number("gateway", value, fleet.endpoint_count() - 1);
}

/// group=NAME: one of the fleet's groups.
ApiResult<std::size_t> group_index(std::string_view value, const std::vector<std::string>& groups) {
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (groups[g] == value) return g;
  }
  if (groups.empty()) return bad_request(fmt::format("group={}: this fleet has no groups", value));
  return bad_request(
      fmt::format("group={}: no such group; the groups are {}", value, fmt::join(groups, ", ")));
}

}  // namespace

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

ApiResult<std::vector<std::size_t>> select_meters(Fleet& fleet, std::string_view query) {
  std::optional<double> fraction;
  std::optional<std::size_t> seed;
  for (const auto& [name, value] : query_pairs(query)) {
    if (name == "serials") return serials_selection(fleet, value);
    if (name == "gateway" || name == "group") {
      const auto wanted = name == "gateway" ? endpoint_index(value, fleet)
                                            : group_index(value, fleet.layout().groups);
      if (!wanted) return std::unexpected(wanted.error());
      std::vector<std::size_t> indices;
      for (std::size_t i = 0; i < fleet.size(); ++i) {
        const std::size_t at = name == "gateway" ? fleet.endpoint_of(i) : fleet.place(i).group;
        if (at == *wanted) indices.push_back(i);
      }
      if (indices.empty()) {
        return bad_request(fmt::format("{}={}: no meter there", name, value));
      }
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
          "unknown parameter \"{}\": select meters with serials=, gateway=, group= or fraction= "
          "and seed=",
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

namespace {

struct SortName {
  MeterSort sort;
  std::string_view name;
};
constexpr std::array<SortName, 7> kSortNames{{{MeterSort::fleet, "fleet"},
                                              {MeterSort::serial, "serial"},
                                              {MeterSort::unit, "unit"},
                                              {MeterSort::p_w, "p_w"},
                                              {MeterSort::forward_kwh, "forward_kwh"},
                                              {MeterSort::reverse_kwh, "reverse_kwh"},
                                              {MeterSort::error, "error"}}};

constexpr std::string_view kMetersParameters =
    "GET /api/v1/meters takes offset, limit, sort, order, q, error, supply, gateway and group";

ApiResult<MeterSort> sort_of(std::string_view value) {
  for (const SortName& s : kSortNames) {
    if (s.name == value) return s.sort;
  }
  return bad_request(fmt::format(
      "bad sort=\"{}\": sort by serial, unit, p_w, forward_kwh, reverse_kwh, error or fleet",
      value));
}

/// One parameter of GET /api/v1/meters into `page`.
ApiResult<void> meters_parameter(MetersPage& page, std::string_view name, std::string_view value,
                                 std::size_t endpoints, const std::vector<std::string>& groups) {
  if (name == "offset" || name == "limit") {
    auto n = page_number(name, value, name == "offset" ? kMaxFleetMeters : kMaxMetersPage);
    if (!n) return std::unexpected(n.error());
    (name == "offset" ? page.offset : page.limit) = *n;
  } else if (name == "sort") {
    auto sort = sort_of(value);
    if (!sort) return std::unexpected(sort.error());
    page.sort = *sort;
  } else if (name == "order") {
    if (value != "asc" && value != "desc") {
      return bad_request(fmt::format("bad order=\"{}\": give asc or desc", value));
    }
    page.descending = value == "desc";
  } else if (name == "q") {
    if (value.size() > 8 ||
        !std::ranges::all_of(value, [](char c) { return c >= '0' && c <= '9'; })) {
      return bad_request(
          fmt::format("bad q=\"{}\": give up to 8 digits of a serial number", value));
    }
    page.serial_digits = value;
  } else if (name == "error") {
    if (value != "0" && value != "1") {
      return bad_request(fmt::format(
          "bad error=\"{}\": 1 lists the meters with an error code, 0 those without", value));
    }
    page.error = value == "1";
  } else if (name == "supply") {
    if (value != "on" && value != "off") {
      return bad_request(fmt::format("bad supply=\"{}\": give on or off", value));
    }
    page.powered = value == "on";
  } else if (name == "gateway") {
    auto g = page_number(name, value, endpoints - 1);
    if (!g) return std::unexpected(g.error());
    page.gateway = *g;
  } else if (name == "group") {
    auto g = group_index(value, groups);
    if (!g) return std::unexpected(g.error());
    page.group = *g;
  } else {
    return bad_request(fmt::format("unknown parameter \"{}\": {}", name, kMetersParameters));
  }
  return {};
}

/// The 8 digits of a BCD serial as text, without allocating.
std::array<char, 8> serial_digits(std::uint32_t bcd) {
  std::array<char, 8> digits{};
  for (std::size_t i = 0; i < digits.size(); ++i) {
    digits.at(i) = static_cast<char>('0' + ((bcd >> (28 - 4 * i)) & 0xFU));
  }
  return digits;
}

bool page_filters_live_values(const MetersPage& page) {
  return page.error.has_value() || page.powered.has_value() ||
         (page.sort != MeterSort::fleet && page.sort != MeterSort::serial &&
          page.sort != MeterSort::unit);
}

bool meter_matches(const MetersPage& page, const Meter& m) {
  if (page.error && (m.error_code() != 0) != *page.error) return false;
  if (page.powered && m.powered() != *page.powered) return false;
  if (page.serial_digits.empty()) return true;
  const std::array<char, 8> digits = serial_digits(m.state().serial_bcd);
  return std::string_view(digits.data(), digits.size()).find(page.serial_digits) !=
         std::string_view::npos;
}

/// The key a meter sorts by (ties: fleet order).
std::int64_t sort_key(MeterSort sort, const Meter& m, std::size_t index, std::size_t endpoint) {
  switch (sort) {
    case MeterSort::fleet:
      return static_cast<std::int64_t>(index);
    case MeterSort::serial:
      return m.state().serial_bcd;
    case MeterSort::unit:
      return static_cast<std::int64_t>(endpoint) * 256 + m.settings().modbus_id;
    case MeterSort::p_w:
      return m.measurement().p_mw;
    case MeterSort::forward_kwh:
      return m.counter(counter_index::total(Family::active, Dir::forward));
    case MeterSort::reverse_kwh:
      return m.counter(counter_index::total(Family::active, Dir::reverse));
    case MeterSort::error:
      return m.error_code();
  }
  return 0;
}

}  // namespace

std::string_view sort_name(MeterSort sort) {
  for (const SortName& s : kSortNames) {
    if (s.sort == sort) return s.name;
  }
  return "fleet";
}

namespace {

ApiResult<MetersPage> parse_page(std::string_view query, std::size_t endpoints,
                                 const std::vector<std::string>& groups) {
  MetersPage page;
  for (const auto& [name, value] : query_pairs(query)) {
    if (auto ok = meters_parameter(page, name, value, endpoints, groups); !ok) {
      return std::unexpected(ok.error());
    }
  }
  return page;
}

}  // namespace

ApiResult<MetersPage> parse_meters_page(std::string_view query, std::size_t fleet_size) {
  const std::size_t gateways =
      std::max<std::size_t>(1, (fleet_size + kMetersPerGateway - 1) / kMetersPerGateway);
  return parse_page(query, gateways, {});
}

ApiResult<MetersPage> parse_meters_page(std::string_view query, const Fleet& fleet) {
  return parse_page(query, fleet.endpoint_count(), fleet.layout().groups);
}

Json fleet_meter_json(Twin& twin, std::size_t gateway, std::string_view modbus_endpoint,
                      std::string_view group) {
  twin.sync();
  const Meter& m = twin.meter();
  const Settings& s = m.settings();
  Json status = status_to_json(m);
  const auto faults = std::count_if(twin.faults().begin(), twin.faults().end(),
                                    [&](const Fault& f) { return f.active_at(m.now_ms()); });
  return Json{
      {"serial", bcd_string(m.state().serial_bcd)},
      {"gateway", gateway},
      {"group", group},
      {"modbus", {{"endpoint", modbus_endpoint}, {"unit", s.modbus_id}}},
      {"mbus", {{"primary", s.mbus_id}, {"secondary", bcd_string(s.mbus_secondary_id)}}},
      {"powered", m.powered()},
      {"supply_on", m.supply_switched_on()},
      {"p_w", static_cast<double>(m.measurement().p_mw) / 1000.0},
      {"forward_kwh", to_kwh(m.counter(counter_index::total(Family::active, Dir::forward)))},
      {"reverse_kwh", to_kwh(m.counter(counter_index::total(Family::active, Dir::reverse)))},
      {"error_code", m.error_code()},
      {"error_bits", std::move(status["error_bits"])},
      {"status_word", m.status_word()},
      {"status_bits", std::move(status["status_bits"])},
      {"faults", faults},
      {"sim_ms", m.now_ms()}};
}

MatchingMeters matching_meters(Fleet& fleet, const MetersPage& page) {
  const std::size_t begin = 0;
  const std::size_t end = fleet.size();
  const bool live = page_filters_live_values(page);
  struct Row {
    std::int64_t key;
    std::size_t index;
  };
  std::vector<Row> rows;
  rows.reserve(end - begin);
  for (std::size_t i = begin; i < end; ++i) {
    const std::size_t endpoint = fleet.endpoint_of(i);
    if (page.gateway && endpoint != *page.gateway) continue;
    if (page.group && fleet.place(i).group != *page.group) continue;
    Twin& twin = fleet.at(i);
    if (live) twin.sync();
    if (!meter_matches(page, twin.meter())) continue;
    rows.push_back(Row{sort_key(page.sort, twin.meter(), i, endpoint), i});
  }
  // Only the rows up to the page's end need their place: a partial sort of the rest.
  const std::size_t wanted = std::min(rows.size(), page.offset + page.limit);
  const bool descending = page.descending;
  std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(wanted), rows.end(),
                    [descending](const Row& a, const Row& b) {
                      if (a.key != b.key) return descending ? a.key > b.key : a.key < b.key;
                      return a.index < b.index;
                    });
  MatchingMeters out{rows.size(), {}};
  for (std::size_t k = std::min(page.offset, wanted); k < wanted; ++k) {
    out.page.push_back(rows[k].index);
  }
  return out;
}

Json meters_page_json(Fleet& fleet, const MetersPage& page,
                      const std::vector<std::string>& gateways) {
  const MatchingMeters matching = matching_meters(fleet, page);
  Json meters = Json::array();
  for (const std::size_t i : matching.page) {
    const std::size_t gateway = fleet.endpoint_of(i);
    meters.push_back(fleet_meter_json(fleet.at(i), gateway,
                                      gateway < gateways.size() ? gateways[gateway] : "",
                                      fleet.group_of(i)));
  }
  return Json{{"total", matching.total},      {"fleet_meters", fleet.size()},
              {"offset", page.offset},        {"limit", page.limit},
              {"sort", sort_name(page.sort)}, {"order", page.descending ? "desc" : "asc"},
              {"meters", std::move(meters)}};
}

}  // namespace ambi
