#include "net/http_server.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/asio/error.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "net/connection.hpp"
#include "net/tcp_server.hpp"

namespace ambi {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

/// What every connection of one server shares.
struct HttpServer::Impl {
  Impl(HttpHandler h, HttpLimits l) : handler(std::move(h)), limits(l) {}
  HttpHandler handler;
  HttpLimits limits;
  std::unique_ptr<TcpServer> server;
};

namespace {

HttpResponse error(unsigned status, std::string_view message) {
  return make_response(status, nlohmann::json{{"error", message}}.dump() + "\n");
}

/// One connection: read a request, answer it, repeat while the client keeps it alive. The
/// server counts it (for the cap) while it lives, unless it was accepted beyond the cap only
/// to be told so.
class Session : public Connection, public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<HttpServer::Impl> server)
      : stream_(std::move(socket)), server_(std::move(server)) {}

  /// Closes the socket now (the server stops); pending reads and writes end.
  void close() override {
    if (closed_) return;
    closed_ = true;
    error_code ignored;
    (void)stream_.socket().close(ignored);
  }
  /// True while a response is being written.
  [[nodiscard]] bool busy() const override { return writing_; }

  /// Answers 503 without reading the request, then closes.
  void reject() {
    send(error(503, fmt::format("too many connections (at most {}); close idle ones and retry",
                                server_->limits.max_connections)),
         false, 11);
  }

  void read() {
    parser_ = std::make_unique<http::request_parser<http::string_body>>();
    parser_->body_limit(server_->limits.body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(server_->limits.header_limit));
    stream_.expires_after(server_->limits.idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
  }

 private:
  /// Answers "Expect: 100-continue" (curl sends it with bodies over 1 KiB), then reads the body.
  void on_header(error_code ec) {
    if (ec) return on_read(ec);
    if (!beast::iequals(parser_->get()[http::field::expect], "100-continue")) return read_body();
    continue_ = http::response<http::empty_body>{http::status::continue_, 11};
    http::async_write(stream_, continue_, [self = shared_from_this()](error_code wec, std::size_t) {
      if (wec) return self->finish();
      self->read_body();
    });
  }

  void read_body() {
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(error_code ec) {
    if (ec == http::error::body_limit) {
      return send(
          error(413, fmt::format("request body larger than {} bytes", server_->limits.body_limit)),
          false, 11);
    }
    if (ec == http::error::header_limit)
      return send(error(431, "request headers too large"), false, 11);
    if (ec && ec.category() == beast::http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return send(error(400, "malformed HTTP request"), false, 11);
    }
    if (ec) return finish();
    touch();
    const auto& req = parser_->get();
    std::string target(req.target());
    std::string query;
    if (const auto q = target.find('?'); q != std::string::npos) {
      query = target.substr(q + 1);
      target.resize(q);
    }
    HttpResponse response = server_->handler(HttpRequest{
        std::string(req.method_string()), std::move(target), req.body(), std::move(query)});
    if (response.take_over) {
      response.take_over(stream_.release_socket());
      return;
    }
    send(std::move(response), req.keep_alive(), req.version());
  }

  void send(HttpResponse r, bool keep_alive, unsigned version) {
    response_ = {};
    response_.version(version);
    response_.result(r.status);
    response_.set(http::field::server, "ambimeter");
    response_.set(http::field::content_type, r.content_type);
    response_.set(http::field::cache_control, "no-store");
    if (!r.allow.empty()) response_.set(http::field::allow, r.allow);
    for (const auto& [name, value] : r.headers) response_.set(name, value);
    response_.body() = std::move(r.body);
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
    stream_.expires_after(server_->limits.idle_timeout);
    writing_ = true;
    http::async_write(stream_, response_,
                      [self = shared_from_this(), keep_alive](error_code ec, std::size_t) {
                        self->writing_ = false;
                        if (ec || self->closed_) return;
                        if (keep_alive) {
                          self->read();
                        } else {
                          self->finish();
                        }
                      });
  }

  /// Half-closes and reads what the client still sends (an unread body would make the
  /// close a reset that can destroy our answer), until it closes or the timeout.
  void finish() {
    if (closed_) return;
    error_code ignored;
    (void)stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(2));
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(drain_),
                            [self = shared_from_this()](error_code ec, std::size_t) {
                              if (!ec) self->drain();
                            });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  /// A parser per request (a beast parser cannot be reused).
  std::unique_ptr<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  http::response<http::empty_body> continue_;
  std::array<char, 4096> drain_{};
  std::shared_ptr<HttpServer::Impl> server_;
  bool writing_ = false;
};

}  // namespace

HttpResponse make_response(unsigned status, std::string body, std::string content_type) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.content_type = std::move(content_type);
  return response;
}

std::expected<std::unique_ptr<HttpServer>, std::string> HttpServer::listen(
    asio::io_context& io, const tcp::endpoint& endpoint, HttpHandler handler, HttpLimits limits) {
  auto impl = std::make_shared<Impl>(std::move(handler), limits);
  TcpAdmission admission{limits.max_connections, WhenFull::refuse,
                         [weak = std::weak_ptr<Impl>(impl)](tcp::socket socket) {
                           if (auto shared = weak.lock())
                             std::make_shared<Session>(std::move(socket), shared)->reject();
                         }};
  auto server = TcpServer::listen(
      io, endpoint, "choose another with --http", std::move(admission),
      [weak = std::weak_ptr<Impl>(impl)](tcp::socket socket,
                                         const tcp::endpoint&) -> std::shared_ptr<Connection> {
        const auto shared = weak.lock();
        if (!shared) return nullptr;
        auto session = std::make_shared<Session>(std::move(socket), shared);
        session->read();
        return session;
      });
  if (!server) return std::unexpected(server.error());
  impl->server = std::move(*server);
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  // Closes every connection: their handlers then end without the handler being called.
  impl_->server.reset();
}

tcp::endpoint HttpServer::local_endpoint() const {
  return impl_->server->local_endpoint();
}

void HttpServer::stop() {
  impl_->server->stop();
}

}  // namespace ambi
