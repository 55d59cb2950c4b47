// TCP and serial byte streams with poll()-bounded waits.
#include "io/byte_link.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>
#include <utility>

#include "io/errno_text.hpp"
#include "io/serial_line.hpp"

namespace ambi {
namespace {

using Clock = ByteLink::Clock;
using Error = std::unexpected<std::string>;

/// How long a send may wait for the stream to take bytes.
constexpr std::chrono::seconds kSendLimit{10};

/// Milliseconds left until `deadline` for poll(), rounded up, never negative.
int poll_ms(Clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 600'000));
}

/// poll() on one descriptor until `deadline`; the revents, 0 on timeout, nullopt on error.
std::optional<short> wait_for(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int n = ::poll(&p, 1, poll_ms(deadline));
    if (n >= 0) return n == 0 ? short{0} : p.revents;
    if (errno != EINTR) return std::nullopt;
  }
}

/// One connect attempt to `ai` until `deadline`: the socket, or none with errno set.
UniqueFd connect_one(const addrinfo& ai, Clock::time_point deadline) {
  UniqueFd fd{
      ::socket(ai.ai_family, ai.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai.ai_protocol)};
  if (!fd) return fd;
  if (::connect(fd.get(), ai.ai_addr, ai.ai_addrlen) == 0) return fd;
  int error = errno;
  if (error == EINPROGRESS) {
    const auto revents = wait_for(fd.get(), POLLOUT, deadline);
    socklen_t size = sizeof error;
    if (revents && *revents == 0) {
      error = ETIMEDOUT;
    } else if (!revents || ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &size) != 0) {
      error = errno;
    }
    if (error == 0) return fd;
  }
  fd.reset();
  errno = error;
  return fd;
}

/// Applies raw 8N1/8E1/8O1 at `speed`, reads returning at once: 0, or the errno of tcsetattr.
int apply_termios(int fd, termios tio, speed_t speed, Parity parity) {
  set_raw_line(tio, speed, parity);
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;
  return ::tcsetattr(fd, TCSANOW, &tio) == 0 ? 0 : errno;
}

/// "HOST:PORT", an IPv6 address in brackets: "[::1]:502".
std::string host_port(const std::string& host, std::uint16_t port) {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

/// True when the line reports PARENB as set.
bool parity_stuck(int fd) {
  termios now{};
  return ::tcgetattr(fd, &now) == 0 && (now.c_cflag & PARENB) != 0;
}

}  // namespace

std::expected<ByteLink, std::string> ByteLink::connect_tcp(const std::string& host,
                                                           std::uint16_t port,
                                                           std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return Error{fmt::format("cannot resolve {}: {}", host, ::gai_strerror(rc))};
  }
  const auto deadline = Clock::now() + timeout;
  int error = ECONNREFUSED;
  UniqueFd fd;
  for (const addrinfo* ai = found; ai != nullptr && !fd; ai = ai->ai_next) {
    fd = connect_one(*ai, deadline);
    if (!fd) error = errno;
  }
  ::freeaddrinfo(found);
  if (!fd) {
    return Error{fmt::format("cannot connect to {}: {} (is the meter or gateway listening there?)",
                             host_port(host, port),
                             error == ETIMEDOUT
                                 ? fmt::format("no answer within {} ms", timeout.count())
                                 : errno_text(error))};
  }
  const int one = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return ByteLink{std::move(fd), false, true};
}

std::expected<ByteLink, std::string> ByteLink::open_serial(const std::string& device,
                                                           std::uint32_t baud, Parity parity) {
  const auto speed = termios_speed(baud);
  if (!speed)
    return Error{fmt::format("{}: {} baud is not a rate this tool can set", device, baud)};
  ByteLink link{UniqueFd{::open(device.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)}, true,
                true};
  const int fd = link.fd_.get();
  if (fd < 0) return Error{fmt::format("cannot open {}: {}", device, errno_text())};
  termios tio{};
  if (::tcgetattr(fd, &tio) != 0) {
    return Error{fmt::format("{} is not a serial line: {}", device, errno_text())};
  }
  int error = apply_termios(fd, tio, *speed, parity);
  const bool refused =
      parity != Parity::none && (error == EINVAL || (error == 0 && !parity_stuck(fd)));
  if (refused) {
    link.parity_applied_ = false;
    error = apply_termios(fd, tio, *speed, Parity::none);
  }
  if (error != 0) return Error{fmt::format("cannot configure {}: {}", device, errno_text(error))};
  ::tcflush(fd, TCIOFLUSH);
  return link;
}

ByteLink ByteLink::over(std::unique_ptr<ByteStream> stream) {
  ByteLink link{UniqueFd{}, false, true};
  link.stream_ = std::move(stream);
  return link;
}

std::expected<void, std::string> ByteLink::send(std::span<const std::uint8_t> bytes) {
  if (stream_) return stream_->send(bytes);
  const auto deadline = Clock::now() + kSendLimit;
  while (!bytes.empty()) {
    const ssize_t n = serial_ ? ::write(fd_.get(), bytes.data(), bytes.size())
                              : ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes = bytes.subspan(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      return Error{fmt::format("cannot send: {}", errno_text())};
    }
    const auto revents = wait_for(fd_.get(), POLLOUT, deadline);
    if (!revents) return Error{fmt::format("cannot send: {}", errno_text())};
    if (*revents == 0) return Error{"cannot send: the line took no bytes for 10 s"};
  }
  return {};
}

std::expected<std::size_t, std::string> ByteLink::receive(std::span<std::uint8_t> buffer,
                                                          Clock::time_point deadline) {
  if (stream_) return stream_->receive(buffer, deadline);
  for (;;) {
    const auto revents = wait_for(fd_.get(), POLLIN, deadline);
    if (!revents) return Error{fmt::format("cannot receive: {}", errno_text())};
    if (*revents == 0) return std::size_t{0};
    const ssize_t n = ::read(fd_.get(), buffer.data(), buffer.size());
    if (n > 0) return static_cast<std::size_t>(n);
    if (n == 0) return Error{"the connection was closed by the other side"};
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
    return Error{fmt::format("cannot receive: {}", errno_text())};
  }
}

void ByteLink::discard_input() {
  if (stream_) return stream_->discard_input();
  if (serial_) ::tcflush(fd_.get(), TCIFLUSH);
  std::array<std::uint8_t, 256> sink{};
  while (::read(fd_.get(), sink.data(), sink.size()) > 0) {
  }
}

}  // namespace ambi
