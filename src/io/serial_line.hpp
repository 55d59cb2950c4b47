#pragma once
// Serial lines for the twin and the tools alike: termios set-up of a device or
// pseudo-terminal, and creating a pseudo-terminal. Linux refuses PARENB on a
// pseudo-terminal, so there the parity is not applied.

#include <termios.h>

#include <cstdint>
#include <expected>
#include <optional>
#include <string>

#include "core/meter/settings.hpp"
#include "io/errno_text.hpp"

namespace ambi {

/// The termios speed of `baud` (300-115200, the Modbus baud set); nullopt for any other.
[[nodiscard]] std::optional<speed_t> termios_speed(std::uint32_t baud);

/// Sets `tio` to raw mode, 8 data bits, 1 stop bit, no flow control, receiver on, modem
/// lines ignored, `speed` both ways and `parity`. VMIN and VTIME are left to the caller.
void set_raw_line(termios& tio, speed_t speed, Parity parity);

/// Raw mode, 8 data bits, 1 stop bit, no flow control, `baud` (9600 when unknown) and
/// `parity` (not applied when `pty`). False with errno set when termios refuses.
[[nodiscard]] bool configure_serial_line(int fd, std::uint32_t baud, Parity parity, bool pty);

/// A pseudo-terminal: the master (the meter's side), the slave held open so the master
/// stays readable while no client has it open, and the slave's name.
struct PseudoTerminal {
  int master = -1;
  int slave = -1;
  std::string slave_name;
};
/// Opens a pseudo-terminal in raw mode; the error is one line.
[[nodiscard]] std::expected<PseudoTerminal, std::string> create_pseudo_terminal();

}  // namespace ambi
