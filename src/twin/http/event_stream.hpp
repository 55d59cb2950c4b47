#pragma once
// Server-Sent Events for the web page (GET /api/v1/events, docs/control-api.md): the open
// streams of one run, fed from the io_context thread. Each stream gets one event at once,
// then every event broadcast; a stream whose queue of unsent events overflows (a client that
// cannot keep up) is dropped, and one whose client closes is forgotten at once.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace ambi {

/// Limits of the event streams.
struct EventStreamLimits {
  std::size_t max_streams = 16;           ///< a 17th request gets 503
  std::size_t max_queued = 8;             ///< unsent events per stream before it is dropped
  std::chrono::milliseconds min_gap{50};  ///< `changed` sends at most one event per gap
};

/// The open event streams.
class EventStreams {
 public:
  /// Returns the JSON of one event's data line (one line, no newline).
  using Snapshot = std::function<std::string()>;

  /// `snapshot` is called once per event sent (not per stream).
  EventStreams(boost::asio::io_context& io, Snapshot snapshot, EventStreamLimits limits = {});
  /// Closes every stream.
  ~EventStreams();
  EventStreams(const EventStreams&) = delete;
  EventStreams& operator=(const EventStreams&) = delete;

  /// "event: state\ndata: <data>\n\n".
  [[nodiscard]] static std::string format_event(std::string_view data);
  /// The response head of a stream (200, text/event-stream, no-cache, no length).
  [[nodiscard]] static std::string_view response_head();

  /// Whether `max_streams` are open (a new request must be refused).
  [[nodiscard]] bool full() const;
  /// The number of open streams.
  [[nodiscard]] std::size_t size() const;
  /// The most streams open at once.
  [[nodiscard]] std::size_t max_streams() const;
  /// Takes over a connection that asked for the stream: writes the head and one event now.
  void add(boost::asio::ip::tcp::socket socket);
  /// Sends one event to every stream now; does nothing without streams.
  void broadcast();
  /// Something changed: an event goes out at once, or `min_gap` after the previous one.
  void changed();
  /// Closes every stream (at shutdown).
  void close_all();

  struct Impl;  ///< the streams and the debounce timer, shared with the streams' handlers

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace ambi
