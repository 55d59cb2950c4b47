#include "twin/http/fault_json.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <string>

namespace ambi {
namespace {

/// Longest window a fault may be given: 100 simulated years.
constexpr double kMaxSeconds = 100.0 * 365 * 86400;

ApiResult<double> in_range(const Json& body, const char* name, double fallback, double lo,
                           double hi, std::string_view what) {
  const auto value = number_member(body, name, false);
  if (!value) return std::unexpected(value.error());
  const double v = value->value_or(fallback);
  if (!(v >= lo && v <= hi)) {
    return unprocessable(fmt::format("\"{}\" {:g} is out of range: give {}", name, v, what));
  }
  return v;
}

/// The parameters of each kind; any other is refused so that a typo is not ignored.
std::expected<void, ApiError> kind_members(const Json& body, FaultKind kind) {
  switch (kind) {
    case FaultKind::delay:
      return only_members(
          body, {"kind", "probability", "start_s", "duration_s", "seed", "delay_ms", "jitter_ms"});
    case FaultKind::close:
      return only_members(
          body, {"kind", "probability", "start_s", "duration_s", "seed", "after_requests"});
    case FaultKind::bit_errors:
      return only_members(
          body, {"kind", "probability", "start_s", "duration_s", "seed", "bit_error_rate"});
    case FaultKind::truncate:
      return only_members(body,
                          {"kind", "probability", "start_s", "duration_s", "seed", "keep_bytes"});
    case FaultKind::garbage:
      return only_members(
          body, {"kind", "probability", "start_s", "duration_s", "seed", "garbage_bytes", "after"});
    case FaultKind::exception:
      return only_members(
          body, {"kind", "probability", "start_s", "duration_s", "seed", "exception_code"});
    case FaultKind::supply_lost:
      return only_members(body, {"kind", "start_s", "duration_s"});
    case FaultKind::phase_lost:
    case FaultKind::ct_reversed:
      return only_members(body, {"kind", "start_s", "duration_s", "phase"});
    case FaultKind::phases_swapped:
      return only_members(body, {"kind", "start_s", "duration_s", "phase", "other_phase"});
    case FaultKind::wrong_ct_ratio:
      return only_members(body, {"kind", "start_s", "duration_s", "installed_ct"});
    case FaultKind::corrupt:
      return only_members(body, {"kind", "start_s", "area"});
    case FaultKind::unwritable:
      return only_members(body, {"kind", "start_s", "duration_s", "area"});
    case FaultKind::torn_write:
      return only_members(body, {"kind", "start_s", "kill"});
    default:
      return only_members(body, {"kind", "probability", "start_s", "duration_s", "seed"});
  }
}

constexpr std::array<std::pair<std::string_view, StorageTarget>, 4> kAreas{{
    {"main", StorageTarget::main},
    {"backup", StorageTarget::backup},
    {"mantissa", StorageTarget::mantissa},
    {"both", StorageTarget::both},
}};

std::string_view area_name(StorageTarget area) {
  for (const auto& [name, value] : kAreas) {
    if (value == area) return name;
  }
  return "main";
}

ApiResult<> area_parameter(const Json& body, Fault& f) {
  if (!body.contains("area")) return {};
  const Json& a = body.at("area");
  const std::string name = a.is_string() ? a.get<std::string>() : a.dump();
  for (const auto& [n, value] : kAreas) {
    if (n == name) {
      f.area = value;
      return {};
    }
  }
  return unprocessable(
      fmt::format("unknown \"area\" {}: give main, backup, mantissa or both (both copies)", name));
}

/// The parameters of the meter's and the storage's kinds (phases are 1-3 outside).
ApiResult<> meter_parameters(const Json& body, Fault& f) {
  const auto phase = in_range(body, "phase", 1, 1, 3, "a phase 1-3");
  if (!phase) return std::unexpected(phase.error());
  f.phase = static_cast<std::uint8_t>(*phase - 1);
  if (f.kind == FaultKind::phases_swapped) {
    const auto other = in_range(body, "other_phase", *phase == 2 ? 3 : 2, 1, 3, "a phase 1-3");
    if (!other) return std::unexpected(other.error());
    if (*other == *phase) {
      return unprocessable("\"other_phase\" is \"phase\": give two different phases 1-3");
    }
    f.other_phase = static_cast<std::uint8_t>(*other - 1);
  }
  if (f.kind == FaultKind::wrong_ct_ratio) {
    if (!body.contains("installed_ct")) {
      return unprocessable(
          "missing \"installed_ct\": give the primary current of the CT installed, 1-9999 A");
    }
    const auto ct = in_range(body, "installed_ct", 5, 1, 9999, "a primary current 1-9999 A");
    if (!ct) return std::unexpected(ct.error());
    f.installed_ct = static_cast<std::uint16_t>(*ct);
  }
  if (f.kind == FaultKind::corrupt || f.kind == FaultKind::unwritable) {
    return area_parameter(body, f);
  }
  if (f.kind == FaultKind::torn_write && body.contains("kill")) {
    const auto kill = bool_member(body, "kill");
    if (!kill) return std::unexpected(kill.error());
    f.kill = *kill;
  }
  return {};
}

ApiResult<> kind_parameters(const Json& body, Fault& f) {
  if (fault_class(f.kind) != FaultClass::link) return meter_parameters(body, f);
  const auto get = [&](const char* name, double fallback, double lo, double hi,
                       std::string_view what) {
    return in_range(body, name, fallback, lo, hi, what);
  };
  if (f.kind == FaultKind::close) {
    const auto n = in_range(body, "after_requests", 1, 1, 1e9, "a request count from 1");
    if (!n) return std::unexpected(n.error());
    f.after_requests = static_cast<std::uint64_t>(*n);
    return {};
  }
  switch (f.kind) {
    case FaultKind::delay: {
      const auto delay = get("delay_ms", 1000, 0, 600'000, "0-600000 ms");
      if (!delay) return std::unexpected(delay.error());
      const auto jitter = get("jitter_ms", 0, 0, 600'000, "0-600000 ms");
      if (!jitter) return std::unexpected(jitter.error());
      f.delay_ms = static_cast<std::int64_t>(*delay);
      f.jitter_ms = static_cast<std::int64_t>(*jitter);
      return {};
    }
    case FaultKind::bit_errors: {
      const auto ber = get("bit_error_rate", 0.001, 0, 0.5, "a rate above 0, at most 0.5");
      if (!ber) return std::unexpected(ber.error());
      if (!(*ber > 0)) return unprocessable("\"bit_error_rate\" 0 flips nothing: give > 0");
      f.bit_error_rate = *ber;
      return {};
    }
    case FaultKind::truncate: {
      if (!body.contains("keep_bytes")) return {};
      const auto keep = get("keep_bytes", 0, 0, 300, "0-300 bytes");
      if (!keep) return std::unexpected(keep.error());
      f.keep_bytes = static_cast<std::size_t>(*keep);
      return {};
    }
    case FaultKind::garbage: {
      const auto n = get("garbage_bytes", 4, 1, 300, "1-300 bytes");
      if (!n) return std::unexpected(n.error());
      f.garbage_bytes = static_cast<std::size_t>(*n);
      if (body.contains("after")) {
        const auto after = bool_member(body, "after");
        if (!after) return std::unexpected(after.error());
        f.after = *after;
      }
      return {};
    }
    case FaultKind::exception: {
      const auto code = get("exception_code", 6, 1, 255, "an exception code 1-255 (06: busy)");
      if (!code) return std::unexpected(code.error());
      f.exception_code = static_cast<std::uint8_t>(*code);
      return {};
    }
    default:
      return {};
  }
}

}  // namespace

ApiResult<Fault> fault_from_json(const Json& body, std::int64_t now_ms,
                                 std::uint64_t default_seed) {
  if (!body.contains("kind") || !body.at("kind").is_string()) {
    return unprocessable(fmt::format("missing \"kind\": give one of {}", fault_kinds()));
  }
  const std::string name = body.at("kind").get<std::string>();
  const auto kind = fault_kind(name);
  if (!kind) {
    return unprocessable(
        fmt::format("unknown \"kind\" \"{}\": give one of {}", name, fault_kinds()));
  }
  if (auto ok = kind_members(body, *kind); !ok) return std::unexpected(ok.error());
  Fault f;
  f.kind = *kind;
  const auto p = in_range(body, "probability", 1.0, 0, 1, "a probability above 0, at most 1");
  if (!p) return std::unexpected(p.error());
  if (!(*p > 0)) return unprocessable("\"probability\" 0 never acts: give > 0, at most 1");
  f.probability = *p;
  const auto start =
      in_range(body, "start_s", 0, 0, kMaxSeconds, "simulated seconds from now, >= 0");
  if (!start) return std::unexpected(start.error());
  f.start_ms = now_ms + static_cast<std::int64_t>(std::llround(*start * 1000));
  if (body.contains("duration_s")) {
    const auto duration =
        in_range(body, "duration_s", 0, 0.001, kMaxSeconds, "simulated seconds, > 0");
    if (!duration) return std::unexpected(duration.error());
    f.end_ms = f.start_ms + std::max<std::int64_t>(1, std::llround(*duration * 1000));
  }
  const auto seed = in_range(body, "seed", static_cast<double>(default_seed % (1ULL << 53)), 0,
                             9007199254740991.0, "an integer 0-2^53-1");
  if (!seed) return std::unexpected(seed.error());
  f.seed = static_cast<std::uint64_t>(*seed);
  if (auto ok = kind_parameters(body, f); !ok) return std::unexpected(ok.error());
  return f;
}

Json fault_json(const Fault& f, std::int64_t now_ms) {
  Json j{{"id", f.id},
         {"kind", to_string(f.kind)},
         {"probability", f.probability},
         {"start_ms", f.start_ms},
         {"end_ms", f.end_ms ? Json(*f.end_ms) : Json()},
         {"seed", f.seed},
         {"active", f.active_at(now_ms)},
         {"ended", f.ended},
         {"seen", f.seen},
         {"applied", f.applied}};
  switch (f.kind) {
    case FaultKind::delay:
      j["delay_ms"] = f.delay_ms;
      j["jitter_ms"] = f.jitter_ms;
      break;
    case FaultKind::bit_errors:
      j["bit_error_rate"] = f.bit_error_rate;
      break;
    case FaultKind::truncate:
      j["keep_bytes"] = f.keep_bytes ? Json(*f.keep_bytes) : Json();
      break;
    case FaultKind::garbage:
      j["garbage_bytes"] = f.garbage_bytes;
      j["after"] = f.after;
      break;
    case FaultKind::exception:
      j["exception_code"] = f.exception_code;
      break;
    case FaultKind::close:
      j["after_requests"] = f.after_requests;
      break;
    case FaultKind::phases_swapped:
      j["other_phase"] = f.other_phase + 1;
      [[fallthrough]];
    case FaultKind::phase_lost:
    case FaultKind::ct_reversed:
      j["phase"] = f.phase + 1;
      break;
    case FaultKind::wrong_ct_ratio:
      j["installed_ct"] = f.installed_ct;
      break;
    case FaultKind::corrupt:
    case FaultKind::unwritable:
      j["area"] = area_name(f.area);
      break;
    case FaultKind::torn_write:
      j["kill"] = f.kill;
      break;
    default:
      break;
  }
  if (fault_class(f.kind) != FaultClass::link) {
    j.erase("probability");
    j.erase("seed");
  }
  return j;
}

ApiResult<Json> fault_spec_json(std::string_view spec) {
  const auto colon = spec.find(':');
  Json body{{"kind", std::string(spec.substr(0, colon))}};
  if (colon == std::string_view::npos) return body;
  std::string_view rest = spec.substr(colon + 1);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view pair = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return unprocessable(fmt::format("\"{}\" in --fault {}: give NAME=VALUE", pair, spec));
    }
    const std::string key(pair.substr(0, eq));
    const std::string_view value = pair.substr(eq + 1);
    if (value == "true" || value == "false") {
      body[key] = value == "true";
      continue;
    }
    double number = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (ec != std::errc{} || end != value.data() + value.size()) {
      body[key] = std::string(value);  // a name (area=backup); its member checks it
      continue;
    }
    body[key] = number;
  }
  return body;
}

}  // namespace ambi
