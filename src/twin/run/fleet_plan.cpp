// The plans that need no file: --meters N, and a shard of any plan (docs/fleet.md).
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "twin/run/fleet_file.hpp"
#include "twin/service/fleet.hpp"

namespace ambi {

namespace {
using Error = std::unexpected<std::string>;
constexpr std::size_t kMaxPort = 65535;
}  // namespace

std::string_view to_string(FleetEndpointKind kind) {
  switch (kind) {
    case FleetEndpointKind::gateway:
      return "gateway";
    case FleetEndpointKind::meter_tcp:
      return "port-per-meter";
    case FleetEndpointKind::meter_rtu_over_tcp:
      return "rtu-over-tcp";
  }
  return "?";
}

std::expected<FleetPlan, std::string> meters_plan(std::size_t count,
                                                  const FleetDefaults& defaults) {
  auto identities = fleet_identities(defaults.serial_bcd, count);
  if (!identities) return Error(identities.error());
  FleetPlan plan;
  plan.groups.emplace_back("meters");
  for (const FleetIdentity& id : *identities) {
    if (id.gateway == plan.endpoints.size()) {
      const std::size_t port = defaults.first_port == 0 ? 0 : defaults.first_port + id.gateway;
      if (port > kMaxPort) {
        return Error(fmt::format(
            "--meters {} needs {} gateway ports from {}, past 65535: give a lower --modbus-tcp "
            "port or port 0",
            count, (count + kMetersPerGateway - 1) / kMetersPerGateway, defaults.first_port));
      }
      plan.endpoints.push_back(FleetEndpoint{FleetEndpointKind::gateway,
                                             fmt::format("meters/{}", id.gateway + 1),
                                             static_cast<std::uint16_t>(port),
                                             {}});
    }
    FleetMeter m;
    m.factory = FactoryOptions{id.serial_bcd, defaults.ordered_c05, id.modbus_id, id.mbus_id};
    m.endpoint = id.gateway;
    plan.endpoints.back().meters.push_back(plan.meters.size());
    plan.meters.push_back(std::move(m));
  }
  return plan;
}

std::expected<std::pair<std::size_t, std::size_t>, std::string> parse_shard(std::string_view text) {
  const auto bad = [&] {
    return Error(
        fmt::format("bad --shard \"{}\": give K/N, slice K (from 0) of N shards, like "
                    "0/4",
                    text));
  };
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return bad();
  const auto number = [](std::string_view digits) -> std::optional<std::size_t> {
    if (digits.empty() || digits.size() > 4) return std::nullopt;
    std::size_t n = 0;
    for (const char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    return n;
  };
  const auto k = number(text.substr(0, slash));
  const auto n = number(text.substr(slash + 1));
  if (!k || !n || *n == 0 || *n > 1000 || *k >= *n) return bad();
  return std::pair{*k, *n};
}

std::expected<FleetPlan, std::string> shard_plan(FleetPlan plan, std::size_t shard,
                                                 std::size_t shards) {
  if (!plan.buses.empty() || !plan.mbus_lines.empty()) {
    return Error(fmt::format(
        "--shard with {}: its [[bus]] and [[mbus_line]] lines cannot be split over shards yet; "
        "run the file whole, or shard a file without lines",
        plan.file));
  }
  const std::size_t count = plan.endpoints.size();
  const std::size_t begin = count * shard / shards;
  const std::size_t end = count * (shard + 1) / shards;
  if (begin == end) {
    return Error(
        fmt::format("--shard {}/{}: the fleet has {} endpoint{}, too few for {} shards "
                    "(a shard serves whole endpoints); give at most {} shards",
                    shard, shards, count, count == 1 ? "" : "s", shards, count));
  }
  FleetPlan out;
  out.groups = std::move(plan.groups);
  out.seed = plan.seed;
  out.epoch_unix_ms = plan.epoch_unix_ms;
  out.speed = plan.speed;
  out.file = std::move(plan.file);
  out.shard = shard;
  out.shards = shards;
  constexpr std::size_t kNotHere = static_cast<std::size_t>(-1);
  std::vector<std::size_t> moved_to(plan.meters.size(), kNotHere);
  for (std::size_t e = begin; e < end; ++e) {
    FleetEndpoint endpoint = std::move(plan.endpoints[e]);
    std::vector<std::size_t> meters;
    for (const std::size_t i : endpoint.meters) {
      moved_to[i] = out.meters.size();
      FleetMeter m = std::move(plan.meters[i]);
      m.endpoint = out.endpoints.size();
      meters.push_back(out.meters.size());
      out.meters.push_back(std::move(m));
    }
    endpoint.meters = std::move(meters);
    out.endpoints.push_back(std::move(endpoint));
  }
  // The timeline's targets are the whole file's (a fraction is drawn over the whole
  // fleet); each shard starts an entry on those of its meters.
  for (FleetFault& fault : plan.faults) {
    std::vector<std::size_t> mine;
    for (const std::size_t i : fault.meters) {
      if (moved_to[i] != kNotHere) mine.push_back(moved_to[i]);
    }
    std::ranges::sort(mine);
    fault.meters = std::move(mine);
    out.faults.push_back(std::move(fault));
  }
  return out;
}

}  // namespace ambi
