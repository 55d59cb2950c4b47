// The fleet file's shared lines (docs/shared-lines.md "Lines in a fleet file"): `[[bus]]`
// RS485 buses and `[[mbus_line]]` M-bus lines, and the groups wired to them (`bus = "NAME"`,
// `mbus_line = "NAME"`). Checked in full: a bus holds at most 247 meters with distinct
// Modbus ids, a line at most 250 with distinct primary addresses, and every line declared
// is used.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <unordered_map>

#include "twin/http/state_json.hpp"
#include "twin/run/fleet_toml.hpp"
#include "twin/service/fleet.hpp"

// See fleet_toml.cpp: the optionals inside std::expected are checked before use.
// NOLINTBEGIN(bugprone-unchecked-optional-access)
namespace ambi::fleet_toml {

namespace {

/// What one kind of line is called and what it allows.
struct LineKind {
  std::string_view table;    ///< "bus", "mbus_line": the file's key
  std::string_view what;     ///< "RS485 bus", "M-bus line"
  std::size_t max_meters;    ///< 247 ids, 250 primary addresses
  std::string_view address;  ///< "Modbus id", "M-bus primary address"
  bool mbus;                 ///< addressed by primary address (else by Modbus id)
  std::string_view tcp;      ///< what its TCP face carries
};

constexpr LineKind kBus{"bus",       "RS485 bus", kMetersPerGateway,
                        "Modbus id", false,       "RTU frames over TCP"};
constexpr LineKind kMbusLine{"mbus_line", "M-bus line",    kMbusAddresses, "M-bus primary address",
                             true,        "M-bus over TCP"};

std::expected<std::vector<FleetLine>, std::string> read_lines(const FileSource& src,
                                                              const toml::table& root,
                                                              const LineKind& kind) {
  std::vector<FleetLine> lines;
  const toml::node* node = root.get(kind.table);
  if (node == nullptr) return lines;
  const toml::array* list = node->as_array();
  const std::string tables = fmt::format("give [[{}]] tables", kind.table);
  if (list == nullptr) return fail(src, *node, kind.table, tables);
  for (const toml::node& item : *list) {
    const toml::table* t = item.as_table();
    if (t == nullptr) return fail(src, item, kind.table, tables);
    if (auto ok = known_keys(src, *t, kind.table, {"name", "device", "tcp"}); !ok) {
      return Error(ok.error());
    }
    FleetLine line;
    line.file_line = line_of(item);
    auto name = get_string(src, *t, kind.table, "name");
    if (!name) return Error(name.error());
    if (!*name) {
      return fail(src, item, fmt::format("{}.name", kind.table),
                  fmt::format("missing: every {} has a name", kind.what));
    }
    line.name = **name;
    const std::string where = fmt::format("{} \"{}\"", kind.table, line.name);
    auto device = get_string(src, *t, where, "device");
    if (!device) return Error(device.error());
    line.device = *device;
    auto tcp = get_string(src, *t, where, "tcp");
    if (!tcp) return Error(tcp.error());
    line.tcp = *tcp;
    if (!line.device && !line.tcp) {
      return fail(src, item, where,
                  fmt::format("give device = \"pty:PATH\" (or a serial device), tcp = "
                              "\"ADDR:PORT\" ({}), or both",
                              kind.tcp));
    }
    for (const FleetLine& other : lines) {
      if (other.name == line.name) {
        return fail(src, item, fmt::format("{}.name", kind.table),
                    fmt::format("\"{}\" is already the {} at line {}; give each its own name",
                                line.name, kind.what, other.file_line));
      }
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

/// The meters of groups naming a line of `kind` placed on it.
std::expected<void, std::string> wire(const FileSource& src, const toml::array& groups,
                                      FleetPlan& plan, const LineKind& kind,
                                      std::vector<FleetLine>& lines) {
  std::vector<std::vector<std::size_t>> by_group(plan.groups.size());
  for (std::size_t i = 0; i < plan.meters.size(); ++i) by_group[plan.meters[i].group].push_back(i);
  for (std::size_t n = 0; n < groups.size() && n < plan.groups.size(); ++n) {
    const toml::table& t = *groups.get(n)->as_table();
    const std::string where = fmt::format("group \"{}\"", plan.groups[n]);
    auto name = get_string(src, t, where, kind.table);
    if (!name) return Error(name.error());
    if (!*name) continue;
    auto it = std::find_if(lines.begin(), lines.end(),
                           [&](const FleetLine& l) { return l.name == **name; });
    if (it == lines.end()) {
      return fail(
          src, *t.get(kind.table), fmt::format("{}.{}", where, kind.table),
          fmt::format("no [[{}]] named \"{}\"; declare it or name another", kind.table, **name));
    }
    it->meters.insert(it->meters.end(), by_group[n].begin(), by_group[n].end());
    if (it->meters.size() > kind.max_meters) {
      return fail(src, *t.get(kind.table), fmt::format("{}.{}", where, kind.table),
                  fmt::format("{} \"{}\" would hold {} meters; one {} holds at most {} ({}s); "
                              "put the group on another one",
                              kind.table, it->name, it->meters.size(), kind.what, kind.max_meters,
                              kind.address));
    }
  }
  return {};
}

/// Every line used, and no address twice on one line.
std::expected<void, std::string> check(const FileSource& src, const FleetPlan& plan,
                                       const LineKind& kind, std::vector<FleetLine>& lines) {
  for (FleetLine& line : lines) {
    if (line.meters.empty()) {
      return Error(fmt::format(
          "{}:{}: {} \"{}\": no group is wired to it; give a group {} = \"{}\" or remove it",
          src.name, line.file_line, kind.table, line.name, kind.table, line.name));
    }
    std::sort(line.meters.begin(), line.meters.end());
    std::unordered_map<int, std::size_t> seen;
    for (const std::size_t i : line.meters) {
      const FactoryOptions& f = plan.meters[i].factory;
      // The plan gives every meter both (a new meter would otherwise take the factory ones).
      const int address = kind.mbus ? f.mbus_id.value_or(Settings{}.mbus_id)
                                    : f.modbus_id.value_or(Settings{}.modbus_id);
      auto [it, fresh] = seen.emplace(address, i);
      if (fresh) continue;
      const FleetMeter& other = plan.meters[it->second];
      return Error(fmt::format(
          "{}:{}: {} \"{}\": meters {} (group \"{}\") and {} (group \"{}\") both have {} {}; "
          "give one of them another (modbus_id / mbus_id in its group or a [[group.meter]])",
          src.name, line.file_line, kind.table, line.name, bcd_string(other.factory.serial_bcd),
          plan.groups[other.group], bcd_string(f.serial_bcd), plan.groups[plan.meters[i].group],
          kind.address, address));
    }
  }
  return {};
}

/// No two faces of the fleet's lines on one device or TCP address.
std::expected<void, std::string> distinct_faces(const FileSource& src, const FleetPlan& plan) {
  std::map<std::string, std::string> used;
  const auto claim = [&](const std::optional<std::string>& face, std::string_view table,
                         const FleetLine& line) -> std::expected<void, std::string> {
    if (!face || face->ends_with(":0")) return {};  // port 0: a free port each
    const std::string who = fmt::format("{} \"{}\"", table, line.name);
    auto [it, fresh] = used.emplace(*face, who);
    if (fresh) return {};
    return Error(fmt::format("{}:{}: {}: \"{}\" is already {}'s; give each line its own", src.name,
                             line.file_line, who, *face, it->second));
  };
  for (const FleetLine& bus : plan.buses) {
    if (auto ok = claim(bus.device, "bus", bus); !ok) return ok;
    if (auto ok = claim(bus.tcp, "bus", bus); !ok) return ok;
  }
  for (const FleetLine& line : plan.mbus_lines) {
    if (auto ok = claim(line.device, "mbus_line", line); !ok) return ok;
    if (auto ok = claim(line.tcp, "mbus_line", line); !ok) return ok;
  }
  return {};
}

}  // namespace

std::expected<void, std::string> place_on_lines(const FileSource& src, const toml::table& root,
                                                FleetPlan& plan) {
  const toml::array* groups = root.get("group")->as_array();  // checked by the caller
  for (const LineKind* kind : {&kBus, &kMbusLine}) {
    auto lines = read_lines(src, root, *kind);
    if (!lines) return Error(lines.error());
    if (auto ok = wire(src, *groups, plan, *kind, *lines); !ok) return ok;
    if (auto ok = check(src, plan, *kind, *lines); !ok) return ok;
    (kind == &kBus ? plan.buses : plan.mbus_lines) = std::move(*lines);
  }
  return distinct_faces(src, plan);
}

}  // namespace ambi::fleet_toml
// NOLINTEND(bugprone-unchecked-optional-access)
