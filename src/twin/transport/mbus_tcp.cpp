#include "twin/transport/mbus_tcp.hpp"

#include <fmt/format.h>

#include <boost/asio/error.hpp>
#include <list>
#include <utility>

namespace ambi {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

struct MbusTcpServer::Impl : std::enable_shared_from_this<MbusTcpServer::Impl> {
  Impl(MbusContext& c, ModbusTcpLimits l) : context(c), limits(l) {}

  void admit(tcp::socket socket) {
    error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    if (ec || !connections.make_room(limits.max_connections)) {
      socket.close(ec);
      return;
    }
    socket.set_option(tcp::no_delay(true), ec);
    MbusLinkOptions options;
    options.idle_timeout = limits.idle_timeout;
    auto session = std::make_shared<MbusSession<tcp::socket>>(
        std::move(socket), context, TraceSource{"mbus-tcp", endpoint_string(peer)},
        std::move(options));
    connections.add(session);
    session->start();
  }

  std::shared_ptr<TcpListener> listener;
  MbusContext& context;
  ModbusTcpLimits limits;
  ConnectionPool connections;
};

std::expected<std::unique_ptr<MbusTcpServer>, std::string> MbusTcpServer::listen(
    asio::io_context& io, const tcp::endpoint& endpoint, MbusContext& context,
    ModbusTcpLimits limits, std::string_view flag) {
  auto impl = std::make_shared<Impl>(context, limits);
  auto listener = TcpListener::open(io, endpoint, choose_another_or_off(flag),
                                    [weak = std::weak_ptr<Impl>(impl)](tcp::socket socket) {
                                      if (auto self = weak.lock()) self->admit(std::move(socket));
                                    });
  if (!listener) return std::unexpected(listener.error());
  impl->listener = std::move(*listener);
  return std::unique_ptr<MbusTcpServer>(new MbusTcpServer(std::move(impl)));
}

MbusTcpServer::MbusTcpServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

MbusTcpServer::~MbusTcpServer() {
  impl_->listener->close();
  impl_->connections.close_all();
}

tcp::endpoint MbusTcpServer::local_endpoint() const {
  return impl_->listener->local_endpoint();
}

}  // namespace ambi
