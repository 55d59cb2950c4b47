#include "twin/http/request_json.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>

namespace ambi {
namespace {

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
    if (const std::optional<double> given = *value; given.has_value()) *target = *given;
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
  if (const std::optional<double> given = *hz; given.has_value()) load.hz = *given;
  return load;
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
