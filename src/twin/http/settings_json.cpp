#include "twin/http/settings_json.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace ambi {
namespace {

using J = JsonForm;

constexpr std::string_view kKindNames[] = {"integer", "choice", "bcd8", "ct_ratio", "digits4"};
constexpr std::string_view kJsonNames[] = {"integer", "number",  "text",
                                           "code",    "boolean", "hidden"};

double power_of_ten(int n) {
  return std::pow(10.0, n);
}

/// A JSON integer (or a float without a fraction) that fits an int.
ApiResult<std::int64_t> integer(const Json& v, std::string_view name) {
  const bool integral =
      v.is_number_integer() || (v.is_number_float() && std::isfinite(v.get<double>()) &&
                                v.get<double>() == std::trunc(v.get<double>()));
  if (!integral) {
    return unprocessable(
        fmt::format("{} must be an integer, got {} {}", name, v.type_name(), v.dump()));
  }
  const double d = v.get<double>();
  if (d < std::numeric_limits<int>::min() || d > std::numeric_limits<int>::max()) {
    return unprocessable(fmt::format("{} {} out of range", name, v.dump()));
  }
  return static_cast<std::int64_t>(d);
}

std::string choice_texts(const SettingDef& def, std::string_view quote, std::string_view sep) {
  std::string out;
  for (const SettingChoice& c : def.choices) {
    out += fmt::format("{}{}{}{}", out.empty() ? "" : sep, quote, c.text, quote);
  }
  return out;
}

/// A number: the choice that is that number, or for a setting whose code is the value, the
/// value in its unit (the meter then checks it).
ApiResult<std::int64_t> number_value(const SettingDef& def, const Json& v) {
  if (!v.is_number()) {
    return unprocessable(fmt::format("{} must be a number, got {}", def.key, v.dump()));
  }
  if (const SettingChoice* c = choice_of_number(def, v.get<double>())) return c->code;
  const double scaled = v.get<double>() * power_of_ten(def.decimals);
  if (def.by_value && std::isfinite(scaled) && std::abs(scaled) < 1e12 &&
      std::abs(scaled - std::round(scaled)) < 1e-6) {
    return std::llround(scaled);
  }
  return unprocessable(
      fmt::format("{} {} is not one of {}", def.key, v.dump(), choice_texts(def, "", ", ")));
}

/// A choice's text or, as an integer, its code (the meter checks the code).
ApiResult<std::int64_t> text_or_code(const SettingDef& def, const Json& v) {
  if (v.is_number()) return integer(v, def.key);
  if (v.is_string()) {
    if (const SettingChoice* c = choice_of_text(def, v.get<std::string>(), false)) return c->code;
  }
  return unprocessable(fmt::format("{} must be one of {} (or its register code), got {}", def.key,
                                   choice_texts(def, "\"", ", "), v.dump()));
}

ApiResult<std::int64_t> bcd8_value(const SettingDef& def, const Json& v) {
  std::string digits;
  if (v.is_string()) digits = v.get<std::string>();
  if (v.is_number_unsigned()) digits = fmt::format("{:08}", v.get<std::uint64_t>());
  const bool ok = digits.size() == 8 && digits.find_first_not_of("0123456789") == std::string::npos;
  if (!ok) {
    return unprocessable(
        fmt::format("{} must be 8 decimal digits like \"45230115\", got {}", def.key, v.dump()));
  }
  std::int64_t bcd = 0;
  for (const char c : digits) bcd = bcd << 4 | (c - '0');
  return bcd;
}

ApiResult<std::int64_t> ct_value(const SettingDef& def, const Json& v) {
  const std::string text = v.is_string() ? v.get<std::string>() : std::string();
  const auto slash = text.find('/');
  const bool ok = slash != std::string::npos && slash > 0 && slash + 1 < text.size() &&
                  slash <= 5 && text.size() - slash - 1 <= 2 &&
                  text.find_first_not_of("0123456789/") == std::string::npos &&
                  text.find('/', slash + 1) == std::string::npos;
  if (!ok) {
    return unprocessable(fmt::format("{} must look like \"500/5\" (primary/secondary A), got {}",
                                     def.key, v.dump()));
  }
  return pack_ct(std::stol(text.substr(0, slash)), std::stol(text.substr(slash + 1)));
}

ApiResult<std::int64_t> boolean_value(const SettingDef& def, const Json& v) {
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  if (v.is_number_integer() && (v.get<int>() == 0 || v.get<int>() == 1)) return v.get<int>();
  return unprocessable(fmt::format("{} must be true or false, got {}", def.key, v.dump()));
}

ApiResult<std::int64_t> value_of(const SettingDef& def, const Json& v) {
  if (def.kind == SettingKind::bcd8) return bcd8_value(def, v);
  if (def.kind == SettingKind::ct_ratio) return ct_value(def, v);
  switch (def.json) {
    case J::integer:
      return integer(v, def.key);
    case J::number:
      return number_value(def, v);
    case J::text:
    case J::code:
      return text_or_code(def, v);
    case J::boolean:
      return boolean_value(def, v);
    case J::hidden:
      break;
  }
  return unprocessable(fmt::format("{} cannot be set here", def.key));
}

/// What a choice becomes in the JSON the API takes.
Json choice_json(const SettingDef& def, const SettingChoice& c) {
  return setting_to_json(def, c.code);
}

}  // namespace

Json setting_to_json(const SettingDef& def, std::int64_t value) {
  switch (def.kind) {
    case SettingKind::bcd8:
    case SettingKind::ct_ratio:
      return setting_text(def, value);
    default:
      break;
  }
  switch (def.json) {
    case J::integer:
    case J::code:
      return value;
    case J::boolean:
      return value == 1;
    case J::text:
      return setting_text(def, value);
    case J::number: {
      if (def.by_value) {
        if (def.decimals == 0) return value;
        return static_cast<double>(value) / power_of_ten(def.decimals);
      }
      const SettingChoice* c = choice_of_code(def, value);
      const auto millionths = c != nullptr ? decimal_millionths(c->text) : std::nullopt;
      if (!millionths) return nullptr;
      if (*millionths % 1'000'000 == 0) return *millionths / 1'000'000;
      return static_cast<double>(*millionths) / 1e6;
    }
    case J::hidden:
      break;
  }
  return nullptr;
}

Json settings_to_json(const Meter& meter) {
  Json j = Json::object();
  for (const SettingDef& def : setting_table()) {
    if (def.json != J::hidden)
      j[std::string(def.key)] = setting_to_json(def, def.get(meter.state()));
  }
  return j;
}

const std::vector<std::string>& setting_names() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const SettingDef& def : setting_table()) {
      if (def.json != J::hidden) names.emplace_back(def.key);
    }
    return names;
  }();
  return kNames;
}

ApiResult<std::vector<Command>> settings_commands(const Json& settings) {
  if (!settings.is_object()) {
    return unprocessable("\"settings\" must be an object of setting name → value");
  }
  std::vector<Command> commands;
  for (const auto& [name, value] : settings.items()) {
    const SettingDef* def = find_setting_by_key(name);
    if (def == nullptr || def->json == J::hidden) {
      return unprocessable(fmt::format("unknown setting \"{}\"; valid settings: {}", name,
                                       fmt::join(setting_names(), ", ")));
    }
    const auto v = value_of(*def, value);
    if (!v) return std::unexpected(v.error());
    commands.push_back(def->command(*v));
  }
  return commands;
}

Json settings_schema_json() {
  Json out = Json::array();
  for (const SettingDef& def : setting_table()) {
    if (def.json == J::hidden) continue;
    Json row{{"key", def.key},
             {"name", def.name},
             {"label", def.label.empty() ? def.name : def.label},
             {"section", def.section},
             {"kind", kKindNames[static_cast<std::size_t>(def.kind)]},
             {"json", kJsonNames[static_cast<std::size_t>(def.json)]},
             {"unit", def.unit},
             {"default", def.id == SettingId::mbus_secondary_id
                             ? Json(nullptr)
                             : setting_to_json(def, def.default_value)},
             {"app", def.app}};
    if (def.kind == SettingKind::integer) {
      row["min"] = def.min;
      row["max"] = def.max;
    }
    if (def.kind == SettingKind::choice) {
      Json choices = Json::array();
      for (const SettingChoice& c : def.choices) {
        choices.push_back({{"value", choice_json(def, c)}, {"text", c.label}});
      }
      row["choices"] = std::move(choices);
    }
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace ambi
