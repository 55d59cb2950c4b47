#pragma once
// The listening socket every TCP server of `ambimeter run` shares (HTTP, Modbus TCP, RTU
// over TCP, M-bus TCP): bind and listen with a one-line error naming the address and the
// option to change, then hand each accepted connection to the server. An accept error
// (such as running out of file descriptors) pauses accepting for 100 ms instead of spinning.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace ambi {

class TcpListener : public std::enable_shared_from_this<TcpListener> {
 public:
  using Admit = std::function<void(boost::asio::ip::tcp::socket)>;

  /// Binds `endpoint` and accepts until `close`, handing every connection to `admit`. On
  /// failure: "cannot listen on ADDR: REASON; FIX", FIX being e.g. "choose another with --http".
  [[nodiscard]] static std::expected<std::shared_ptr<TcpListener>, std::string> open(
      boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
      std::string_view fix, Admit admit);

  /// The bound address (with the port the system chose for port 0).
  [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const;
  /// Stops accepting; `admit` is not called any more.
  void close();

  TcpListener(boost::asio::io_context& io, Admit admit);

 private:
  void accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;
  Admit admit_;
};

/// "choose another with FLAG (or FLAG off)": the fix for a server that can be turned off.
[[nodiscard]] std::string choose_another_or_off(std::string_view flag);

/// "127.0.0.1:5020", "[::1]:5020".
[[nodiscard]] std::string endpoint_string(const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace ambi
