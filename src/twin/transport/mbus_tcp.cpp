#include "twin/transport/mbus_tcp.hpp"

#include <utility>

#include "net/tcp_listener.hpp"

namespace ambi {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::expected<std::unique_ptr<MbusTcpServer>, std::string> MbusTcpServer::listen(
    asio::io_context& io, const tcp::endpoint& endpoint, MbusContext& context,
    TcpServerLimits limits, std::string_view flag) {
  auto server = TcpServer::listen(
      io, endpoint, choose_another_or_off(flag),
      TcpAdmission{limits.max_connections, WhenFull::close_idle_longest, {}},
      [&context, idle = limits.idle_timeout](
          tcp::socket socket, const tcp::endpoint& peer) -> std::shared_ptr<Connection> {
        MbusLinkOptions options;
        options.idle_timeout = idle;
        auto session = std::make_shared<MbusSession<tcp::socket>>(
            std::move(socket), context, TraceSource{"mbus-tcp", endpoint_string(peer)},
            std::move(options));
        session->start();
        return session;
      });
  if (!server) return std::unexpected(server.error());
  return std::unique_ptr<MbusTcpServer>(new MbusTcpServer(std::move(*server)));
}

MbusTcpServer::MbusTcpServer(std::unique_ptr<TcpServer> server) : server_(std::move(server)) {}

MbusTcpServer::~MbusTcpServer() = default;

tcp::endpoint MbusTcpServer::local_endpoint() const {
  return server_->local_endpoint();
}

}  // namespace ambi
