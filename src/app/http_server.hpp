#pragma once
// A small HTTP/1.1 server on the run's io_context (Boost.Beast): keep-alive, a cap on
// concurrent connections, an idle timeout and a body limit. It knows nothing of meters:
// each request goes to one handler that returns status, JSON text and headers.

#include <chrono>
#include <cstddef>
#include <expected>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace ambi {

/// What the handler sees of a request.
struct HttpRequest {
  std::string method;  ///< "GET", "PUT", ...
  std::string path;    ///< the target without its query string
  std::string body;
};

/// What the handler answers; the body is JSON text.
struct HttpResponse {
  unsigned status = 200;
  std::string body;
  std::string allow;  ///< the Allow header of a 405, else empty
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

/// Resource limits of the server.
struct HttpLimits {
  std::size_t max_connections = 64;          ///< more are answered 503 and closed
  std::chrono::seconds idle_timeout{30};     ///< per read or write
  std::size_t body_limit = 64 * 1024;        ///< larger bodies get 413
  std::size_t header_limit = 16 * 1024;      ///< larger headers get 431
};

/// A listening server. Destroying it (or `stop`) closes the listening socket.
class HttpServer {
 public:
  /// Binds `endpoint` and starts accepting. On failure, a one-line message naming the
  /// address, the reason and the fix ("choose another with --http").
  [[nodiscard]] static std::expected<std::unique_ptr<HttpServer>, std::string> listen(
      boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
      HttpHandler handler, HttpLimits limits = {});

  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// The bound address (with the port the system chose for port 0).
  [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const;
  /// Stops accepting new connections.
  void stop();

  struct Impl;  ///< the listener and the state its connections share

 private:
  explicit HttpServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace ambi
