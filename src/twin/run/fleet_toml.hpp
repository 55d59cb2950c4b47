#pragma once
// The fleet file's TOML readers (docs/fleet.md), shared by the parts of its parser: typed
// values with the file, line and key in every message, the generator profiles, the loads
// and the settings of a group. Only twin/run/fleet_file*.cpp include it.

#include <toml++/toml.h>

#include <cstdint>
#include <expected>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/meter/commands.hpp"
#include "core/profile/profile.hpp"
#include "twin/run/fleet_file.hpp"

namespace ambi::fleet_toml {

using Error = std::unexpected<std::string>;

inline constexpr std::int64_t kMaxPort = 65535;

/// The file's name and folder, for messages and relative paths.
struct FileSource {
  std::string name;
  std::filesystem::path dir;
  const ReadTextFile* read = nullptr;
};

[[nodiscard]] std::size_t line_of(const toml::node& node);
/// "FILE:LINE: KEY: WHAT".
[[nodiscard]] Error fail(const FileSource& src, const toml::node& node, std::string_view key,
                         std::string_view what);
/// Every key of `table` must be in `known`.
[[nodiscard]] std::expected<void, std::string> known_keys(
    const FileSource& src, const toml::table& table, std::string_view where,
    std::initializer_list<std::string_view> known);

/// A value of `table[key]`: none when the key is absent, an error when it has the wrong type
/// (or, for get_int, lies outside lo-hi).
[[nodiscard]] std::expected<std::optional<std::int64_t>, std::string> get_int(
    const FileSource& src, const toml::table& table, std::string_view where, std::string_view key,
    std::int64_t lo, std::int64_t hi);
[[nodiscard]] std::expected<std::optional<double>, std::string> get_number(const FileSource& src,
                                                                           const toml::table& table,
                                                                           std::string_view where,
                                                                           std::string_view key);
[[nodiscard]] std::expected<std::optional<std::string>, std::string> get_string(
    const FileSource& src, const toml::table& table, std::string_view where, std::string_view key);
[[nodiscard]] std::expected<std::optional<bool>, std::string> get_bool(const FileSource& src,
                                                                       const toml::table& table,
                                                                       std::string_view where,
                                                                       std::string_view key);
/// `[[bus]]` and `[[mbus_line]]`, and each group's `bus` and `mbus_line`: the plan's meters
/// placed on shared lines (twin/run/fleet_lines.cpp). Called once the groups are built.
[[nodiscard]] std::expected<void, std::string> place_on_lines(const FileSource& src,
                                                              const toml::table& root,
                                                              FleetPlan& plan);

/// `[[fault]]`: the fault timeline (twin/run/fleet_faults.cpp), its targets resolved to the
/// plan's meters. Called once the groups are built.
[[nodiscard]] std::expected<void, std::string> read_fault_timeline(const FileSource& src,
                                                                   const toml::table& root,
                                                                   FleetPlan& plan);

/// A TOML date-time with its offset as Unix milliseconds.
[[nodiscard]] std::int64_t unix_ms(const toml::date_time& when);

/// `serial = "19020246"`: 8 digits in quotes, read as BCD.
[[nodiscard]] std::expected<std::optional<std::uint32_t>, std::string> get_serial(
    const FileSource& src, const toml::table& table, std::string_view where);

/// The generators of `[profile.NAME]`, by name.
using Models = std::map<std::string, std::shared_ptr<const HouseholdModel>, std::less<>>;
[[nodiscard]] std::expected<Models, std::string> read_models(const FileSource& src,
                                                             const toml::table& root);

/// A group's (or an override's) load: a constant, a scenario, or a generator; none of them
/// leaves the run's --load or --scenario.
struct LoadChoice {
  std::optional<LoadInput> load;
  std::optional<LoadProfile> scenario;
  std::shared_ptr<const HouseholdModel> model;
  std::string model_name;
  [[nodiscard]] bool empty() const { return !load && !scenario && !model; }
};
/// `load`, `scenario` or `profile` of a table (at most one).
[[nodiscard]] std::expected<LoadChoice, std::string> read_load(const FileSource& src,
                                                               const toml::table& t,
                                                               const std::string& where,
                                                               const Models& models);

/// `settings = { ... }`: the commands, checked on a new meter as its installer would.
[[nodiscard]] std::expected<std::vector<Command>, std::string> read_settings(
    const FileSource& src, const toml::table& t, const std::string& where);

}  // namespace ambi::fleet_toml
