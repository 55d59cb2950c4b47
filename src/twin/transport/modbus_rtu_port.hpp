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
#include <string>

#include "twin/transport/modbus_link.hpp"

namespace ambi {

/// Where the port is.
struct RtuPortSpec {
  std::filesystem::path path;  ///< the serial device, or the symlink to create for a pty
  bool pty = false;            ///< `--modbus-rtu pty:PATH`
};

/// How the port treats its line.
struct RtuPortOptions {
  bool pacing = false;       ///< `--rtu-pacing`: replies leave one byte per character time
  bool ignore_gaps = false;  ///< `--rtu-ignore-gaps`: a device's frames may pause > t1.5
};

/// An open RTU port serving the meter. The link follows the meter's settings: after a
/// reply that changed them (R8), or within a moment when they changed another way.
class RtuPort {
 public:
  /// Opens the device, or creates the pseudo-terminal and its symlink (replacing a stale
  /// symlink, refusing any other file). Errors are one line naming `--modbus-rtu`.
  [[nodiscard]] static std::expected<std::unique_ptr<RtuPort>, std::string> open(
      boost::asio::io_context& io, const RtuPortSpec& spec, ModbusContext& context,
      RtuPortOptions options);

  /// Closes the port and removes the pty symlink.
  ~RtuPort();
  RtuPort(const RtuPort&) = delete;
  RtuPort& operator=(const RtuPort&) = delete;

  /// The path clients open (the symlink for a pty).
  [[nodiscard]] const std::filesystem::path& path() const { return spec_.path; }

  struct Impl;  ///< the descriptors, the session and the settings in force

 private:
  RtuPort(RtuPortSpec spec, std::shared_ptr<Impl> impl);
  RtuPortSpec spec_;
  std::shared_ptr<Impl> impl_;
};

}  // namespace ambi
