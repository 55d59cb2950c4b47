#include "twin/transport/mbus_serial_port.hpp"

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

/// How often the port looks for a baud rate changed by another path (HTTP, M-bus TCP).
constexpr std::chrono::milliseconds kSettingsPoll{250};
constexpr std::string_view kFlag = "--mbus-serial";

}  // namespace

struct MbusSerialPort::Impl : std::enable_shared_from_this<MbusSerialPort::Impl> {
  Impl(asio::io_context& io, MbusContext& c, SerialAttachment attached, bool paced)
      : context(c), line(std::move(attached)), pacing(paced), poll(io), retry(io) {}

  /// Waits for the bytes written to leave, then sets `rate` (8E1).
  void set_baud(std::uint32_t rate) {
    if (rate == baud) return;
    if (::tcdrain(line.fd) != 0 && errno != EINTR)
      log_line("mbus serial {}: tcdrain: {}", line.path, errno_text());
    if (!configure_serial_line(line.fd, rate, Parity::even, line.pty)) {
      log_line("mbus serial {}: cannot set {} baud: {}", line.path, rate, errno_text());
    } else {
      log_line("mbus serial {}: now {} baud, 8E1{}", line.path, rate,
               line.pty ? " (parity logical only on a pseudo-terminal)" : "");
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

  void start() {
    MbusLinkOptions options;
    options.turnaround = true;
    options.pacing = pacing;
    options.switch_baud = [weak = weak_from_this()](std::uint32_t rate) {
      if (const auto self = weak.lock()) self->set_baud(rate);
    };
    options.on_error = [weak = weak_from_this()](const boost::system::error_code& ec) {
      if (const auto self = weak.lock()) self->lost(ec);
    };
    session = std::make_shared<MbusSession<Descriptor>>(
        Descriptor(poll.get_executor(), line.fd), context, TraceSource{"mbus-serial", line.path},
        std::move(options));
    session->start();
    watch_settings();
  }

  /// The line failed. A device (a USB adapter unplugged) is opened again every second until
  /// it is back; a pty of our own cannot come back.
  void lost(const boost::system::error_code& ec) {
    serial_line_lost("mbus serial", line, ec, retry, [weak = weak_from_this()] {
      const auto self = weak.lock();
      return !self || self->reopen();
    });
  }

  bool reopen() {
    const std::uint32_t rate = context.twin.meter().settings().mbus_baud;
    auto again = SerialAttachment::open(line.path, false, rate, Parity::even, kFlag);
    if (!again) return false;
    line = std::move(*again);
    baud = rate;
    start();
    log_line("mbus serial {}: open again, {} baud, 8E1", line.path, rate);
    return true;
  }

  MbusContext& context;
  SerialAttachment line;
  bool pacing = false;
  std::uint32_t baud = 0;
  asio::steady_timer poll;
  asio::steady_timer retry;  ///< opening a lost device again
  std::shared_ptr<MbusSession<Descriptor>> session;
};

std::expected<std::unique_ptr<MbusSerialPort>, std::string> MbusSerialPort::open(
    asio::io_context& io, const RtuPortSpec& spec, MbusContext& context, bool pacing) {
  const std::uint32_t baud = context.twin.meter().settings().mbus_baud;
  auto line = SerialAttachment::open(spec.path.string(), spec.pty, baud, Parity::even, kFlag);
  if (!line) return std::unexpected(line.error());
  auto impl = std::make_shared<Impl>(io, context, std::move(*line), pacing);
  impl->baud = baud;
  impl->start();
  return std::unique_ptr<MbusSerialPort>(new MbusSerialPort(spec, std::move(impl)));
}

MbusSerialPort::MbusSerialPort(RtuPortSpec spec, std::shared_ptr<Impl> impl)
    : spec_(std::move(spec)), impl_(std::move(impl)) {}

MbusSerialPort::~MbusSerialPort() {
  impl_->poll.cancel();
  impl_->retry.cancel();
  if (impl_->session) impl_->session->close();
  impl_->line.release();
}

}  // namespace ambi
