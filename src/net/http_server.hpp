#pragma once
// A small HTTP/1.1 server on the run's io_context (Boost.Beast): keep-alive, a cap on
// concurrent connections, an idle timeout and a body limit. It knows nothing of meters:
// each request goes to one handler that returns status, body, content type and headers, or
// takes the connection over (an event stream).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ambi {

/// What the handler sees of a request.
struct HttpRequest {
  std::string method;  ///< "GET", "PUT", ...
  std::string path;    ///< the target without its query string
  std::string body;
  std::string query = {};  ///< after the '?', if any ("offset=0&limit=100")
};

/// Takes over a connection whose request it answers itself (Server-Sent Events): the server
/// writes nothing more and forgets the socket.
using HttpTakeOver = std::function<void(boost::asio::ip::tcp::socket)>;

/// What the handler answers.
struct HttpResponse {
  unsigned status = 200;
  std::string body;
  std::string allow;                              ///< the Allow header of a 405, else empty
  std::string content_type = "application/json";  ///< the Content-Type header
  /// Extra headers (Content-Disposition, ...). A Cache-Control here replaces the default
  /// "no-store".
  std::vector<std::pair<std::string, std::string>> headers;
  /// When set, the response is not written: the socket is handed to this function.
  HttpTakeOver take_over;
};

/// A response of `status` with `body`, JSON unless `content_type` says otherwise.
[[nodiscard]] HttpResponse make_response(unsigned status, std::string body,
                                         std::string content_type = "application/json");

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

/// Resource limits of the server.
struct HttpLimits {
  std::size_t max_connections = 64;                   ///< more are answered 503 and closed
  std::chrono::seconds idle_timeout{30};              ///< per read or write
  std::size_t body_limit = std::size_t{64} * 1024;    ///< larger bodies get 413
  std::size_t header_limit = std::size_t{16} * 1024;  ///< larger headers get 431
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

  struct Impl;  ///< the handler and limits its connections share, and the TCP server

 private:
  explicit HttpServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace ambi
