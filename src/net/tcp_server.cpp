#include "net/tcp_server.hpp"

#include <utility>

#include "net/tcp_listener.hpp"

namespace ambi {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

struct TcpServer::Impl {
  Impl(TcpAdmission a, StartSession s) : admission(std::move(a)), start(std::move(s)) {}

  void admit(tcp::socket socket) {
    error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    if (ec) return;  // gone already: the socket closes here
    (void)socket.set_option(tcp::no_delay(true), ec);
    if (!has_room()) {
      if (admission.when_full == WhenFull::refuse && admission.refuse) {
        admission.refuse(std::move(socket));
      }
      return;
    }
    pool.add(start(std::move(socket), peer));
  }

  [[nodiscard]] bool has_room() {
    if (admission.when_full == WhenFull::refuse)
      return pool.open_count() < admission.max_connections;
    return pool.make_room(admission.max_connections);
  }

  std::shared_ptr<TcpListener> listener;
  TcpAdmission admission;
  StartSession start;
  ConnectionPool pool;
};

std::expected<std::unique_ptr<TcpServer>, std::string> TcpServer::listen(
    asio::io_context& io, const tcp::endpoint& endpoint, std::string_view fix,
    TcpAdmission admission, StartSession start) {
  auto impl = std::make_shared<Impl>(std::move(admission), std::move(start));
  auto listener =
      TcpListener::open(io, endpoint, fix, [weak = std::weak_ptr<Impl>(impl)](tcp::socket socket) {
        if (auto self = weak.lock()) self->admit(std::move(socket));
      });
  if (!listener) return std::unexpected(listener.error());
  impl->listener = std::move(*listener);
  return std::unique_ptr<TcpServer>(new TcpServer(std::move(impl)));
}

TcpServer::TcpServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

TcpServer::~TcpServer() {
  stop();
  impl_->pool.close_all();
}

tcp::endpoint TcpServer::local_endpoint() const {
  return impl_->listener->local_endpoint();
}

void TcpServer::stop() {
  impl_->listener->close();
}

std::size_t TcpServer::open_connections() const {
  return impl_->pool.open_count();
}

}  // namespace ambi
