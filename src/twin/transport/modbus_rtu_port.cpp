#include "twin/transport/modbus_rtu_port.hpp"

#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <utility>

#include "io/log.hpp"
#include "twin/transport/serial_attachment.hpp"

namespace ambi {

namespace asio = boost::asio;
using Descriptor = asio::posix::stream_descriptor;

namespace {

/// How often the port looks for settings changed by another path (HTTP, Modbus TCP).
constexpr std::chrono::milliseconds kSettingsPoll{250};

}  // namespace

struct RtuPort::Impl : std::enable_shared_from_this<RtuPort::Impl> {
  Impl(asio::io_context& io, ModbusContext& c, SerialAttachment attached, RtuPortOptions o)
      : context(c), line(std::move(attached)), port_options(o), poll(io), retry(io) {}

  /// Applies the meter's link settings when they differ from those in force.
  void follow_settings() {
    const Settings& s = context.twin.meter().settings();
    if (s.modbus_baud_code == baud_code && s.parity == parity) return;
    if (::tcdrain(line.fd) != 0 && errno != EINTR)
      log_line("modbus rtu {}: tcdrain: {}", line.path, errno_text());
    if (!configure_serial_line(line.fd, modbus_baud_rate(s.modbus_baud_code), s.parity, line.pty)) {
      log_line("modbus rtu {}: cannot set {} baud, parity {}: {}", line.path,
               modbus_baud_rate(s.modbus_baud_code), to_string(s.parity), errno_text());
    } else {
      log_line("modbus rtu {}: now {} baud, parity {}{}", line.path,
               modbus_baud_rate(s.modbus_baud_code), to_string(s.parity),
               line.pty ? " (logical only on a pseudo-terminal)" : "");
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

  /// Hands `line.fd` to the RTU session and starts serving.
  void start() {
    RtuLinkOptions options;
    options.pacing = port_options.pacing;
    // A pty delivers bytes whenever the kernel passes them on: only a device has line timing.
    options.check_gaps = !line.pty && !port_options.ignore_gaps;
    options.reconfigure = [weak = weak_from_this()] {
      if (const auto self = weak.lock()) self->follow_settings();
    };
    options.on_error = [weak = weak_from_this()](const boost::system::error_code& ec) {
      if (const auto self = weak.lock()) self->lost(ec);
    };
    session =
        std::make_shared<RtuSession<Descriptor>>(Descriptor(poll.get_executor(), line.fd), context,
                                                 TraceSource{"rtu", line.path}, std::move(options));
    session->start();
    watch_settings();
  }

  /// The line failed. A device (a USB adapter unplugged) is opened again every second until
  /// it is back; a pty of our own cannot come back.
  void lost(const boost::system::error_code& ec) {
    serial_line_lost("modbus rtu", line, ec, retry, [weak = weak_from_this()] {
      const auto self = weak.lock();
      return !self || self->reopen();
    });
  }

  bool reopen() {
    const Settings& s = context.twin.meter().settings();
    auto again = SerialAttachment::open(line.path, false, modbus_baud_rate(s.modbus_baud_code),
                                        s.parity, "--modbus-rtu");
    if (!again) return false;
    line = std::move(*again);
    baud_code = s.modbus_baud_code;
    parity = s.parity;
    start();
    log_line("modbus rtu {}: open again, {} baud, parity {}", line.path,
             modbus_baud_rate(baud_code), to_string(parity));
    return true;
  }

  ModbusContext& context;
  SerialAttachment line;
  RtuPortOptions port_options;
  std::uint8_t baud_code = 0;
  Parity parity = Parity::none;
  asio::steady_timer poll;
  asio::steady_timer retry;  ///< opening a lost device again
  std::shared_ptr<RtuSession<Descriptor>> session;
};

std::expected<std::unique_ptr<RtuPort>, std::string> RtuPort::open(asio::io_context& io,
                                                                   const RtuPortSpec& spec,
                                                                   ModbusContext& context,
                                                                   RtuPortOptions options) {
  const Settings& s = context.twin.meter().settings();
  auto line = SerialAttachment::open(
      spec.path.string(), spec.pty, modbus_baud_rate(s.modbus_baud_code), s.parity, "--modbus-rtu");
  if (!line) return std::unexpected(line.error());
  auto impl = std::make_shared<Impl>(io, context, std::move(*line), options);
  impl->baud_code = s.modbus_baud_code;
  impl->parity = s.parity;
  impl->start();
  return std::unique_ptr<RtuPort>(new RtuPort(spec, std::move(impl)));
}

RtuPort::RtuPort(RtuPortSpec spec, std::shared_ptr<Impl> impl)
    : spec_(std::move(spec)), impl_(std::move(impl)) {}

RtuPort::~RtuPort() {
  impl_->poll.cancel();
  impl_->retry.cancel();
  if (impl_->session) impl_->session->close();
  impl_->line.release();
}

}  // namespace ambi
