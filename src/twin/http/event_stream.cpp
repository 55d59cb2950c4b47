#include "twin/http/event_stream.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <utility>
#include <vector>

namespace ambi {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Event = std::shared_ptr<const std::string>;

namespace {
class Stream;
}  // namespace

struct EventStreams::Impl : std::enable_shared_from_this<EventStreams::Impl> {
  Impl(asio::io_context& io, Snapshot s, EventStreamLimits l)
      : timer(io), snapshot(std::move(s)), limits(l) {}
  Event next_event() { return std::make_shared<const std::string>(format_event(snapshot())); }
  void broadcast();
  void remove(const Stream* stream);

  asio::steady_timer timer;
  Snapshot snapshot;
  EventStreamLimits limits;
  std::vector<std::shared_ptr<Stream>> streams;
  std::chrono::steady_clock::time_point last_sent{};
  bool pending = false;
};

namespace {

/// One open stream: a queue of events written one after the other, and a read that only
/// notices the client closing.
class Stream : public std::enable_shared_from_this<Stream> {
 public:
  Stream(tcp::socket socket, std::weak_ptr<EventStreams::Impl> hub, std::size_t max_queued)
      : socket_(std::move(socket)), hub_(std::move(hub)), max_queued_(max_queued) {
    error_code ignored;
    (void)socket_.set_option(tcp::no_delay(true), ignored);
  }

  void start(Event first) {
    push(std::move(first));
    socket_.async_read_some(
        asio::buffer(sink_), [self = shared_from_this()](error_code, std::size_t) {
          self->fail();  // the client closed (or sent something it should not): forget it
        });
  }

  /// Queues an event; false when the queue overflowed (the stream must be dropped).
  bool push(Event event) {
    if (closed_) return true;
    if (queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(event));
    if (queue_.size() == 1) write_front();
    return true;
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    queue_.clear();
    error_code ignored;
    (void)socket_.shutdown(tcp::socket::shutdown_both, ignored);
    (void)socket_.close(ignored);
  }

 private:
  void write_front() {
    asio::async_write(socket_, asio::buffer(*queue_.front()),
                      [self = shared_from_this()](error_code ec, std::size_t) {
                        if (self->closed_) return;
                        if (ec) return self->fail();
                        self->queue_.pop_front();
                        if (!self->queue_.empty()) self->write_front();
                      });
  }

  void fail() {
    if (closed_) return;
    close();
    if (auto hub = hub_.lock()) hub->remove(this);
  }

  tcp::socket socket_;
  std::weak_ptr<EventStreams::Impl> hub_;
  std::size_t max_queued_;
  std::deque<Event> queue_;
  std::array<char, 256> sink_{};
  bool closed_ = false;
};

}  // namespace

void EventStreams::Impl::broadcast() {
  if (streams.empty()) return;
  last_sent = std::chrono::steady_clock::now();
  const Event event = next_event();
  std::vector<std::shared_ptr<Stream>> slow;
  for (const auto& stream : streams) {
    if (!stream->push(event)) slow.push_back(stream);
  }
  for (const auto& stream : slow) {
    stream->close();
    remove(stream.get());
  }
}

void EventStreams::Impl::remove(const Stream* stream) {
  std::erase_if(streams, [stream](const std::shared_ptr<Stream>& s) { return s.get() == stream; });
}

EventStreams::EventStreams(asio::io_context& io, Snapshot snapshot, EventStreamLimits limits)
    : impl_(std::make_shared<Impl>(io, std::move(snapshot), limits)) {}

EventStreams::~EventStreams() {
  // A destructor must not throw; what could fail here (a stream's close, the timer's cancel)
  // leaves nothing to undo, since the streams and the timer go with the io_context.
  try {
    close_all();
    impl_->timer.cancel();
  } catch (...) {  // NOLINT(bugprone-empty-catch): nothing left to do, see above
  }
}

std::string EventStreams::format_event(std::string_view data) {
  std::string text = "event: state\ndata: ";
  text += data;
  text += "\n\n";
  return text;
}

std::string_view EventStreams::response_head() {
  return "HTTP/1.1 200 OK\r\n"
         "Server: ambimeter\r\n"
         "Content-Type: text/event-stream\r\n"
         "Cache-Control: no-cache\r\n"
         "Connection: close\r\n"
         "X-Accel-Buffering: no\r\n"
         "\r\n";
}

bool EventStreams::full() const {
  return impl_->streams.size() >= impl_->limits.max_streams;
}

std::size_t EventStreams::size() const {
  return impl_->streams.size();
}

std::size_t EventStreams::max_streams() const {
  return impl_->limits.max_streams;
}

void EventStreams::add(tcp::socket socket) {
  auto stream = std::make_shared<Stream>(std::move(socket), impl_, impl_->limits.max_queued);
  impl_->streams.push_back(stream);
  std::string first(response_head());
  first += *impl_->next_event();
  stream->start(std::make_shared<const std::string>(std::move(first)));
}

void EventStreams::broadcast() {
  impl_->broadcast();
}

void EventStreams::changed() {
  if (impl_->streams.empty() || impl_->pending) return;
  impl_->pending = true;
  impl_->timer.expires_at(
      std::max(std::chrono::steady_clock::now(), impl_->last_sent + impl_->limits.min_gap));
  impl_->timer.async_wait([weak = std::weak_ptr<Impl>(impl_)](error_code ec) {
    auto impl = weak.lock();
    if (!impl) return;
    impl->pending = false;
    if (!ec) impl->broadcast();
  });
}

void EventStreams::close_all() {
  auto streams = std::move(impl_->streams);
  impl_->streams.clear();
  for (const auto& stream : streams) stream->close();
}

}  // namespace ambi
