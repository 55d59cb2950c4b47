#pragma once
// The address a listening option names ("127.0.0.1:8080", "localhost:0", "[::1]:5020"):
// `run`'s --http, --modbus-tcp, --mbus-tcp... and the bridge's --metrics.

#include <boost/asio/ip/tcp.hpp>
#include <expected>
#include <string>
#include <string_view>

namespace ambi {

/// ADDR:PORT with a numeric address (IPv6 in brackets) or localhost, port 0-65535 (0 picks a
/// free one). The error is one line naming `flag`, the problem and `example`.
[[nodiscard]] std::expected<boost::asio::ip::tcp::endpoint, std::string> parse_listen_address(
    const std::string& text, std::string_view flag, std::string_view example);

}  // namespace ambi
