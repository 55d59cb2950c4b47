#pragma once
// The one TCP server of `ambimeter run`, whatever it carries (HTTP, Modbus TCP, RTU over TCP,
// M-bus TCP): it listens (net/tcp_listener.hpp), admits each accepted connection under
// a connection cap, counts the sessions it started, and closes them all when it stops. What
// a session does with its connection is the protocol's business.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "net/connection.hpp"

namespace ambi {

/// The resource limits of a Modbus or M-bus TCP server (`--modbus-idle-timeout`).
struct TcpServerLimits {
  std::size_t max_connections = 64;                ///< beyond this, see `WhenFull`
  std::chrono::milliseconds idle_timeout{60'000};  ///< close after this long without a byte
};

/// What a server does with a connection that would exceed its cap.
enum class WhenFull : std::uint8_t {
  /// The connection idle the longest is closed to make room; when every one is busy, the
  /// new one is closed (Modbus and M-bus: spec decision C34).
  close_idle_longest,
  /// The new connection goes to `TcpAdmission::refuse`, uncounted (HTTP answers it 503).
  refuse,
};

/// Starts the session of an admitted connection from `peer` and returns it: the server
/// counts it while it is open and closes it when the server stops.
using StartSession = std::function<std::shared_ptr<Connection>(
    boost::asio::ip::tcp::socket socket, const boost::asio::ip::tcp::endpoint& peer)>;

/// How a server admits connections.
struct TcpAdmission {
  std::size_t max_connections = 64;
  WhenFull when_full = WhenFull::close_idle_longest;
  /// With `WhenFull::refuse`: takes a connection beyond the cap (to answer it, then close it).
  std::function<void(boost::asio::ip::tcp::socket)> refuse;
};

/// A listening server. Destroying it closes the listener and every connection it admitted.
class TcpServer {
 public:
  /// Binds `endpoint` and starts accepting; every admitted connection (TCP_NODELAY set)
  /// goes to `start`. On failure: "cannot listen on ADDR: REASON; FIX", FIX being e.g.
  /// "choose another with --http".
  [[nodiscard]] static std::expected<std::unique_ptr<TcpServer>, std::string> listen(
      boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
      std::string_view fix, TcpAdmission admission, StartSession start);

  ~TcpServer();
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  /// The bound address (with the port the system chose for port 0).
  [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const;
  /// Stops accepting; the connections already admitted go on.
  void stop();
  /// The admitted connections still open.
  [[nodiscard]] std::size_t open_connections() const;

  struct Impl;  ///< the listener, the admission and the pool

 private:
  explicit TcpServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace ambi
