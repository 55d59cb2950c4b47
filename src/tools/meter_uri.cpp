// Meter URIs (docs/tools.md): scheme, authority or device path, and query parameters.
#include "tools/meter_uri.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

#include "core/codec/line_timing.hpp"
#include "core/mbus/mbus_frame.hpp"
#include "io/duration.hpp"

namespace ambi {
namespace {

struct SchemeDef {
  std::string_view prefix;
  UriScheme scheme;
  std::uint16_t default_port;  // 0: the port is required
};
constexpr std::array kSchemes{
    SchemeDef{"tcp://", UriScheme::modbus_tcp, 502},
    SchemeDef{"rtu+tcp://", UriScheme::rtu_over_tcp, 0},
    SchemeDef{"serial://", UriScheme::modbus_serial, 0},
    SchemeDef{"mbus+tcp://", UriScheme::mbus_tcp, 0},
    SchemeDef{"mbus+serial://", UriScheme::mbus_serial, 0},
};
constexpr std::string_view kForms =
    "tcp://HOST:PORT?unit=N, rtu+tcp://HOST:PORT, serial:///dev/ttyUSB0?baud=9600&parity=even, "
    "mbus+tcp://HOST:PORT?address=A, mbus+serial:///dev/ttyUSB0?baud=2400";

using Error = std::unexpected<std::string>;

template <class T>
std::optional<T> to_number(std::string_view text) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

/// The host as an authority writes it: an IPv6 address in brackets.
std::string bracketed(std::string_view host) {
  return host.find(':') == std::string_view::npos ? std::string{host} : fmt::format("[{}]", host);
}

/// HOST[:PORT] or [IPV6][:PORT]. Without brackets the last ':' starts the port, so a bare
/// IPv6 address works only with a port ("::1:502").
std::expected<void, std::string> parse_authority(std::string_view authority, const SchemeDef& def,
                                                 MeterUri& uri) {
  std::string_view host;
  std::string_view after;  // ":PORT" or empty
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return Error{fmt::format("{}: the IPv6 address lacks its closing ']' (e.g. {}[::1]:5020)",
                               uri.text, def.prefix)};
    }
    host = authority.substr(1, close - 1);
    after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) {
      return Error{fmt::format("{}: only :PORT may follow [{}] (e.g. {}[::1]:5020)", uri.text, host,
                               def.prefix)};
    }
  } else {
    const auto colon = authority.rfind(':');
    host = authority.substr(0, colon);
    after = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon);
  }
  if (host.empty())
    return Error{
        fmt::format("{}: the host is missing (e.g. {}127.0.0.1:5020)", uri.text, def.prefix)};
  uri.host = std::string{host};
  if (after.empty()) {
    if (def.default_port == 0) {
      return Error{fmt::format("{}: the port is missing (e.g. {}{}:5020)", uri.text, def.prefix,
                               bracketed(host))};
    }
    uri.port = def.default_port;
    return {};
  }
  const auto port = to_number<std::uint16_t>(after.substr(1));
  if (!port || *port == 0) {
    return Error{fmt::format("{}: the port must be a number 1-65535", uri.text)};
  }
  uri.port = *port;
  return {};
}

std::expected<void, std::string> set_parity(std::string_view value, MeterUri& uri) {
  constexpr std::array<std::pair<std::string_view, Parity>, 6> kNames{{{"even", Parity::even},
                                                                       {"none", Parity::none},
                                                                       {"odd", Parity::odd},
                                                                       {"E", Parity::even},
                                                                       {"N", Parity::none},
                                                                       {"O", Parity::odd}}};
  for (const auto& [name, parity] : kNames) {
    if (value == name) {
      uri.parity = parity;
      return {};
    }
  }
  return Error{fmt::format("{}: parity must be even, none or odd, not \"{}\"", uri.text, value)};
}

std::expected<void, std::string> set_secondary(std::string_view value, MeterUri& uri) {
  if (value.size() != 8 || !std::ranges::all_of(value, [](char c) {
        return (c >= '0' && c <= '9') || c == 'F' || c == 'f';
      })) {
    return Error{
        fmt::format("{}: secondary must be 8 digits (F for a wildcard), e.g. 19020246", uri.text)};
  }
  std::uint32_t bcd = 0;
  for (const char c : value) {
    bcd = (bcd << 4) | static_cast<std::uint32_t>(c >= '0' && c <= '9' ? c - '0' : 0xF);
  }
  uri.secondary = bcd;
  return {};
}

std::expected<void, std::string> set_timeout(std::string_view value, MeterUri& uri) {
  const auto timeout = parse_duration(value, kTimeoutSyntax);
  if (!timeout) {
    return Error{fmt::format("{}: timeout must be a duration like 500ms or 2s, not \"{}\"",
                             uri.text, value)};
  }
  uri.timeout = *timeout;
  return {};
}

template <class T>
std::expected<T, std::string> bounded(std::string_view key, std::string_view value, long low,
                                      long high, const MeterUri& uri) {
  const auto number = to_number<long>(value);
  if (!number || *number < low || *number > high) {
    return Error{fmt::format("{}: {} must be {}-{}, not \"{}\"", uri.text, key, low, high, value)};
  }
  return static_cast<T>(*number);
}

std::expected<void, std::string> set_param(std::string_view key, std::string_view value,
                                           MeterUri& uri) {
  const bool mbus = uri.is_mbus();
  if (key == "unit" && !mbus) {
    auto unit = bounded<std::uint8_t>(key, value, 0, 247, uri);
    if (!unit) return Error{unit.error()};
    uri.unit = *unit;
    uri.unit_given = true;
    return {};
  }
  if (key == "address" && mbus) {
    auto address = bounded<std::uint8_t>(key, value, 0, 254, uri);
    if (!address) return Error{address.error()};
    uri.mbus_address = *address;
    return {};
  }
  if (key == "secondary" && mbus) return set_secondary(value, uri);
  if (key == "baud" && uri.is_serial()) {
    auto baud = bounded<std::uint32_t>(key, value, 300, 115200, uri);
    if (!baud) return Error{baud.error()};
    uri.baud = *baud;
    return {};
  }
  if (key == "parity" && uri.is_serial()) return set_parity(value, uri);
  if (key == "timeout") return set_timeout(value, uri);
  if (key == "retries") {
    auto retries = bounded<int>(key, value, 0, 10, uri);
    if (!retries) return Error{retries.error()};
    uri.retries = *retries;
    return {};
  }
  const std::string_view known =
      mbus ? (uri.is_serial() ? "address, secondary, baud, parity, timeout, retries"
                              : "address, secondary, timeout, retries")
           : (uri.is_serial() ? "unit, baud, parity, timeout, retries" : "unit, timeout, retries");
  return Error{
      fmt::format("{}: unknown parameter \"{}\" (this scheme takes {})", uri.text, key, known)};
}

std::expected<void, std::string> parse_query(std::string_view query, MeterUri& uri) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) {
      return Error{fmt::format("{}: parameter \"{}\" needs a value (KEY=VALUE)", uri.text, pair)};
    }
    if (auto ok = set_param(pair.substr(0, eq), pair.substr(eq + 1), uri); !ok) return ok;
  }
  return {};
}

}  // namespace

std::expected<MeterUri, std::string> parse_meter_uri(std::string_view text) {
  MeterUri uri;
  uri.text = std::string{text};
  const auto def = std::ranges::find_if(
      kSchemes, [text](const SchemeDef& d) { return text.starts_with(d.prefix); });
  if (def == kSchemes.end()) {
    return Error{fmt::format("\"{}\" is not a meter URI; use one of: {}", text, kForms)};
  }
  uri.scheme = def->scheme;
  std::string_view rest = text.substr(def->prefix.size());
  const auto question = rest.find('?');
  const std::string_view where = rest.substr(0, question);
  if (uri.is_serial()) {
    if (!where.starts_with('/')) {
      return Error{fmt::format("{}: the device path must be absolute (e.g. {}/dev/ttyUSB0)", text,
                               def->prefix)};
    }
    uri.device = std::string{where};
    uri.baud = uri.is_mbus() ? 2400 : 9600;
  } else if (auto ok = parse_authority(where, *def, uri); !ok) {
    return Error{ok.error()};
  }
  if (question != std::string_view::npos) {
    if (auto ok = parse_query(rest.substr(question + 1), uri); !ok) return Error{ok.error()};
  }
  return uri;
}

std::string to_string(const MeterUri& uri) {
  const auto def =
      std::ranges::find_if(kSchemes, [&uri](const SchemeDef& d) { return d.scheme == uri.scheme; });
  std::string out{def->prefix};
  if (uri.is_serial()) {
    out += fmt::format("{}?baud={}&parity={}", uri.device, uri.baud, to_string(uri.parity));
  } else {
    out += fmt::format("{}:{}", bracketed(uri.host), uri.port);
  }
  const char sep = uri.is_serial() ? '&' : '?';
  if (!uri.is_mbus()) {
    out += fmt::format("{}unit={}", sep, uri.unit);
  } else if (uri.secondary) {
    out += fmt::format("{}secondary={:08X}", sep, *uri.secondary);
  } else {
    out += fmt::format("{}address={}", sep, uri.mbus_address);
  }
  return out;
}

std::chrono::milliseconds effective_timeout(const MeterUri& uri) {
  using std::chrono::milliseconds;
  if (uri.timeout.count() > 0) return uri.timeout;
  if (!uri.is_mbus()) return milliseconds{1000};
  if (uri.scheme == UriScheme::mbus_tcp) return milliseconds{2000};
  // A full long telegram on the line, plus 2 s to start.
  const auto line = line_timing::character_time(std::max<std::uint32_t>(uri.baud, 300),
                                                static_cast<std::int64_t>(kMbusMaxFrame));
  return milliseconds{2000} + std::chrono::floor<milliseconds>(line);
}

int effective_retries(const MeterUri& uri) {
  if (uri.retries >= 0) return uri.retries;
  return uri.is_serial() ? 1 : 0;
}

}  // namespace ambi
