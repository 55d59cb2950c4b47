#include "io/serial_line.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>

namespace ambi {
namespace {

struct BaudSpeed {
  std::uint32_t baud;
  speed_t speed;
};
constexpr std::array<BaudSpeed, 10> kSpeeds{{{300, B300},
                                             {600, B600},
                                             {1200, B1200},
                                             {2400, B2400},
                                             {4800, B4800},
                                             {9600, B9600},
                                             {19200, B19200},
                                             {38400, B38400},
                                             {57600, B57600},
                                             {115200, B115200}}};

}  // namespace

std::optional<speed_t> termios_speed(std::uint32_t baud) {
  const auto it =
      std::ranges::find_if(kSpeeds, [baud](const BaudSpeed& s) { return s.baud == baud; });
  return it == kSpeeds.end() ? std::nullopt : std::optional{it->speed};
}

void set_raw_line(termios& tio, speed_t speed, Parity parity) {
  ::cfmakeraw(&tio);
  tio.c_cflag &= ~static_cast<tcflag_t>(CSIZE | CSTOPB | PARENB | PARODD | CRTSCTS);
  tio.c_cflag |= CS8 | CLOCAL | CREAD;
  if (parity != Parity::none) tio.c_cflag |= PARENB;
  if (parity == Parity::odd) tio.c_cflag |= PARODD;
  ::cfsetispeed(&tio, speed);
  ::cfsetospeed(&tio, speed);
}

bool configure_serial_line(int fd, std::uint32_t baud, Parity parity, bool pty) {
  termios tio{};
  if (::tcgetattr(fd, &tio) != 0) return false;
  set_raw_line(tio, termios_speed(baud).value_or(B9600), pty ? Parity::none : parity);
  tio.c_cc[VMIN] = 1;
  tio.c_cc[VTIME] = 0;
  return ::tcsetattr(fd, TCSANOW, &tio) == 0;
}

std::expected<PseudoTerminal, std::string> create_pseudo_terminal() {
  PseudoTerminal pty;
  pty.master = ::posix_openpt(O_RDWR | O_NOCTTY);
  if (pty.master < 0)
    return std::unexpected(fmt::format("cannot create a pseudo-terminal: {}", errno_text()));
  std::array<char, 128> name{};
  if (::grantpt(pty.master) != 0 || ::unlockpt(pty.master) != 0 ||
      ::ptsname_r(pty.master, name.data(), name.size()) != 0) {
    const std::string why = errno_text();
    ::close(pty.master);
    return std::unexpected(fmt::format("cannot set up a pseudo-terminal: {}", why));
  }
  pty.slave_name = name.data();
  pty.slave = ::open(name.data(), O_RDWR | O_NOCTTY);
  termios tio{};
  if (pty.slave < 0 || ::tcgetattr(pty.slave, &tio) != 0) {
    const std::string why = errno_text();
    ::close(pty.master);
    if (pty.slave >= 0) ::close(pty.slave);
    return std::unexpected(fmt::format("cannot open {}: {}", pty.slave_name, why));
  }
  ::cfmakeraw(&tio);
  ::tcsetattr(pty.slave, TCSANOW, &tio);
  return pty;
}

}  // namespace ambi
