#pragma once
// GET /metrics (docs/prometheus.md): the meters' readings and the twin's own health in the
// Prometheus text exposition format. One meter: its reading. A fleet: the meters a selector
// picks (the fleet API's: serials=, gateway=, group=, fraction=&seed=), every meter without
// one, at most `kMaxMetricsMeters` per scrape.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "net/http_server.hpp"
#include "twin/http/request_json.hpp"
#include "twin/service/fleet.hpp"
#include "twin/service/twin.hpp"

namespace ambi {

/// The most meters one scrape holds: about 130 series each, so a scrape stays near 12 MB.
inline constexpr std::size_t kMaxMetricsMeters = 1000;

/// The HTTP requests an API has answered, by status class (1xx to 5xx).
class HttpCounts {
 public:
  void count(unsigned status) {
    const unsigned cls = status / 100;
    if (cls >= 1 && cls <= 5) ++by_class_.at(cls - 1);
  }
  /// Requests answered with status class `cls` (1 to 5).
  [[nodiscard]] std::uint64_t answered(unsigned cls) const {
    return cls >= 1 && cls <= 5 ? by_class_.at(cls - 1) : 0;
  }

 private:
  std::array<std::uint64_t, 5> by_class_{};
};

/// GET /metrics of one meter (`query` must be empty), brought to now.
[[nodiscard]] ApiResult<HttpResponse> metrics_response(Twin& twin, const HttpCounts& http,
                                                       std::string_view query);
/// GET /metrics?SELECTOR of a fleet: the selected meters, brought to now. More than
/// `max_meters` selected, or a bad selector, is a 400 naming the fix. The query may be
/// URL-encoded (Prometheus's `params:` are).
[[nodiscard]] ApiResult<HttpResponse> fleet_metrics_response(
    Fleet& fleet, const HttpCounts& http, std::string_view query,
    std::size_t max_meters = kMaxMetricsMeters);

}  // namespace ambi
