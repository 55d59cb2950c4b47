#pragma once
// A live client link as a TCP server of `ambimeter run` sees it (HTTP, Modbus TCP, RTU over
// TCP, M-bus TCP; the serial ports' sessions are ones too), and the pool of them one server
// keeps for its connection cap (spec decision C34) and for closing them all when it stops.

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <list>
#include <memory>

namespace ambi {

/// A live client link: for the connection cap and the idle timeout.
class Connection {
 public:
  using Clock = std::chrono::steady_clock;
  virtual ~Connection() = default;
  /// Closes the link now; pending operations end.
  virtual void close() = 0;
  /// True while a request is served or its reply sent (the link is not idle).
  [[nodiscard]] virtual bool busy() const = 0;
  [[nodiscard]] bool closed() const { return closed_; }
  /// When bytes last arrived (or the link opened).
  [[nodiscard]] Clock::time_point last_activity() const { return last_activity_; }

 protected:
  void touch() { last_activity_ = Clock::now(); }
  /// Closes `self` once nothing has arrived for `timeout` (0: never). `timer` is self's.
  static void watch_idle(boost::asio::steady_timer& timer, std::chrono::milliseconds timeout,
                         std::shared_ptr<Connection> self);
  bool closed_ = false;

 private:
  Clock::time_point last_activity_ = Clock::now();
};

/// The live connections of one server.
class ConnectionPool {
 public:
  void add(std::weak_ptr<Connection> connection) { connections_.push_back(std::move(connection)); }
  /// The connections still open.
  [[nodiscard]] std::size_t open_count();
  /// Makes room for one more connection under `max` by closing the one idle the longest;
  /// false when every connection is busy.
  [[nodiscard]] bool make_room(std::size_t max);
  /// Closes every connection (the server stops).
  void close_all();

 private:
  void forget_closed();
  std::list<std::weak_ptr<Connection>> connections_;
};

}  // namespace ambi
