#include "twin/transport/modbus_rtu_port.hpp"

#include <fmt/format.h>

#include <utility>

namespace ambi {

namespace {

/// Register 4004 and 4011: the baud rate and parity of the line.
LineSettings rtu_line(const Settings& s) {
  return {modbus_baud_rate(s.modbus_baud_code), s.parity};
}

std::string describe(const LineSettings& line) {
  return fmt::format("{} baud, parity {}", line.baud, to_string(line.parity));
}

}  // namespace

std::expected<std::unique_ptr<RtuPort>, std::string> RtuPort::open(boost::asio::io_context& io,
                                                                   const SerialPortSpec& spec,
                                                                   ModbusContext& context,
                                                                   RtuPortOptions options) {
  SerialFace::Protocol protocol{
      "modbus rtu",
      options.flag,
      " (logical only on a pseudo-terminal)",
      options.fixed_line ? std::function<LineSettings(const Settings&)>(
                               [line = *options.fixed_line](const Settings&) { return line; })
                         : std::function<LineSettings(const Settings&)>(rtu_line),
      describe,
      [&context, options](SerialFace::Descriptor descriptor, const SerialAttachment& line,
                          SerialFace::Hooks hooks) -> std::shared_ptr<Connection> {
        RtuLinkOptions link;
        // A bus is a wire: its replies leave at the line's rate, one transmitter at a time.
        link.pacing = options.pacing || options.fixed_line.has_value();
        link.half_duplex = options.fixed_line.has_value();
        // A pty delivers bytes whenever the kernel passes them on: only a device has line
        // timing.
        link.check_gaps = !line.pty && !options.ignore_gaps;
        link.reconfigure = std::move(hooks.follow);
        link.on_error = std::move(hooks.on_error);
        link.on_idle = std::move(hooks.on_idle);
        auto session = std::make_shared<RtuSession<SerialFace::Descriptor>>(
            std::move(descriptor), context, TraceSource{"rtu", line.path}, std::move(link));
        session->start();
        return session;
      }};
  auto face = SerialFace::open(io, spec, context.twin, std::move(protocol));
  if (!face) return std::unexpected(face.error());
  return std::unique_ptr<RtuPort>(new RtuPort(spec, std::move(*face)));
}

RtuPort::RtuPort(SerialPortSpec spec, std::shared_ptr<SerialFace> face)
    : spec_(std::move(spec)), face_(std::move(face)) {}

RtuPort::~RtuPort() {
  face_->close();
}

}  // namespace ambi
