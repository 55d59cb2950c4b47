#pragma once
// What every M-bus transport of `ambimeter run` shares (docs/mbus-transports.md): the
// context (twin, the meter's one slave state, trace), the link core (framer, inter-byte
// silence, serving and tracing) and a session over any byte stream (TCP socket, serial
// device, pseudo-terminal). M-bus is half duplex: a session reads, serves the telegrams
// received, writes the answers, then switches the baud rate if one was asked for, and
// reads again. On a serial line the answer waits one character (11 bit times) after the
// request (EN 13757-2) and may be paced one byte per character time.

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/codec/line_timing.hpp"
#include "core/mbus/mbus_frame.hpp"
#include "core/mbus/mbus_slave.hpp"
#include "twin/service/twin.hpp"
#include "twin/transport/modbus_link.hpp"
#include "twin/transport/traffic_trace.hpp"

namespace ambi {

/// The meter side of every M-bus transport; outlives them. The meter has one M-bus
/// interface, so one slave state (selection, FCB, access number) serves every transport
/// and connection.
struct MbusContext {
  Twin& twin;
  MbusSlave slave;
  TrafficTrace* trace = nullptr;  ///< null without --trace
};

/// What a burst of received bytes asks the link to do.
struct MbusReplies {
  std::vector<std::uint8_t> bytes;    ///< the answers, in order
  std::optional<std::uint32_t> baud;  ///< switch to this rate once `bytes` are sent
};

/// The M-bus rules over a byte stream, without the stream.
class MbusLinkCore {
 public:
  MbusLinkCore(MbusContext& context, TraceSource source);
  /// Frames and serves received bytes (each telegram traced both ways, dropped bytes
  /// traced). After a telegram that changes the baud rate the bytes still held are
  /// dropped: they were sent at the old rate.
  [[nodiscard]] MbusReplies received(std::span<const std::uint8_t> bytes);
  /// The line has been silent for `line_timing::mbus_gap`: drops an incomplete telegram.
  void silence();
  /// True while part of a telegram is held.
  [[nodiscard]] bool partial() const { return framer_.buffered() > 0; }
  /// The M-bus baud rate the meter is set to.
  [[nodiscard]] std::uint32_t baud() const;

 private:
  void serve(const MbusFrame& frame, MbusReplies& out);
  void consumed(std::size_t bytes);
  [[nodiscard]] std::int64_t sim_ms() const;
  MbusContext& context_;
  TraceSource source_;
  MbusFramer framer_;
  std::vector<std::uint8_t> raw_;  ///< with a trace: the bytes the framer holds
};

/// {"format":"short","function":"REQ_UD2","c":123,"a":0,"fcb":1,"fcv":1}; a long frame
/// adds "ci" and its "data" in hex, an RSP_UD its decoded header and records by name.
[[nodiscard]] Json decode_mbus_frame(const MbusFrame& frame);
/// The slave's answer as it built it, in the same JSON as its bytes decode to: E5 as the
/// single character, an RSP_UD with its header and records from the values it sent.
[[nodiscard]] Json decode_mbus_frame(const MbusAnswer& answer);

/// Options of an M-bus link.
struct MbusLinkOptions {
  std::chrono::milliseconds idle_timeout{0};  ///< close after this silence (0: never)
  bool turnaround = false;  ///< answer no earlier than 11 bit times after the request (serial line)
  bool pacing = false;      ///< send one byte per character time (11 bits, 8E1)
  std::function<void(std::uint32_t)> switch_baud;  ///< once the answer asking for it has left
  std::function<void(const boost::system::error_code&)> on_error;  ///< a read or write failed
};

/// One M-bus link over `Stream` (a TCP socket or a POSIX descriptor).
template <class Stream>
class MbusSession : public Connection, public std::enable_shared_from_this<MbusSession<Stream>> {
 public:
  MbusSession(Stream stream, MbusContext& context, TraceSource source, MbusLinkOptions options)
      : stream_(std::move(stream)),
        core_(context, std::move(source)),
        options_(std::move(options)),
        gap_(stream_.get_executor()),
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
    gap_.cancel();
    pace_.cancel();
    idle_.cancel();
  }
  [[nodiscard]] bool busy() const override { return writing_; }
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
    gap_.cancel();
    line_baud_ = core_.baud();
    MbusReplies replies = core_.received(std::span(buffer_).first(n));
    if (core_.partial()) watch_gap();
    if (replies.bytes.empty() && !replies.baud) return read();
    write(std::move(replies));
  }

  void watch_gap() {
    gap_.expires_after(line_timing::mbus_gap(core_.baud()));
    gap_.async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
      if (!ec && !self->closed_) self->core_.silence();
    });
  }

  /// Waits the turnaround on a serial line (at the rate the request came in), then sends.
  void write(MbusReplies replies) {
    writing_ = true;
    out_ = std::move(replies.bytes);
    baud_ = replies.baud;
    if (!options_.turnaround) return send();
    pace_.expires_after(line_timing::character_time(line_baud_));
    pace_.async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
      if (!ec && !self->closed_) self->send();
    });
  }

  void send() {
    if (out_.empty()) return sent();
    if (options_.pacing) return send_byte(0);
    boost::asio::async_write(
        stream_, boost::asio::buffer(out_),
        [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
          if (ec) return self->fail(ec);
          self->sent();
        });
  }

  void send_byte(std::size_t index) {
    boost::asio::async_write(
        stream_, boost::asio::buffer(&out_[index], 1),
        [self = this->shared_from_this(), index](boost::system::error_code ec, std::size_t) {
          if (ec) return self->fail(ec);
          if (index + 1 == self->out_.size()) return self->sent();
          self->pace_.expires_after(line_timing::character_time(self->line_baud_));
          self->pace_.async_wait([self, index](boost::system::error_code tec) {
            if (!tec && !self->closed_) self->send_byte(index + 1);
          });
        });
  }

  void sent() {
    writing_ = false;
    if (baud_ && options_.switch_baud) options_.switch_baud(*baud_);
    baud_.reset();
    read();
  }

  void fail(const boost::system::error_code& ec) {
    if (closed_) return;
    close();
    if (options_.on_error) options_.on_error(ec);
  }

  Stream stream_;
  MbusLinkCore core_;
  MbusLinkOptions options_;
  boost::asio::steady_timer gap_;
  boost::asio::steady_timer pace_;
  boost::asio::steady_timer idle_;
  std::array<std::uint8_t, 512> buffer_{};
  std::vector<std::uint8_t> out_;
  std::optional<std::uint32_t> baud_;
  std::uint32_t line_baud_ = 0;  ///< the rate when the request came in
  bool writing_ = false;
};

}  // namespace ambi
