// The fleet file (docs/fleet.md): TOML read with toml++ (twin/run/fleet_toml.hpp), its
// groups checked key by key and turned into a plan of meters, endpoints and loads. Nothing
// here opens a socket or a state directory.
#include "twin/run/fleet_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <unordered_map>

#include "twin/http/state_json.hpp"
#include "twin/run/fleet_toml.hpp"
#include "twin/service/fleet.hpp"

// See fleet_toml.cpp: the optionals inside std::expected are checked before use.
// NOLINTBEGIN(bugprone-unchecked-optional-access)
namespace ambi {

namespace {

using namespace fleet_toml;  // NOLINT(google-build-using-namespace): the parser's own readers
namespace fs = std::filesystem;

constexpr std::int64_t kMaxUnit = static_cast<std::int64_t>(kMetersPerGateway);

// ---- groups -------------------------------------------------------------------------------

struct Override {
  const toml::table* table = nullptr;
  std::size_t index = 0;
  std::optional<std::uint32_t> serial;
  std::optional<std::int64_t> modbus_id;
  std::optional<std::int64_t> mbus_id;
  std::optional<bool> ordered_c05;
  std::optional<std::vector<Command>> settings;
  LoadChoice load;
};

struct Group {
  const toml::table* table = nullptr;
  std::string name;
  std::size_t count = 1;
  std::optional<std::uint32_t> serial;
  std::optional<std::int64_t> modbus_id;
  std::optional<std::int64_t> mbus_id;
  bool ordered_c05 = false;
  FleetEndpointKind kind = FleetEndpointKind::gateway;
  std::optional<std::string> gateway;
  std::optional<std::int64_t> port;
  std::vector<Command> settings;
  LoadChoice load;
  std::vector<Override> overrides;
};

/// The scalar keys an override and a group share.
template <class T>
std::expected<void, std::string> read_identity(const FileSource& src, const toml::table& t,
                                               const std::string& where, T& out) {
  auto serial = get_serial(src, t, where);
  if (!serial) return Error(serial.error());
  out.serial = *serial;
  auto modbus_id = get_int(src, t, where, "modbus_id", 1, kMaxUnit);
  if (!modbus_id) return Error(modbus_id.error());
  out.modbus_id = *modbus_id;
  auto mbus_id = get_int(src, t, where, "mbus_id", 1, static_cast<std::int64_t>(kMbusAddresses));
  if (!mbus_id) return Error(mbus_id.error());
  out.mbus_id = *mbus_id;
  return {};
}

std::expected<Override, std::string> read_override(const FileSource& src, const toml::node& node,
                                                   const Group& group, const Models& models) {
  const std::string where = fmt::format("group \"{}\" meter", group.name);
  const toml::table* t = node.as_table();
  if (t == nullptr) return fail(src, node, where, "give [[group.meter]] tables");
  if (auto ok = known_keys(src, *t, "group.meter",
                           {"index", "serial", "modbus_id", "mbus_id", "ordered_c05", "settings",
                            "load", "scenario", "profile"});
      !ok) {
    return Error(ok.error());
  }
  Override o;
  o.table = t;
  auto index = get_int(src, *t, where, "index", 0, static_cast<std::int64_t>(group.count) - 1);
  if (!index) return Error(index.error());
  if (!*index) {
    return fail(src, node, where + ".index",
                fmt::format("missing: which meter of the group, 0 to {}", group.count - 1));
  }
  o.index = static_cast<std::size_t>(**index);
  if (auto ok = read_identity(src, *t, where, o); !ok) return Error(ok.error());
  auto c05 = get_bool(src, *t, where, "ordered_c05");
  if (!c05) return Error(c05.error());
  o.ordered_c05 = *c05;
  if (t->contains("settings")) {
    auto settings = read_settings(src, *t, where);
    if (!settings) return Error(settings.error());
    o.settings = std::move(*settings);
  }
  auto load = read_load(src, *t, where, models);
  if (!load) return Error(load.error());
  o.load = std::move(*load);
  return o;
}

std::expected<void, std::string> read_group_endpoint(const FileSource& src, const toml::table& t,
                                                     const std::string& where, Group& g) {
  auto endpoint = get_string(src, t, where, "endpoint");
  if (!endpoint) return Error(endpoint.error());
  if (*endpoint) {
    if (**endpoint == "gateway") {
      g.kind = FleetEndpointKind::gateway;
    } else if (**endpoint == "port-per-meter") {
      g.kind = FleetEndpointKind::meter_tcp;
    } else if (**endpoint == "rtu-over-tcp") {
      g.kind = FleetEndpointKind::meter_rtu_over_tcp;
    } else {
      return fail(src, *t.get("endpoint"), where + ".endpoint",
                  fmt::format("\"{}\": give \"gateway\", \"port-per-meter\" or \"rtu-over-tcp\"",
                              **endpoint));
    }
  }
  auto gateway = get_string(src, t, where, "gateway");
  if (!gateway) return Error(gateway.error());
  g.gateway = *gateway;
  if (g.gateway && g.kind != FleetEndpointKind::gateway) {
    return fail(src, *t.get("gateway"), where + ".gateway",
                fmt::format("a group with endpoint \"{}\" has its own ports, not a gateway; drop "
                            "one of the two",
                            to_string(g.kind)));
  }
  auto port = get_int(src, t, where, "port", 0, kMaxPort);
  if (!port) return Error(port.error());
  g.port = *port;
  if (g.port && g.gateway) {
    return fail(src, *t.get("port"), where + ".port",
                fmt::format("the meters sit behind gateway \"{}\", which has the port; drop port",
                            *g.gateway));
  }
  return {};
}

std::expected<Group, std::string> read_group(const FileSource& src, const toml::node& node,
                                             std::size_t number, const Models& models) {
  const toml::table* t = node.as_table();
  if (t == nullptr) return fail(src, node, "group", "give [[group]] tables");
  Group g;
  g.table = t;
  auto name = get_string(src, *t, "group", "name");
  if (!name) return Error(name.error());
  g.name = name->value_or(fmt::format("group{}", number + 1));
  const std::string where = fmt::format("group \"{}\"", g.name);
  if (auto ok = known_keys(
          src, *t, "group",
          {"name", "count", "serial", "modbus_id", "mbus_id", "ordered_c05", "endpoint", "gateway",
           "port", "settings", "load", "scenario", "profile", "meter", "bus", "mbus_line"});
      !ok) {
    return Error(ok.error());
  }
  auto count = get_int(src, *t, where, "count", 1, static_cast<std::int64_t>(kMaxFleetMeters));
  if (!count) return Error(count.error());
  g.count = static_cast<std::size_t>(count->value_or(1));
  if (auto ok = read_identity(src, *t, where, g); !ok) return Error(ok.error());
  auto c05 = get_bool(src, *t, where, "ordered_c05");
  if (!c05) return Error(c05.error());
  g.ordered_c05 = c05->value_or(false);
  if (auto ok = read_group_endpoint(src, *t, where, g); !ok) return Error(ok.error());
  auto settings = read_settings(src, *t, where);
  if (!settings) return Error(settings.error());
  g.settings = std::move(*settings);
  auto load = read_load(src, *t, where, models);
  if (!load) return Error(load.error());
  g.load = std::move(*load);
  if (const toml::node* meters = t->get("meter"); meters != nullptr) {
    const toml::array* list = meters->as_array();
    if (list == nullptr) return fail(src, *meters, where + ".meter", "give [[group.meter]] tables");
    for (const toml::node& m : *list) {
      auto o = read_override(src, m, g, models);
      if (!o) return Error(o.error());
      g.overrides.push_back(std::move(*o));
    }
  }
  return g;
}

// ---- building the plan --------------------------------------------------------------------

struct NamedGateway {
  std::size_t endpoint = 0;
  std::uint8_t next_id = 1;
};

/// Who has a serial, a unit on a gateway: for the duplicate messages.
struct Owner {
  std::string group;
  std::size_t index = 0;
  std::size_t line = 0;
};

class Builder {
 public:
  Builder(const FileSource& src, FleetPlan& plan, std::uint32_t serial)
      : src_(src), plan_(plan), next_serial_(serial) {}

  std::expected<void, std::string> gateways(const toml::table& root) {
    const toml::node* node = root.get("gateway");
    if (node == nullptr) return {};
    const toml::array* list = node->as_array();
    if (list == nullptr) return fail(src_, *node, "gateway", "give [[gateway]] tables");
    for (const toml::node& item : *list) {
      const toml::table* t = item.as_table();
      if (t == nullptr) return fail(src_, item, "gateway", "give [[gateway]] tables");
      if (auto ok = known_keys(src_, *t, "gateway", {"name", "port"}); !ok) return ok;
      auto name = get_string(src_, *t, "gateway", "name");
      if (!name) return Error(name.error());
      if (!*name) return fail(src_, item, "gateway.name", "missing: every gateway has a name");
      auto port = get_int(src_, *t, "gateway", "port", 0, kMaxPort);
      if (!port) return Error(port.error());
      if (named_.contains(**name)) {
        return fail(src_, item, "gateway.name",
                    fmt::format("\"{}\" is already a gateway; give each its own name", **name));
      }
      named_.emplace(**name, NamedGateway{plan_.endpoints.size(), 1});
      gateway_lines_.push_back(line_of(item));
      plan_.endpoints.push_back(FleetEndpoint{
          FleetEndpointKind::gateway, **name, static_cast<std::uint16_t>(port->value_or(0)), {}});
    }
    return {};
  }

  std::expected<void, std::string> add(const Group& g) {
    if (plan_.meters.size() + g.count > kMaxFleetMeters) {
      return fail(src_, *g.table, fmt::format("group \"{}\".count", g.name),
                  fmt::format("the fleet would pass {} meters", kMaxFleetMeters));
    }
    const std::size_t group = plan_.groups.size();
    plan_.groups.push_back(g.name);
    const std::uint32_t first = g.serial.value_or(next_serial_);
    if (!bcd_add(first, static_cast<std::uint32_t>(g.count))) {
      return fail(src_, *g.table, fmt::format("group \"{}\".serial", g.name),
                  fmt::format("{} meters from serial {} would pass 99999999; give a lower serial",
                              g.count, bcd_string(first)));
    }
    next_serial_ = *bcd_add(first, static_cast<std::uint32_t>(g.count));
    std::vector<const Override*> by_index(g.count, nullptr);
    for (const Override& o : g.overrides) {
      if (by_index[o.index] != nullptr) {
        return fail(src_, *o.table, fmt::format("group \"{}\" meter.index", g.name),
                    fmt::format("meter {} is already overridden at line {}; merge the two", o.index,
                                line_of(*by_index[o.index]->table)));
      }
      by_index[o.index] = &o;
    }
    for (std::size_t i = 0; i < g.count; ++i) {
      auto ok = add_meter(g, group, i, first, by_index[i]);
      if (!ok) return ok;
    }
    return {};
  }

  std::expected<void, std::string> finish() {
    for (std::size_t e = 0; e < gateway_lines_.size(); ++e) {
      if (plan_.endpoints[e].meters.empty()) {
        return Error(fmt::format(
            "{}:{}: gateway \"{}\": no group sits behind it; place a group "
            "on it (gateway = \"{}\") or remove it",
            src_.name, gateway_lines_[e], plan_.endpoints[e].name, plan_.endpoints[e].name));
      }
    }
    return {};
  }

 private:
  std::expected<void, std::string> add_meter(const Group& g, std::size_t group, std::size_t i,
                                             std::uint32_t first, const Override* o) {
    const toml::table& at = o != nullptr ? *o->table : *g.table;
    const std::string where = o != nullptr ? fmt::format("group \"{}\" meter {}", g.name, i)
                                           : fmt::format("group \"{}\"", g.name);
    FleetMeter m;
    m.group = group;
    m.factory.serial_bcd = o != nullptr && o->serial
                               ? *o->serial
                               : bcd_add(first, static_cast<std::uint32_t>(i)).value_or(first);
    m.factory.ordered_c05 = o != nullptr && o->ordered_c05 ? *o->ordered_c05 : g.ordered_c05;
    if (auto it = serials_.find(m.factory.serial_bcd); it != serials_.end()) {
      return fail(src_, at, where + ".serial",
                  fmt::format("serial {} is already meter {} of group \"{}\" (line {}); give "
                              "another serial",
                              bcd_string(m.factory.serial_bcd), it->second.index, it->second.group,
                              it->second.line));
    }
    serials_.emplace(m.factory.serial_bcd, Owner{g.name, i, line_of(at)});
    const std::int64_t mbus = o != nullptr && o->mbus_id ? *o->mbus_id
                              : g.mbus_id ? 1 + (*g.mbus_id - 1 + static_cast<std::int64_t>(i)) %
                                                    static_cast<std::int64_t>(kMbusAddresses)
                                          : next_mbus_;
    m.factory.mbus_id = static_cast<std::uint8_t>(mbus);
    next_mbus_ = 1 + mbus % static_cast<std::int64_t>(kMbusAddresses);
    auto placed = place(g, i, o, at, where, m);
    if (!placed) return placed;
    m.settings = o != nullptr && o->settings ? *o->settings : g.settings;
    const LoadChoice& load = o != nullptr && !o->load.empty() ? o->load : g.load;
    m.load = load.load;
    if (load.scenario) m.profile = *load.scenario;
    if (load.model) {
      m.profile = generated_profile(load.model, meter_seed(plan_.seed, m.factory.serial_bcd),
                                    load.model_name);
    }
    plan_.endpoints[m.endpoint].meters.push_back(plan_.meters.size());
    plan_.meters.push_back(std::move(m));
    return {};
  }

  /// The meter's endpoint and Modbus id.
  std::expected<void, std::string> place(const Group& g, std::size_t i, const Override* o,
                                         const toml::table& at, const std::string& where,
                                         FleetMeter& m) {
    const auto given_id =
        o != nullptr && o->modbus_id ? o->modbus_id : std::optional<std::int64_t>{};
    if (g.kind != FleetEndpointKind::gateway) {
      m.factory.modbus_id = static_cast<std::uint8_t>(given_id.value_or(g.modbus_id.value_or(1)));
      const std::int64_t port = g.port && *g.port != 0 ? *g.port + static_cast<std::int64_t>(i) : 0;
      if (port > kMaxPort) {
        return fail(
            src_, *g.table, fmt::format("group \"{}\".port", g.name),
            fmt::format("{} ports from {} pass 65535; give a lower port or 0", g.count, *g.port));
      }
      m.endpoint = plan_.endpoints.size();
      plan_.endpoints.push_back(
          FleetEndpoint{g.kind,
                        fmt::format("{}/{}", g.name, bcd_string(m.factory.serial_bcd)),
                        static_cast<std::uint16_t>(port),
                        {}});
      return {};
    }
    if (g.gateway) return place_on_named(g, i, given_id, at, where, m);
    // Gateways of their own, 247 units from the first id each.
    const std::int64_t first_id = g.modbus_id.value_or(1);
    const auto per_gateway = static_cast<std::size_t>(kMaxUnit - first_id + 1);
    const std::size_t k = i / per_gateway;
    if (i % per_gateway == 0) {
      const std::int64_t port = g.port && *g.port != 0 ? *g.port + static_cast<std::int64_t>(k) : 0;
      if (port > kMaxPort) {
        return fail(src_, *g.table, fmt::format("group \"{}\".port", g.name),
                    "its gateways' ports pass 65535; give a lower port or 0");
      }
      own_gateway_ = plan_.endpoints.size();
      plan_.endpoints.push_back(FleetEndpoint{FleetEndpointKind::gateway,
                                              fmt::format("{}/{}", g.name, k + 1),
                                              static_cast<std::uint16_t>(port),
                                              {}});
      own_units_.clear();
    }
    m.endpoint = own_gateway_;
    const std::int64_t id =
        given_id.value_or(first_id + static_cast<std::int64_t>(i % per_gateway));
    return take_unit(own_units_, plan_.endpoints[own_gateway_].name, id, at, where, m);
  }

  std::expected<void, std::string> place_on_named(const Group& g, std::size_t i,
                                                  std::optional<std::int64_t> given_id,
                                                  const toml::table& at, const std::string& where,
                                                  FleetMeter& m) {
    const auto it = named_.find(*g.gateway);
    if (it == named_.end()) {
      return fail(
          src_, *g.table, fmt::format("group \"{}\".gateway", g.name),
          fmt::format("no [[gateway]] named \"{}\"; declare it or name another", *g.gateway));
    }
    NamedGateway& gw = it->second;
    if (i == 0 && g.modbus_id) gw.next_id = static_cast<std::uint8_t>(*g.modbus_id);
    m.endpoint = gw.endpoint;
    if (!given_id && gw.next_id == 0) {
      return fail(src_, *g.table, fmt::format("group \"{}\".count", g.name),
                  fmt::format("gateway \"{}\" already serves unit 247: a gateway serves at most "
                              "247 meters; put the group behind another gateway",
                              *g.gateway));
    }
    const std::int64_t id = given_id.value_or(gw.next_id);
    if (!given_id) gw.next_id = id >= kMaxUnit ? 0 : static_cast<std::uint8_t>(id + 1);
    return take_unit(units_[gw.endpoint], *g.gateway, id, at, where, m);
  }

  std::expected<void, std::string> take_unit(std::unordered_map<std::int64_t, Owner>& units,
                                             const std::string& gateway, std::int64_t id,
                                             const toml::table& at, const std::string& where,
                                             FleetMeter& m) {
    if (auto used = units.find(id); used != units.end()) {
      return fail(
          src_, at, where + ".modbus_id",
          fmt::format("unit {} on gateway \"{}\" is already meter {} of group \"{}\" "
                      "(line {}); give another modbus_id",
                      id, gateway, used->second.index, used->second.group, used->second.line));
    }
    units.emplace(id, Owner{plan_.groups.back(), plan_.meters.size(), line_of(at)});
    m.factory.modbus_id = static_cast<std::uint8_t>(id);
    return {};
  }

  const FileSource& src_;
  FleetPlan& plan_;
  std::uint32_t next_serial_;
  std::int64_t next_mbus_ = 1;
  std::map<std::string, NamedGateway, std::less<>> named_;
  std::vector<std::size_t> gateway_lines_;
  std::unordered_map<std::size_t, std::unordered_map<std::int64_t, Owner>> units_;
  std::unordered_map<std::int64_t, Owner> own_units_;
  std::size_t own_gateway_ = 0;
  std::unordered_map<std::uint32_t, Owner> serials_;
};

/// `[fleet] epoch` (a TOML offset date-time, simulated time 0) and `speed`.
std::expected<void, std::string> read_time_base(const FileSource& src, const toml::table& fleet,
                                                FleetPlan& plan) {
  if (const toml::node* node = fleet.get("epoch"); node != nullptr) {
    const auto* when = node->as_date_time();
    if (when == nullptr || !when->get().offset) {
      return fail(src, *node, "fleet.epoch",
                  "give a date and time with its offset, e.g. epoch = 2026-01-01T00:00:00Z "
                  "(no quotes)");
    }
    const std::int64_t ms = unix_ms(when->get());
    plan.epoch_unix_ms = ms;
  }
  auto speed = get_number(src, fleet, "fleet", "speed");
  if (!speed) return Error(speed.error());
  if (*speed) {
    const double value = **speed;
    if (!(value > 0) || value > 3.2e10) {
      return fail(src, *fleet.get("speed"), "fleet.speed",
                  "give simulated seconds per wall second, > 0 and at most 3.2e10");
    }
    plan.speed = value;
  }
  return {};
}

std::expected<FleetPlan, std::string> build(const FileSource& src, const toml::table& root,
                                            const FleetDefaults& defaults) {
  if (auto ok = known_keys(src, root, "the file",
                           {"fleet", "gateway", "group", "profile", "bus", "mbus_line", "fault"});
      !ok) {
    return Error(ok.error());
  }
  FleetPlan plan;
  plan.file = src.name;
  std::uint32_t serial = defaults.serial_bcd;
  if (const toml::node* node = root.get("fleet"); node != nullptr) {
    const toml::table* fleet = node->as_table();
    if (fleet == nullptr) return fail(src, *node, "fleet", "give a [fleet] table");
    if (auto ok = known_keys(src, *fleet, "fleet", {"seed", "serial", "epoch", "speed"}); !ok) {
      return Error(ok.error());
    }
    if (auto ok = read_time_base(src, *fleet, plan); !ok) return Error(ok.error());
    auto seed = get_int(src, *fleet, "fleet", "seed", 0, std::numeric_limits<std::int64_t>::max());
    if (!seed) return Error(seed.error());
    plan.seed = static_cast<std::uint64_t>(seed->value_or(1));
    auto first = get_serial(src, *fleet, "fleet");
    if (!first) return Error(first.error());
    serial = first->value_or(serial);
  }
  auto models = read_models(src, root);
  if (!models) return Error(models.error());
  Builder builder(src, plan, serial);
  if (auto ok = builder.gateways(root); !ok) return Error(ok.error());
  const toml::node* groups = root.get("group");
  const toml::array* list = groups != nullptr ? groups->as_array() : nullptr;
  if (list == nullptr || list->empty()) {
    return Error(
        fmt::format("{}: no [[group]]: a fleet file describes at least one group of "
                    "meters (docs/fleet.md)",
                    src.name));
  }
  std::map<std::string, std::size_t, std::less<>> names;
  for (std::size_t n = 0; n < list->size(); ++n) {
    auto group = read_group(src, *list->get(n), n, *models);
    if (!group) return Error(group.error());
    if (auto [it, fresh] = names.emplace(group->name, line_of(*group->table)); !fresh) {
      return fail(src, *group->table, "group.name",
                  fmt::format("\"{}\" is already the group at line {}; give each its own name",
                              group->name, it->second));
    }
    if (!group->table->contains("ordered_c05")) group->ordered_c05 = defaults.ordered_c05;
    if (auto ok = builder.add(*group); !ok) return Error(ok.error());
  }
  if (auto ok = builder.finish(); !ok) return Error(ok.error());
  if (auto ok = place_on_lines(src, root, plan); !ok) return Error(ok.error());
  if (auto ok = read_fault_timeline(src, root, plan); !ok) return Error(ok.error());
  return plan;
}

}  // namespace

std::expected<FleetPlan, std::string> parse_fleet_file(std::string_view text, const fs::path& file,
                                                       const FleetDefaults& defaults,
                                                       const ReadTextFile& read_file) {
  const FileSource src{file.string(), file.parent_path(), &read_file};
  toml::table root;
  try {
    root = toml::parse(text, file.string());
  } catch (const toml::parse_error& e) {
    return Error(fmt::format("{}:{}: {}; the file must be TOML (docs/fleet.md)", src.name,
                             e.source().begin.line, e.description()));
  }
  return build(src, root, defaults);
}

}  // namespace ambi
// NOLINTEND(bugprone-unchecked-optional-access)
