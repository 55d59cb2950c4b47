#pragma once
// A meter served by the twin's own slave stack (the server steps serve_mbap / serve_rtu)
// on a thread: over a loopback TCP socket on an ephemeral port (MBAP or RTU frames) or over
// a pseudo-terminal pair, for the tests of the reader tools' Modbus master. It can be told
// to misbehave: stay silent, corrupt the CRC, or send junk after a reply.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "core/meter/meter.hpp"
#include "core/modbus/modbus_mbap.hpp"
#include "core/modbus/modbus_rtu.hpp"
#include "core/modbus/modbus_server.hpp"
#include "modbus_test_slave.hpp"

namespace ambi::modbus_test {

enum class Framing : std::uint8_t { mbap, rtu };

class LoopbackSlave final : public TestSlave {
 public:
  /// Listens on 127.0.0.1, an ephemeral port.
  LoopbackSlave(Framing framing, Meter meter) : framing_(framing), meter_(std::move(meter)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof addr;
    ok_ = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), size) == 0 &&
          ::listen(listen_fd_, 4) == 0 &&
          ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &size) == 0;
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run_tcp(); });
  }
  /// A pseudo-terminal pair: the client opens `device()`, the meter sits on the master side.
  explicit LoopbackSlave(Meter meter) : framing_(Framing::rtu), meter_(std::move(meter)) {
    std::array<char, 128> name{};
    ok_ = ::openpty(&master_fd_, &pty_slave_fd_, name.data(), nullptr, nullptr) == 0;
    device_ = name.data();
    termios tio{};
    ::tcgetattr(pty_slave_fd_, &tio);
    ::cfmakeraw(&tio);
    ::tcsetattr(pty_slave_fd_, TCSANOW, &tio);
    thread_ = std::thread([this] { serve(master_fd_); });
  }
  LoopbackSlave(const LoopbackSlave&) = delete;
  LoopbackSlave& operator=(const LoopbackSlave&) = delete;
  ~LoopbackSlave() override {
    stop_ = true;
    thread_.join();
    for (const int fd : {listen_fd_, master_fd_, pty_slave_fd_}) {
      if (fd >= 0) ::close(fd);
    }
  }

  [[nodiscard]] bool ok() const override { return ok_; }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] const std::string& device() const { return device_; }
  void misbehave(Misbehaviour misbehaviour) override { misbehaviour_ = misbehaviour; }
  [[nodiscard]] int requests() const override { return requests_; }
  [[nodiscard]] std::uint8_t last_function() const override { return last_function_; }
  /// Runs `f` on the meter, under the lock the serving thread takes.
  void on_meter(const std::function<void(Meter&)>& f) override {
    const std::lock_guard lock{mutex_};
    f(meter_);
  }
  /// Stray bytes sent after replies so far (`Misbehaviour::junk_after_reply`).
  [[nodiscard]] int junk_sent() const { return junk_sent_; }

 private:
  static constexpr int kPollMs = 5;

  void run_tcp() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, kPollMs) <= 0) continue;
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      serve(fd);
      ::close(fd);
    }
  }

  /// Serves one stream until it closes or the slave stops.
  void serve(int fd) {
    MbapFramer mbap;
    RtuFramer rtu;
    std::array<std::uint8_t, 512> chunk{};
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, kPollMs) <= 0) {
        if (framing_ == Framing::rtu && rtu.buffered() > 0) on_rtu_event(fd, rtu.on_silence());
        continue;
      }
      const ssize_t n = ::read(fd, chunk.data(), chunk.size());
      if (n <= 0) {
        if (fd == master_fd_) continue;  // no client has the pty open
        return;
      }
      const std::span<const std::uint8_t> bytes{chunk.data(), static_cast<std::size_t>(n)};
      if (framing_ == Framing::rtu) {
        rtu.push(bytes);
        while (on_rtu_event(fd, rtu.poll())) {
        }
      } else {
        mbap.push(bytes);
        if (!serve_mbap_frames(fd, mbap)) return;
      }
    }
  }

  /// Serves an RTU frame; false when there was none.
  bool on_rtu_event(int fd, const RtuEvent& event) {
    if (std::holds_alternative<RtuNeedMore>(event)) return false;
    const auto* frame = std::get_if<RtuFrame>(&event);
    if (frame == nullptr) return true;
    note(frame->pdu());
    RtuExchange exchange;
    {
      const std::lock_guard lock{mutex_};
      exchange = serve_rtu(meter_, *frame, {});
    }
    reply(fd, std::move(exchange.reply));
    return true;
  }

  bool serve_mbap_frames(int fd, MbapFramer& framer) {
    for (;;) {
      const MbapEvent event = framer.poll();
      if (std::holds_alternative<MbapError>(event)) return false;
      const auto* frame = std::get_if<MbapFrame>(&event);
      if (frame == nullptr) return true;
      note(frame->pdu);
      MbapReply exchange;
      {
        const std::lock_guard lock{mutex_};
        exchange = serve_mbap(meter_, *frame, {});
      }
      reply(fd, std::move(exchange.reply));
    }
  }

  void note(std::span<const std::uint8_t> pdu) {
    ++requests_;
    if (!pdu.empty()) last_function_ = pdu[0];
  }

  void reply(int fd, std::vector<std::uint8_t> bytes) {
    const Misbehaviour misbehaviour = misbehaviour_;
    if (bytes.empty() || misbehaviour == Misbehaviour::silent) return;
    if (misbehaviour == Misbehaviour::bad_crc) bytes.back() ^= 0x5A;
    send_all(fd, bytes);
    if (misbehaviour == Misbehaviour::junk_after_reply) {
      std::this_thread::sleep_for(std::chrono::milliseconds{30});
      send_all(fd, std::vector<std::uint8_t>{0xDE, 0xAD, 0xBE, 0xEF});
      ++junk_sent_;
    }
  }

  void send_all(int fd, const std::vector<std::uint8_t>& bytes) const {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = fd == master_fd_
                            ? ::write(fd, bytes.data() + sent, bytes.size() - sent)
                            : ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }

  Framing framing_;
  Meter meter_;
  std::mutex mutex_;
  std::atomic<bool> stop_{false};
  std::atomic<Misbehaviour> misbehaviour_{Misbehaviour::none};
  std::atomic<int> requests_{0};
  std::atomic<int> junk_sent_{0};
  std::atomic<std::uint8_t> last_function_{0};
  bool ok_ = false;
  int listen_fd_ = -1;
  int master_fd_ = -1;
  int pty_slave_fd_ = -1;
  std::uint16_t port_ = 0;
  std::string device_;
  std::thread thread_;
};

}  // namespace ambi::modbus_test
