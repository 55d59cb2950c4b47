#pragma once
// The Modbus PDU codec (Modbus Application Protocol V1.1b3, sections 4-7), one for every side:
// typed requests and responses of the register function codes, parsed from PDU bytes and
// encoded to them, both ways. The server (modbus_pdu.*), the reader's client (src/tools) and
// the trace (src/twin/transport) all go through it. Pure: no meter, no framing, no I/O.
// Parsing allocates nothing: register words stay in the PDU bytes (`RegisterWords`), so a
// parsed request or response is valid as long as the bytes it was parsed from.
//
//   request                                        response
//   FC 03/04 | fc | address | count |               | fc | byte count | words... |
//   FC 06    | 06 | address | value |               | 06 | address | value |      (echo)
//   FC 16    | 10 | address | count | bytes | words | | 10 | address | count |
//   any      | fc | data... |                       | fc + 0x80 | exception code |

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

namespace ambi {

/// The bytes of one PDU: function code, then its data.
using PduBytes = std::span<const std::uint8_t>;

/// The largest PDU (V1.1b3 4.1): 253 bytes.
inline constexpr std::size_t kMaxPdu = 253;
/// Set in the function code of an exception response (V1.1b3 7).
inline constexpr std::uint8_t kExceptionBit = 0x80;
/// The most registers one FC 03/04 request reads (V1.1b3 6.3, 6.4).
inline constexpr std::uint16_t kMaxReadRegisters = 125;
/// The most registers one FC 16 request writes (V1.1b3 6.12).
inline constexpr std::uint16_t kMaxWriteRegisters = 123;

/// The function codes the codec knows by their fields (the meter reads with FC 03, writes
/// with FC 06 and FC 16; FC 04 is a quirk).
// A set of named values, spelled like enumerators (function_code::name) rather than kCamel
// constants. NOLINTBEGIN(readability-identifier-naming)
namespace function_code {
inline constexpr std::uint8_t read_holding_registers = 0x03;
inline constexpr std::uint8_t read_input_registers = 0x04;
inline constexpr std::uint8_t write_single_register = 0x06;
inline constexpr std::uint8_t write_multiple_registers = 0x10;
}  // namespace function_code
// NOLINTEND(readability-identifier-naming)

/// True for the read function codes (03, 04): the requests a broadcast does not execute.
[[nodiscard]] constexpr bool is_read_function(std::uint8_t function) {
  return function == function_code::read_holding_registers ||
         function == function_code::read_input_registers;
}

/// The big-endian word at `bytes[at]`, `bytes[at + 1]` (every 16-bit field of Modbus).
[[nodiscard]] constexpr std::uint16_t be16(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::uint16_t>((bytes[at] << 8) | bytes[at + 1]);
}
/// Appends `word` big-endian: high byte first.
void append_be16(std::vector<std::uint8_t>& out, std::uint16_t word);

/// Exception codes (V1.1b3 7). Any byte may arrive in a response; these are the named ones.
enum class ExceptionCode : std::uint8_t {
  illegal_function = 0x01,
  illegal_data_address = 0x02,
  illegal_data_value = 0x03,
  server_device_failure = 0x04,
  acknowledge = 0x05,
  server_device_busy = 0x06,
  memory_parity_error = 0x08,
  gateway_path_unavailable = 0x0A,
  gateway_target_failed = 0x0B,  ///< Modbus TCP: a unit id this meter does not answer to
};

/// The name V1.1b3 7 gives `code`: "illegal function", "illegal data address", ...,
/// "gateway target device failed to respond"; empty for a code it does not name.
[[nodiscard]] std::string_view to_string(ExceptionCode code);

/// Register words as a PDU carries them, big-endian, viewed in place (a read response's
/// words, an FC 16 request's values): nothing is copied.
class RegisterWords {
 public:
  RegisterWords() = default;
  /// Views `bytes` (an even number of them) as words.
  explicit RegisterWords(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  [[nodiscard]] std::size_t size() const { return bytes_.size() / 2; }
  [[nodiscard]] bool empty() const { return bytes_.empty(); }
  [[nodiscard]] std::uint16_t operator[](std::size_t i) const { return be16(bytes_, 2 * i); }
  /// The bytes viewed, 2 per word.
  [[nodiscard]] std::span<const std::uint8_t> bytes() const { return bytes_; }
  /// The words, copied.
  [[nodiscard]] std::vector<std::uint16_t> to_vector() const;

  /// Same words, wherever they are.
  friend bool operator==(const RegisterWords& a, const RegisterWords& b);

 private:
  std::span<const std::uint8_t> bytes_;
};

/// `words` laid out as a PDU carries them (big-endian), for building an FC 16 request.
[[nodiscard]] std::vector<std::uint8_t> register_bytes(std::span<const std::uint16_t> words);

// ---- Requests ----

/// FC 03 Read Holding Registers, FC 04 Read Input Registers (V1.1b3 6.3, 6.4):
/// | fc | address hi lo | count hi lo |, count 1-125.
struct ReadRegistersRequest {
  std::uint8_t function = function_code::read_holding_registers;  ///< 03 or 04
  std::uint16_t address = 0;
  std::uint16_t count = 0;
  friend bool operator==(const ReadRegistersRequest&, const ReadRegistersRequest&) = default;
};
/// FC 06 Write Single Register (V1.1b3 6.6): | 06 | address hi lo | value hi lo |.
struct WriteSingleRegisterRequest {
  std::uint16_t address = 0;
  std::uint16_t value = 0;
  friend bool operator==(const WriteSingleRegisterRequest&,
                         const WriteSingleRegisterRequest&) = default;
};
/// FC 16 Write Multiple Registers (V1.1b3 6.12):
/// | 10 | address hi lo | count hi lo | byte count | values... |, count 1-123 = values.
struct WriteMultipleRegistersRequest {
  std::uint16_t address = 0;
  RegisterWords values;  ///< the count is `values.size()`
  friend bool operator==(const WriteMultipleRegistersRequest&,
                         const WriteMultipleRegistersRequest&) = default;
};
/// Any other function code: | fc | data... |, data not interpreted.
struct OtherRequest {
  std::uint8_t function = 0;
  std::span<const std::uint8_t> data;
  friend bool operator==(const OtherRequest& a, const OtherRequest& b);
};
using Request = std::variant<ReadRegistersRequest, WriteSingleRegisterRequest,
                             WriteMultipleRegistersRequest, OtherRequest>;

/// The function code of `request`.
[[nodiscard]] std::uint8_t function_of(const Request& request);

/// The register fields a request PDU carried before a check failed, for a trace to show.
struct RequestFields {
  std::uint16_t address = 0;
  std::uint16_t count = 0;  ///< the quantity field as sent
  RegisterWords values;     ///< FC 16: the whole words present, at most byte count / 2
  friend bool operator==(const RequestFields&, const RequestFields&) = default;
};

/// Why a request PDU is not a request of its function code (V1.1b3 6; the checks of
/// spec decision C29 that come before addresses and values).
struct RequestError {
  enum class Kind : std::uint8_t {
    empty,           ///< no function code: nothing to answer
    bad_length,      ///< shorter or longer than the function code's fields
    bad_count,       ///< a quantity outside 1-125 (FC 03/04) or 1-123 (FC 16)
    bad_byte_count,  ///< FC 16: the byte count is not twice the quantity
  };
  Kind kind = Kind::empty;
  std::uint8_t function = 0;           ///< 0 when empty
  std::span<const std::uint8_t> data;  ///< the PDU after its function code
  /// Set when the fixed fields were complete and a count check failed (FC 03/04/16).
  std::optional<RequestFields> fields;

  /// The exception a server answers: illegal data value (03); none for an empty PDU.
  [[nodiscard]] std::optional<ExceptionCode> exception() const;
  friend bool operator==(const RequestError& a, const RequestError& b);
};

/// A request PDU as parsed: the request, or what is wrong with it.
using ParsedRequest = std::expected<Request, RequestError>;

/// Parses a request PDU. FC 03/04/06/16 must have exactly their fields and counts in range;
/// any other function code is an `OtherRequest`. The result views `pdu`.
[[nodiscard]] ParsedRequest parse_request(PduBytes pdu);
/// The function code of a parsed request, or of the PDU that failed (0 when empty).
[[nodiscard]] std::uint8_t function_of(const ParsedRequest& parsed);

/// Appends the request PDU to `out`. `encode_request(parse_request(x))` gives `x` back.
void encode_request(const Request& request, std::vector<std::uint8_t>& out);
[[nodiscard]] std::vector<std::uint8_t> encode_request(const Request& request);

// ---- Responses ----

/// FC 03/04 response: | fc | byte count | words... |.
struct ReadRegistersResponse {
  std::uint8_t function = function_code::read_holding_registers;  ///< 03 or 04
  RegisterWords words;
  friend bool operator==(const ReadRegistersResponse&, const ReadRegistersResponse&) = default;
};
/// FC 06 response, the request echoed: | 06 | address | value |.
struct WriteSingleRegisterResponse {
  std::uint16_t address = 0;
  std::uint16_t value = 0;
  friend bool operator==(const WriteSingleRegisterResponse&,
                         const WriteSingleRegisterResponse&) = default;
};
/// FC 16 response: | 10 | address | count |.
struct WriteMultipleRegistersResponse {
  std::uint16_t address = 0;
  std::uint16_t count = 0;
  friend bool operator==(const WriteMultipleRegistersResponse&,
                         const WriteMultipleRegistersResponse&) = default;
};
/// An exception response (V1.1b3 7): | fc + 0x80 | code |. An answer, not a failure.
struct ExceptionResponse {
  std::uint8_t function = 0;  ///< the request's function code (below 0x80)
  ExceptionCode code = ExceptionCode::illegal_function;
  friend bool operator==(const ExceptionResponse&, const ExceptionResponse&) = default;
};
using Response = std::variant<ReadRegistersResponse, WriteSingleRegisterResponse,
                              WriteMultipleRegistersResponse, ExceptionResponse>;

/// The function code byte of `response` as sent (with 0x80 for an exception).
[[nodiscard]] std::uint8_t function_of(const Response& response);

/// Why a response PDU is not an answer (to the request it was meant for).
struct ResponseError {
  enum class Kind : std::uint8_t {
    empty,           ///< no function code
    wrong_function,  ///< not the request's function code (nor its exception), or unknown
    bad_length,      ///< shorter or longer than the function code's fields
    bad_byte_count,  ///< a read response whose byte count is not the words asked for
    echo_mismatch,   ///< a write response that does not echo the request
  };
  Kind kind = Kind::empty;
  std::uint8_t function = 0;  ///< the response's function code byte (0 when empty)
  /// bad_byte_count: the byte count sent, and twice the count asked for.
  std::size_t byte_count = 0;
  std::size_t expected_byte_count = 0;
  friend bool operator==(const ResponseError&, const ResponseError&) = default;
};

/// A response PDU as parsed: the response, or what is wrong with it.
using ParsedResponse = std::expected<Response, ResponseError>;

/// Parses the response PDU to `request`: its function code or exception, and for reads the
/// byte count of the words asked for, for writes the echo. The result views `pdu`.
[[nodiscard]] ParsedResponse parse_response(PduBytes pdu, const Request& request);
/// Parses a response PDU on its own (FC 03/04/06/16 or an exception): each must have
/// exactly its fields; nothing is checked against a request.
[[nodiscard]] ParsedResponse parse_response(PduBytes pdu);

/// Appends the response PDU to `out`.
void encode_response(const Response& response, std::vector<std::uint8_t>& out);
[[nodiscard]] std::vector<std::uint8_t> encode_response(const Response& response);
/// Appends | fc | byte count | of a read response of `count` words: a server appends the
/// words after it, straight from its registers.
void append_read_response_header(std::vector<std::uint8_t>& out, std::uint8_t function,
                                 std::uint16_t count);

}  // namespace ambi
