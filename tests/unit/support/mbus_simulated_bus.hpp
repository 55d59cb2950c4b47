#pragma once
// A simulated M-bus for the tests of the reader tools: several meters (the twin's Meter and
// MbusSlave) on one line, served in memory (MemoryBus, no thread), or from a thread over a
// loopback TCP port or the master side of a pseudo-terminal (BusServer). Every telegram
// reaches every meter; several answers collide.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "io/byte_link.hpp"
#include "io/memory_stream.hpp"
#include "mbus_test_support.hpp"

namespace ambi::mbus_test {

/// One meter on the simulated bus.
struct Station {
  Meter meter = mbus_test::powered_meter();
  MbusSlave slave;
};

/// A telegram the bus carried from the master: its C and A fields.
struct Heard {
  std::uint8_t c;
  std::uint8_t a;
  friend bool operator==(const Heard&, const Heard&) = default;
};

/// Several meters on one line. Every telegram reaches every meter; one answer goes out as it
/// is, several collide: the line carries the AND of their bits (a space wins on M-bus) and
/// the UART then reads a broken character (00).
class SimulatedBus {
 public:
  /// Connects a factory-new, powered meter with primary address `primary` and secondary
  /// address `secondary` (8 BCD digits), its slave with `quirks`.
  void add(int primary, std::uint32_t secondary, MbusQuirks quirks = {}) {
    auto station = std::make_unique<Station>();
    station->slave = MbusSlave(quirks);
    EXPECT_TRUE(station->meter.apply(SetMbusId{primary}, kMbus).has_value());
    EXPECT_TRUE(station->meter.apply(SetMbusSecondaryId{secondary}, kMbus).has_value());
    stations_.push_back(std::move(station));
  }

  /// Feeds received bytes to the line; the bytes the meters put on it in answer.
  Bytes serve(std::span<const std::uint8_t> bytes) {
    const std::scoped_lock lock(mutex_);
    framer_.push(bytes);
    Bytes out;
    for (MbusEvent e = framer_.poll(); !std::holds_alternative<MbusNeedMore>(e);
         e = framer_.poll()) {
      if (const auto* frame = std::get_if<MbusFrame>(&e)) {
        const Bytes reply = serve_frame(*frame);
        out.insert(out.end(), reply.begin(), reply.end());
      }
    }
    return out;
  }

  /// Runs `f` on meter `i` while the bus is idle.
  template <class F>
  auto with(std::size_t i, F f) {
    const std::scoped_lock lock(mutex_);
    return f(stations_.at(i)->meter);
  }
  /// Every telegram the meters received so far.
  std::vector<Heard> heard() {
    const std::scoped_lock lock(mutex_);
    return heard_;
  }
  /// Loses the answer to the next telegram (noise on the line).
  void drop_next_answer() {
    const std::scoped_lock lock(mutex_);
    drop_next_ = true;
  }

 private:
  Bytes serve_frame(const MbusFrame& frame) {
    heard_.push_back({frame.c, frame.a});
    std::vector<Bytes> replies;
    for (auto& s : stations_) {
      Bytes reply = s->slave.serve(s->meter, frame).reply;
      if (!reply.empty()) replies.push_back(std::move(reply));
    }
    if (std::exchange(drop_next_, false) || replies.empty()) return {};
    if (replies.size() == 1) return replies[0];
    Bytes mix(replies[0].size(), 0xFF);
    for (const Bytes& r : replies) {
      mix.resize(std::max(mix.size(), r.size()), 0xFF);
      for (std::size_t i = 0; i < r.size(); ++i) mix[i] &= r[i];
    }
    mix.push_back(0x00);
    return mix;
  }

  std::mutex mutex_;
  std::vector<std::unique_ptr<Station>> stations_;
  MbusFramer framer_;
  std::vector<Heard> heard_;
  bool drop_next_ = false;
};

/// Serves a SimulatedBus on a loopback TCP port (one connection at a time) or on the master
/// side of a pseudo-terminal, from a thread.
class BusServer {
 public:
  /// Serves `bus` on a loopback TCP port chosen by the system.
  explicit BusServer(SimulatedBus& bus) : bus_(bus) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof addr;
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), size), 0);
    EXPECT_EQ(::listen(listener_, 4), 0);
    EXPECT_EQ(::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &size), 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run_tcp(); });
  }
  /// Serves `bus` on the master side of a pseudo-terminal.
  BusServer(SimulatedBus& bus, int pty_master) : bus_(bus) {
    thread_ = std::thread([this, pty_master] { serve_fd(pty_master); });
  }
  BusServer(const BusServer&) = delete;
  BusServer& operator=(const BusServer&) = delete;
  ~BusServer() {
    stop_ = true;
    thread_.join();
    if (listener_ >= 0) ::close(listener_);
  }

  /// mbus+tcp://127.0.0.1:PORT?`query`.
  [[nodiscard]] std::string uri(std::string_view query) const {
    return fmt::format("mbus+tcp://127.0.0.1:{}?{}", port_, query);
  }

 private:
  bool readable(int fd) const {
    pollfd p{fd, POLLIN, 0};
    return !stop_ && ::poll(&p, 1, 5) > 0;
  }
  void run_tcp() {
    while (!stop_) {
      if (!readable(listener_)) continue;
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) continue;
      serve_fd(fd);
      ::close(fd);
    }
  }
  void serve_fd(int fd) {
    std::array<std::uint8_t, 512> buffer{};
    while (!stop_) {
      if (!readable(fd)) continue;
      const ssize_t n = ::read(fd, buffer.data(), buffer.size());
      if (n <= 0) return;
      const Bytes reply = bus_.serve(std::span(buffer).first(static_cast<std::size_t>(n)));
      if (!reply.empty()) {
        EXPECT_EQ(::write(fd, reply.data(), reply.size()), static_cast<ssize_t>(reply.size()));
      }
    }
  }

  SimulatedBus& bus_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

/// A SimulatedBus on the far end of an in-memory stream (io/memory_stream.hpp): the meters
/// answer from inside the master's send, with no thread, socket or pseudo-terminal, so every
/// exchange is deterministic and a silence costs no wall time.
class MemoryBus {
 public:
  explicit MemoryBus(SimulatedBus& bus) : bus_(bus) {
    auto [master, line] = memory_stream_pair();
    master_ = std::move(master);
    line_ = std::move(line);
    line_->on_receive([this](MemoryStream& end) {
      const Bytes reply = bus_.serve(end.take_all());
      if (!reply.empty()) {
        EXPECT_TRUE(end.send(reply).has_value());
      }
    });
  }

  /// The master's end of the line (once).
  [[nodiscard]] ByteLink link() { return ByteLink::over(std::move(master_)); }

 private:
  SimulatedBus& bus_;
  std::unique_ptr<MemoryStream> master_;
  std::unique_ptr<MemoryStream> line_;
};

/// A pseudo-terminal pair in raw mode; the test keeps the slave open so the master side
/// never hangs up.
struct Pty {
  int master = -1;
  int slave = -1;
  std::string name;
  Pty() {
    std::array<char, 128> path{};
    EXPECT_EQ(::openpty(&master, &slave, path.data(), nullptr, nullptr), 0);
    name = path.data();
    termios tio{};
    ::tcgetattr(slave, &tio);
    ::cfmakeraw(&tio);
    ::tcsetattr(slave, TCSANOW, &tio);
  }
  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;
  ~Pty() {
    ::close(master);
    ::close(slave);
  }
};

}  // namespace ambi::mbus_test
