#pragma once
// Modbus TCP framing (Modbus Messaging on TCP/IP V1.0b, 3.1.3): the MBAP header
// | transaction hi lo | protocol 0 0 | length hi lo | unit | followed by the PDU, where
// length counts the unit byte and the PDU. Several requests may arrive in one read
// (pipelining); a header that cannot be Modbus ends the connection. Routing by unit id and
// serving are the server's (modbus_server.hpp): the framer knows nothing of the meter.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "core/modbus/modbus_codec.hpp"

namespace ambi {

/// The MBAP header's length field: unit + function at least, unit + 253-byte PDU at most.
inline constexpr std::uint16_t kMinMbapLength = 2;
inline constexpr auto kMaxMbapLength = static_cast<std::uint16_t>(kMaxPdu + 1);
/// | transaction hi lo | protocol 0 0 | length hi lo | unit |: the bytes before the PDU.
inline constexpr std::size_t kMbapHeader = 7;
/// The unit id a Modbus TCP client uses for "the device itself".
inline constexpr std::uint8_t kTcpUnitAny = 0xFF;

/// More bytes are needed.
struct MbapNeedMore {
  friend bool operator==(const MbapNeedMore&, const MbapNeedMore&) = default;
};
/// One request.
struct MbapFrame {
  std::uint16_t transaction = 0;
  std::uint8_t unit = 0;
  std::vector<std::uint8_t> pdu;
  friend bool operator==(const MbapFrame&, const MbapFrame&) = default;
};
/// A header that is not Modbus: the caller drops the connection.
struct MbapError {
  enum class Reason : std::uint8_t { bad_protocol, bad_length };
  Reason reason;
  std::uint16_t value = 0;  ///< the offending protocol id or length
  friend bool operator==(const MbapError&, const MbapError&) = default;
};
using MbapEvent = std::variant<MbapNeedMore, MbapFrame, MbapError>;
/// One request as `MbapFramer::next` finds it: the PDU stays in the framer's buffer.
struct MbapView {
  std::uint16_t transaction = 0;
  std::uint8_t unit = 0;
  std::span<const std::uint8_t> pdu;  ///< valid until the framer's next `push`
  std::span<const std::uint8_t> adu;  ///< the whole request, header and PDU, as it arrived
};
using MbapViewEvent = std::variant<MbapNeedMore, MbapView, MbapError>;

/// "protocol id is not 0", "length out of range 2-254".
[[nodiscard]] std::string_view to_string(MbapError::Reason reason);

/// Splits a TCP byte stream into requests.
class MbapFramer {
 public:
  /// Appends received bytes; call `poll` until it returns `MbapNeedMore` or `MbapError`.
  void push(std::span<const std::uint8_t> bytes);
  /// The next request; after an error, the same error for ever.
  [[nodiscard]] MbapEvent poll();
  /// `poll` without copying the PDU out of the buffer (a server's hot path).
  [[nodiscard]] MbapViewEvent next();
  [[nodiscard]] std::size_t buffered() const { return buffer_.size() - head_; }

 private:
  std::vector<std::uint8_t> buffer_;
  std::size_t head_ = 0;  ///< bytes of `buffer_` already handed out
  std::optional<MbapError> error_;
};

/// | transaction | 0 0 | length | unit | pdu |.
[[nodiscard]] std::vector<std::uint8_t> encode_mbap(std::uint16_t transaction, std::uint8_t unit,
                                                    std::span<const std::uint8_t> pdu);
/// Appends an MBAP header whose length `finish_mbap` sets once the PDU after it is appended
/// (a server writing its reply in place).
void append_mbap_header(std::vector<std::uint8_t>& out, std::uint16_t transaction,
                        std::uint8_t unit);
/// Sets the length field of the frame that begins at `out[at]` to the unit and PDU after it.
void finish_mbap(std::vector<std::uint8_t>& out, std::size_t at);

}  // namespace ambi
