#include "app/modbus_rtu_port.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <fmt/format.h>

#include "app/log.hpp"
#include "app/serial_line.hpp"

namespace ambi {

namespace asio = boost::asio;
using Descriptor = asio::posix::stream_descriptor;

namespace {

/// How often the port looks for settings changed by another path (HTTP, Modbus TCP).
constexpr std::chrono::milliseconds kSettingsPoll{250};

}  // namespace

struct RtuPort::Impl : std::enable_shared_from_this<RtuPort::Impl> {
  Impl(asio::io_context& io, ModbusContext& c, std::string p, bool is_pty)
      : context(c), path(std::move(p)), pty(is_pty), poll(io) {}

  /// Applies the meter's link settings when they differ from those in force.
  void follow_settings() {
    const Settings& s = context.twin.meter().settings();
    if (s.modbus_baud_code == baud_code && s.parity == parity) return;
    if (::tcdrain(fd) != 0 && errno != EINTR) log_line("modbus rtu {}: tcdrain: {}", path, errno_text());
    if (!configure_serial_line(fd, modbus_baud_rate(s.modbus_baud_code), s.parity, pty)) {
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
    auto created = create_pseudo_terminal();
    if (!created) return std::unexpected(fmt::format("{}; check --modbus-rtu", created.error()));
    fd = created->master;
    slave = created->slave;
    slave_name = created->slave_name;
    if (auto ok = make_pty_symlink(path, slave_name, "--modbus-rtu"); !ok) {
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
    if (linked) remove_pty_symlink(path, slave_name);
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
  if (!configure_serial_line(impl->fd, modbus_baud_rate(s.modbus_baud_code), s.parity, spec.pty)) {
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
