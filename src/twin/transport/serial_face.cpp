#include "twin/transport/serial_face.hpp"

#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "io/log.hpp"

namespace ambi {

namespace asio = boost::asio;

std::expected<std::shared_ptr<SerialFace>, std::string> SerialFace::open(asio::io_context& io,
                                                                         const SerialPortSpec& spec,
                                                                         Twin& twin,
                                                                         Protocol protocol) {
  const LineSettings wanted = protocol.line(twin.meter().settings());
  auto line = SerialAttachment::open(spec.path.string(), spec.pty, wanted.baud, wanted.parity,
                                     protocol.flag);
  if (!line) return std::unexpected(line.error());
  auto face = std::make_shared<SerialFace>(io, twin, std::move(protocol), std::move(*line));
  face->in_force_ = wanted;
  face->subscription_ =
      twin.on_link_change([weak = std::weak_ptr<SerialFace>(face)](const LinkSettings&) {
        if (const auto self = weak.lock()) self->settings_changed();
      });
  face->start();
  return face;
}

SerialFace::SerialFace(asio::io_context& io, Twin& twin, Protocol protocol, SerialAttachment line)
    : twin_(twin), protocol_(std::move(protocol)), line_(std::move(line)), retry_(io) {}

void SerialFace::start() {
  Hooks hooks;
  hooks.on_error = [weak = weak_from_this()](const boost::system::error_code& ec) {
    if (const auto self = weak.lock()) self->lost(ec);
  };
  hooks.on_idle = [weak = weak_from_this()] {
    const auto self = weak.lock();
    if (self && std::exchange(self->deferred_, false)) self->follow_settings();
  };
  hooks.follow = [weak = weak_from_this()] {
    if (const auto self = weak.lock()) self->follow_settings();
  };
  deferred_ = false;
  session_ = protocol_.start(Descriptor(retry_.get_executor(), line_.fd), line_, std::move(hooks));
}

void SerialFace::settings_changed() {
  if (closed_ || !session_ || session_->closed()) return;  // a reopen reads them afresh
  if (session_->busy()) {
    deferred_ = true;
    return;
  }
  follow_settings();
}

void SerialFace::follow_settings() {
  deferred_ = false;
  const LineSettings wanted = protocol_.line(twin_.meter().settings());
  if (closed_ || wanted == in_force_) return;
  if (::tcdrain(line_.fd) != 0 && errno != EINTR)
    log_line("{} {}: tcdrain: {}", protocol_.name, line_.path, errno_text());
  if (!configure_serial_line(line_.fd, wanted.baud, wanted.parity, line_.pty)) {
    log_line("{} {}: cannot set {}: {}", protocol_.name, line_.path, protocol_.describe(wanted),
             errno_text());
  } else {
    log_line("{} {}: now {}{}", protocol_.name, line_.path, protocol_.describe(wanted),
             line_.pty ? protocol_.pty_note : "");
  }
  in_force_ = wanted;
}

/// The line failed. A device (a USB adapter unplugged) is opened again every second until
/// it is back; a pty of our own cannot come back.
void SerialFace::lost(const boost::system::error_code& error) {
  serial_line_lost(protocol_.name, line_, error, retry_, [weak = weak_from_this()] {
    const auto self = weak.lock();
    return !self || self->closed_ || self->reopen();
  });
}

bool SerialFace::reopen() {
  const LineSettings wanted = protocol_.line(twin_.meter().settings());
  auto again =
      SerialAttachment::open(line_.path, false, wanted.baud, wanted.parity, protocol_.flag);
  if (!again) return false;
  line_ = std::move(*again);
  in_force_ = wanted;
  start();
  log_line("{} {}: open again, {}", protocol_.name, line_.path, protocol_.describe(wanted));
  return true;
}

void SerialFace::close() {
  closed_ = true;
  subscription_.reset();
  retry_.cancel();
  if (session_) session_->close();
  line_.release();
}

}  // namespace ambi
