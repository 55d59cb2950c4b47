// TCP byte links (io/byte_link.hpp) to IPv4 and IPv6 loopback: bytes both ways, a closed
// peer, a refused connection named with the address as a URI writes it.
#include "io/byte_link.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <ostream>
#include <string>

#include "io/unique_fd.hpp"

namespace ambi {
namespace {

using namespace std::chrono_literals;
using Clock = ByteLink::Clock;

/// A socket bound to an ephemeral loopback port (IPv4 or IPv6), listening or not. A bound
/// socket that does not listen keeps its port refusing connections for as long as it lives,
/// with no other program able to take the port meanwhile.
struct LoopbackSocket {
  UniqueFd fd;
  std::uint16_t port = 0;
};

LoopbackSocket loopback_socket(int family, bool listening) {
  LoopbackSocket s{UniqueFd{::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)}, 0};
  sockaddr_storage storage{};
  socklen_t size = 0;
  if (family == AF_INET6) {
    auto* addr = reinterpret_cast<sockaddr_in6*>(&storage);
    addr->sin6_family = AF_INET6;
    addr->sin6_addr = in6addr_loopback;
    size = sizeof *addr;
  } else {
    auto* addr = reinterpret_cast<sockaddr_in*>(&storage);
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    size = sizeof *addr;
  }
  auto* addr = reinterpret_cast<sockaddr*>(&storage);
  if (!s.fd || ::bind(s.fd.get(), addr, size) != 0 || (listening && ::listen(s.fd.get(), 1) != 0) ||
      ::getsockname(s.fd.get(), addr, &size) != 0) {
    return {};
  }
  s.port = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                                    : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  return s;
}

struct Family {
  int family;
  const char* host;
  const char* shown;  ///< how a message writes host and port 1234
};

void PrintTo(const Family& family, std::ostream* out) {
  *out << family.host;
}

class ByteLinkTcp : public testing::TestWithParam<Family> {
 protected:
  void SetUp() override {
    if (!loopback_socket(GetParam().family, false).fd) GTEST_SKIP() << "no such loopback here";
  }
};

TEST_P(ByteLinkTcp, CarriesBytesBothWays) {
  const LoopbackSocket server = loopback_socket(GetParam().family, true);
  ASSERT_TRUE(server.fd);
  auto link = ByteLink::connect_tcp(GetParam().host, server.port, 1s);
  ASSERT_TRUE(link.has_value()) << link.error();
  EXPECT_FALSE(link->serial());
  const UniqueFd peer{::accept4(server.fd.get(), nullptr, nullptr, SOCK_CLOEXEC)};
  ASSERT_TRUE(peer);

  const std::array<std::uint8_t, 3> hello{0x01, 0x03, 0x40};
  ASSERT_TRUE(link->send(hello).has_value());
  std::array<std::uint8_t, 8> got{};
  ASSERT_EQ(::read(peer.get(), got.data(), got.size()), 3);
  EXPECT_EQ(std::memcmp(got.data(), hello.data(), hello.size()), 0);

  const std::array<std::uint8_t, 2> answer{0xE5, 0x16};
  ASSERT_EQ(::write(peer.get(), answer.data(), answer.size()), 2);
  const auto n = link->receive(got, Clock::now() + 1s);
  ASSERT_TRUE(n.has_value()) << n.error();
  ASSERT_EQ(*n, 2U);
  EXPECT_EQ(got[0], 0xE5);
  EXPECT_EQ(got[1], 0x16);
}

TEST_P(ByteLinkTcp, ReceivesNothingWhenTheDeadlinePassesFirst) {
  const LoopbackSocket server = loopback_socket(GetParam().family, true);
  ASSERT_TRUE(server.fd);
  auto link = ByteLink::connect_tcp(GetParam().host, server.port, 1s);
  ASSERT_TRUE(link.has_value()) << link.error();
  std::array<std::uint8_t, 8> got{};
  const auto n = link->receive(got, Clock::now() + 20ms);
  ASSERT_TRUE(n.has_value()) << n.error();
  EXPECT_EQ(*n, 0U);
}

TEST_P(ByteLinkTcp, ReportsThePeerClosingAsAnError) {
  LoopbackSocket server = loopback_socket(GetParam().family, true);
  ASSERT_TRUE(server.fd);
  auto link = ByteLink::connect_tcp(GetParam().host, server.port, 1s);
  ASSERT_TRUE(link.has_value()) << link.error();
  UniqueFd{::accept4(server.fd.get(), nullptr, nullptr, SOCK_CLOEXEC)}.reset();
  std::array<std::uint8_t, 8> got{};
  const auto n = link->receive(got, Clock::now() + 1s);
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error(), "the connection was closed by the other side");
}

TEST_P(ByteLinkTcp, NamesTheAddressWhenTheConnectionIsRefused) {
  const LoopbackSocket closed = loopback_socket(GetParam().family, false);
  ASSERT_TRUE(closed.fd);
  const auto link = ByteLink::connect_tcp(GetParam().host, closed.port, 1s);
  ASSERT_FALSE(link.has_value());
  std::string shown = GetParam().shown;
  shown.replace(shown.find("1234"), 4, std::to_string(closed.port));
  EXPECT_EQ(link.error(), "cannot connect to " + shown +
                              ": Connection refused (is the meter or gateway listening there?)");
}

INSTANTIATE_TEST_SUITE_P(Loopback, ByteLinkTcp,
                         testing::Values(Family{AF_INET, "127.0.0.1", "127.0.0.1:1234"},
                                         Family{AF_INET6, "::1", "[::1]:1234"}),
                         [](const testing::TestParamInfo<Family>& param) {
                           return std::string{param.param.family == AF_INET6 ? "Ipv6" : "Ipv4"};
                         });

TEST(ByteLinkTcpResolve, NamesAHostThatCannotBeResolved) {
  const auto link = ByteLink::connect_tcp("no-such-host.invalid", 502, 1s);
  ASSERT_FALSE(link.has_value());
  EXPECT_EQ(link.error().rfind("cannot resolve no-such-host.invalid: ", 0), 0U) << link.error();
}

TEST(ByteLinkSerial, NamesADeviceThatCannotBeOpened) {
  const auto link = ByteLink::open_serial("/dev/no-such-tty", 9600, Parity::even);
  ASSERT_FALSE(link.has_value());
  EXPECT_EQ(link.error(), "cannot open /dev/no-such-tty: No such file or directory");
}

TEST(ByteLinkSerial, RefusesARateItCannotSet) {
  const auto link = ByteLink::open_serial("/dev/null", 1234, Parity::even);
  ASSERT_FALSE(link.has_value());
  EXPECT_EQ(link.error(), "/dev/null: 1234 baud is not a rate this tool can set");
}

TEST(ByteLinkSerial, RefusesAFileThatIsNotASerialLine) {
  const auto link = ByteLink::open_serial("/dev/null", 9600, Parity::even);
  ASSERT_FALSE(link.has_value());
  EXPECT_EQ(link.error().rfind("/dev/null is not a serial line: ", 0), 0U) << link.error();
}

}  // namespace
}  // namespace ambi
