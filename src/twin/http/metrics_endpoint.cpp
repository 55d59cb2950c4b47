#include "twin/http/metrics_endpoint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "export/meter_reading.hpp"
#include "export/prometheus_text.hpp"
#include "twin/http/fleet_json.hpp"

namespace ambi {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

/// The health of the process: meters, simulated time, HTTP requests.
void process_health(std::vector<HealthMetric>& out, std::size_t meters, std::size_t scraped,
                    std::int64_t sim_ms, const HttpCounts& http) {
  out.push_back({"ambimeter_meters",
                 "Meters this twin simulates.",
                 MetricKind::gauge,
                 {},
                 static_cast<double>(meters)});
  out.push_back({"ambimeter_scrape_meters",
                 "Meters in this scrape (a fleet's selection).",
                 MetricKind::gauge,
                 {},
                 static_cast<double>(scraped)});
  out.push_back({"ambimeter_simulated_time_seconds",
                 "Simulated time since the twin started (s); it stands still with a stepped "
                 "clock until advanced.",
                 MetricKind::gauge,
                 {},
                 static_cast<double>(sim_ms) / 1000.0});
  for (unsigned cls = 1; cls <= 5; ++cls) {
    out.push_back({"ambimeter_http_requests_total",
                   "HTTP requests the control API has answered, by status class (this scrape "
                   "not yet counted).",
                   MetricKind::counter, Labels{{"code", fmt::format("{}xx", cls)}},
                   static_cast<double>(http.answered(cls))});
  }
}

/// One meter's health: requests served, saves, faults active.
void meter_health(std::vector<HealthMetric>& out, const Twin& twin, const std::string& serial) {
  const TwinCounts& c = twin.counts();
  const auto n = [](std::uint64_t v) { return static_cast<double>(v); };
  for (const auto& [framing, name] :
       {std::pair{ModbusFraming::tcp, "tcp"}, std::pair{ModbusFraming::rtu, "rtu"}}) {
    out.push_back({"ambimeter_modbus_requests_total",
                   "Modbus requests served to the meter (broadcasts too), by framing: tcp "
                   "(Modbus TCP, a fleet's gateways), rtu (serial, pty, RTU over TCP, a bus).",
                   MetricKind::counter, Labels{{"serial", serial}, {"framing", name}},
                   n(c.modbus_requests.at(static_cast<std::size_t>(framing)))});
  }
  out.push_back({"ambimeter_mbus_telegrams_total", "M-bus telegrams addressed to the meter.",
                 MetricKind::counter, Labels{{"serial", serial}}, n(c.mbus_telegrams)});
  out.push_back({"ambimeter_saves_total",
                 "Saves of the meter's state; outcome failed: an area could not be written "
                 "(error code bits 1-3).",
                 MetricKind::counter, Labels{{"serial", serial}, {"outcome", "ok"}},
                 n(c.saves - c.failed_saves)});
  out.push_back({"ambimeter_saves_total", "", MetricKind::counter,
                 Labels{{"serial", serial}, {"outcome", "failed"}}, n(c.failed_saves)});
  const std::int64_t now = twin.meter().now_ms();
  const auto active =
      std::ranges::count_if(twin.faults(), [&](const Fault& f) { return f.active_at(now); });
  out.push_back({"ambimeter_faults_active",
                 "Faults active on the meter now (docs/faults.md: link, meter and storage).",
                 MetricKind::gauge, Labels{{"serial", serial}}, static_cast<double>(active)});
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// One name or value of a query with its %XX escapes and '+' decoded; nullopt for a bad
/// escape or an escaped '&' or '=' (which would change the query's parameters).
std::optional<std::string> url_decoded(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] != '%') {
      out += text[i];
    } else {
      const int hi = i + 2 < text.size() ? hex_digit(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) return std::nullopt;
      const char c = static_cast<char>(hi * 16 + lo);
      if (c == '&' || c == '=') return std::nullopt;
      out += c;
      i += 2;
    }
  }
  return out;
}

/// The query as the fleet's selectors read it: Prometheus sends `params:` URL-encoded
/// ("serials=19020246%2C19020247").
ApiResult<std::string> decoded_query(std::string_view query) {
  const auto decoded = url_decoded(query);
  if (!decoded) {
    return std::unexpected(ApiError{
        400, fmt::format("bad query \"{}\": a %-escape is not two hex digits, or escapes & or =",
                         query)});
  }
  return *decoded;
}

HttpResponse metrics_text(std::span<const MeterReading> readings,
                          std::span<const HealthMetric> health) {
  return make_response(200, render_prometheus(readings, health),
                       std::string(kPrometheusContentType));
}

}  // namespace

ApiResult<HttpResponse> metrics_response(Twin& twin, const HttpCounts& http,
                                         std::string_view query) {
  if (!query.empty()) {
    return std::unexpected(ApiError{
        400, fmt::format("unknown parameters \"{}\": GET /metrics of one meter takes none (the "
                         "selectors serials=, gateway=, group=, fraction= are a fleet's)",
                         query)});
  }
  twin.sync();
  const MeterReading reading = read_meter(twin.meter());
  std::vector<HealthMetric> health;
  process_health(health, 1, 1, twin.meter().now_ms(), http);
  meter_health(health, twin, reading.serial);
  return metrics_text(std::span(&reading, 1), health);
}

ApiResult<HttpResponse> fleet_metrics_response(Fleet& fleet, const HttpCounts& http,
                                               std::string_view query, std::size_t max_meters) {
  const auto decoded = decoded_query(query);
  if (!decoded) return std::unexpected(decoded.error());
  const auto selected = select_meters(fleet, *decoded);
  if (!selected) return std::unexpected(selected.error());
  if (selected->size() > max_meters) {
    return std::unexpected(ApiError{
        400, fmt::format("GET /metrics would hold {} meters, at most {} a scrape: select some "
                         "with ?gateway=G ({} meters each), ?group=NAME, ?serials=A,B or "
                         "?fraction=F&seed=S, e.g. one scrape target per gateway "
                         "(docs/prometheus.md)",
                         selected->size(), max_meters, kMetersPerGateway)});
  }
  std::vector<MeterReading> readings;
  readings.reserve(selected->size());
  std::vector<HealthMetric> health;
  health.reserve(selected->size() * 5 + 16);
  fleet.at(0).sync();  // the fleet's clock, shared by every meter
  const std::int64_t now = fleet.at(0).meter().now_ms();
  process_health(health, fleet.size(), selected->size(), now, http);
  for (const std::size_t i : *selected) {
    Twin& twin = fleet.at(i);
    twin.sync();
    readings.push_back(read_meter(twin.meter()));
    meter_health(health, twin, readings.back().serial);
  }
  for (std::size_t e = 0; e < fleet.endpoint_count(); ++e) {
    const auto active = std::ranges::count_if(fleet.endpoint_faults(e),
                                              [&](const Fault& f) { return f.active_at(now); });
    health.push_back({"ambimeter_gateway_faults_active",
                      "Faults active on a fleet's Modbus TCP gateway (its number, as gateway= "
                      "selects it).",
                      MetricKind::gauge, Labels{{"gateway", fmt::format("{}", e)}},
                      static_cast<double>(active)});
  }
  return metrics_text(readings, health);
}

}  // namespace ambi
