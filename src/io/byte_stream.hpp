#pragma once
// A byte stream a `ByteLink` can carry in place of a file descriptor: the in-memory pair of
// io/memory_stream.hpp, which puts a master and a slave in one thread with no socket.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string>

namespace ambi {

/// Bytes both ways, with the calls of `ByteLink` (whose documentation they follow).
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  /// Writes every byte. The error is one line.
  [[nodiscard]] virtual std::expected<void, std::string> send(
      std::span<const std::uint8_t> bytes) = 0;
  /// Reads what is available into `buffer`, waiting until `deadline` for the first byte:
  /// the count read, 0 when the deadline passed first. The peer closing is an error.
  [[nodiscard]] virtual std::expected<std::size_t, std::string> receive(
      std::span<std::uint8_t> buffer, std::chrono::steady_clock::time_point deadline) = 0;
  /// Drops every byte received and not read yet.
  virtual void discard_input() = 0;
};

}  // namespace ambi
