// A meter behind an IPv6 address: `tcp://[::1]:PORT` and `rtu+tcp://[::1]:PORT` reach it
// (review 3.6: the brackets used to stay in the host name). The meter is the twin's slave
// stack on 127.0.0.1 (loopback_slave.hpp), reached through a relay listening on [::1].
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <memory>
#include <ostream>
#include <string>
#include <thread>

#include "loopback_slave.hpp"
#include "modbus_test_support.hpp"
#include "tools/meter_uri.hpp"
#include "tools/tool_session.hpp"

namespace ambi {
namespace {

using namespace modbus_test;

/// Listens on [::1], an ephemeral port; relays each connection, one at a time, to
/// 127.0.0.1:`target` and back.
class Ipv6Relay {
 public:
  explicit Ipv6Relay(std::uint16_t target) : target_(target) {
    listen_fd_ = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_addr = in6addr_loopback;
    socklen_t size = sizeof addr;
    ok_ = listen_fd_ >= 0 && ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), size) == 0 &&
          ::listen(listen_fd_, 4) == 0 &&
          ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &size) == 0;
    port_ = ntohs(addr.sin6_port);
    if (ok_) thread_ = std::thread([this] { run(); });
  }
  Ipv6Relay(const Ipv6Relay&) = delete;
  Ipv6Relay& operator=(const Ipv6Relay&) = delete;
  ~Ipv6Relay() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
  }

  /// False when this machine has no IPv6 loopback.
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  /// Connections accepted from an IPv6 peer so far.
  [[nodiscard]] int connections() const { return connections_; }

 private:
  static constexpr int kPollMs = 5;

  void run() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, kPollMs) <= 0) continue;
      sockaddr_in6 peer{};
      socklen_t size = sizeof peer;
      const int client =
          ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &size, SOCK_CLOEXEC);
      if (client < 0) continue;
      if (peer.sin6_family == AF_INET6) ++connections_;
      const int meter = connect_meter();
      if (meter >= 0) relay(client, meter);
      ::close(client);
      if (meter >= 0) ::close(meter);
    }
  }

  [[nodiscard]] int connect_meter() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(target_);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
    ::close(fd);
    return -1;
  }

  /// Copies bytes both ways until either side closes or the relay stops.
  void relay(int a, int b) const {
    std::array<std::uint8_t, 512> chunk{};
    while (!stop_) {
      std::array<pollfd, 2> p{{{a, POLLIN, 0}, {b, POLLIN, 0}}};
      if (::poll(p.data(), p.size(), kPollMs) <= 0) continue;
      for (std::size_t i = 0; i < p.size(); ++i) {
        if (p[i].revents == 0) continue;
        const int from = i == 0 ? a : b;
        const int to = i == 0 ? b : a;
        const ssize_t n = ::read(from, chunk.data(), chunk.size());
        if (n <= 0 || ::send(to, chunk.data(), static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) {
          return;
        }
      }
    }
  }

  std::uint16_t target_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  bool ok_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

struct Ipv6Case {
  const char* scheme;
  Framing framing;
};

void PrintTo(const Ipv6Case& c, std::ostream* out) {
  *out << c.scheme;
}

class MeterSessionOverIpv6 : public testing::TestWithParam<Ipv6Case> {};

TEST_P(MeterSessionOverIpv6, ReadsAMeterAtABracketedIpv6Address) {
  LoopbackSlave slave(GetParam().framing, powered_meter());
  ASSERT_TRUE(slave.ok());
  Ipv6Relay relay(slave.port());
  if (!relay.ok()) GTEST_SKIP() << "no IPv6 loopback on this machine";
  const auto uri =
      parse_meter_uri(fmt::format("{}://[::1]:{}?timeout=2s", GetParam().scheme, relay.port()));
  ASSERT_TRUE(uri.has_value()) << uri.error();
  EXPECT_EQ(uri->host, "::1");
  auto session = MeterSession::open(*uri);
  ASSERT_TRUE(session.has_value()) << session.error();
  const auto readings = session->read({.groups = {}, .names = {"modbus_id", "baud_rate"}});
  ASSERT_TRUE(readings.has_value()) << readings.error();
  ASSERT_EQ(readings->size(), 2U);
  EXPECT_EQ((*readings)[0].name, "modbus_id");
  EXPECT_EQ((*readings)[0].text, "1");
  EXPECT_EQ((*readings)[1].name, "baud_rate");
  EXPECT_EQ((*readings)[1].text, "9600");
  EXPECT_GE(relay.connections(), 1);
}

INSTANTIATE_TEST_SUITE_P(TcpSchemes, MeterSessionOverIpv6,
                         testing::Values(Ipv6Case{"tcp", Framing::mbap},
                                         Ipv6Case{"rtu+tcp", Framing::rtu}),
                         [](const testing::TestParamInfo<Ipv6Case>& param) {
                           return param.param.framing == Framing::mbap ? std::string{"ModbusTcp"}
                                                                       : std::string{"RtuOverTcp"};
                         });

}  // namespace
}  // namespace ambi
