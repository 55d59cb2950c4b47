#include "app/mbus_tcp.hpp"

#include <list>
#include <utility>

#include <boost/asio/error.hpp>
#include <fmt/format.h>

namespace ambi {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

/// Wait before accepting again after an accept error (e.g. out of file descriptors).
constexpr std::chrono::milliseconds kAcceptRetry{100};

}  // namespace

struct MbusTcpServer::Impl : std::enable_shared_from_this<MbusTcpServer::Impl> {
  Impl(asio::io_context& io, MbusContext& c, ModbusTcpLimits l) : acceptor(io), retry(io), context(c), limits(l) {}

  void accept() {
    acceptor.async_accept([self = shared_from_this()](error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
      if (ec) {
        self->retry.expires_after(kAcceptRetry);
        self->retry.async_wait([self](error_code tec) {
          if (!tec && self->acceptor.is_open()) self->accept();
        });
        return;
      }
      self->admit(std::move(socket));
      self->accept();
    });
  }

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
        std::move(socket), context, TraceSource{"mbus-tcp", endpoint_string(peer)}, std::move(options));
    connections.add(session);
    session->start();
  }

  void stop() {
    error_code ignored;
    if (acceptor.is_open()) acceptor.close(ignored);
    retry.cancel();
    connections.close_all();
  }

  tcp::acceptor acceptor;
  asio::steady_timer retry;
  MbusContext& context;
  ModbusTcpLimits limits;
  ConnectionPool connections;
};

std::expected<std::unique_ptr<MbusTcpServer>, std::string> MbusTcpServer::listen(
    asio::io_context& io, const tcp::endpoint& endpoint, MbusContext& context, ModbusTcpLimits limits,
    std::string_view flag) {
  auto impl = std::make_shared<Impl>(io, context, limits);
  error_code ec;
  auto fail = [&](std::string_view reason) {
    return std::unexpected(fmt::format("cannot listen on {}: {}; choose another with {} (or {} off)",
                                       endpoint_string(endpoint), reason, flag, flag));
  };
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec == asio::error::address_in_use) return fail("address in use");
  if (ec == boost::system::errc::address_not_available) return fail("no such local address");
  if (ec == boost::system::errc::permission_denied) return fail("permission denied");
  if (ec) return fail(ec.message());
  impl->accept();
  return std::unique_ptr<MbusTcpServer>(new MbusTcpServer(std::move(impl)));
}

MbusTcpServer::MbusTcpServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

MbusTcpServer::~MbusTcpServer() { impl_->stop(); }

tcp::endpoint MbusTcpServer::local_endpoint() const {
  error_code ec;
  return impl_->acceptor.local_endpoint(ec);
}

}  // namespace ambi
