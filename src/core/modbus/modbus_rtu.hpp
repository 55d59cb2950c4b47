#pragma once
// Modbus RTU framing (Modbus over serial line V1.02, 2.5.1): | unit | PDU | CRC lo hi |.
//
// The framer finds the end of a request from its function code (fixed lengths, or the byte
// count of FC 15/16/23), so back-to-back frames in one buffer are separated without timing.
// Function codes of unknown length end at a silence of 3.5 characters, which the transport
// signals with `on_silence()`. A frame with a bad CRC is dropped silently together with
// everything up to the next silence (resynchronisation). Address filtering is the caller's:
// see `rtu_unit_action`.

#include <cstdint>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "core/modbus/modbus_pdu.hpp"

namespace ambi {

class Meter;

/// The largest RTU frame (V1.02 2.5.1): 256 bytes.
inline constexpr std::size_t kMaxRtuFrame = 256;

/// More bytes (or a silence) are needed.
struct RtuNeedMore {
  friend bool operator==(const RtuNeedMore&, const RtuNeedMore&) = default;
};
/// A complete frame with a good CRC.
struct RtuFrame {
  std::uint8_t unit = 0;
  std::vector<std::uint8_t> pdu;
  friend bool operator==(const RtuFrame&, const RtuFrame&) = default;
};
/// Bytes dropped without an answer.
struct RtuDiscard {
  enum class Reason : std::uint8_t { bad_crc, incomplete, too_short, too_long, interrupted };
  Reason reason;
  std::size_t bytes = 0;  ///< how many bytes were dropped
  friend bool operator==(const RtuDiscard&, const RtuDiscard&) = default;
};
using RtuEvent = std::variant<RtuNeedMore, RtuFrame, RtuDiscard>;

/// "bad CRC", "incomplete frame", "frame interrupted by a gap of more than 1.5 characters"...
[[nodiscard]] std::string_view to_string(RtuDiscard::Reason reason);

/// Splits a byte stream from the bus into request frames.
class RtuFramer {
 public:
  /// Appends received bytes; call `poll` until it returns `RtuNeedMore`.
  void push(std::span<const std::uint8_t> bytes);
  /// The next frame or discard found in the bytes so far.
  [[nodiscard]] RtuEvent poll();
  /// The line has been silent for 3.5 characters (call after `poll` gave `RtuNeedMore`):
  /// ends a frame of unknown length, drops an incomplete one, ends resynchronisation.
  [[nodiscard]] RtuEvent on_silence();
  /// More than 1.5 characters (but less than 3.5) passed before the bytes about to be
  /// pushed (V1.02 2.5.1.1; on a real line only): a frame in progress is incomplete and is
  /// dropped with everything up to the next silence. No effect between frames.
  [[nodiscard]] RtuEvent on_gap();
  /// Bytes held, not yet framed.
  [[nodiscard]] std::size_t buffered() const { return buffer_.size(); }

 private:
  RtuEvent take(std::size_t length);
  RtuEvent discard(RtuDiscard::Reason reason, std::size_t bytes, bool resync);
  std::vector<std::uint8_t> buffer_;
  bool skipping_ = false;  ///< after a bad frame: drop everything until a silence
};

/// | unit | pdu | CRC lo | CRC hi |.
[[nodiscard]] std::vector<std::uint8_t> encode_rtu(std::uint8_t unit,
                                                   std::span<const std::uint8_t> pdu);

/// What to do with a frame sent to `unit` (V1.02 2.2): own id: execute and answer.
/// Broadcast 0: execute writes without answering; reads are ignored, unless
/// `answer_unit_zero` (then reads are answered). Any other id: ignore.
enum class UnitAction : std::uint8_t { ignore, execute_silently, execute_and_reply };
[[nodiscard]] UnitAction rtu_unit_action(std::uint8_t unit, std::uint8_t own_id,
                                         std::uint8_t function, const ModbusQuirks& quirks);

/// The result of serving one RTU frame: the bytes to send (none for a broadcast or another
/// unit) and the link change to apply once they are sent.
struct RtuExchange {
  std::vector<std::uint8_t> reply;
  LinkChange link;
};
/// Routes, executes and encodes one frame, the meter's whole RTU server step. A meter
/// without supply hears nothing and answers nothing.
[[nodiscard]] RtuExchange serve_rtu(Meter& meter, const RtuFrame& frame,
                                    const ModbusQuirks& quirks);

}  // namespace ambi
