#pragma once
// What the serial faces of `ambimeter run` share (Modbus RTU and M-bus): the line they serve
// (a device, or a pseudo-terminal linked at a path of the user's choice) and what happens
// when a device goes away.

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "io/serial_line.hpp"

namespace ambi {

/// Where a serial port is (`--modbus-rtu`, `--mbus-serial`).
struct SerialPortSpec {
  std::filesystem::path path;  ///< the serial device, or the symlink to create for a pty
  bool pty = false;            ///< `pty:PATH`
};

/// Points `link` at `target`, replacing a stale symlink but no other kind of file. Errors
/// name `flag` ("--modbus-rtu") as the option to change.
[[nodiscard]] std::expected<void, std::string> make_pty_symlink(const std::filesystem::path& link,
                                                                const std::string& target,
                                                                std::string_view flag);

/// Removes `link` when it still points to `target`.
void remove_pty_symlink(const std::filesystem::path& link, const std::string& target);

/// The line a serial face of the twin serves (`--modbus-rtu`, `--mbus-serial`): a device it
/// opened, or a pseudo-terminal whose slave it holds open, linked at `path`.
struct SerialAttachment {
  std::string path;
  bool pty = false;
  int fd = -1;  ///< the device or the pty's master: handed to a stream descriptor, which closes it
  int slave = -1;  ///< pty only: held open so the master stays readable without a client
  std::string slave_name;
  bool linked = false;  ///< the symlink at `path` is ours

  /// Opens the device (or creates the pty and its symlink) and configures it at `baud` and
  /// `parity` (see `configure_serial_line`). Errors are one line naming `flag`.
  [[nodiscard]] static std::expected<SerialAttachment, std::string> open(
      const std::string& path, bool pty, std::uint32_t baud, Parity parity, std::string_view flag);
  /// Closes the pty's slave and removes the symlink if it still points to it.
  void release();
};

/// How often a serial face tries to open its device again after the device failed (a USB
/// adapter unplugged): until it is back.
inline constexpr std::chrono::seconds kSerialReopenInterval{1};

/// The line of serial face `face` ("modbus rtu") failed with `error`. A device (a USB adapter
/// unplugged) gets `reopen` called every `kSerialReopenInterval` on `timer` until it returns
/// true (or `timer` is cancelled); a pty of the twin's own cannot come back and stays closed.
/// Both are logged once.
void serial_line_lost(std::string_view face, const SerialAttachment& line,
                      const boost::system::error_code& error, boost::asio::steady_timer& timer,
                      std::function<bool()> reopen);

}  // namespace ambi
