#pragma once
// The meter's RS485 port for `ambimeter run --modbus-rtu` (docs/modbus-transports.md): a
// real serial device configured with termios from the meter's settings (baud 4004, parity
// 4011; 8 data bits, 1 stop bit: R3), or a pseudo-terminal the twin creates, with a
// symlink at a path of the user's choice. Linux refuses PARENB on a pseudo-terminal, so
// there the parity is a setting only: nothing on the line carries it.

#include <boost/asio/io_context.hpp>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "twin/transport/modbus_link.hpp"
#include "twin/transport/serial_face.hpp"

namespace ambi {

/// How the port treats its line.
struct RtuPortOptions {
  bool pacing = false;       ///< `--rtu-pacing`: replies leave one byte per character time
  bool ignore_gaps = false;  ///< `--rtu-ignore-gaps`: a device's frames may pause > t1.5
  /// A bus of a fleet (context.bus): the line stays at this, whatever a meter is set to;
  /// replies are paced and the line is half duplex (RtuLinkOptions::half_duplex).
  std::optional<LineSettings> fixed_line;
  /// What errors tell the user to check: the option, or a fleet file's "its device".
  std::string flag = "--modbus-rtu";
};

/// An open RTU port serving the meter (a `SerialFace` with the RTU session). The line
/// follows the meter's settings: after the reply that changed them (R8), or as soon as the
/// line is idle when they changed another way (the twin announces every change).
class RtuPort {
 public:
  /// Opens the device, or creates the pseudo-terminal and its symlink (replacing a stale
  /// symlink, refusing any other file). Errors are one line naming `--modbus-rtu`.
  [[nodiscard]] static std::expected<std::unique_ptr<RtuPort>, std::string> open(
      boost::asio::io_context& io, const SerialPortSpec& spec, ModbusContext& context,
      RtuPortOptions options);

  /// Closes the port and removes the pty symlink.
  ~RtuPort();
  RtuPort(const RtuPort&) = delete;
  RtuPort& operator=(const RtuPort&) = delete;

  /// The path clients open (the symlink for a pty).
  [[nodiscard]] const std::filesystem::path& path() const { return spec_.path; }

 private:
  RtuPort(SerialPortSpec spec, std::shared_ptr<SerialFace> face);
  SerialPortSpec spec_;
  std::shared_ptr<SerialFace> face_;
};

}  // namespace ambi
