#pragma once
// What every Modbus transport of `ambimeter run` shares (docs/modbus-transports.md): the
// context (twin, quirks, trace), the bookkeeping of a connection, and the RTU link — the
// framer, the 3.5-character silence timer, the serving queue, the paced or immediate write
// and the link change after the reply (R8) — over any byte stream (pty, serial, TCP).

#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <span>
#include <vector>

#include "core/codec/line_timing.hpp"
#include "core/modbus/modbus_server.hpp"
#include "twin/service/twin.hpp"
#include "twin/transport/traffic_trace.hpp"

namespace ambi {

/// The meter side of every Modbus transport; outlives them.
struct ModbusContext {
  Twin& twin;
  ModbusQuirks quirks{};
  TrafficTrace* trace = nullptr;  ///< null without --trace
};

/// A live client link as a server sees it: for the connection cap and the idle timeout.
class Connection {
 public:
  using Clock = std::chrono::steady_clock;
  virtual ~Connection() = default;
  /// Closes the link now; pending operations end.
  virtual void close() = 0;
  /// True while a reply is being sent (the link is not idle).
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

/// The live connections of one TCP server, for the connection cap (spec decision C34).
class ConnectionPool {
 public:
  void add(std::weak_ptr<Connection> connection) { connections_.push_back(std::move(connection)); }
  /// Makes room for one more connection under `max` by closing the one idle the longest;
  /// false when every connection is busy.
  [[nodiscard]] bool make_room(std::size_t max);
  /// Closes every connection (the server stops).
  void close_all();

 private:
  std::list<std::weak_ptr<Connection>> connections_;
};

/// The RTU rules over a byte stream, without the stream: framing, routing, serving and
/// tracing (Modbus over serial line V1.02, 2.5.1).
class RtuCore {
 public:
  RtuCore(ModbusContext& context, TraceSource source);
  /// Feeds received bytes; complete frames with a good CRC are appended to `frames` in
  /// order; dropped bytes are traced.
  void received(std::span<const std::uint8_t> bytes, std::deque<RtuFrame>& frames);
  /// The line has been silent for 3.5 characters.
  void silence(std::deque<RtuFrame>& frames);
  /// More than 1.5 characters passed before the bytes about to be received (a real line):
  /// a frame in progress is dropped (traced).
  void gap(std::deque<RtuFrame>& frames);
  /// Routes and serves one frame (traced both ways, as the server step parsed and answered
  /// it): the reply (none for a broadcast or another unit) and the link change to apply once
  /// it has been sent.
  [[nodiscard]] RtuExchange serve(const RtuFrame& frame);
  /// Traces a frame refused before serving (e.g. a full queue).
  void refused(const RtuFrame& frame, std::string_view reason);
  /// The baud rate the meter is set to (register 4004).
  [[nodiscard]] std::uint32_t baud() const;

 private:
  void handle(RtuEvent event, std::deque<RtuFrame>& frames);
  void trace_request(const RtuFrame& frame, const RtuExchange& exchange);
  void trace_reply(const RtuExchange& exchange);
  [[nodiscard]] std::int64_t sim_ms() const;
  ModbusContext& context_;
  TraceSource source_;
  RtuFramer framer_;
  std::vector<std::uint8_t> raw_;  ///< bytes since the last frame or discard, for the trace
};

/// Options of an RTU link.
struct RtuLinkOptions {
  bool pacing = false;                        ///< one byte per character time
  bool check_gaps = false;                    ///< a real line: a frame with a gap > t1.5 is dropped
  std::chrono::milliseconds idle_timeout{0};  ///< close after this silence (0: never)
  std::function<void()> reconfigure;          ///< once a reply with a link change has left
  std::function<void(const boost::system::error_code&)> on_error;  ///< a read or write failed
  std::size_t max_pending = 16;  ///< frames queued while replying; more are dropped
};

/// One RTU link over `Stream` (a TCP socket or a POSIX descriptor of a pty or serial port).
/// Frames are served one at a time in arrival order; a reply is written at once or paced;
/// the link change a write asked for is applied after its reply (R8).
template <class Stream>
class RtuSession : public Connection, public std::enable_shared_from_this<RtuSession<Stream>> {
 public:
  RtuSession(Stream stream, ModbusContext& context, TraceSource source, RtuLinkOptions options)
      : stream_(std::move(stream)),
        core_(context, std::move(source)),
        options_(std::move(options)),
        silence_(stream_.get_executor()),
        pace_(stream_.get_executor()),
        idle_(stream_.get_executor()) {}

  /// Starts reading.
  void start() {
    if (options_.idle_timeout.count() > 0)
      watch_idle(idle_, options_.idle_timeout, this->shared_from_this());
    read();
  }
  void close() override {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    stream_.close(ignored);
    silence_.cancel();
    pace_.cancel();
    idle_.cancel();
  }
  [[nodiscard]] bool busy() const override { return sending_ || !pending_.empty(); }
  [[nodiscard]] Stream& stream() { return stream_; }

 private:
  void read() {
    stream_.async_read_some(
        boost::asio::buffer(buffer_),
        [self = this->shared_from_this()](boost::system::error_code ec, std::size_t n) {
          self->on_read(ec, n);
        });
  }

  void on_read(boost::system::error_code ec, std::size_t n) {
    if (closed_) return;
    if (ec) return fail(ec);
    touch();
    const auto now = std::chrono::steady_clock::now();
    if (options_.check_gaps) check_gap(now, n);
    last_rx_ = now;
    core_.received(std::span(buffer_).first(n), frames_);
    enqueue();
    silence_.expires_after(rtu_silence());
    silence_.async_wait([self = this->shared_from_this()](boost::system::error_code tec) {
      if (tec || self->closed_) return;
      self->core_.silence(self->frames_);
      self->enqueue();
    });
    read();
  }

  std::chrono::microseconds rtu_silence() const { return line_timing::rtu_t35(core_.baud()); }

  /// The line was quiet from the previous read until the first of the `n` bytes just read
  /// began, as far as the arrival times tell: the bytes took n character times on the line.
  /// A quiet of more than 1.5 characters inside a frame drops it; one of 3.5 characters is
  /// a silence even when its timer has not run yet.
  void check_gap(std::chrono::steady_clock::time_point now, std::size_t n) {
    const auto quiet =
        now - last_rx_ - line_timing::character_time(core_.baud()) * static_cast<long>(n);
    if (quiet >= rtu_silence()) {
      core_.silence(frames_);
    } else if (quiet > line_timing::rtu_t15(core_.baud())) {
      core_.gap(frames_);
    }
  }

  /// Moves new frames into the serving queue (dropping beyond the cap) and serves.
  void enqueue() {
    while (!frames_.empty()) {
      if (pending_.size() >= options_.max_pending) {
        core_.refused(frames_.front(), "dropped: too many requests queued");
      } else {
        pending_.push_back(std::move(frames_.front()));
      }
      frames_.pop_front();
    }
    serve_next();
  }

  void serve_next() {
    while (!sending_ && !closed_ && !pending_.empty()) {
      RtuExchange exchange = core_.serve(pending_.front());
      pending_.pop_front();
      if (exchange.reply.empty()) {
        if (exchange.link.any() && options_.reconfigure) options_.reconfigure();
        continue;
      }
      sending_ = true;
      out_ = std::move(exchange.reply);
      link_ = exchange.link;
      if (options_.pacing) return send_after_gap();
      boost::asio::async_write(
          stream_, boost::asio::buffer(out_),
          [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
            if (ec) return self->fail(ec);
            self->sent(self->out_.size());
          });
    }
  }

  /// On a paced line the reply starts once the line has been silent for 3.5 characters
  /// after the request's last byte, as frames must be separated (serial line V1.02 2.5.1.1).
  void send_after_gap() { send_first_at(last_rx_ + rtu_silence()); }

  /// Starts the reply at `deadline`, neither before nor (as far as the machine allows) after:
  /// a timer wakes the loop `kTurnaroundSpin` early, the rest is polled through the event
  /// loop, so other connections are served meanwhile and the timer's wake-up latency is not
  /// added to the turnaround.
  void send_first_at(std::chrono::steady_clock::time_point deadline) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      first_byte_at_ = now;
      return send_byte(0);
    }
    auto again = [self = this->shared_from_this(), deadline](boost::system::error_code ec = {}) {
      if (!ec && !self->closed_) self->send_first_at(deadline);
    };
    if (deadline - now > kTurnaroundSpin) {
      pace_.expires_at(deadline - kTurnaroundSpin);
      return pace_.async_wait(std::move(again));
    }
    boost::asio::post(stream_.get_executor(), std::move(again));
  }
  static constexpr std::chrono::microseconds kTurnaroundSpin{300};

  void send_byte(std::size_t index) {
    boost::asio::async_write(
        stream_, boost::asio::buffer(&out_[index], 1),
        [self = this->shared_from_this(), index](boost::system::error_code ec, std::size_t) {
          if (ec) return self->fail(ec);
          if (index + 1 == self->out_.size()) return self->sent(1);
          // Byte k leaves k character times after the first: a late wake-up delays one
          // byte, not every byte after it.
          self->pace_.expires_at(self->first_byte_at_ +
                                 line_timing::character_time(self->core_.baud()) *
                                     static_cast<long>(index + 1));
          self->pace_.async_wait([self, index](boost::system::error_code tec) {
            if (!tec && !self->closed_) self->send_byte(index + 1);
          });
        });
  }

  /// The reply is written; `on_line` bytes may still be leaving the UART.
  void sent(std::size_t on_line) {
    if (!link_.any() || !options_.reconfigure) return done();
    pace_.expires_after(line_timing::character_time(core_.baud()) * static_cast<long>(on_line));
    pace_.async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
      if (ec || self->closed_) return;
      self->options_.reconfigure();
      self->done();
    });
  }

  void done() {
    sending_ = false;
    link_ = {};
    serve_next();
  }

  void fail(const boost::system::error_code& ec) {
    if (closed_) return;
    close();
    if (options_.on_error) options_.on_error(ec);
  }

  Stream stream_;
  RtuCore core_;
  RtuLinkOptions options_;
  std::chrono::steady_clock::time_point last_rx_{};
  std::chrono::steady_clock::time_point first_byte_at_{};  ///< of the paced reply being sent
  boost::asio::steady_timer silence_;
  boost::asio::steady_timer pace_;
  boost::asio::steady_timer idle_;
  std::array<std::uint8_t, 512> buffer_{};
  std::deque<RtuFrame> frames_;   ///< framed, not yet queued
  std::deque<RtuFrame> pending_;  ///< waiting to be served
  std::vector<std::uint8_t> out_;
  LinkChange link_;
  bool sending_ = false;
};

}  // namespace ambi
