#pragma once
// A fleet as the control API shows it (docs/fleet.md): GET /api/v1/meters, a page of meters
// with their addresses and live values, sorted and filtered (docs/control-api.md).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "twin/http/request_json.hpp"
#include "twin/service/fleet.hpp"

namespace ambi {

/// The most meters one page of GET /api/v1/meters holds, and how many without ?limit=.
inline constexpr std::size_t kMaxMetersPage = 1000;
inline constexpr std::size_t kDefaultMetersPage = 100;

/// What the list is sorted by (?sort=); `fleet` is the fleet's order, without ?sort=.
enum class MeterSort : std::uint8_t { fleet, serial, unit, p_w, forward_kwh, reverse_kwh, error };

/// Which page of which meters, in which order: ?offset=N&limit=M&sort=KEY&order=asc|desc and
/// the filters q= (serial digits), error=1|0, supply=on|off, gateway=G. Every filter given
/// must hold. Ties of a sort are in fleet order.
struct MetersPage {
  std::size_t offset = 0;
  std::size_t limit = kDefaultMetersPage;
  MeterSort sort = MeterSort::fleet;
  bool descending = false;
  std::string serial_digits;           ///< q=: the serials that contain these digits
  std::optional<bool> error;           ///< error=1: an error code; error=0: none
  std::optional<bool> powered;         ///< supply=on|off: whether the meter has supply
  std::optional<std::size_t> gateway;  ///< gateway=G: the meters behind gateway G (from 0)
  std::optional<std::size_t> group;    ///< group=NAME: the meters of that group (by index)
};

/// The name of a sort key as ?sort= and the answer spell it ("fleet" for the fleet's order).
[[nodiscard]] std::string_view sort_name(MeterSort sort);

/// Parses the query of GET /api/v1/meters ("offset=200&limit=50&sort=p_w&order=desc&error=1")
/// for a fleet of `fleet_size` meters; a bad or unknown parameter (a gateway the fleet does
/// not have among them) is a 400 naming it.
[[nodiscard]] ApiResult<MetersPage> parse_meters_page(std::string_view query,
                                                      std::size_t fleet_size = kMaxFleetMeters);
/// The same for `fleet`: its endpoints (gateway=, in the ready line's order) and its groups
/// by name (group=).
[[nodiscard]] ApiResult<MetersPage> parse_meters_page(std::string_view query, const Fleet& fleet);

/// One meter of the list: serial, gateway (the endpoint that serves it), group, Modbus
/// endpoint and unit, M-bus addresses, supply, power, energy, error code and bits, status
/// word and bits, brought to now.
[[nodiscard]] Json fleet_meter_json(Twin& twin, std::size_t gateway,
                                    std::string_view modbus_endpoint, std::string_view group);

/// The meters a page's filters select: how many, and the fleet indices of those on the page,
/// in the page's order.
struct MatchingMeters {
  std::size_t total = 0;
  std::vector<std::size_t> page;
};

/// Which meters match `page`'s filters and which of them are on it. Brings to now the
/// meters whose live values a filter or the sort looks at (every meter for those).
[[nodiscard]] MatchingMeters matching_meters(Fleet& fleet, const MetersPage& page);

/// {"total","fleet_meters","offset","limit","sort","order","meters":[...]}: `total` counts
/// the meters that match the filters, `meters` holds those of the page. `gateways[i]` is the
/// endpoint of gateway i, which serves meters 247 i to 247 i + 246.
[[nodiscard]] Json meters_page_json(Fleet& fleet, const MetersPage& page,
                                    const std::vector<std::string>& gateways);

/// The meters a fleet-wide operation acts on (`/api/v1/fleet/...?SELECTOR`), by index in
/// the fleet, ascending. SELECTOR is one of: nothing (every meter); `serials=A,B,...`;
/// `gateway=G` (the meters behind gateway G, from 0); `fraction=F&seed=S` (round(F × N)
/// meters drawn with seed S, the same ones every time). A bad or unknown parameter, or a
/// serial not in the fleet, is a 400 naming it.
[[nodiscard]] ApiResult<std::vector<std::size_t>> select_meters(Fleet& fleet,
                                                                std::string_view query);

/// `fraction=F&seed=S`: round(F × N) of the indices 0 to N − 1, drawn by a std::mt19937_64
/// shuffle with seed S, ascending: the same meters for the same seed and fleet size. Shared
/// with the fleet file's fault timeline (docs/faults.md).
[[nodiscard]] std::vector<std::size_t> fraction_selection(std::size_t meters, double fraction,
                                                          std::uint64_t seed);

}  // namespace ambi
