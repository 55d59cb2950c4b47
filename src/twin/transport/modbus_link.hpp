#pragma once
// What every Modbus transport of `ambimeter run` shares (docs/modbus-transports.md): the
// context (twin, quirks, trace) and the RTU link — the framer, the 3.5-character silence
// timer, the serving queue, when a reply may leave and the link change after it (R8) —
// over any byte stream (pty, serial, TCP), on the session of twin/transport/link_session.hpp.

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "audit/poll_audit.hpp"
#include "core/codec/line_timing.hpp"
#include "core/fault/fault.hpp"
#include "core/modbus/modbus_server.hpp"
#include "twin/service/twin.hpp"
#include "twin/transport/link_session.hpp"
#include "twin/transport/traffic_trace.hpp"

namespace ambi {

class ModbusGateway;
class RtuBus;

/// The meter side of every Modbus transport; outlives them.
struct ModbusContext {
  Twin& twin;  ///< the meter that answers; with a gateway, its first meter (the trace's time)
  ModbusQuirks quirks{};
  TrafficTrace* trace = nullptr;     ///< null without --trace
  ModbusGateway* gateway = nullptr;  ///< Modbus TCP of a fleet: the gateway routes by unit id
  RtuBus* bus = nullptr;             ///< RTU of a fleet: every meter on the line hears every frame
  /// A fleet endpoint's own faults (the gateway as a whole, docs/faults.md), on its Modbus
  /// TCP connections and every reply it sends; null for a single meter.
  std::vector<Fault>* endpoint_faults = nullptr;
  /// A fleet's gateway or bus: its own poll audit, fed every request through it (the meters'
  /// audits get those that reach them); null for a meter's own transports or with it off.
  PollAudit* endpoint_audit = nullptr;
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
  /// The master sent `bytes` while a meter of the bus was answering, `master_after` after
  /// the reply's `unsent` bytes begin to leave: they are lost to the meters, as is what
  /// follows until the next silence (traced). Returns what the line carries instead of
  /// `unsent` (none when nothing of the reply is left to garble).
  [[nodiscard]] std::optional<std::vector<std::uint8_t>> talked_over(
      std::span<const std::uint8_t> bytes, std::span<const std::uint8_t> unsent,
      std::chrono::microseconds master_after);
  /// The baud rate the meter is set to (register 4004).
  [[nodiscard]] std::uint32_t baud() const;
  /// How much later than the protocol allows the last reply leaves (a delay fault).
  [[nodiscard]] std::int64_t fault_delay_ms() const { return fault_delay_ms_; }

 private:
  void handle(RtuEvent event, std::deque<RtuFrame>& frames);
  void trace_request(const RtuFrame& frame, const RtuExchange& exchange);
  void trace_reply(const RtuExchange& exchange);
  /// The meter's link faults on its reply (docs/faults.md), traced with their causes.
  void apply_faults(RtuExchange& exchange);
  [[nodiscard]] std::int64_t sim_ms() const;
  void audit(const RtuFrame& frame, const RtuExchange& exchange, const AuditTime& at);
  /// A frame on a fleet's bus: in the audit of each meter that took it and in the bus's.
  void audit_bus(const RtuFrame& frame, const RtuExchange& exchange, const AuditTime& at);
  ModbusContext& context_;
  TraceSource source_;
  /// This line or peer in the meter's poll audit (on a bus: the bus's); null when off.
  AuditClient* audit_ = nullptr;
  /// On a bus: this line or peer in the audit of each meter that took a frame, found once.
  std::unordered_map<const Twin*, AuditClient*> meter_audits_;
  std::chrono::system_clock::time_point arrived_{};  ///< when the last bytes came in
  RtuFramer framer_;
  std::vector<std::uint8_t> raw_;  ///< bytes since the last frame or discard, for the trace
  bool skipping_ = false;          ///< after a talk-over: bytes are lost until a silence
  std::int64_t fault_delay_ms_ = 0;
};

/// Options of an RTU link.
struct RtuLinkOptions : LinkOptions {
  bool pacing = false;      ///< one byte per character time
  bool check_gaps = false;  ///< a real line: a frame with a gap > t1.5 is dropped
  /// Once a reply with a link change has left (its last bytes off the UART), or at once
  /// after a broadcast with one: the serial port follows the meter's new settings (R8).
  std::function<void()> reconfigure;
  std::size_t max_pending = 16;  ///< frames queued while replying; more are dropped
  /// A shared RS485 line (a bus of a fleet): one transmitter at a time. Bytes the master
  /// sends while a meter is answering are lost to the meters (skipped until the next
  /// silence) and garble what is left of the reply (RtuBus::talk_over).
  bool half_duplex = false;
};

/// One RTU link over `Stream` (a TCP socket or a POSIX descriptor of a pty or serial port).
/// Frames are served one at a time in arrival order; a reply is written at once or paced;
/// the link change a write asked for is applied after its reply (R8).
template <class Stream>
class RtuSession final : public LinkSession<Stream> {
 public:
  RtuSession(Stream stream, ModbusContext& context, TraceSource source, RtuLinkOptions options)
      : LinkSession<Stream>(std::move(stream), options),
        core_(context, std::move(source)),
        options_(std::move(options)),
        silence_(this->stream_.get_executor()),
        settle_(this->stream_.get_executor()) {}

  /// Busy from the arrival of a frame until its reply has left (a frame being served is
  /// still in `pending_`).
  [[nodiscard]] bool busy() const override { return sending_ || !pending_.empty(); }

 private:
  using Clock = std::chrono::steady_clock;

  void received(std::span<const std::uint8_t> bytes, Clock::time_point now) override {
    if (options_.half_duplex && sending_) {
      talked_over(bytes, now);
    } else {
      if (options_.check_gaps) check_gap(now, bytes.size());
      core_.received(bytes, frames_);
      enqueue();
    }
    last_rx_ = now;
    silence_.expires_after(rtu_silence());
    silence_.async_wait(
        [self = this->template self_as<RtuSession>()](boost::system::error_code ec) {
          if (ec || self->closed_) return;
          self->core_.silence(self->frames_);
          self->enqueue();
        });
    this->read();
  }

  void closing() override {
    silence_.cancel();
    settle_.cancel();
  }

  std::chrono::microseconds rtu_silence() const { return line_timing::rtu_t35(core_.baud()); }

  /// The line was quiet from the previous read until the first of the `n` bytes just read
  /// began, as far as the arrival times tell: the bytes took n character times on the line.
  /// A quiet of more than 1.5 characters inside a frame drops it; one of 3.5 characters is
  /// a silence even when its timer has not run yet.
  void check_gap(Clock::time_point now, std::size_t n) {
    const auto quiet =
        now - last_rx_ - line_timing::character_time(core_.baud()) * static_cast<long>(n);
    if (quiet >= rtu_silence()) {
      core_.silence(frames_);
    } else if (quiet > line_timing::rtu_t15(core_.baud())) {
      core_.gap(frames_);
    }
  }

  /// The master sent `bytes` at `now` while a meter of the bus was answering.
  void talked_over(std::span<const std::uint8_t> bytes, Clock::time_point now) {
    const auto unsent = this->unsent();
    if (!unsent) {
      (void)core_.talked_over(bytes, {}, {});
      return;
    }
    const auto garbled =
        core_.talked_over(bytes, unsent->bytes,
                          std::chrono::duration_cast<std::chrono::microseconds>(now - unsent->at));
    if (garbled) this->replace_unsent(*garbled);
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

  /// Serves the queued frames until one has a reply to send; idle once none is left.
  void serve_next() {
    while (!sending_ && !this->closed_ && !pending_.empty()) {
      // The line runs at the rate it had when the request came in until the reply has left.
      const std::uint32_t line_baud = core_.baud();
      RtuExchange exchange = core_.serve(pending_.front());
      pending_.pop_front();
      if (exchange.reply.empty()) {
        if (exchange.link.any() && options_.reconfigure) options_.reconfigure();
        continue;
      }
      sending_ = true;
      link_ = exchange.link;
      line_baud_ = line_baud;
      this->send(std::move(exchange.reply), schedule(),
                 [this](std::size_t on_line) { sent(on_line); });
      return;
    }
    if (!sending_ && pending_.empty()) this->went_idle();
  }

  /// On a paced line the reply starts once the line has been silent for 3.5 characters
  /// after the request's last byte, as frames must be separated (serial line V1.02 2.5.1.1),
  /// and leaves one byte per character time; otherwise it is written at once.
  [[nodiscard]] WriteSchedule schedule() const {
    const auto delay = std::chrono::milliseconds(core_.fault_delay_ms());
    if (!options_.pacing)
      return {delay.count() > 0 ? Clock::now() + delay : Clock::time_point{}, 0};
    return {last_rx_ + line_timing::rtu_t35(line_baud_) + delay, line_baud_};
  }

  /// The reply is written; `on_line` bytes may still be leaving the UART.
  void sent(std::size_t on_line) {
    if (!link_.any() || !options_.reconfigure) return done();
    settle_.expires_after(line_timing::character_time(line_baud_) * static_cast<long>(on_line));
    settle_.async_wait([self = this->template self_as<RtuSession>()](boost::system::error_code ec) {
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

  RtuCore core_;
  RtuLinkOptions options_;
  Clock::time_point last_rx_{};
  boost::asio::steady_timer silence_;
  boost::asio::steady_timer settle_;  ///< the last bytes of a reply leaving before a link change
  std::deque<RtuFrame> frames_;       ///< framed, not yet queued
  std::deque<RtuFrame> pending_;      ///< waiting to be served
  LinkChange link_;
  std::uint32_t line_baud_ = 0;  ///< the rate of the reply being sent
  bool sending_ = false;
};

}  // namespace ambi
