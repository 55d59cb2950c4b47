#pragma once
// The meter's M-bus port for `ambimeter run --mbus-serial` (docs/mbus-transports.md): a
// serial device behind an M-bus level converter, 8E1 at the meter's M-bus baud rate
// (manual A2), or a pseudo-terminal the twin creates with a symlink at a chosen path, where
// the parity is logical only (Linux refuses PARENB on a pty).

#include <boost/asio/io_context.hpp>
#include <expected>
#include <filesystem>
#include <memory>
#include <string>

#include "twin/transport/mbus_link.hpp"
#include "twin/transport/serial_face.hpp"

namespace ambi {

/// An open M-bus port (a `SerialFace` with the M-bus session). A baud change asked by SND_UD
/// (CI B8-BD) applies once the E5 has left the line (tcdrain); a change made another way
/// applies as soon as the line is idle (the twin announces every change).
class MbusSerialPort {
 public:
  /// Opens the device, or creates the pseudo-terminal and its symlink (replacing a stale
  /// symlink, refusing any other file). Errors are one line naming `--mbus-serial`. Answers
  /// start 11 bit times after the request (EN 13757-2); `pacing` sends them one byte per
  /// character time (`--mbus-pacing`).
  [[nodiscard]] static std::expected<std::unique_ptr<MbusSerialPort>, std::string> open(
      boost::asio::io_context& io, const SerialPortSpec& spec, MbusContext& context,
      bool pacing = false, std::string flag = "--mbus-serial");

  /// Closes the port and removes the pty symlink.
  ~MbusSerialPort();
  MbusSerialPort(const MbusSerialPort&) = delete;
  MbusSerialPort& operator=(const MbusSerialPort&) = delete;

  /// The path clients open (the symlink for a pty).
  [[nodiscard]] const std::filesystem::path& path() const { return spec_.path; }

 private:
  MbusSerialPort(SerialPortSpec spec, std::shared_ptr<SerialFace> face);
  SerialPortSpec spec_;
  std::shared_ptr<SerialFace> face_;
};

}  // namespace ambi
