#pragma once
// Modbus RTU framing (Modbus over serial line V1.02, 2.5.1): | unit | PDU | CRC lo hi |.
//
// The framer finds the end of a request from its function code (fixed lengths, or the byte
// count of FC 15/16/23), so back-to-back frames in one buffer are separated without timing.
// Function codes of unknown length end at a silence of 3.5 characters, which the transport
// signals with `on_silence()`. A frame with a bad CRC is dropped silently together with
// everything up to the next silence (resynchronisation). Routing by unit id and serving are
// the server's (modbus_server.hpp): the framer knows nothing of the meter.

#include <cstdint>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

namespace ambi {

/// The largest RTU frame (V1.02 2.5.1): 256 bytes.
inline constexpr std::size_t kMaxRtuFrame = 256;

/// More bytes (or a silence) are needed.
struct RtuNeedMore {
  friend bool operator==(const RtuNeedMore&, const RtuNeedMore&) = default;
};
/// A complete frame with a good CRC, as it arrived: | unit | PDU | CRC lo hi |.
struct RtuFrame {
  std::vector<std::uint8_t> adu;  ///< the frame's bytes, at least 4
  [[nodiscard]] std::uint8_t unit() const { return adu.front(); }
  [[nodiscard]] std::span<const std::uint8_t> pdu() const {
    return std::span(adu).subspan(1, adu.size() - 3);
  }
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
/// Appends the CRC-16/MODBUS of `frame` (| unit | pdu |), low byte first.
void append_rtu_crc(std::vector<std::uint8_t>& frame);
/// True when the last two bytes of `frame` are the CRC of the bytes before them.
[[nodiscard]] bool rtu_crc_matches(std::span<const std::uint8_t> frame);

}  // namespace ambi
