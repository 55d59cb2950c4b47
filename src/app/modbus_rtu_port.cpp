#include "app/modbus_rtu_port.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <fmt/format.h>

#include "app/log.hpp"

namespace ambi {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using Descriptor = asio::posix::stream_descriptor;

namespace {

/// How often the port looks for settings changed by another path (HTTP, Modbus TCP).
constexpr std::chrono::milliseconds kSettingsPoll{250};

struct BaudSpeed {
  std::uint32_t baud;
  speed_t speed;
};
constexpr std::array<BaudSpeed, 10> kSpeeds{{{300, B300}, {600, B600}, {1200, B1200}, {2400, B2400},
                                             {4800, B4800}, {9600, B9600}, {19200, B19200},
                                             {38400, B38400}, {57600, B57600}, {115200, B115200}}};

std::string errno_text() { return std::strerror(errno); }

/// Raw 8 data bits, 1 stop bit, no flow control; parity per setting except on a pty.
bool configure(int fd, std::uint32_t baud, Parity parity, bool pty) {
  termios tio{};
  if (::tcgetattr(fd, &tio) != 0) return false;
  ::cfmakeraw(&tio);
  tio.c_cflag &= ~static_cast<tcflag_t>(CSIZE | CSTOPB | PARENB | PARODD | CRTSCTS);
  tio.c_cflag |= CS8 | CLOCAL | CREAD;
  if (!pty && parity != Parity::none) tio.c_cflag |= PARENB;
  if (!pty && parity == Parity::odd) tio.c_cflag |= PARODD;
  tio.c_cc[VMIN] = 1;
  tio.c_cc[VTIME] = 0;
  speed_t speed = B9600;
  for (const BaudSpeed& s : kSpeeds) {
    if (s.baud == baud) speed = s.speed;
  }
  ::cfsetispeed(&tio, speed);
  ::cfsetospeed(&tio, speed);
  return ::tcsetattr(fd, TCSANOW, &tio) == 0;
}

/// The pseudo-terminal: master (the meter's side) and the slave's name.
struct Pty {
  int master = -1;
  int slave = -1;
  std::string slave_name;
};

std::expected<Pty, std::string> create_pty() {
  Pty pty;
  pty.master = ::posix_openpt(O_RDWR | O_NOCTTY);
  if (pty.master < 0) return std::unexpected(fmt::format("cannot create a pseudo-terminal: {}", errno_text()));
  std::array<char, 128> name{};
  if (::grantpt(pty.master) != 0 || ::unlockpt(pty.master) != 0 ||
      ::ptsname_r(pty.master, name.data(), name.size()) != 0) {
    const std::string why = errno_text();
    ::close(pty.master);
    return std::unexpected(fmt::format("cannot set up a pseudo-terminal: {}", why));
  }
  pty.slave_name = name.data();
  // Holding the slave open keeps the master readable while no client has it open.
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

/// Points `link` at `target`, replacing a stale symlink but no other kind of file.
std::expected<void, std::string> make_symlink(const fs::path& link, const std::string& target) {
  std::error_code ec;
  const auto status = fs::symlink_status(link, ec);
  if (!ec && fs::exists(status)) {
    if (!fs::is_symlink(status)) {
      return std::unexpected(fmt::format("{} exists and is not a symlink; choose another path with "
                                         "--modbus-rtu pty:PATH", link.string()));
    }
    fs::remove(link, ec);
  }
  fs::create_symlink(target, link, ec);
  if (ec) {
    return std::unexpected(fmt::format("cannot create the symlink {}: {}; choose another path with "
                                       "--modbus-rtu pty:PATH", link.string(), ec.message()));
  }
  return {};
}

}  // namespace

struct RtuPort::Impl : std::enable_shared_from_this<RtuPort::Impl> {
  Impl(asio::io_context& io, ModbusContext& c, std::string p, bool is_pty)
      : context(c), path(std::move(p)), pty(is_pty), poll(io) {}

  /// Applies the meter's link settings when they differ from those in force.
  void follow_settings() {
    const Settings& s = context.twin.meter().settings();
    if (s.modbus_baud_code == baud_code && s.parity == parity) return;
    if (::tcdrain(fd) != 0 && errno != EINTR) log_line("modbus rtu {}: tcdrain: {}", path, errno_text());
    if (!configure(fd, modbus_baud_rate(s.modbus_baud_code), s.parity, pty)) {
      log_line("modbus rtu {}: cannot set {} baud, parity {}: {}", path, modbus_baud_rate(s.modbus_baud_code),
               to_string(s.parity), errno_text());
    } else {
      log_line("modbus rtu {}: now {} baud, parity {}{}", path, modbus_baud_rate(s.modbus_baud_code),
               to_string(s.parity), pty ? " (logical only on a pseudo-terminal)" : "");
    }
    baud_code = s.modbus_baud_code;
    parity = s.parity;
  }

  void watch_settings() {
    poll.expires_after(kSettingsPoll);
    poll.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      const auto self = weak.lock();
      if (ec || !self || !self->session || self->session->closed()) return;
      if (!self->session->busy()) self->follow_settings();
      self->watch_settings();
    });
  }

  /// Creates the pseudo-terminal and its symlink.
  std::expected<void, std::string> attach_pty() {
    auto created = create_pty();
    if (!created) return std::unexpected(fmt::format("{}; check --modbus-rtu", created.error()));
    fd = created->master;
    slave = created->slave;
    slave_name = created->slave_name;
    if (auto ok = make_symlink(path, slave_name); !ok) {
      ::close(fd);
      release();
      return ok;
    }
    linked = true;
    return {};
  }

  /// Opens the serial device.
  std::expected<void, std::string> attach_serial() {
    fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
      return std::unexpected(fmt::format("cannot open serial device {}: {}; check --modbus-rtu (or give "
                                         "pty:PATH for a pseudo-terminal)", path, errno_text()));
    }
    if (::isatty(fd) == 0) {
      ::close(fd);
      return std::unexpected(fmt::format("{} is not a serial device; check --modbus-rtu (or give pty:PATH "
                                         "for a pseudo-terminal)", path));
    }
    return {};
  }

  /// Hands `fd` to the RTU session and starts serving.
  void start(asio::io_context& io, bool pacing) {
    RtuLinkOptions options;
    options.pacing = pacing;
    options.reconfigure = [weak = weak_from_this()] {
      if (const auto self = weak.lock()) self->follow_settings();
    };
    options.on_error = [p = path](const boost::system::error_code& ec) {
      log_line("modbus rtu {}: {}; the port is closed", p, ec.message());
    };
    session = std::make_shared<RtuSession<Descriptor>>(Descriptor(io, fd), context, TraceSource{"rtu", path},
                                                       std::move(options));
    session->start();
    watch_settings();
  }

  /// Closes the pty's slave and removes the symlink if it still points to it.
  void release() {
    if (slave >= 0) ::close(slave);
    slave = -1;
    std::error_code ec;
    if (linked && fs::is_symlink(path, ec) && fs::read_symlink(path, ec) == fs::path(slave_name)) {
      fs::remove(path, ec);
    }
    linked = false;
  }

  ModbusContext& context;
  std::string path;
  bool pty;
  bool linked = false;
  int fd = -1;        ///< the master or the device (owned by `session`'s descriptor)
  int slave = -1;     ///< pty only: held open
  std::string slave_name;
  std::uint8_t baud_code = 0;
  Parity parity = Parity::none;
  asio::steady_timer poll;
  std::shared_ptr<RtuSession<Descriptor>> session;
};

std::expected<std::unique_ptr<RtuPort>, std::string> RtuPort::open(asio::io_context& io, const RtuPortSpec& spec,
                                                                   ModbusContext& context, bool pacing) {
  auto impl = std::make_shared<Impl>(io, context, spec.path.string(), spec.pty);
  auto opened = spec.pty ? impl->attach_pty() : impl->attach_serial();
  if (!opened) return std::unexpected(opened.error());
  const Settings& s = context.twin.meter().settings();
  if (!configure(impl->fd, modbus_baud_rate(s.modbus_baud_code), s.parity, spec.pty)) {
    const std::string why = errno_text();
    ::close(impl->fd);
    impl->release();
    return std::unexpected(fmt::format("cannot configure {}: {}; check --modbus-rtu", spec.path.string(), why));
  }
  impl->baud_code = s.modbus_baud_code;
  impl->parity = s.parity;
  impl->start(io, pacing);
  return std::unique_ptr<RtuPort>(new RtuPort(spec, std::move(impl)));
}

RtuPort::RtuPort(RtuPortSpec spec, std::shared_ptr<Impl> impl) : spec_(std::move(spec)), impl_(std::move(impl)) {}

RtuPort::~RtuPort() {
  impl_->poll.cancel();
  if (impl_->session) impl_->session->close();
  impl_->release();
}

}  // namespace ambi
