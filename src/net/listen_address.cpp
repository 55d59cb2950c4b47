#include "net/listen_address.hpp"

#include <fmt/format.h>

#include <boost/asio/ip/address.hpp>

namespace ambi {

std::expected<boost::asio::ip::tcp::endpoint, std::string> parse_listen_address(
    const std::string& text, std::string_view flag, std::string_view example) {
  const auto bad = [&](std::string_view why) {
    return std::unexpected{
        fmt::format("bad {} \"{}\": {}; give ADDR:PORT like {} (port 0 picks a free one)", flag,
                    text, why, example)};
  };
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return bad("missing address or port");
  std::string host = text.substr(0, colon);
  const std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535) {
    return bad("the port must be a number 0-65535");
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  if (ec) return bad("the address must be an IP address or localhost");
  return boost::asio::ip::tcp::endpoint(address, static_cast<unsigned short>(std::stoul(port)));
}

}  // namespace ambi
