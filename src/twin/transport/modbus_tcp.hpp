#pragma once
// Modbus over TCP for `ambimeter run` (docs/modbus-transports.md), on the run's io_context:
// MBAP framing (Modbus Messaging on TCP/IP V1.0b, `--modbus-tcp`) or RTU frames over a
// TCP stream (`--rtu-over-tcp`, as serial-to-Ethernet gateways in transparent mode send
// them). Many clients at once; pipelined requests are answered in order; an idle
// connection is closed after a timeout; when the cap is reached the connection idle the
// longest makes room for the new one.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include "net/tcp_listener.hpp"
#include "net/tcp_server.hpp"
#include "twin/transport/modbus_link.hpp"

namespace ambi {

/// How requests are framed on a connection.
enum class TcpFraming : std::uint8_t {
  mbap,  ///< MBAP header + PDU (Modbus TCP)
  rtu,   ///< unit + PDU + CRC (Modbus RTU over TCP)
};

/// A listening Modbus server (a `TcpServer` starting MBAP or RTU sessions). Destroying it
/// closes the listener and every connection.
class ModbusTcpServer {
 public:
  /// Binds `endpoint` and starts accepting. On failure, a one-line message naming the
  /// address, the reason and `flag`, the option to change.
  [[nodiscard]] static std::expected<std::unique_ptr<ModbusTcpServer>, std::string> listen(
      boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
      TcpFraming framing, ModbusContext& context, TcpServerLimits limits, std::string_view flag);

  ~ModbusTcpServer();
  ModbusTcpServer(const ModbusTcpServer&) = delete;
  ModbusTcpServer& operator=(const ModbusTcpServer&) = delete;

  /// The bound address (with the port the system chose for port 0).
  [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const;

 private:
  explicit ModbusTcpServer(std::unique_ptr<TcpServer> server);
  std::unique_ptr<TcpServer> server_;
};

}  // namespace ambi
