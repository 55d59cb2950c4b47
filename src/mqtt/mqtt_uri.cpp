// "mqtt://HOST[:PORT]" both ways (mqtt_publisher.hpp).
#include <fmt/format.h>

#include <charconv>

#include "mqtt/mqtt_publisher.hpp"

namespace ambi {

std::expected<void, std::string> parse_mqtt_uri(std::string_view text, std::string_view flag,
                                                MqttOptions& options) {
  const auto bad = [&](std::string_view why) {
    return std::unexpected(
        fmt::format("bad {} \"{}\": {}; give mqtt://HOST[:PORT], e.g. {} "
                    "mqtt://127.0.0.1:1883",
                    flag, text, why, flag));
  };
  constexpr std::string_view kScheme = "mqtt://";
  if (text.starts_with("mqtts://")) return bad("TLS is not supported");
  if (!text.starts_with(kScheme)) return bad("it does not start with mqtt://");
  std::string_view rest = text.substr(kScheme.size());
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find_first_of("/?#@") != std::string_view::npos) {
    return bad("paths, queries and user@ are not supported (give --mqtt-user instead)");
  }
  std::string_view host = rest;
  std::string_view port;
  if (rest.starts_with('[')) {  // [::1]:1883
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return bad("an IPv6 address lacks its ']'");
    host = rest.substr(1, close - 1);
    const std::string_view after = rest.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return bad("junk after the ']'");
    if (!after.empty()) port = after.substr(1);
  } else if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return bad("put an IPv6 address in [ ]");
  }
  if (host.empty()) return bad("the host is missing");
  std::uint16_t number = 1883;
  if (!port.empty() || rest.ends_with(':')) {
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (ec != std::errc{} || end != port.data() + port.size() || number == 0) {
      return bad("the port is not a number from 1 to 65535");
    }
  }
  options.host = std::string(host);
  options.port = number;
  return {};
}

std::string mqtt_uri(const MqttOptions& options) {
  if (options.host.find(':') != std::string::npos) {
    return fmt::format("mqtt://[{}]:{}", options.host, options.port);
  }
  return fmt::format("mqtt://{}:{}", options.host, options.port);
}

}  // namespace ambi
