#pragma once
// The shared half of the twin's serial ports (docs/modbus-transports.md, docs/mbus-transports.md):
// `--modbus-rtu` and `--mbus-serial` each serve one line (a device, or a pseudo-terminal
// linked at a path of the user's choice) with one session of their protocol, set the line
// to the meter's settings and follow them when they change, and open a lost device again.
// The protocol says what the settings ask of the line and starts the session; when the
// line may change (after a reply, R8) is the session's rule.

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "net/connection.hpp"
#include "twin/service/twin.hpp"
#include "twin/transport/serial_attachment.hpp"

namespace ambi {

/// What a line is set to besides 8 data bits and 1 stop bit.
struct LineSettings {
  std::uint32_t baud = 0;
  Parity parity = Parity::even;
  friend bool operator==(const LineSettings&, const LineSettings&) = default;
};

/// One serial port of the twin serving one protocol. Single-threaded, on the run's
/// io_context; the port owning it calls `close` when it goes.
class SerialFace : public std::enable_shared_from_this<SerialFace> {
 public:
  using Descriptor = boost::asio::posix::stream_descriptor;

  /// What the face asks of the session it starts (the session's options carry these).
  struct Hooks {
    std::function<void(const boost::system::error_code&)> on_error;  ///< the line failed
    std::function<void()> on_idle;  ///< nothing served or sent: a deferred change applies
    std::function<void()> follow;   ///< a reply that changed the settings has left: apply them
  };

  /// What makes the face Modbus RTU or M-bus.
  struct Protocol {
    std::string_view name;      ///< "modbus rtu": starts every log line
    std::string flag;           ///< "--modbus-rtu": named in errors
    std::string_view pty_note;  ///< added to a log line of a pty's settings
    /// What the meter's settings ask of the line.
    std::function<LineSettings(const Settings&)> line;
    /// "9600 baud, parity even", for the log.
    std::function<std::string(const LineSettings&)> describe;
    /// Starts the protocol's session on `line` (the descriptor owns `line.fd`) with `hooks`.
    std::function<std::shared_ptr<Connection>(Descriptor descriptor, const SerialAttachment& line,
                                              Hooks hooks)>
        start;
  };

  /// Opens the device, or creates the pseudo-terminal and its symlink (replacing a stale
  /// symlink, refusing any other file), at the line settings the meter asks for, and starts
  /// serving. Errors are one line naming `protocol.flag`.
  [[nodiscard]] static std::expected<std::shared_ptr<SerialFace>, std::string> open(
      boost::asio::io_context& io, const SerialPortSpec& spec, Twin& twin, Protocol protocol);

  /// Stops serving: closes the line and removes the pty symlink.
  void close();

  SerialFace(boost::asio::io_context& io, Twin& twin, Protocol protocol, SerialAttachment line);

 private:
  void start();
  /// The meter's link settings changed: applied now when the session is idle, else once it is.
  void settings_changed();
  /// Sets the line to what the meter's settings ask, once the bytes written have left.
  void follow_settings();
  void lost(const boost::system::error_code& error);
  bool reopen();

  Twin& twin_;
  Protocol protocol_;
  SerialAttachment line_;
  LineSettings in_force_;
  boost::asio::steady_timer retry_;  ///< opening a lost device again
  std::shared_ptr<Connection> session_;
  LinkSubscription subscription_;
  bool deferred_ = false;  ///< a change arrived while the session was busy
  bool closed_ = false;
};

}  // namespace ambi
