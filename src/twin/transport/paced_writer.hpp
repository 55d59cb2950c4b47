#pragma once
// How a reply leaves a transport of `ambimeter run`: at once as one write (TCP, or a serial
// line whose driver buffers), or as a UART sends it on a real line, one byte per character
// time (`--rtu-pacing`, `--mbus-pacing`; core/codec/line_timing.hpp), starting no earlier
// than the protocol allows (the RTU t3.5 silence, the M-bus turnaround). Shared by the
// Modbus RTU and M-bus sessions; when a reply may start is each protocol's rule.

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "core/codec/line_timing.hpp"

namespace ambi {

/// When and how the bytes of one `PacedWriter::send` leave.
struct WriteSchedule {
  /// The first byte leaves no earlier than this (the default: at once).
  std::chrono::steady_clock::time_point start{};
  /// Non-zero: one byte per character time at this baud rate; 0: all bytes in one write.
  std::uint32_t pace_baud = 0;
};

/// Writes byte strings to `Stream` (an Asio stream: socket or POSIX descriptor) one at a
/// time, as a `WriteSchedule` says. Byte k of a paced write leaves k character times after
/// the first, so that a late wake-up delays one byte, not every byte after it.
template <class Stream>
class PacedWriter {
 public:
  using Clock = std::chrono::steady_clock;
  /// Called once per `send`: the error, or how many bytes may still be leaving the UART
  /// (all of a whole write, the last one of a paced write).
  using Sent = std::function<void(const boost::system::error_code&, std::size_t on_line)>;

  explicit PacedWriter(Stream& stream) : stream_(stream), timer_(stream.get_executor()) {}

  /// Sends `bytes` (not empty) as `schedule` says, then calls `sent`. `owner` is kept alive
  /// until then (the object holding this writer and its stream). One send at a time.
  void send(std::shared_ptr<void> owner, std::vector<std::uint8_t> bytes, WriteSchedule schedule,
            Sent sent) {
    bytes_ = std::move(bytes);
    schedule_ = schedule;
    sent_ = std::move(sent);
    writing_ = true;
    cancelled_ = false;
    started_ = false;
    next_ = 0;
    start(std::move(owner));
  }
  /// Ends a pending send: `sent` gets `operation_aborted` (or the stream's error).
  void cancel() {
    cancelled_ = true;
    timer_.cancel();
  }
  /// True from `send` until its `sent` is called.
  [[nodiscard]] bool writing() const { return writing_; }

  /// The bytes of a paced send not yet on the line, and when the first of them goes.
  struct Unsent {
    std::span<const std::uint8_t> bytes;
    Clock::time_point at;
  };
  /// What of the current send has not left yet (a write in one piece leaves at once).
  [[nodiscard]] std::optional<Unsent> unsent() const {
    if (!writing_ || cancelled_ || next_ >= bytes_.size()) return std::nullopt;
    if (!started_) return Unsent{bytes_, schedule_.start};
    if (schedule_.pace_baud == 0) return std::nullopt;
    return Unsent{
        std::span(bytes_).subspan(next_),
        first_at_ + line_timing::character_time(schedule_.pace_baud) * static_cast<long>(next_)};
  }
  /// Replaces what `unsent` returned by `bytes` (what the line carries instead, e.g. that
  /// garbled by another transmitter); they leave at the same times.
  void replace_unsent(std::span<const std::uint8_t> bytes) {
    if (!unsent()) return;
    bytes_.resize(next_);
    bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
    if (bytes_.empty()) bytes_.push_back(0xFF);  // a send is never empty: an idle-line byte
  }

 private:
  /// Starts at `schedule_.start`, neither before nor (as far as the machine allows) after:
  /// a timer wakes the loop `kSpin` early, the rest is polled through the event loop, so
  /// other connections are served meanwhile and the timer's wake-up latency is not added.
  void start(std::shared_ptr<void> owner) {
    if (cancelled_) return finish(boost::asio::error::operation_aborted, 0);
    const auto now = Clock::now();
    if (now >= schedule_.start) {
      first_at_ = now;
      started_ = true;
      if (schedule_.pace_baud == 0) return write_whole(std::move(owner));
      return write_byte(std::move(owner), 0);
    }
    auto again = [this, owner](boost::system::error_code ec = {}) mutable {
      if (ec) return finish(ec, 0);
      start(std::move(owner));
    };
    if (schedule_.start - now > kSpin) {
      timer_.expires_at(schedule_.start - kSpin);
      return timer_.async_wait(std::move(again));
    }
    boost::asio::post(stream_.get_executor(), std::move(again));
  }
  static constexpr std::chrono::microseconds kSpin{300};

  void write_whole(std::shared_ptr<void> owner) {
    next_ = bytes_.size();
    boost::asio::async_write(
        stream_, boost::asio::buffer(bytes_),
        [this, owner = std::move(owner)](boost::system::error_code ec, std::size_t) {
          finish(ec, bytes_.size());
        });
  }

  /// Byte `index` leaves from a copy of its own, so that the bytes after it may be replaced
  /// meanwhile (`replace_unsent`).
  void write_byte(std::shared_ptr<void> owner, std::size_t index) {
    one_ = bytes_[index];
    next_ = index + 1;
    boost::asio::async_write(
        stream_, boost::asio::buffer(&one_, 1),
        [this, owner, index](boost::system::error_code ec, std::size_t) mutable {
          if (ec || index + 1 >= bytes_.size()) return finish(ec, 1);
          if (cancelled_) return finish(boost::asio::error::operation_aborted, 0);
          timer_.expires_at(first_at_ + line_timing::character_time(schedule_.pace_baud) *
                                            static_cast<long>(index + 1));
          timer_.async_wait([this, owner = std::move(owner), index](boost::system::error_code tec) {
            if (tec) return finish(tec, 0);
            write_byte(owner, index + 1);
          });
        });
  }

  void finish(const boost::system::error_code& ec, std::size_t on_line) {
    writing_ = false;
    Sent sent = std::move(sent_);
    sent_ = nullptr;
    if (sent) sent(ec, on_line);
  }

  Stream& stream_;
  boost::asio::steady_timer timer_;
  std::vector<std::uint8_t> bytes_;
  WriteSchedule schedule_{};
  Clock::time_point first_at_{};
  Sent sent_;
  std::size_t next_ = 0;  ///< the first byte of a paced send not handed to the stream yet
  std::uint8_t one_ = 0;  ///< the byte being written
  bool started_ = false;  ///< the first byte has been handed to the stream
  bool writing_ = false;
  bool cancelled_ = false;
};

}  // namespace ambi
