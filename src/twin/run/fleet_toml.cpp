// The fleet file's TOML readers (twin/run/fleet_toml.hpp).
#include "twin/run/fleet_toml.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>

#include "io/duration.hpp"
#include "io/json.hpp"
#include "twin/http/settings_json.hpp"
#include "twin/service/fleet.hpp"

// The readers return std::expected<std::optional<T>>: each optional is tested (`if (*x)`)
// before it is used, but clang-tidy 19 does not follow an optional held inside an expected,
// so the check is off for this file's body.
// NOLINTBEGIN(bugprone-unchecked-optional-access)
namespace ambi::fleet_toml {

namespace fs = std::filesystem;

std::int64_t unix_ms(const toml::date_time& when) {
  const std::chrono::sys_days day{std::chrono::year{when.date.year} /
                                  std::chrono::month{when.date.month} /
                                  std::chrono::day{when.date.day}};
  const std::int64_t offset_min = when.offset ? when.offset->minutes : 0;
  return std::chrono::duration_cast<std::chrono::milliseconds>(day.time_since_epoch()).count() +
         ((std::int64_t{when.time.hour} * 60 + when.time.minute - offset_min) * 60 +
          when.time.second) *
             1000 +
         when.time.nanosecond / 1'000'000;
}

std::size_t line_of(const toml::node& node) {
  return static_cast<std::size_t>(node.source().begin.line);
}

Error fail(const FileSource& src, const toml::node& node, std::string_view key,
           std::string_view what) {
  return Error(fmt::format("{}:{}: {}: {}", src.name, line_of(node), key, what));
}

/// Every key of `table` must be in `known`.
std::expected<void, std::string> known_keys(const FileSource& src, const toml::table& table,
                                            std::string_view where,
                                            std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : table) {
    if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
    return fail(src, value, fmt::format("{}.{}", where, key.str()),
                fmt::format("unknown key; the keys of {} are {}", where, fmt::join(known, ", ")));
  }
  return {};
}

std::expected<std::optional<std::int64_t>, std::string> get_int(const FileSource& src,
                                                                const toml::table& table,
                                                                std::string_view where,
                                                                std::string_view key,
                                                                std::int64_t lo, std::int64_t hi) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return std::optional<std::int64_t>{};
  const auto value = node->value_exact<std::int64_t>();
  const auto name = fmt::format("{}.{}", where, key);
  if (!value) return fail(src, *node, name, fmt::format("give a whole number {} to {}", lo, hi));
  if (*value < lo || *value > hi) {
    return fail(src, *node, name, fmt::format("{} is out of range; give {} to {}", *value, lo, hi));
  }
  return value;
}

std::expected<std::optional<double>, std::string> get_number(const FileSource& src,
                                                             const toml::table& table,
                                                             std::string_view where,
                                                             std::string_view key) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return std::optional<double>{};
  const auto value = node->value<double>();  // an integer converts
  if (!value) return fail(src, *node, fmt::format("{}.{}", where, key), "give a number");
  return value;
}

std::expected<std::optional<std::string>, std::string> get_string(const FileSource& src,
                                                                  const toml::table& table,
                                                                  std::string_view where,
                                                                  std::string_view key) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return std::optional<std::string>{};
  auto value = node->value_exact<std::string>();
  if (!value) return fail(src, *node, fmt::format("{}.{}", where, key), "give a string");
  return value;
}

std::expected<std::optional<bool>, std::string> get_bool(const FileSource& src,
                                                         const toml::table& table,
                                                         std::string_view where,
                                                         std::string_view key) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return std::optional<bool>{};
  const auto value = node->value_exact<bool>();
  if (!value) return fail(src, *node, fmt::format("{}.{}", where, key), "give true or false");
  return value;
}

std::expected<std::optional<std::uint32_t>, std::string> get_serial(const FileSource& src,
                                                                    const toml::table& table,
                                                                    std::string_view where) {
  auto text = get_string(src, table, where, "serial");
  if (!text) return Error(text.error());
  if (!*text) return std::optional<std::uint32_t>{};
  const auto serial = serial_from_text(**text);
  if (!serial) {
    return fail(src, *table.get("serial"), fmt::format("{}.serial", where),
                fmt::format("\"{}\" is not a serial; give 8 decimal digits in quotes like "
                            "\"19020246\"",
                            **text));
  }
  return serial;
}

/// "HH:MM" → ms after midnight (24:00 allowed).
std::optional<std::int64_t> time_of_day(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  const auto digit = [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  if (!digit(0) || !digit(1) || !digit(3) || !digit(4)) return std::nullopt;
  const int h = (text[0] - '0') * 10 + (text[1] - '0');
  const int m = (text[3] - '0') * 10 + (text[4] - '0');
  if (h > 24 || m > 59 || (h == 24 && m != 0)) return std::nullopt;
  return (h * 60LL + m) * 60'000;
}

// ---- [profile.NAME] -----------------------------------------------------------------------

std::expected<void, std::string> read_model_numbers(const FileSource& src, const toml::table& t,
                                                    const std::string& where, HouseholdModel& m) {
  const struct {
    std::string_view key;
    double HouseholdModel::* field;
  } numbers[] = {
      {"base_w", &HouseholdModel::base_w},
      {"spread", &HouseholdModel::spread},
      {"noise", &HouseholdModel::noise},
      {"pv_peak_w", &HouseholdModel::pv_peak_w},
      {"pv_share", &HouseholdModel::pv_share},
      {"ev_w", &HouseholdModel::ev_w},
      {"ev_share", &HouseholdModel::ev_share},
      {"ev_days", &HouseholdModel::ev_days},
      {"volts", &HouseholdModel::volts},
      {"power_factor", &HouseholdModel::power_factor},
      {"hz", &HouseholdModel::hz},
  };
  for (const auto& n : numbers) {
    auto value = get_number(src, t, where, n.key);
    if (!value) return Error(value.error());
    if (*value) m.*(n.field) = **value;
  }
  return {};
}

std::expected<void, std::string> read_model_ev(const FileSource& src, const toml::table& t,
                                               const std::string& where, HouseholdModel& m) {
  auto window = get_string(src, t, where, "ev_window");
  if (!window) return Error(window.error());
  if (*window) {
    const std::string& w = **window;
    const auto from = time_of_day(std::string_view(w).substr(0, 5));
    const auto to =
        w.size() == 11 && w[5] == '-' ? time_of_day(std::string_view(w).substr(6)) : std::nullopt;
    if (!from || !to) {
      return fail(src, *t.get("ev_window"), where + ".ev_window",
                  fmt::format("\"{}\": give \"HH:MM-HH:MM\" like \"17:00-21:00\"", w));
    }
    m.ev_from_ms = *from;
    m.ev_to_ms = *to;
  }
  if (const toml::node* node = t.get("ev_kwh"); node != nullptr) {
    const toml::array* range = node->as_array();
    const auto lo =
        range != nullptr && range->size() == 2 ? range->get(0)->value<double>() : std::nullopt;
    const auto hi =
        range != nullptr && range->size() == 2 ? range->get(1)->value<double>() : std::nullopt;
    if (!lo || !hi) {
      return fail(src, *node, where + ".ev_kwh", "give [MIN, MAX] in kWh like [5, 25]");
    }
    m.ev_kwh_min = *lo;
    m.ev_kwh_max = *hi;
  }
  return {};
}

std::expected<std::shared_ptr<const HouseholdModel>, std::string> read_model(
    const FileSource& src, const std::string& name, const toml::node& node) {
  const std::string where = fmt::format("profile.{}", name);
  const toml::table* t = node.as_table();
  if (t == nullptr) return fail(src, node, where, "give a table of the generator's parameters");
  if (auto ok =
          known_keys(src, *t, where,
                     {"step", "base_w", "spread", "noise", "pv_peak_w", "pv_share", "ev_w",
                      "ev_share", "ev_days", "ev_window", "ev_kwh", "volts", "power_factor", "hz"});
      !ok) {
    return Error(ok.error());
  }
  HouseholdModel m;
  auto step = get_string(src, *t, where, "step");
  if (!step) return Error(step.error());
  if (*step) {
    const auto ms = parse_duration(
        **step, DurationSyntax{std::chrono::seconds{1}, std::chrono::hours{24}, true, false});
    if (!ms || ms->count() % 1000 != 0) {
      return fail(src, *t->get("step"), where + ".step",
                  fmt::format("\"{}\": give whole seconds, minutes or hours up to a day, like "
                              "\"15m\" or \"60s\"",
                              **step));
    }
    m.step_ms = ms->count();
  }
  if (auto ok = read_model_numbers(src, *t, where, m); !ok) return Error(ok.error());
  if (auto ok = read_model_ev(src, *t, where, m); !ok) return Error(ok.error());
  if (auto ok = check_household_model(m); !ok) return fail(src, node, where, ok.error());
  return std::make_shared<const HouseholdModel>(m);
}

std::expected<Models, std::string> read_models(const FileSource& src, const toml::table& root) {
  Models models;
  const toml::node* node = root.get("profile");
  if (node == nullptr) return models;
  const toml::table* profiles = node->as_table();
  if (profiles == nullptr) {
    return fail(src, *node, "profile", "give [profile.NAME] tables of generator parameters");
  }
  for (const auto& [name, value] : *profiles) {
    auto model = read_model(src, std::string(name.str()), value);
    if (!model) return Error(model.error());
    models.emplace(std::string(name.str()), std::move(*model));
  }
  return models;
}

// ---- loads --------------------------------------------------------------------------------

std::expected<LoadProfile, std::string> read_scenario(const FileSource& src, const toml::node& node,
                                                      const std::string& where,
                                                      const std::string& name) {
  if (name == "demo") {
    auto demo = parse_scenario_csv(demo_scenario_csv(), "demo");
    if (!demo) return fail(src, node, where, demo.error());
    return std::move(*demo);
  }
  const fs::path path = fs::path(name).is_absolute() ? fs::path(name) : src.dir / name;
  auto text = (*src.read)(path);
  if (!text) return fail(src, node, where, text.error());
  auto profile = parse_scenario_csv(*text, path.filename().string());
  if (!profile) {
    return fail(src, node, where,
                fmt::format("bad scenario file {}: {}", path.string(), profile.error()));
  }
  return std::move(*profile);
}

std::expected<LoadChoice, std::string> read_load(const FileSource& src, const toml::table& t,
                                                 const std::string& where, const Models& models) {
  LoadChoice choice;
  int given = 0;
  auto load = get_string(src, t, where, "load");
  if (!load) return Error(load.error());
  if (*load) {
    ++given;
    auto parsed = parse_load_spec(**load);
    if (!parsed) return fail(src, *t.get("load"), where + ".load", parsed.error());
    if (auto ok = check_load(*parsed); !ok) {
      return fail(src, *t.get("load"), where + ".load", ok.error().message);
    }
    choice.load = *parsed;
  }
  auto scenario = get_string(src, t, where, "scenario");
  if (!scenario) return Error(scenario.error());
  if (*scenario) {
    ++given;
    auto profile = read_scenario(src, *t.get("scenario"), where + ".scenario", **scenario);
    if (!profile) return Error(profile.error());
    choice.scenario = std::move(*profile);
  }
  auto profile = get_string(src, t, where, "profile");
  if (!profile) return Error(profile.error());
  if (*profile) {
    ++given;
    const auto it = models.find(**profile);
    if (it == models.end()) {
      return fail(src, *t.get("profile"), where + ".profile",
                  fmt::format("no [profile.{}] in the file; define it or name another", **profile));
    }
    choice.model = it->second;
    choice.model_name = **profile;
  }
  if (given > 1) {
    return fail(src, t, where, "load, scenario and profile exclude each other; give one");
  }
  return choice;
}

// ---- settings -----------------------------------------------------------------------------

std::expected<std::vector<Command>, std::string> read_settings(const FileSource& src,
                                                               const toml::table& t,
                                                               const std::string& where) {
  const toml::node* node = t.get("settings");
  if (node == nullptr) return std::vector<Command>{};
  const toml::table* table = node->as_table();
  const std::string name = where + ".settings";
  if (table == nullptr) {
    return fail(src, *node, name, "give a table of settings like { ct_ratio = \"500/5\" }");
  }
  Json json = Json::object();
  for (const auto& [key, value] : *table) {
    const std::string k(key.str());
    if (k == "modbus_id" || k == "mbus_id") {
      return fail(src, value, fmt::format("{}.{}", name, k),
                  "addresses are the fleet's to hand out; give the group's modbus_id or mbus_id");
    }
    if (auto s = value.value_exact<std::string>()) {
      json[k] = *s;
    } else if (auto i = value.value_exact<std::int64_t>()) {
      json[k] = *i;
    } else if (auto d = value.value_exact<double>()) {
      json[k] = *d;
    } else if (auto b = value.value_exact<bool>()) {
      json[k] = *b;
    } else {
      return fail(src, value, fmt::format("{}.{}", name, k),
                  "give a string, a number or true/false");
    }
  }
  auto commands = settings_commands(json);
  if (!commands) return fail(src, *node, name, commands.error().message);
  // The ranges are the meter's: try them on a new meter, as its installer would.
  Meter scratch;
  scratch.power_on();
  if (auto ok = scratch.apply_all(*commands, Origin{Source::app, std::array{'0', '0', '0', '0'}});
      !ok) {
    return fail(src, *node, name, ok.error().message);
  }
  return std::move(*commands);
}

}  // namespace ambi::fleet_toml
// NOLINTEND(bugprone-unchecked-optional-access)
