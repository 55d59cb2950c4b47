#pragma once
// A fleet as the control API shows it (docs/fleet.md): GET /api/v1/meters, a page of meters
// with their addresses and live values.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "twin/http/request_json.hpp"
#include "twin/service/fleet.hpp"

namespace ambi {

/// The most meters one page of GET /api/v1/meters holds, and how many without ?limit=.
inline constexpr std::size_t kMaxMetersPage = 1000;
inline constexpr std::size_t kDefaultMetersPage = 100;

/// Which page: ?offset=N&limit=M.
struct MetersPage {
  std::size_t offset = 0;
  std::size_t limit = kDefaultMetersPage;
};

/// Parses the query of GET /api/v1/meters ("offset=200&limit=50"); a bad or unknown
/// parameter is a 400 naming it.
[[nodiscard]] ApiResult<MetersPage> parse_meters_page(std::string_view query);

/// One meter of the list: serial, Modbus endpoint and unit, M-bus addresses, supply, power,
/// energy and error code, brought to now.
[[nodiscard]] Json fleet_meter_json(Twin& twin, std::string_view modbus_endpoint);

/// {"total","offset","limit","meters":[...]}; `gateways[i]` is the endpoint of gateway i,
/// which serves meters 247 i to 247 i + 246.
[[nodiscard]] Json meters_page_json(Fleet& fleet, const MetersPage& page,
                                    const std::vector<std::string>& gateways);

/// The meters a fleet-wide operation acts on (`/api/v1/fleet/...?SELECTOR`), by index in
/// the fleet, ascending. SELECTOR is one of: nothing (every meter); `serials=A,B,...`;
/// `gateway=G` (the meters behind gateway G, from 0); `fraction=F&seed=S` (round(F × N)
/// meters drawn with seed S, the same ones every time). A bad or unknown parameter, or a
/// serial not in the fleet, is a 400 naming it.
[[nodiscard]] ApiResult<std::vector<std::size_t>> select_meters(Fleet& fleet,
                                                                std::string_view query);

}  // namespace ambi
