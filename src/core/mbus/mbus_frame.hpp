#pragma once
// M-bus link layer (EN 13757-2, telegram format FT 1.2 of IEC 60870-5-1): the four telegram
// formats, a framer that splits a byte stream into telegrams, and the encoder of each format.
//
//   single character   E5
//   short frame        10 C A CS 16
//   control frame      68 03 03 68 C A CI CS 16
//   long frame         68 L L 68 C A CI data... CS 16
//
// L counts C, A, CI and the data (a control frame is a long frame with L = 3 and no data);
// CS is the arithmetic sum of C, A, CI and the data, modulo 256. Direction-agnostic: the
// meter frames the master's requests with it and a reader frames the meter's answers.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

namespace ambi {

inline constexpr std::uint8_t kMbusAck = 0xE5;
inline constexpr std::uint8_t kMbusShortStart = 0x10;
inline constexpr std::uint8_t kMbusLongStart = 0x68;
inline constexpr std::uint8_t kMbusStop = 0x16;
/// The most data bytes a long frame carries: L is one byte and counts C, A and CI too.
inline constexpr std::size_t kMbusMaxData = 252;
/// The longest telegram: 68 L L 68, L bytes, CS 16.
inline constexpr std::size_t kMbusMaxFrame = kMbusMaxData + 9;

// The three sets below are named values, spelled like enumerators (c_field::snd_nke) rather
// than kCamel constants. NOLINTBEGIN(readability-identifier-naming)

/// C-field values (EN 13757-2 5.4). Master to slave: PRM (0x40) set, FCV/FCB in bits 4/5.
namespace c_field {
inline constexpr std::uint8_t snd_nke = 0x40;  ///< link reset
inline constexpr std::uint8_t snd_ud = 0x53;   ///< send user data (| fcb)
inline constexpr std::uint8_t req_ud1 = 0x5A;  ///< request class 1 (alarm) data (| fcb)
inline constexpr std::uint8_t req_ud2 = 0x5B;  ///< request class 2 (user) data (| fcb)
inline constexpr std::uint8_t rsp_ud = 0x08;   ///< slave: user data answer
inline constexpr std::uint8_t fcb = 0x20;      ///< frame count bit
inline constexpr std::uint8_t fcv = 0x10;      ///< frame count bit valid
}  // namespace c_field

/// A-field values (EN 13757-2 5.5).
namespace mbus_address {
inline constexpr std::uint8_t max_primary = 250;  ///< primary addresses 0-250
inline constexpr std::uint8_t selected = 0xFD;    ///< the slave selected by secondary address
inline constexpr std::uint8_t test = 0xFE;        ///< every slave executes and answers
inline constexpr std::uint8_t broadcast = 0xFF;   ///< every slave executes, none answers
}  // namespace mbus_address

/// CI-field values the meter knows (EN 13757-3 Table 2; A2.2 for the baud rates).
namespace ci_field {
inline constexpr std::uint8_t application_reset = 0x50;
inline constexpr std::uint8_t data_send = 0x51;
inline constexpr std::uint8_t select_slave = 0x52;
inline constexpr std::uint8_t rsp_ud_variable = 0x72;  ///< variable data structure, LSB first
inline constexpr std::uint8_t baud_300 = 0xB8;         ///< B8-BD: 300 ... 9600 baud
inline constexpr std::uint8_t baud_9600 = 0xBD;
}  // namespace ci_field
// NOLINTEND(readability-identifier-naming)

enum class MbusFrameKind : std::uint8_t { single, short_frame, control, long_frame };

/// One telegram. `c`, `a` are unused for `single`; `ci` and `data` only for control and
/// long frames (a control frame has no data).
struct MbusFrame {
  MbusFrameKind kind = MbusFrameKind::single;
  std::uint8_t c = 0;
  std::uint8_t a = 0;
  std::uint8_t ci = 0;
  std::vector<std::uint8_t> data;
  friend bool operator==(const MbusFrame&, const MbusFrame&) = default;
};

/// The single character E5.
[[nodiscard]] MbusFrame mbus_single();
/// A short frame 10 C A CS 16.
[[nodiscard]] MbusFrame mbus_short(std::uint8_t c, std::uint8_t a);
/// A long frame; without data it is a control frame (L = 3).
[[nodiscard]] MbusFrame mbus_long(std::uint8_t c, std::uint8_t a, std::uint8_t ci,
                                  std::span<const std::uint8_t> data = {});

/// The telegram's bytes. Empty when a long frame's data exceeds `kMbusMaxData`.
[[nodiscard]] std::vector<std::uint8_t> encode_mbus(const MbusFrame& frame);
/// The checksum: the sum of `bytes` modulo 256.
[[nodiscard]] std::uint8_t mbus_checksum(std::span<const std::uint8_t> bytes);

/// More bytes are needed.
struct MbusNeedMore {
  friend bool operator==(const MbusNeedMore&, const MbusNeedMore&) = default;
};
/// Bytes dropped without an answer.
struct MbusDiscard {
  enum class Reason : std::uint8_t {
    garbage,       ///< bytes before the next start character
    bad_header,    ///< 68 L L 68 with unequal L, L < 3 or no second 68: the start byte only
    bad_stop,      ///< no 16 where the telegram ends: the start byte only
    bad_checksum,  ///< the whole telegram
  };
  Reason reason;
  std::size_t bytes = 0;
  friend bool operator==(const MbusDiscard&, const MbusDiscard&) = default;
};
using MbusEvent = std::variant<MbusNeedMore, MbusFrame, MbusDiscard>;

/// "garbage", "bad checksum"...
[[nodiscard]] std::string_view to_string(MbusDiscard::Reason reason);

/// Splits a received byte stream into telegrams. After a bad telegram it resynchronises on
/// the next start character (E5, 10 or 68): a telegram whose length was known and whose
/// stop byte was right but checksum wrong is dropped whole; otherwise only its start byte.
class MbusFramer {
 public:
  /// Appends received bytes; call `poll` until it returns `MbusNeedMore`.
  void push(std::span<const std::uint8_t> bytes);
  /// The next telegram or discard found in the bytes so far.
  [[nodiscard]] MbusEvent poll();
  /// The bytes the last `poll` consumed: the telegram as it arrived, or the bytes dropped;
  /// empty after `MbusNeedMore`. Valid until the next `push`, `poll` or `clear`.
  [[nodiscard]] std::span<const std::uint8_t> polled() const {
    return std::span(buffer_).first(polled_);
  }
  /// Bytes held, not yet framed (never more than `kMbusMaxFrame` after `poll` gave
  /// `MbusNeedMore`).
  [[nodiscard]] std::size_t buffered() const { return buffer_.size() - polled_; }
  /// Forgets the bytes held (the line was idle, or the baud rate changed).
  void clear() {
    buffer_.clear();
    polled_ = 0;
  }

 private:
  /// Drops the bytes of the last event from the front of the buffer.
  void forget_polled();
  /// The last event consumed the first `bytes` bytes.
  MbusEvent take(std::size_t bytes, MbusEvent event);
  MbusEvent drop(MbusDiscard::Reason reason, std::size_t bytes);
  MbusEvent short_frame();
  MbusEvent long_frame();
  std::vector<std::uint8_t> buffer_;  ///< the last event's bytes, then the bytes held
  std::size_t polled_ = 0;            ///< how many bytes at the front the last event took
};

}  // namespace ambi
