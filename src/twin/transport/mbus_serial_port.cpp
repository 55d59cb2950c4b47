#include "twin/transport/mbus_serial_port.hpp"

#include <fmt/format.h>

#include <utility>

#include "twin/transport/mbus_line.hpp"

namespace ambi {

namespace {

/// The M-bus line: the meter's M-bus baud rate, always 8E1 (manual A2).
LineSettings mbus_line(const Settings& s) {
  return {s.mbus_baud, Parity::even};
}

std::string describe(const LineSettings& line) {
  return fmt::format("{} baud, 8E1", line.baud);
}

}  // namespace

std::expected<std::unique_ptr<MbusSerialPort>, std::string> MbusSerialPort::open(
    boost::asio::io_context& io, const SerialPortSpec& spec, MbusContext& context, bool pacing,
    std::string flag) {
  SerialFace::Protocol protocol{
      "mbus serial",
      std::move(flag),
      " (parity logical only on a pseudo-terminal)",
      context.line == nullptr
          ? std::function<LineSettings(const Settings&)>(mbus_line)
          : std::function<LineSettings(const Settings&)>(
                [baud = context.line->baud()](const Settings&) {
                  return LineSettings{baud, Parity::even};  // a fleet's line stays at its rate
                }),
      describe,
      [&context, pacing](SerialFace::Descriptor descriptor, const SerialAttachment& line,
                         SerialFace::Hooks hooks) -> std::shared_ptr<Connection> {
        MbusLinkOptions link;
        link.turnaround = true;
        link.pacing = pacing;
        link.switch_baud = [follow = std::move(hooks.follow)](std::uint32_t) { follow(); };
        link.on_error = std::move(hooks.on_error);
        link.on_idle = std::move(hooks.on_idle);
        auto session = std::make_shared<MbusSession<SerialFace::Descriptor>>(
            std::move(descriptor), context, TraceSource{"mbus-serial", line.path}, std::move(link));
        session->start();
        return session;
      }};
  auto face = SerialFace::open(io, spec, context.twin, std::move(protocol));
  if (!face) return std::unexpected(face.error());
  return std::unique_ptr<MbusSerialPort>(new MbusSerialPort(spec, std::move(*face)));
}

MbusSerialPort::MbusSerialPort(SerialPortSpec spec, std::shared_ptr<SerialFace> face)
    : spec_(std::move(spec)), face_(std::move(face)) {}

MbusSerialPort::~MbusSerialPort() {
  face_->close();
}

}  // namespace ambi
