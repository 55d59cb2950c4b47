#pragma once
// An in-memory duplex byte stream: two ends, what one sends the other receives, with no
// thread, socket or pseudo-terminal between them (as Zephyr's Modbus "raw ADU" mode joins a
// client and a server). A test puts a reader tool's master on one end (`ByteLink::over`)
// and a core slave on the other, answering from inside the master's `send`; every exchange
// is then deterministic and takes no wall time.
//
// Bytes arrive in the bursts they were sent in: one `receive` takes from one burst at most,
// as one read() of a socket takes what one segment brought. So a slave can answer in
// pieces (a reply split at any index) or send stray bytes after its reply that the master
// finds only at its next read. Nothing arrives while an end waits: a `receive` finding no
// bytes returns 0 at once, as if its deadline had passed.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "io/byte_stream.hpp"

namespace ambi {

/// One end of a pair made by `memory_stream_pair`.
class MemoryStream final : public ByteStream {
 public:
  struct Shared;  ///< the two ends' inboxes, handlers and open flags

  MemoryStream(std::shared_ptr<Shared> shared, int side);
  /// Closes this end: the peer, once it has read what was sent, gets "closed by the other
  /// side", and its sends fail.
  ~MemoryStream() override;
  MemoryStream(const MemoryStream&) = delete;
  MemoryStream& operator=(const MemoryStream&) = delete;

  /// Hands `bytes` to the peer as one burst, then runs the peer's `on_receive`, if any.
  [[nodiscard]] std::expected<void, std::string> send(std::span<const std::uint8_t> bytes) override;
  /// Takes from the oldest burst received, at most `buffer.size()` bytes; 0 at once when
  /// nothing is there (whatever `deadline`); an error once the peer is gone and nothing is.
  [[nodiscard]] std::expected<std::size_t, std::string> receive(
      std::span<std::uint8_t> buffer, std::chrono::steady_clock::time_point deadline) override;
  void discard_input() override;

  /// Calls `serve` with this end every time a burst arrives at it (in the sender's `send`):
  /// a slave answering at once. At most one end of a pair may have one.
  void on_receive(std::function<void(MemoryStream&)> serve);
  /// Every byte received and not read yet, the bursts joined, taken.
  [[nodiscard]] std::vector<std::uint8_t> take_all();

 private:
  std::shared_ptr<Shared> shared_;
  int side_;
};

/// Two connected ends.
[[nodiscard]] std::pair<std::unique_ptr<MemoryStream>, std::unique_ptr<MemoryStream>>
memory_stream_pair();

}  // namespace ambi
