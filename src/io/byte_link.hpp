#pragma once
// The byte stream under a reader tool's master: a TCP connection or a serial line (a real
// UART or a pseudo-terminal), with every wait bounded by a deadline (poll()), or any other
// `ByteStream` (the in-memory pair of io/memory_stream.hpp, in tests).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "core/meter/settings.hpp"
#include "io/byte_stream.hpp"
#include "io/unique_fd.hpp"

namespace ambi {

/// An open file descriptor (or a `ByteStream`) carrying bytes both ways. Move-only; closes
/// on destruction.
class ByteLink {
 public:
  using Clock = std::chrono::steady_clock;

  /// Connects to `host`:`port` (name or address), giving up after `timeout`. The error is
  /// one line naming the host, the port and the reason.
  [[nodiscard]] static std::expected<ByteLink, std::string> connect_tcp(
      const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout);
  /// Opens `device` (O_NOCTTY) in raw mode: 8 data bits, 1 stop bit, `baud`, `parity`. When
  /// the line does not take the parity (Linux pseudo-terminals refuse PARENB: EINVAL, or the
  /// flag does not stick) it is opened without parity and `parity_applied()` is false.
  [[nodiscard]] static std::expected<ByteLink, std::string> open_serial(const std::string& device,
                                                                        std::uint32_t baud,
                                                                        Parity parity);

  /// Carries `stream` (not a serial line: `serial()` is false).
  [[nodiscard]] static ByteLink over(std::unique_ptr<ByteStream> stream);

  /// Writes every byte (waiting for the stream to take them). The error is one line.
  [[nodiscard]] std::expected<void, std::string> send(std::span<const std::uint8_t> bytes);
  /// Reads what is available into `buffer`, waiting until `deadline` for the first byte:
  /// the count read, 0 when the deadline passed first. The peer closing is an error.
  [[nodiscard]] std::expected<std::size_t, std::string> receive(std::span<std::uint8_t> buffer,
                                                                Clock::time_point deadline);
  /// Drops every byte received and not read yet (a late or garbled answer).
  void discard_input();

  /// False when the requested parity could not be set (see `open_serial`).
  [[nodiscard]] bool parity_applied() const { return parity_applied_; }
  /// True for a serial line (bytes take line time), false for TCP.
  [[nodiscard]] bool serial() const { return serial_; }

 private:
  ByteLink(UniqueFd fd, bool serial, bool parity_applied)
      : fd_(std::move(fd)), serial_(serial), parity_applied_(parity_applied) {}
  UniqueFd fd_;
  std::unique_ptr<ByteStream> stream_;  ///< in place of `fd_` when set
  bool serial_ = false;
  bool parity_applied_ = true;
};

}  // namespace ambi
