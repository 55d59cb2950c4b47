#include "app/mbus_serial_port.hpp"

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

/// How often the port looks for a baud rate changed by another path (HTTP, M-bus TCP).
constexpr std::chrono::milliseconds kSettingsPoll{250};
constexpr std::string_view kFlag = "--mbus-serial";

}  // namespace

struct MbusSerialPort::Impl : std::enable_shared_from_this<MbusSerialPort::Impl> {
  Impl(asio::io_context& io, MbusContext& c, std::string p, bool is_pty)
      : context(c), path(std::move(p)), pty(is_pty), poll(io) {}

  /// Waits for the bytes written to leave, then sets `rate` (8E1).
  void set_baud(std::uint32_t rate) {
    if (rate == baud) return;
    if (::tcdrain(fd) != 0 && errno != EINTR) log_line("mbus serial {}: tcdrain: {}", path, errno_text());
    if (!configure_serial_line(fd, rate, Parity::even, pty)) {
      log_line("mbus serial {}: cannot set {} baud: {}", path, rate, errno_text());
    } else {
      log_line("mbus serial {}: now {} baud, 8E1{}", path, rate, pty ? " (parity logical only on a pseudo-terminal)" : "");
    }
    baud = rate;
  }

  void watch_settings() {
    poll.expires_after(kSettingsPoll);
    poll.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      const auto self = weak.lock();
      if (ec || !self || !self->session || self->session->closed()) return;
      if (!self->session->busy()) self->set_baud(self->context.twin.meter().settings().mbus_baud);
      self->watch_settings();
    });
  }

  std::expected<void, std::string> attach_pty() {
    auto created = create_pseudo_terminal();
    if (!created) return std::unexpected(fmt::format("{}; check {}", created.error(), kFlag));
    fd = created->master;
    slave = created->slave;
    slave_name = created->slave_name;
    if (auto ok = make_pty_symlink(path, slave_name, kFlag); !ok) {
      ::close(fd);
      release();
      return ok;
    }
    linked = true;
    return {};
  }

  std::expected<void, std::string> attach_serial() {
    fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
      return std::unexpected(fmt::format("cannot open serial device {}: {}; check {} (or give pty:PATH for a "
                                         "pseudo-terminal)", path, errno_text(), kFlag));
    }
    if (::isatty(fd) == 0) {
      ::close(fd);
      return std::unexpected(fmt::format("{} is not a serial device; check {} (or give pty:PATH for a "
                                         "pseudo-terminal)", path, kFlag));
    }
    return {};
  }

  void start(asio::io_context& io, bool pacing) {
    MbusLinkOptions options;
    options.turnaround = true;
    options.pacing = pacing;
    options.switch_baud = [weak = weak_from_this()](std::uint32_t rate) {
      if (const auto self = weak.lock()) self->set_baud(rate);
    };
    options.on_error = [p = path](const boost::system::error_code& ec) {
      log_line("mbus serial {}: {}; the port is closed", p, ec.message());
    };
    session = std::make_shared<MbusSession<Descriptor>>(Descriptor(io, fd), context, TraceSource{"mbus-serial", path},
                                                        std::move(options));
    session->start();
    watch_settings();
  }

  void release() {
    if (slave >= 0) ::close(slave);
    slave = -1;
    if (linked) remove_pty_symlink(path, slave_name);
    linked = false;
  }

  MbusContext& context;
  std::string path;
  bool pty;
  bool linked = false;
  int fd = -1;     ///< the master or the device (owned by `session`'s descriptor)
  int slave = -1;  ///< pty only: held open
  std::string slave_name;
  std::uint32_t baud = 0;
  asio::steady_timer poll;
  std::shared_ptr<MbusSession<Descriptor>> session;
};

std::expected<std::unique_ptr<MbusSerialPort>, std::string> MbusSerialPort::open(asio::io_context& io,
                                                                                 const RtuPortSpec& spec,
                                                                                 MbusContext& context, bool pacing) {
  auto impl = std::make_shared<Impl>(io, context, spec.path.string(), spec.pty);
  auto opened = spec.pty ? impl->attach_pty() : impl->attach_serial();
  if (!opened) return std::unexpected(opened.error());
  const std::uint32_t baud = context.twin.meter().settings().mbus_baud;
  if (!configure_serial_line(impl->fd, baud, Parity::even, spec.pty)) {
    const std::string why = errno_text();
    ::close(impl->fd);
    impl->release();
    return std::unexpected(fmt::format("cannot configure {}: {}; check {}", spec.path.string(), why, kFlag));
  }
  impl->baud = baud;
  impl->start(io, pacing);
  return std::unique_ptr<MbusSerialPort>(new MbusSerialPort(spec, std::move(impl)));
}

MbusSerialPort::MbusSerialPort(RtuPortSpec spec, std::shared_ptr<Impl> impl)
    : spec_(std::move(spec)), impl_(std::move(impl)) {}

MbusSerialPort::~MbusSerialPort() {
  impl_->poll.cancel();
  if (impl_->session) impl_->session->close();
  impl_->release();
}

}  // namespace ambi
