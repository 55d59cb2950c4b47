#pragma once
// Where a meter is and how to talk to it: the URIs of the reader tools (docs/tools.md).
//
//   tcp://HOST:PORT[?unit=N]                        Modbus TCP (port 502 when omitted)
//   rtu+tcp://HOST:PORT[?unit=N]                    Modbus RTU frames over a TCP stream
//   serial:///dev/ttyUSB0[?baud=9600&parity=even&unit=N]   Modbus RTU on a serial line
//   mbus+tcp://HOST:PORT[?address=A|secondary=ID]   M-bus over a TCP stream
//   mbus+serial:///dev/ttyUSB0[?baud=2400&address=A|secondary=ID]   M-bus on a serial line
//
// HOST is a name, an IPv4 address or an IPv6 address in brackets: tcp://[::1]:502. Every
// scheme also takes timeout=MS (the wait for an answer: 500ms, 2s) and retries=N.

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "core/meter/settings.hpp"

namespace ambi {

enum class UriScheme : std::uint8_t {
  modbus_tcp,
  rtu_over_tcp,
  modbus_serial,
  mbus_tcp,
  mbus_serial
};

/// A parsed meter URI with every default filled in.
struct MeterUri {
  UriScheme scheme = UriScheme::modbus_tcp;
  std::string host;                  ///< TCP schemes; an IPv6 address without brackets
  std::uint16_t port = 0;            ///< TCP schemes
  std::string device;                ///< serial schemes: "/dev/ttyUSB0"
  std::uint32_t baud = 0;            ///< serial: 9600 (Modbus) or 2400 (M-bus) by default
  Parity parity = Parity::even;      ///< serial: even by default (both meter defaults)
  std::uint8_t unit = 1;             ///< Modbus unit id 1-247 (0 only for broadcast writes)
  bool unit_given = false;           ///< the URI names its unit (`unit=`) instead of the default
  std::uint8_t mbus_address = 0xFE;  ///< M-bus primary 0-250, or 0xFE (whichever meter answers)
  std::optional<std::uint32_t> secondary;  ///< M-bus secondary address, 8 BCD digits (0xF wildcard)
  std::chrono::milliseconds timeout{0};    ///< the wait for an answer; scheme default when 0
  int retries = -1;                        ///< -1: the scheme's default
  std::string text;                        ///< the URI as given, for messages

  [[nodiscard]] bool is_mbus() const {
    return scheme == UriScheme::mbus_tcp || scheme == UriScheme::mbus_serial;
  }
  [[nodiscard]] bool is_serial() const {
    return scheme == UriScheme::modbus_serial || scheme == UriScheme::mbus_serial;
  }
};

/// Parses a meter URI. The error is one line naming the problem and the expected form.
[[nodiscard]] std::expected<MeterUri, std::string> parse_meter_uri(std::string_view text);

/// The URI in its canonical form, with the defaults of the address and line spelled out (an
/// IPv6 host in brackets); timeout and retries are left out.
[[nodiscard]] std::string to_string(const MeterUri& uri);

/// The answer timeout in force: `uri.timeout` or the scheme's default (TCP 1 s, Modbus
/// serial 1 s, M-bus 2 s plus the line time of a full telegram at the baud rate).
[[nodiscard]] std::chrono::milliseconds effective_timeout(const MeterUri& uri);
/// The retries in force: `uri.retries` or the scheme's default (1 on serial lines, 0 on TCP).
[[nodiscard]] int effective_retries(const MeterUri& uri);

}  // namespace ambi
