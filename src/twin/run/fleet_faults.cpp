// A fleet file's fault timeline (docs/faults.md "A timeline in the fleet file"): each
// `[[fault]]` table turned into the JSON body of POST /api/v1/faults and checked by
// fault_from_json, so that every kind and every check of the API holds in the file too; its
// target resolved to the plan's meters as /api/v1/fleet/faults?SELECTOR resolves it; and at
// start-up, each entry started on its meters relative to the fleet's present time.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <set>

#include "io/duration.hpp"
#include "io/log.hpp"
#include "twin/http/fault_json.hpp"
#include "twin/http/fleet_json.hpp"
#include "twin/http/state_json.hpp"
#include "twin/run/fleet_file.hpp"
#include "twin/run/fleet_toml.hpp"
#include "twin/service/fleet.hpp"

// See fleet_toml.cpp: the optionals inside std::expected are checked before use.
// NOLINTBEGIN(bugprone-unchecked-optional-access)
namespace ambi {

namespace {

using namespace fleet_toml;  // NOLINT(google-build-using-namespace): the parser's own readers

/// The longest time a timeline names: 100 simulated years, as fault_from_json's windows.
constexpr std::int64_t kMaxMs = std::int64_t{100} * 365 * 86400 * 1000;
/// The API's fraction=&seed=: seed 0 to 9999999.
constexpr std::int64_t kMaxSelectSeed = 9'999'999;

/// The keys of a [[fault]] that are the file's own; every other key is a member of the
/// fault's JSON body, checked by fault_from_json.
constexpr std::array<std::string_view, 7> kFileKeys{"at",      "for",      "group",     "gateway",
                                                    "serials", "fraction", "fault_seed"};

/// "02:00", "26:30:15": hours (any number of digits), then minutes and seconds of two.
std::optional<std::int64_t> clock_text(std::string_view text) {
  std::int64_t seconds = 0;
  std::size_t fields = 0;
  while (fields == 0 || !text.empty()) {
    const std::string_view part = text.substr(0, text.find(':'));
    text.remove_prefix(std::min(text.size(), part.size() + 1));
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || ec != std::errc{} || end != part.data() + part.size() || value < 0)
      return {};
    if (fields > 0 && (part.size() != 2 || value > 59)) return {};
    seconds = seconds * 60 + value;
    ++fields;
  }
  if (fields < 2 || fields > 3) return {};
  return (fields == 2 ? seconds * 60 : seconds) * 1000;
}

/// "90s", "10m", "2h", "1.5h", "3d", "02:00" (hh:mm), "26:30:15", "0s": simulated ms.
std::optional<std::int64_t> time_text(std::string_view text) {
  if (text.find(':') != std::string_view::npos) return clock_text(text);
  constexpr DurationSyntax kSyntax{std::chrono::seconds{1}, std::chrono::milliseconds{kMaxMs}, true,
                                   true};
  if (text.size() > 1 && text.ends_with('d')) {
    const auto seconds = parse_duration(text.substr(0, text.size() - 1), kSyntax);
    if (!seconds || seconds->count() > kMaxMs / 86400) return {};
    return seconds->count() * 86400;  // a number of days, read as seconds × 86400
  }
  if (const auto ms = parse_duration(text, kSyntax); ms) return ms->count();
  std::string_view digits = text;  // a zero with or without a unit: "0", "0s", "0.0h"
  while (!digits.empty() && std::string_view("mshd").find(digits.back()) != std::string_view::npos)
    digits.remove_suffix(1);
  double zero = 1;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), zero);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || zero != 0)
    return {};
  return 0;
}

/// `at` or `for`: a number of seconds, a duration or hh:mm in quotes, or (for `at`, with an
/// epoch) an offset date-time: simulated milliseconds from the fleet's 0.
std::expected<std::optional<std::int64_t>, std::string> read_time(const FileSource& src,
                                                                  const toml::table& t,
                                                                  const std::string& where,
                                                                  std::string_view key,
                                                                  const FleetPlan& plan) {
  const toml::node* node = t.get(key);
  if (node == nullptr) return std::optional<std::int64_t>{};
  const std::string name = fmt::format("{}.{}", where, key);
  if (const auto* when = node->as_date_time(); when != nullptr && key == "at") {
    if (!when->get().offset || !plan.epoch_unix_ms) {
      return fail(src, *node, name,
                  plan.epoch_unix_ms
                      ? "give the date-time with its offset, e.g. 2026-01-01T02:00:00Z"
                      : "a calendar time needs [fleet] epoch (simulated time 0); give a time "
                        "from the fleet's start, e.g. at = \"02:00\" or \"2h\"");
    }
    const std::int64_t ms = unix_ms(when->get()) - *plan.epoch_unix_ms;
    if (ms < 0 || ms > kMaxMs) {
      return fail(src, *node, name, "is before [fleet] epoch; give a time after the epoch");
    }
    return ms;
  }
  std::optional<std::int64_t> ms;
  if (const auto* clock = node->as_time(); clock != nullptr) {  // at = 02:00:00, unquoted
    const toml::time& hms = clock->get();
    ms = ((std::int64_t{hms.hour} * 60 + hms.minute) * 60 + hms.second) * 1000 +
         hms.nanosecond / 1'000'000;
  } else if (const auto seconds = node->value<double>(); seconds && !node->is_string()) {
    if (*seconds >= 0 && *seconds * 1000 <= static_cast<double>(kMaxMs))
      ms = std::llround(*seconds * 1000);
  } else if (const auto text = node->value_exact<std::string>(); text) {
    ms = time_text(*text);
  }
  if (!ms || (key == "for" && *ms == 0)) {
    return fail(
        src, *node, name,
        fmt::format("give {} simulated time as seconds or in quotes: \"90s\", \"10m\", "
                    "\"2h\", \"3d\" or \"02:00\" (hh:mm){}",
                    key == "at" ? "a" : "a positive", key == "at" ? ", up to 100 years" : ""));
  }
  return ms;
}

// ---- the target ----------------------------------------------------------------------------

std::vector<std::size_t> all_meters(const FleetPlan& plan) {
  std::vector<std::size_t> all(plan.meters.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  return all;
}

std::expected<std::vector<std::size_t>, std::string> group_target(const FileSource& src,
                                                                  const toml::table& t,
                                                                  const std::string& where,
                                                                  const FleetPlan& plan) {
  auto name = get_string(src, t, where, "group");
  if (!name) return Error(name.error());
  const auto it = std::ranges::find(plan.groups, **name);
  if (it == plan.groups.end()) {
    return fail(
        src, *t.get("group"), where + ".group",
        fmt::format("no group \"{}\"; the groups are {}", **name, fmt::join(plan.groups, ", ")));
  }
  const auto group = static_cast<std::size_t>(it - plan.groups.begin());
  std::vector<std::size_t> meters;
  for (std::size_t i = 0; i < plan.meters.size(); ++i) {
    if (plan.meters[i].group == group) meters.push_back(i);
  }
  return meters;
}

std::expected<std::vector<std::size_t>, std::string> gateway_target(const FileSource& src,
                                                                    const toml::table& t,
                                                                    const std::string& where,
                                                                    const FleetPlan& plan) {
  auto name = get_string(src, t, where, "gateway");
  if (!name) return Error(name.error());
  std::vector<std::string> names;
  for (const FleetEndpoint& e : plan.endpoints) {
    if (e.kind != FleetEndpointKind::gateway) continue;
    if (e.name == **name) return e.meters;  // in fleet order: endpoints fill in meter order
    names.push_back(e.name);
  }
  return fail(
      src, *t.get("gateway"), where + ".gateway",
      fmt::format("no gateway \"{}\"; the gateways are {}", **name,
                  names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "))));
}

std::expected<std::vector<std::size_t>, std::string> serials_target(const FileSource& src,
                                                                    const toml::table& t,
                                                                    const std::string& where,
                                                                    const FleetPlan& plan) {
  const toml::node& node = *t.get("serials");
  const std::string name = where + ".serials";
  const toml::array* list = node.as_array();
  if (list == nullptr || list->empty()) {
    return fail(src, node, name, "give a list of serials in quotes, e.g. [\"19020246\"]");
  }
  std::set<std::size_t> meters;
  for (const toml::node& item : *list) {
    const auto text = item.value_exact<std::string>();
    const auto serial = text ? serial_from_text(*text) : std::nullopt;
    if (!serial) return fail(src, item, name, "give each serial as 8 digits in quotes");
    const auto it = std::ranges::find_if(
        plan.meters, [&](const FleetMeter& m) { return m.factory.serial_bcd == *serial; });
    if (it == plan.meters.end()) {
      return fail(src, item, name,
                  fmt::format("no meter {} in the fleet; give serials of its meters", *text));
    }
    meters.insert(static_cast<std::size_t>(it - plan.meters.begin()));
  }
  return std::vector<std::size_t>(meters.begin(), meters.end());
}

std::expected<std::vector<std::size_t>, std::string> fraction_target(const FileSource& src,
                                                                     const toml::table& t,
                                                                     const std::string& where,
                                                                     const FleetPlan& plan) {
  auto fraction = get_number(src, t, where, "fraction");
  if (!fraction) return Error(fraction.error());
  if (!(**fraction >= 0) || **fraction > 1) {
    return fail(
        src, *t.get("fraction"), where + ".fraction",
        fmt::format("{:g} is out of range; give a share of the fleet from 0 to 1", **fraction));
  }
  auto seed = get_int(src, t, where, "seed", 0, kMaxSelectSeed);
  if (!seed) return Error(seed.error());
  if (!*seed) {
    return fail(src, *t.get("fraction"), where + ".seed",
                "missing: fraction needs seed = N, the seed that picks the meters (the API's "
                "fraction=&seed=); set the fault's own draws with fault_seed");
  }
  auto drawn =
      fraction_selection(plan.meters.size(), **fraction, static_cast<std::uint64_t>(**seed));
  if (drawn.empty()) {
    return fail(
        src, *t.get("fraction"), where + ".fraction",
        fmt::format("{:g} of the fleet's {} meters draws none; give at least {:g}", **fraction,
                    plan.meters.size(), 1.0 / static_cast<double>(plan.meters.size())));
  }
  return drawn;
}

/// `group`, `gateway`, `serials` or `fraction` with `seed` (at most one), or every meter.
std::expected<std::vector<std::size_t>, std::string> read_target(const FileSource& src,
                                                                 const toml::table& t,
                                                                 const std::string& where,
                                                                 const FleetPlan& plan) {
  using Reader = std::expected<std::vector<std::size_t>, std::string> (*)(
      const FileSource&, const toml::table&, const std::string&, const FleetPlan&);
  constexpr std::array<std::pair<std::string_view, Reader>, 4> kTargets{
      {{"group", &group_target},
       {"gateway", &gateway_target},
       {"serials", &serials_target},
       {"fraction", &fraction_target}}};
  std::optional<std::pair<std::string_view, Reader>> chosen;
  for (const auto& target : kTargets) {
    if (!t.contains(target.first)) continue;
    if (chosen) {
      return fail(src, *t.get(target.first), fmt::format("{}.{}", where, target.first),
                  fmt::format("the fault already falls on its {}; give one of group, gateway, "
                              "serials and fraction",
                              chosen->first));
    }
    chosen = target;
  }
  if (!chosen) return all_meters(plan);
  return chosen->second(src, t, where, plan);
}

// ---- the body ------------------------------------------------------------------------------

/// A TOML value as the JSON member it stands for: numbers, booleans and strings.
std::expected<Json, std::string> json_value(const FileSource& src, const toml::node& node,
                                            const std::string& name) {
  if (const auto i = node.value_exact<std::int64_t>(); i) return Json(*i);
  if (const auto d = node.value_exact<double>(); d) return Json(*d);
  if (const auto b = node.value_exact<bool>(); b) return Json(*b);
  if (const auto s = node.value_exact<std::string>(); s) return Json(*s);
  return fail(src, node, name, "give a number, true or false, or a string in quotes");
}

/// The members of the fault's JSON body: every key but the file's own (`seed` belongs to
/// `fraction` when it is given; `fault_seed` is then the fault's seed).
std::expected<Json, std::string> read_body(const FileSource& src, const toml::table& t,
                                           const std::string& where) {
  const bool selection_seed = t.contains("fraction");
  if (!selection_seed && t.contains("seed") && t.contains("fault_seed")) {
    return fail(src, *t.get("fault_seed"), where + ".fault_seed",
                "the fault's seed is already given by seed; give one of the two");
  }
  Json body = Json::object();
  for (const auto& [key, value] : t) {
    const std::string_view k = key.str();
    const std::string name = fmt::format("{}.{}", where, k);
    if (k == "start_s") {
      return fail(src, value, name, "a [[fault]] starts at `at` (simulated time); give at");
    }
    const bool own = std::ranges::find(kFileKeys, k) != kFileKeys.end() && k != "fault_seed";
    if (own || (k == "seed" && selection_seed)) continue;
    auto v = json_value(src, value, name);
    if (!v) return Error(v.error());
    body[k == "fault_seed" ? std::string("seed") : std::string(k)] = std::move(*v);
  }
  return body;
}

/// fault_from_json's message as the file's line: the member it names (its first quoted
/// word) is the key, at that key's line; an unknown member also lists the file's own keys.
Error body_error(const FileSource& src, const toml::table& t, const std::string& where,
                 const std::string& message) {
  std::string member;
  if (const auto open = message.find('"'); open != std::string::npos) {
    const auto close = message.find('"', open + 1);
    if (close != std::string::npos) member = message.substr(open + 1, close - open - 1);
  }
  if (member == "seed" && t.contains("fault_seed")) member = "fault_seed";
  if (member == "duration_s" && t.contains("for")) member = "for";
  const toml::node* node = member.empty() ? nullptr : t.get(member);
  std::string what = message;
  if (message.starts_with("unknown member")) {
    what += "; a [[fault]] also takes at, for, group, gateway, serials, fraction, fault_seed";
  }
  return fail(src, node != nullptr ? *node : static_cast<const toml::node&>(t),
              node != nullptr ? fmt::format("{}.{}", where, member) : where, what);
}

/// `for = "10m"` or `duration_s = 600`, at most one.
std::expected<std::optional<std::int64_t>, std::string> read_duration(const FileSource& src,
                                                                      const toml::table& t,
                                                                      const std::string& where,
                                                                      const FleetPlan& plan,
                                                                      Json& body) {
  auto length = read_time(src, t, where, "for", plan);
  if (!length) return Error(length.error());
  if (*length && body.contains("duration_s")) {
    return fail(src, *t.get("duration_s"), where + ".duration_s",
                "the fault's length is already given by for; give one of the two");
  }
  if (*length) body["duration_s"] = static_cast<double>(**length) / 1000.0;
  return *length;
}

std::expected<FleetFault, std::string> read_fault(const FileSource& src, const toml::node& node,
                                                  std::size_t number, const FleetPlan& plan) {
  const std::string where = fmt::format("fault {}", number);
  const toml::table* t = node.as_table();
  if (t == nullptr) return fail(src, node, "fault", "give [[fault]] tables");
  FleetFault f;
  f.number = number;
  f.file_line = line_of(node);
  auto at = read_time(src, *t, where, "at", plan);
  if (!at) return Error(at.error());
  if (!*at) {
    return fail(src, node, where + ".at",
                "missing: when it starts, in simulated time from the fleet's start, e.g. "
                "at = \"02:00\"");
  }
  f.at_ms = **at;
  auto body = read_body(src, *t, where);
  if (!body) return Error(body.error());
  auto length = read_duration(src, *t, where, plan, *body);
  if (!length) return Error(length.error());
  if (auto checked = fault_from_json(*body, 0, 0); !checked) {
    return body_error(src, *t, where, checked.error().message);
  }
  if (body->contains("duration_s")) {
    f.duration_ms =
        std::max<std::int64_t>(1, std::llround(body->at("duration_s").get<double>() * 1000));
    body->erase("duration_s");
  }
  f.body = std::move(*body);
  auto meters = read_target(src, *t, where, plan);
  if (!meters) return Error(meters.error());
  f.meters = std::move(*meters);
  return f;
}

}  // namespace

namespace fleet_toml {

std::expected<void, std::string> read_fault_timeline(const FileSource& src, const toml::table& root,
                                                     FleetPlan& plan) {
  const toml::node* node = root.get("fault");
  if (node == nullptr) return {};
  const toml::array* list = node->as_array();
  if (list == nullptr) return fail(src, *node, "fault", "give [[fault]] tables");
  for (std::size_t n = 0; n < list->size(); ++n) {
    auto fault = read_fault(src, *list->get(n), n + 1, plan);
    if (!fault) return Error(fault.error());
    plan.faults.push_back(std::move(*fault));
  }
  return {};
}

}  // namespace fleet_toml

std::optional<Json> timeline_fault_body(const FleetFault& fault, std::int64_t now_ms) {
  const std::optional<std::int64_t> end =
      fault.duration_ms ? std::optional(fault.at_ms + *fault.duration_ms) : std::nullopt;
  if (end && *end <= now_ms) return std::nullopt;
  const std::int64_t start = std::max(fault.at_ms, now_ms);
  Json body = fault.body;
  body["start_s"] = static_cast<double>(start - now_ms) / 1000.0;
  if (end) body["duration_s"] = static_cast<double>(*end - start) / 1000.0;
  return body;
}

namespace {

/// One line for an entry the fleet's time has overtaken: skipped, or resumed for its rest.
void log_overtaken(const FleetPlan& plan, const FleetFault& fault, std::int64_t now_ms) {
  if (fault.at_ms >= now_ms) return;
  const std::string kind = fault.body.value("kind", std::string("?"));
  if (fault.duration_ms && fault.at_ms + *fault.duration_ms <= now_ms) {
    log_line("{}: [[fault]] {} ({}) ended at {} s, before the fleet's time {} s: skipped",
             plan.file, fault.number, kind, (fault.at_ms + *fault.duration_ms) / 1000,
             now_ms / 1000);
  } else {
    log_line("{}: [[fault]] {} ({}) started at {} s, before the fleet's time {} s: resumed{}",
             plan.file, fault.number, kind, fault.at_ms / 1000, now_ms / 1000,
             fault.duration_ms ? fmt::format(" for its last {} s",
                                             (fault.at_ms + *fault.duration_ms - now_ms) / 1000)
                               : std::string());
  }
}

}  // namespace

std::size_t start_fault_timeline(const FleetPlan& plan, Fleet& fleet) {
  std::size_t started = 0;
  for (const FleetFault& fault : plan.faults) {
    if (!fault.meters.empty())
      log_overtaken(plan, fault, fleet.at(fault.meters[0]).meter().now_ms());
    for (const std::size_t i : fault.meters) {
      Twin& twin = fleet.at(i);
      const std::int64_t now_ms = twin.meter().now_ms();
      const auto body = timeline_fault_body(fault, now_ms);
      if (!body) continue;
      auto f = fault_from_json(*body, now_ms, twin.meter().state().serial_bcd);
      if (f && twin.add_fault(*f)) ++started;
    }
  }
  return started;
}

}  // namespace ambi
// NOLINTEND(bugprone-unchecked-optional-access)
