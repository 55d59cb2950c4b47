#include "twin/http/request_json.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <utility>

namespace ambi {
namespace {

using Choices = std::initializer_list<std::pair<std::string_view, int>>;

std::string type_name(const Json& v) {
  return v.type_name();
}

ApiResult<int> integer(const Json& v, std::string_view name) {
  if (v.is_number_integer() || (v.is_number_float() && std::isfinite(v.get<double>()) &&
                                v.get<double>() == std::trunc(v.get<double>()))) {
    const double d = v.get<double>();
    if (d < std::numeric_limits<int>::min() || d > std::numeric_limits<int>::max()) {
      return unprocessable(fmt::format("{} {} out of range", name, v.dump()));
    }
    return static_cast<int>(d);
  }
  return unprocessable(
      fmt::format("{} must be an integer, got {} {}", name, type_name(v), v.dump()));
}

/// A named choice ("even") or, as an integer, the register code itself.
ApiResult<int> choice(const Json& v, std::string_view name, Choices choices) {
  if (v.is_number()) return integer(v, name);
  if (v.is_string()) {
    for (const auto& [text, code] : choices) {
      if (v.get<std::string>() == text) return code;
    }
  }
  std::string names;
  for (const auto& [text, code] : choices)
    names += fmt::format("{}\"{}\"", names.empty() ? "" : ", ", text);
  return unprocessable(
      fmt::format("{} must be one of {} (or its register code), got {}", name, names, v.dump()));
}

ApiResult<std::uint32_t> bcd8(const Json& v, std::string_view name) {
  std::string digits;
  if (v.is_string()) digits = v.get<std::string>();
  if (v.is_number_unsigned()) digits = fmt::format("{:08}", v.get<std::uint64_t>());
  const bool ok = digits.size() == 8 && digits.find_first_not_of("0123456789") == std::string::npos;
  if (!ok)
    return unprocessable(
        fmt::format("{} must be 8 decimal digits like \"45230115\", got {}", name, v.dump()));
  return static_cast<std::uint32_t>(std::stoul(digits, nullptr, 16));
}

template <class T>
ApiResult<Command> make(ApiResult<int> value) {
  if (!value) return std::unexpected(value.error());
  return Command{T{*value}};
}

ApiResult<Command> parse_modbus_baud(const Json& v, std::string_view name) {
  const auto rate = integer(v, name);
  if (!rate) return std::unexpected(rate.error());
  if (const auto code = modbus_baud_code_of(*rate)) return Command{SetModbusBaud{*code}};
  return unprocessable(
      fmt::format("{} {} is not one of {}", name, *rate, fmt::join(kModbusBauds, ", ")));
}

ApiResult<Command> parse_s0_rate(const Json& v, std::string_view name) {
  if (!v.is_number())
    return unprocessable(fmt::format("{} must be a number of imp/kWh, got {}", name, v.dump()));
  const double centi = v.get<double>() * 100.0;
  if (!std::isfinite(centi) || std::abs(centi - std::round(centi)) > 1e-6 ||
      std::abs(centi) > 1e12) {
    return unprocessable(
        fmt::format("{} {} is not a rate in steps of 0.01 imp/kWh", name, v.dump()));
  }
  return Command{SetS0Rate{std::lround(centi)}};
}

ApiResult<Command> parse_ct_ratio(const Json& v, std::string_view name) {
  const std::string text = v.is_string() ? v.get<std::string>() : std::string();
  const auto slash = text.find('/');
  const bool ok = slash != std::string::npos && slash > 0 && slash + 1 < text.size() &&
                  slash <= 5 && text.size() - slash - 1 <= 2 &&
                  text.find_first_not_of("0123456789/") == std::string::npos &&
                  text.find('/', slash + 1) == std::string::npos;
  if (!ok)
    return unprocessable(
        fmt::format("{} must look like \"500/5\" (primary/secondary A), got {}", name, v.dump()));
  return Command{SetCtRatio{std::stol(text.substr(0, slash)), std::stol(text.substr(slash + 1))}};
}

ApiResult<Command> parse_obis(const Json& v, std::string_view name) {
  if (v.is_boolean()) return Command{SetObis{v.get<bool>()}};
  if (v.is_number_integer() && (v.get<int>() == 0 || v.get<int>() == 1))
    return Command{SetObis{v.get<int>() == 1}};
  return unprocessable(fmt::format("{} must be true or false, got {}", name, v.dump()));
}

ApiResult<Command> parse_tariff(const Json& v, std::string_view name) {
  return make<SetTariff>(choice(v, name, {{"T1", 1}, {"T2", 2}, {"T3", 3}, {"T4", 4}}));
}

using Parser = ApiResult<Command> (*)(const Json&, std::string_view);
struct SettingSpec {
  const char* name;
  Parser parse;
};

const std::array<SettingSpec, 17> kSettings{{
    {"modbus_id",
     [](const Json& v, std::string_view n) { return make<SetModbusId>(integer(v, n)); }},
    {"modbus_baud", parse_modbus_baud},
    {"parity",
     [](const Json& v, std::string_view n) {
       return make<SetParity>(choice(v, n, {{"even", 1}, {"none", 2}, {"odd", 3}}));
     }},
    {"mbus_id", [](const Json& v, std::string_view n) { return make<SetMbusId>(integer(v, n)); }},
    {"mbus_baud",
     [](const Json& v, std::string_view n) -> ApiResult<Command> {
       const auto baud = integer(v, n);
       if (!baud) return std::unexpected(baud.error());
       return Command{SetMbusBaud{*baud}};
     }},
    {"mbus_secondary_id",
     [](const Json& v, std::string_view n) -> ApiResult<Command> {
       const auto bcd = bcd8(v, n);
       if (!bcd) return std::unexpected(bcd.error());
       return Command{SetMbusSecondaryId{*bcd}};
     }},
    {"s0_rate", parse_s0_rate},
    {"pulse_type",
     [](const Json& v, std::string_view n) {
       return make<SetPulseType>(choice(v, n, {{"active&reactive", 1}, {"forward&reverse", 2}}));
     }},
    {"pulse_width_ms",
     [](const Json& v, std::string_view n) { return make<SetPulseWidth>(integer(v, n)); }},
    {"combination",
     [](const Json& v, std::string_view n) {
       return make<SetCombination>(
           choice(v, n, {{"C-01", 1}, {"C-02", 2}, {"C-03", 3}, {"C-04", 4}, {"C-05", 5}}));
     }},
    {"lcd_cycle_s",
     [](const Json& v, std::string_view n) { return make<SetLcdCycle>(integer(v, n)); }},
    {"backlight",
     [](const Json& v, std::string_view n) {
       return make<SetBacklight>(choice(v, n, {{"on", 0}, {"off", 1}, {"button", 2}}));
     }},
    {"screen_direction",
     [](const Json& v, std::string_view n) {
       return make<SetScreenDirection>(choice(v, n, {{"standard", 0}, {"turned", 1}}));
     }},
    {"obis", parse_obis},
    {"data_type",
     [](const Json& v, std::string_view n) {
       return make<SetDataType>(choice(v, n, {{"standard", 1}, {"integer", 2}}));
     }},
    {"tariff", parse_tariff},
    {"ct_ratio", parse_ct_ratio},
}};

ApiResult<PhaseInput> phase_from_json(const Json& j, const char* key, PhaseInput phase) {
  if (!j.is_object())
    return unprocessable(
        fmt::format("{} must be an object like {{\"v\":230,\"i\":10,\"phi\":0}}", key));
  if (auto ok = only_members(j, {"v", "i", "phi"}); !ok) {
    return unprocessable(fmt::format("{}: {}", key, ok.error().message));
  }
  const std::array<std::pair<const char*, double*>, 3> fields{
      {{"v", &phase.volts}, {"i", &phase.amps}, {"phi", &phase.phi_deg}}};
  for (const auto& [name, target] : fields) {
    const auto value = number_member(j, name, false);
    if (!value) return unprocessable(fmt::format("{}: {}", key, value.error().message));
    if (*value) *target = **value;
  }
  return phase;
}

}  // namespace

std::unexpected<ApiError> unprocessable(std::string message) {
  return std::unexpected(ApiError{422, std::move(message)});
}

unsigned status_of(const Rejection& rejection) {
  switch (rejection.kind) {
    case Rejection::Kind::out_of_range:
      return 422;
    case Rejection::Kind::wrong_password:
    case Rejection::Kind::not_allowed:
      return 403;
    case Rejection::Kind::locked:
    case Rejection::Kind::limit_reached:
    case Rejection::Kind::powered_off:
    case Rejection::Kind::storage_failed:
      return 409;
  }
  return 422;
}

ApiResult<LoadInput> load_from_json(const Json& body, const LoadInput& base) {
  if (auto ok = only_members(body, {"L1", "L2", "L3", "f"}); !ok)
    return std::unexpected(ok.error());
  LoadInput load = base;
  static constexpr std::array<const char*, kPhases> kKeys{"L1", "L2", "L3"};
  for (std::size_t i = 0; i < kKeys.size(); ++i) {
    if (!body.contains(kKeys[i])) continue;
    auto phase = phase_from_json(body.at(kKeys[i]), kKeys[i], load.phases[i]);
    if (!phase) return std::unexpected(phase.error());
    load.phases[i] = *phase;
  }
  const auto hz = number_member(body, "f", false);
  if (!hz) return std::unexpected(hz.error());
  if (*hz) load.hz = **hz;
  return load;
}

const std::vector<std::string>& setting_names() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const SettingSpec& spec : kSettings) names.emplace_back(spec.name);
    return names;
  }();
  return kNames;
}

ApiResult<std::vector<Command>> settings_commands(const Json& settings) {
  if (!settings.is_object())
    return unprocessable("\"settings\" must be an object of setting name → value");
  std::vector<Command> commands;
  for (const auto& [name, value] : settings.items()) {
    const SettingSpec* spec = nullptr;
    for (const SettingSpec& s : kSettings) {
      if (name == s.name) spec = &s;
    }
    if (spec == nullptr) {
      return unprocessable(fmt::format("unknown setting \"{}\"; valid settings: {}", name,
                                       fmt::join(setting_names(), ", ")));
    }
    auto command = spec->parse(value, spec->name);
    if (!command) return std::unexpected(command.error());
    commands.push_back(*command);
  }
  return commands;
}

ApiResult<std::optional<std::array<char, 4>>> password_of(const Json& body) {
  if (!body.contains("password")) return std::optional<std::array<char, 4>>{};
  const Json& v = body.at("password");
  const std::string text = v.is_string() ? v.get<std::string>() : std::string();
  if (text.size() != 4 || text.find_first_not_of("0123456789") != std::string::npos) {
    return unprocessable(
        "\"password\" must be the meter's 4-digit password as a string, e.g. \"0000\"");
  }
  return std::optional<std::array<char, 4>>{
      std::array<char, 4>{text[0], text[1], text[2], text[3]}};
}

ApiResult<Command> reset_command(const Json& body) {
  const Json what = body.contains("what") ? body.at("what") : Json();
  if (what == "trip_counter") return Command{ResetTripCounter{}};
  if (what == "power_down_counter") return Command{ResetPowerDownCounter{}};
  return unprocessable(fmt::format(
      "\"what\" must be \"trip_counter\" or \"power_down_counter\", got {}", what.dump()));
}

ApiResult<std::optional<double>> number_member(const Json& body, const char* name, bool required) {
  if (!body.contains(name)) {
    if (required) return unprocessable(fmt::format("missing \"{}\" (a number)", name));
    return std::optional<double>{};
  }
  const Json& v = body.at(name);
  if (!v.is_number() || !std::isfinite(v.get<double>())) {
    return unprocessable(fmt::format("\"{}\" must be a number, got {}", name, v.dump()));
  }
  return std::optional<double>{v.get<double>()};
}

ApiResult<bool> bool_member(const Json& body, const char* name) {
  if (!body.contains(name) || !body.at(name).is_boolean()) {
    return unprocessable(fmt::format("\"{}\" must be true or false", name));
  }
  return body.at(name).get<bool>();
}

ApiResult<> only_members(const Json& body, std::initializer_list<const char*> allowed) {
  for (const auto& [name, value] : body.items()) {
    bool known = false;
    for (const char* a : allowed) known = known || name == a;
    if (!known) {
      return unprocessable(
          fmt::format("unknown member \"{}\"; expected {}", name, fmt::join(allowed, ", ")));
    }
  }
  return {};
}

}  // namespace ambi
