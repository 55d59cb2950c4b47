#pragma once
// What the Modbus RTU and M-bus sessions of `ambimeter run` share over any byte stream
// (a TCP socket, or the POSIX descriptor of a serial device or pseudo-terminal): the read
// loop, the paced or whole write of a reply (twin/transport/paced_writer.hpp), the idle
// timeout, closing, and reporting a failed line. Framing, serving, and when a reply may
// leave are the protocol's (RtuSession in modbus_link.hpp, MbusSession in mbus_link.hpp).

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "net/connection.hpp"
#include "twin/transport/paced_writer.hpp"

namespace ambi {

/// What the owner of a session (a TCP server, a serial port) asks of it.
struct LinkOptions {
  std::chrono::milliseconds idle_timeout{0};  ///< close after this silence (0: never)
  std::function<void(const boost::system::error_code&)> on_error;  ///< a read or write failed
  /// Nothing is being served or sent any more: a serial port may reconfigure its line now.
  std::function<void()> on_idle;
};

/// The shared half of a protocol session over `Stream`. The protocol reads again (`read`)
/// when it is ready for more bytes, and answers through `send`.
template <class Stream>
class LinkSession : public Connection, public std::enable_shared_from_this<LinkSession<Stream>> {
 public:
  /// Starts reading (and watching for idleness).
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
    writer_.cancel();
    idle_.cancel();
    closing();
  }
  [[nodiscard]] Stream& stream() { return stream_; }

  ~LinkSession() override = default;
  LinkSession(const LinkSession&) = delete;
  LinkSession& operator=(const LinkSession&) = delete;

 protected:
  using Clock = std::chrono::steady_clock;

  LinkSession(Stream stream, LinkOptions options)
      : stream_(std::move(stream)),
        options_(std::move(options)),
        writer_(stream_),
        idle_(stream_.get_executor()) {}

  /// `bytes` arrived at `at` (the session is open). Call `read` for more.
  virtual void received(std::span<const std::uint8_t> bytes, Clock::time_point at) = 0;
  /// The session is closing: cancel the protocol's timers.
  virtual void closing() {}

  /// Reads the next bytes that arrive.
  void read() {
    stream_.async_read_some(
        boost::asio::buffer(buffer_),
        [self = this->shared_from_this()](boost::system::error_code ec, std::size_t n) {
          if (self->closed_) return;
          if (ec) return self->fail(ec);
          self->touch();
          self->received(std::span(self->buffer_).first(n), Clock::now());
        });
  }

  /// Sends `bytes` (not empty) as `schedule` says, then calls `sent` with how many bytes may
  /// still be leaving the UART. A failed write closes the session and reports it.
  void send(std::vector<std::uint8_t> bytes, WriteSchedule schedule,
            std::function<void(std::size_t on_line)> sent) {
    writer_.send(
        this->shared_from_this(), std::move(bytes), schedule,
        [this, sent = std::move(sent)](const boost::system::error_code& ec, std::size_t on_line) {
          if (closed_) return;
          if (ec) return fail(ec);
          sent(on_line);
        });
  }
  /// True while a reply is being written.
  [[nodiscard]] bool writing() const { return writer_.writing(); }
  /// What of the reply being sent has not left yet, and when it goes (paced sends only).
  [[nodiscard]] std::optional<typename PacedWriter<Stream>::Unsent> unsent() const {
    return writer_.unsent();
  }
  /// Replaces what `unsent` returned: what the line carries instead.
  void replace_unsent(std::span<const std::uint8_t> bytes) { writer_.replace_unsent(bytes); }

  /// Tells the owner that nothing is being served or sent any more.
  void went_idle() {
    if (!closed_ && options_.on_idle) options_.on_idle();
  }

  /// This session as its protocol's type, for the protocol's handlers to hold.
  template <class Self>
  [[nodiscard]] std::shared_ptr<Self> self_as() {
    return std::static_pointer_cast<Self>(this->shared_from_this());
  }

  Stream stream_;

 private:
  void fail(const boost::system::error_code& ec) {
    if (closed_) return;
    close();
    if (options_.on_error) options_.on_error(ec);
  }

  LinkOptions options_;
  PacedWriter<Stream> writer_;
  boost::asio::steady_timer idle_;
  std::array<std::uint8_t, 512> buffer_{};
};

}  // namespace ambi
