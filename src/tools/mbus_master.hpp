#pragma once
// The M-bus master side of the reader tools (EN 13757-2/-3): requests to one meter by
// primary or secondary address, and the probes a scan is built from. It frames with the
// twin's own codec (core/mbus/mbus_frame.hpp) and decodes with its record table
// (core/mbus/mbus_readout.hpp); a selection has the layout the slave reads
// (core/mbus/mbus_selection.hpp).

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/mbus/mbus_readout.hpp"
#include "core/mbus/mbus_selection.hpp"
#include "io/byte_link.hpp"
#include "tools/meter_uri.hpp"

namespace ambi {

/// Why an M-bus exchange failed.
struct MbusMasterError {
  enum class Kind : std::uint8_t {
    connect,    ///< host unreachable, device missing or unusable
    timeout,    ///< no answer within the timeout, after the retries
    bad_reply,  ///< bytes that are not the expected telegram (checksum, framing, kind)
    collision,  ///< several meters answered at once (garbled bytes on a probe)
    io,
  };
  Kind kind = Kind::io;
  std::string message;  ///< one line: what happened and what to check
};

/// What a probe heard.
enum class MbusProbe : std::uint8_t {
  none,       ///< silence: no meter there
  single,     ///< one clean E5
  collision,  ///< bytes that are not one clean E5: more than one meter answered
};

/// A connection to one M-bus line (or a TCP stream carrying one). Not thread-safe.
class MbusMaster {
 public:
  virtual ~MbusMaster() = default;

  /// SND_NKE to `address`; expects E5.
  [[nodiscard]] virtual std::expected<void, MbusMasterError> reset(std::uint8_t address) = 0;
  /// REQ_UD2 to `address` (toggling the FCB as EN 13757-2 asks); the RSP_UD's user data
  /// (after CI 72) and its decoding.
  [[nodiscard]] virtual std::expected<MbusReadout, MbusMasterError> read(std::uint8_t address) = 0;
  /// SND_UD with CI 51 and `records` to `address`; expects E5 (the meter stays silent when
  /// it refuses a write: that comes back as `timeout`).
  [[nodiscard]] virtual std::expected<void, MbusMasterError> write(
      std::uint8_t address, std::span<const std::uint8_t> records) = 0;
  /// Switches the meter's baud rate (one of 300-9600) with a control frame, CI B8-BD
  /// (EN 13757-2, manual A2.1); expects E5, sent at the old rate. The link keeps its rate:
  /// talk to the meter at the new one with a new URI.
  [[nodiscard]] virtual std::expected<void, MbusMasterError> change_baud(std::uint8_t address,
                                                                         std::uint32_t baud) = 0;
  /// Selects by secondary address (SND_UD CI 52 to 0xFD, `mask.bytes()` as its data: F
  /// digits and FF bytes are wildcards) and reports what answered.
  [[nodiscard]] virtual std::expected<MbusProbe, MbusMasterError> select(
      const MbusSelection& mask) = 0;
  /// SND_NKE to a primary address and reports what answered (for the primary scan).
  [[nodiscard]] virtual std::expected<MbusProbe, MbusMasterError> probe(std::uint8_t address) = 0;
  /// Changes the answer timeout.
  virtual void set_timeout(std::chrono::milliseconds timeout) = 0;
};

/// Opens the line or connection `uri` names (an M-bus scheme).
[[nodiscard]] std::expected<std::unique_ptr<MbusMaster>, std::string> open_mbus(
    const MeterUri& uri);
/// A master on a link already open, such as an in-memory stream to a core slave
/// (io/memory_stream.hpp); `uri` gives its name in messages, the timeout, the retries and the
/// baud rate the reply window is timed by.
[[nodiscard]] std::unique_ptr<MbusMaster> mbus_master_over(ByteLink link, const MeterUri& uri);

/// The standard collision-driven secondary search: selects with wildcards digit by digit
/// (most significant first), descending only where several meters answered. Returns the
/// secondary addresses (8 BCD digits) of every meter found, ascending. It starts with the
/// all-wildcard mask; where exactly one meter answers a mask it reads that meter at FD for its
/// full address. Meters sharing one full address collide even without wildcards: that address
/// is listed once, and `on_probe` shows it as a collision on a mask without an F digit.
/// `on_probe` is called after each selection (for a progress display).
[[nodiscard]] std::expected<std::vector<std::uint32_t>, MbusMasterError> secondary_search(
    MbusMaster& master, const std::function<void(std::uint32_t mask_id, MbusProbe)>& on_probe = {});

}  // namespace ambi
