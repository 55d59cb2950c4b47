#pragma once
// What every M-bus transport of `ambimeter run` shares (docs/mbus-transports.md): the
// context (twin, the meter's one slave state, trace), the link core (framer, inter-byte
// silence, serving and tracing) and a session over any byte stream (TCP socket, serial
// device, pseudo-terminal). M-bus is half duplex: a session reads, serves the telegrams
// received, writes the answers, then switches the baud rate if one was asked for, and
// reads again. On a serial line the answer waits one character (11 bit times) after the
// request (EN 13757-2) and may be paced one byte per character time.

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "audit/poll_audit.hpp"
#include "core/codec/line_timing.hpp"
#include "core/mbus/mbus_frame.hpp"
#include "core/mbus/mbus_slave.hpp"
#include "twin/service/twin.hpp"
#include "twin/transport/link_session.hpp"
#include "twin/transport/traffic_trace.hpp"

namespace ambi {

/// The meter side of every M-bus transport; outlives them. The meter has one M-bus
/// interface, so one slave state (selection, FCB, access number) serves every transport
/// and connection.
class MbusLine;

struct MbusContext {
  Twin& twin;  ///< the meter; on a line of a fleet, its first meter (the trace's time)
  MbusSlave slave;
  TrafficTrace* trace = nullptr;  ///< null without --trace
  MbusLine* line = nullptr;       ///< a fleet's line: every meter hears every telegram
};

/// What a burst of received bytes asks the link to do.
struct MbusReplies {
  std::vector<std::uint8_t> bytes;    ///< the answers, in order
  std::optional<std::uint32_t> baud;  ///< switch to this rate once `bytes` are sent
  std::int64_t delay_ms = 0;          ///< a delay fault: the answers leave this much later
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
  /// On a fleet's line: the telegram in the audit of each meter it was for, and a collision
  /// of their answers in the audit of each.
  void audit_line(const MbusFrame& frame);
  /// The link faults that acted on an answer (docs/faults.md), each a trace line.
  void trace_faults(const std::vector<std::string>& causes, std::span<const std::uint8_t> sent);
  void consumed(std::size_t bytes);
  [[nodiscard]] std::int64_t sim_ms() const;
  MbusContext& context_;
  TraceSource source_;
  AuditClient* audit_ = nullptr;  ///< this client in the meter's poll audit; null when off
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
struct MbusLinkOptions : LinkOptions {
  bool turnaround = false;  ///< answer no earlier than 11 bit times after the request (serial line)
  bool pacing = false;      ///< send one byte per character time (11 bits, 8E1)
  std::function<void(std::uint32_t)> switch_baud;  ///< once the answer asking for it has left
};

/// One M-bus link over `Stream` (a TCP socket or a POSIX descriptor): half duplex, it reads,
/// serves the telegrams received, writes the answers, switches the baud rate if one was
/// asked for, and reads again.
template <class Stream>
class MbusSession final : public LinkSession<Stream> {
 public:
  MbusSession(Stream stream, MbusContext& context, TraceSource source, MbusLinkOptions options)
      : LinkSession<Stream>(std::move(stream), options),
        core_(context, std::move(source)),
        options_(std::move(options)),
        gap_(this->stream_.get_executor()) {}

  /// Busy while a telegram is served and while its answer is written.
  [[nodiscard]] bool busy() const override { return serving_ || this->writing(); }

 private:
  using Clock = std::chrono::steady_clock;

  void received(std::span<const std::uint8_t> bytes, Clock::time_point at) override {
    gap_.cancel();
    line_baud_ = core_.baud();
    serving_ = true;
    MbusReplies replies = core_.received(bytes);
    serving_ = false;
    if (core_.partial()) watch_gap();
    if (replies.bytes.empty() && !replies.baud) {
      this->went_idle();
      return this->read();
    }
    write(std::move(replies), at);
  }

  void closing() override { gap_.cancel(); }

  void watch_gap() {
    gap_.expires_after(line_timing::mbus_gap(core_.baud()));
    gap_.async_wait([self = this->template self_as<MbusSession>()](boost::system::error_code ec) {
      if (!ec && !self->closed_) self->core_.silence();
    });
  }

  /// Sends the answers, on a serial line no earlier than the turnaround after the request
  /// arrived and at the rate it came in.
  void write(MbusReplies replies, Clock::time_point request_at) {
    baud_ = replies.baud;
    if (replies.bytes.empty()) return sent();
    WriteSchedule schedule;
    if (options_.turnaround) schedule.start = request_at + line_timing::character_time(line_baud_);
    if (replies.delay_ms > 0) {
      schedule.start =
          std::max(schedule.start, request_at) + std::chrono::milliseconds(replies.delay_ms);
    }
    if (options_.pacing) schedule.pace_baud = line_baud_;
    this->send(std::move(replies.bytes), schedule, [this](std::size_t) { sent(); });
  }

  void sent() {
    if (baud_ && options_.switch_baud) options_.switch_baud(*baud_);
    baud_.reset();
    this->went_idle();
    this->read();
  }

  MbusLinkCore core_;
  MbusLinkOptions options_;
  boost::asio::steady_timer gap_;
  std::optional<std::uint32_t> baud_;
  std::uint32_t line_baud_ = 0;  ///< the rate when the request came in
  bool serving_ = false;
};

}  // namespace ambi
