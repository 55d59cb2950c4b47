#pragma once
// M-bus over TCP for `ambimeter run --mbus-tcp` (docs/mbus-transports.md): M-bus telegrams
// on a TCP stream, as serial/Ethernet M-bus gateways in transparent mode carry them and as
// libmbus's mbus-tcp-* tools speak. Many clients at once, one framer each, one slave state
// for all (the meter's one M-bus interface); the limits of Modbus TCP (connection cap that
// closes the connection idle the longest, idle timeout: `TcpServerLimits`).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include "net/tcp_server.hpp"
#include "twin/transport/mbus_link.hpp"

namespace ambi {

/// A listening M-bus TCP server (a `TcpServer` starting M-bus sessions). Destroying it
/// closes the listener and every connection.
class MbusTcpServer {
 public:
  /// Binds `endpoint` and starts accepting. On failure, a one-line message naming the
  /// address, the reason and `flag`.
  [[nodiscard]] static std::expected<std::unique_ptr<MbusTcpServer>, std::string> listen(
      boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
      MbusContext& context, TcpServerLimits limits, std::string_view flag);

  ~MbusTcpServer();
  MbusTcpServer(const MbusTcpServer&) = delete;
  MbusTcpServer& operator=(const MbusTcpServer&) = delete;

  /// The bound address (with the port the system chose for port 0).
  [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const;

 private:
  explicit MbusTcpServer(std::unique_ptr<TcpServer> server);
  std::unique_ptr<TcpServer> server_;
};

}  // namespace ambi
