// The shared listening socket of the TCP servers.
#include "net/tcp_listener.hpp"

#include <fmt/format.h>

#include <boost/asio/error.hpp>
#include <chrono>
#include <utility>

namespace ambi {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

/// Wait before accepting again after an accept error (e.g. out of file descriptors).
constexpr std::chrono::milliseconds kAcceptRetry{100};

std::string listen_error(const error_code& ec) {
  if (ec == asio::error::address_in_use) return "address in use";
  if (ec == boost::system::errc::address_not_available) return "no such local address";
  if (ec == boost::system::errc::permission_denied) return "permission denied";
  return ec.message();
}

}  // namespace

TcpListener::TcpListener(asio::io_context& io, Admit admit)
    : acceptor_(io), retry_(io), admit_(std::move(admit)) {}

std::expected<std::shared_ptr<TcpListener>, std::string> TcpListener::open(
    asio::io_context& io, const tcp::endpoint& endpoint, std::string_view fix, Admit admit) {
  auto listener = std::make_shared<TcpListener>(io, std::move(admit));
  tcp::acceptor& a = listener->acceptor_;
  error_code ec;
  (void)a.open(endpoint.protocol(), ec);
  if (!ec) (void)a.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) (void)a.bind(endpoint, ec);
  if (!ec) (void)a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return std::unexpected(fmt::format("cannot listen on {}: {}; {}", endpoint_string(endpoint),
                                       listen_error(ec), fix));
  listener->accept();
  return listener;
}

void TcpListener::accept() {
  acceptor_.async_accept([self = shared_from_this()](error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (ec) {
      self->retry_.expires_after(kAcceptRetry);
      self->retry_.async_wait([self](error_code wait_ec) {
        if (!wait_ec && self->acceptor_.is_open()) self->accept();
      });
      return;
    }
    self->admit_(std::move(socket));
    self->accept();
  });
}

tcp::endpoint TcpListener::local_endpoint() const {
  error_code ec;
  return acceptor_.local_endpoint(ec);
}

void TcpListener::close() {
  error_code ignored;
  if (acceptor_.is_open()) (void)acceptor_.close(ignored);
  retry_.cancel();
}

std::string choose_another_or_off(std::string_view flag) {
  return fmt::format("choose another with {} (or {} off)", flag, flag);
}

std::string endpoint_string(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  if (address.is_v6()) return fmt::format("[{}]:{}", address.to_string(), endpoint.port());
  return fmt::format("{}:{}", address.to_string(), endpoint.port());
}

}  // namespace ambi
