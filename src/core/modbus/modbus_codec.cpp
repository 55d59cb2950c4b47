// One parser and one encoder per function code, each way; tables name the exceptions.
#include "core/modbus/modbus_codec.hpp"

#include <algorithm>
#include <array>

namespace ambi {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};

/// | fc | address | count or value |: the fixed fields of FC 03/04/06 and of a write response.
constexpr std::size_t kFixedPdu = 5;
/// | 10 | address | count | byte count |: the fields before an FC 16 request's values.
constexpr std::size_t kWriteMultipleHeader = 6;
/// | fc | byte count |: the fields before a read response's words.
constexpr std::size_t kReadResponseHeader = 2;
/// | fc + 0x80 | code |.
constexpr std::size_t kExceptionPdu = 2;

bool same_bytes(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return std::ranges::equal(a, b);
}

RequestError request_error(RequestError::Kind kind, PduBytes pdu) {
  return RequestError{kind, pdu[0], pdu.subspan(1), std::nullopt};
}

/// | fc | address | count |, count 1-125.
ParsedRequest parse_read(PduBytes pdu) {
  if (pdu.size() != kFixedPdu)
    return std::unexpected(request_error(RequestError::Kind::bad_length, pdu));
  const ReadRegistersRequest request{pdu[0], be16(pdu, 1), be16(pdu, 3)};
  if (request.count < 1 || request.count > kMaxReadRegisters) {
    RequestError error = request_error(RequestError::Kind::bad_count, pdu);
    error.fields = RequestFields{request.address, request.count, {}};
    return std::unexpected(error);
  }
  return request;
}

/// | 06 | address | value |.
ParsedRequest parse_write_single(PduBytes pdu) {
  if (pdu.size() != kFixedPdu)
    return std::unexpected(request_error(RequestError::Kind::bad_length, pdu));
  return WriteSingleRegisterRequest{be16(pdu, 1), be16(pdu, 3)};
}

/// | 10 | address | count | byte count | values |, count 1-123, byte count 2 × count.
ParsedRequest parse_write_multiple(PduBytes pdu) {
  if (pdu.size() < kWriteMultipleHeader) {
    return std::unexpected(request_error(RequestError::Kind::bad_length, pdu));
  }
  const std::uint16_t count = be16(pdu, 3);
  const std::size_t bytes = pdu[5];
  const auto present = pdu.subspan(kWriteMultipleHeader);
  const std::size_t words = std::min(bytes / 2, present.size() / 2);
  const RequestFields fields{be16(pdu, 1), count, RegisterWords{present.first(2 * words)}};
  auto fail = [&](RequestError::Kind kind) {
    RequestError error = request_error(kind, pdu);
    error.fields = fields;
    return std::unexpected(error);
  };
  if (count < 1 || count > kMaxWriteRegisters) return fail(RequestError::Kind::bad_count);
  if (bytes != std::size_t{2} * count) return fail(RequestError::Kind::bad_byte_count);
  if (present.size() != bytes) return fail(RequestError::Kind::bad_length);
  return WriteMultipleRegistersRequest{fields.address, fields.values};
}

struct RequestParser {
  std::uint8_t function;
  ParsedRequest (*parse)(PduBytes);
};
constexpr std::array<RequestParser, 4> kRequestParsers{{
    {function_code::read_holding_registers, &parse_read},
    {function_code::read_input_registers, &parse_read},
    {function_code::write_single_register, &parse_write_single},
    {function_code::write_multiple_registers, &parse_write_multiple},
}};

struct ExceptionName {
  ExceptionCode code;
  std::string_view name;
};
constexpr std::array<ExceptionName, 9> kExceptionNames{{
    {ExceptionCode::illegal_function, "illegal function"},
    {ExceptionCode::illegal_data_address, "illegal data address"},
    {ExceptionCode::illegal_data_value, "illegal data value"},
    {ExceptionCode::server_device_failure, "server device failure"},
    {ExceptionCode::acknowledge, "acknowledge"},
    {ExceptionCode::server_device_busy, "server device busy"},
    {ExceptionCode::memory_parity_error, "memory parity error"},
    {ExceptionCode::gateway_path_unavailable, "gateway path unavailable"},
    {ExceptionCode::gateway_target_failed, "gateway target device failed to respond"},
}};

ResponseError response_error(ResponseError::Kind kind, PduBytes pdu) {
  return ResponseError{kind, pdu.empty() ? std::uint8_t{0} : pdu[0], 0, 0};
}

/// | fc + 0x80 | code |.
ParsedResponse parse_exception(PduBytes pdu) {
  if (pdu.size() != kExceptionPdu) {
    return std::unexpected(response_error(ResponseError::Kind::bad_length, pdu));
  }
  return ExceptionResponse{static_cast<std::uint8_t>(pdu[0] & ~kExceptionBit),
                           static_cast<ExceptionCode>(pdu[1])};
}

/// | fc | byte count | words |; `asked` is twice the count of the request, when known.
ParsedResponse parse_read_response(PduBytes pdu, std::optional<std::size_t> asked) {
  if (pdu.size() < kReadResponseHeader) {
    return std::unexpected(response_error(ResponseError::Kind::bad_length, pdu));
  }
  const std::size_t bytes = pdu[1];
  const auto words = pdu.subspan(kReadResponseHeader);
  if (asked && (bytes != *asked || words.size() != *asked)) {
    ResponseError error = response_error(ResponseError::Kind::bad_byte_count, pdu);
    error.byte_count = bytes;
    error.expected_byte_count = *asked;
    return std::unexpected(error);
  }
  if (bytes % 2 != 0 || bytes == 0 || bytes > std::size_t{2} * kMaxReadRegisters) {
    ResponseError error = response_error(ResponseError::Kind::bad_byte_count, pdu);
    error.byte_count = bytes;
    return std::unexpected(error);
  }
  if (words.size() != bytes) {
    return std::unexpected(response_error(ResponseError::Kind::bad_length, pdu));
  }
  return ReadRegistersResponse{pdu[0], RegisterWords{words}};
}

/// | fc | address | value or count |.
ParsedResponse parse_write_response(PduBytes pdu) {
  if (pdu.size() != kFixedPdu) {
    return std::unexpected(response_error(ResponseError::Kind::bad_length, pdu));
  }
  if (pdu[0] == function_code::write_single_register) {
    return WriteSingleRegisterResponse{be16(pdu, 1), be16(pdu, 3)};
  }
  return WriteMultipleRegistersResponse{be16(pdu, 1), be16(pdu, 3)};
}

/// The response PDU alone, by its function code.
ParsedResponse parse_any_response(PduBytes pdu, std::optional<std::size_t> asked) {
  if (pdu.empty()) return std::unexpected(response_error(ResponseError::Kind::empty, pdu));
  const std::uint8_t fc = pdu[0];
  if ((fc & kExceptionBit) != 0) return parse_exception(pdu);
  if (is_read_function(fc)) return parse_read_response(pdu, asked);
  if (fc == function_code::write_single_register || fc == function_code::write_multiple_registers)
    return parse_write_response(pdu);
  return std::unexpected(response_error(ResponseError::Kind::wrong_function, pdu));
}

/// The fields a write response must echo, as the request sent them.
std::optional<Response> expected_echo(const Request& request) {
  return std::visit(Overloaded{
                        [](const WriteSingleRegisterRequest& r) -> std::optional<Response> {
                          return WriteSingleRegisterResponse{r.address, r.value};
                        },
                        [](const WriteMultipleRegistersRequest& r) -> std::optional<Response> {
                          return WriteMultipleRegistersResponse{
                              r.address, static_cast<std::uint16_t>(r.values.size())};
                        },
                        [](const auto&) -> std::optional<Response> { return std::nullopt; },
                    },
                    request);
}

}  // namespace

void append_be16(std::vector<std::uint8_t>& out, std::uint16_t word) {
  out.push_back(static_cast<std::uint8_t>(word >> 8));
  out.push_back(static_cast<std::uint8_t>(word & 0xFFU));
}

std::string_view to_string(ExceptionCode code) {
  const auto* it = std::ranges::find(kExceptionNames, code, &ExceptionName::code);
  return it == kExceptionNames.end() ? std::string_view{} : it->name;
}

std::vector<std::uint16_t> RegisterWords::to_vector() const {
  std::vector<std::uint16_t> words(size());
  for (std::size_t i = 0; i < words.size(); ++i) words[i] = (*this)[i];
  return words;
}

bool operator==(const RegisterWords& a, const RegisterWords& b) {
  return same_bytes(a.bytes_, b.bytes_);
}

std::vector<std::uint8_t> register_bytes(std::span<const std::uint16_t> words) {
  std::vector<std::uint8_t> bytes;
  bytes.reserve(2 * words.size());
  for (const std::uint16_t word : words) append_be16(bytes, word);
  return bytes;
}

bool operator==(const OtherRequest& a, const OtherRequest& b) {
  return a.function == b.function && same_bytes(a.data, b.data);
}

bool operator==(const RequestError& a, const RequestError& b) {
  return a.kind == b.kind && a.function == b.function && same_bytes(a.data, b.data) &&
         a.fields == b.fields;
}

std::optional<ExceptionCode> RequestError::exception() const {
  if (kind == Kind::empty) return std::nullopt;
  return ExceptionCode::illegal_data_value;
}

std::uint8_t function_of(const Request& request) {
  return std::visit(
      Overloaded{
          [](const ReadRegistersRequest& r) { return r.function; },
          [](const WriteSingleRegisterRequest&) { return function_code::write_single_register; },
          [](const WriteMultipleRegistersRequest&) {
            return function_code::write_multiple_registers;
          },
          [](const OtherRequest& r) { return r.function; },
      },
      request);
}

std::uint8_t function_of(const ParsedRequest& parsed) {
  return parsed ? function_of(*parsed) : parsed.error().function;
}

ParsedRequest parse_request(PduBytes pdu) {
  if (pdu.empty()) return std::unexpected(RequestError{});
  const auto* parser = std::ranges::find(kRequestParsers, pdu[0], &RequestParser::function);
  if (parser == kRequestParsers.end()) return OtherRequest{pdu[0], pdu.subspan(1)};
  return parser->parse(pdu);
}

void encode_request(const Request& request, std::vector<std::uint8_t>& out) {
  std::visit(Overloaded{
                 [&](const ReadRegistersRequest& r) {
                   out.push_back(r.function);
                   append_be16(out, r.address);
                   append_be16(out, r.count);
                 },
                 [&](const WriteSingleRegisterRequest& r) {
                   out.push_back(function_code::write_single_register);
                   append_be16(out, r.address);
                   append_be16(out, r.value);
                 },
                 [&](const WriteMultipleRegistersRequest& r) {
                   out.push_back(function_code::write_multiple_registers);
                   append_be16(out, r.address);
                   append_be16(out, static_cast<std::uint16_t>(r.values.size()));
                   out.push_back(static_cast<std::uint8_t>(r.values.bytes().size()));
                   out.insert(out.end(), r.values.bytes().begin(), r.values.bytes().end());
                 },
                 [&](const OtherRequest& r) {
                   out.push_back(r.function);
                   out.insert(out.end(), r.data.begin(), r.data.end());
                 },
             },
             request);
}

std::vector<std::uint8_t> encode_request(const Request& request) {
  std::vector<std::uint8_t> out;
  // Room for any PDU first: no reallocation while encoding (and g++ 12 at -O3 then sees no
  // out-of-bounds copy in the insert after a push_back into an empty vector).
  out.reserve(kMaxPdu);
  encode_request(request, out);
  return out;
}

std::uint8_t function_of(const Response& response) {
  return std::visit(
      Overloaded{
          [](const ReadRegistersResponse& r) { return r.function; },
          [](const WriteSingleRegisterResponse&) { return function_code::write_single_register; },
          [](const WriteMultipleRegistersResponse&) {
            return function_code::write_multiple_registers;
          },
          [](const ExceptionResponse& r) {
            return static_cast<std::uint8_t>(r.function | kExceptionBit);
          },
      },
      response);
}

ParsedResponse parse_response(PduBytes pdu) {
  return parse_any_response(pdu, std::nullopt);
}

ParsedResponse parse_response(PduBytes pdu, const Request& request) {
  if (pdu.empty()) return std::unexpected(response_error(ResponseError::Kind::empty, pdu));
  const std::uint8_t function = function_of(request);
  if (pdu[0] == (function | kExceptionBit)) return parse_exception(pdu);
  if (pdu[0] != function || std::holds_alternative<OtherRequest>(request)) {
    return std::unexpected(response_error(ResponseError::Kind::wrong_function, pdu));
  }
  if (const auto* read = std::get_if<ReadRegistersRequest>(&request)) {
    return parse_read_response(pdu, 2 * std::size_t{read->count});
  }
  ParsedResponse response = parse_write_response(pdu);
  if (response && *response != *expected_echo(request)) {
    return std::unexpected(response_error(ResponseError::Kind::echo_mismatch, pdu));
  }
  return response;
}

void append_read_response_header(std::vector<std::uint8_t>& out, std::uint8_t function,
                                 std::uint16_t count) {
  out.push_back(function);
  out.push_back(static_cast<std::uint8_t>(2 * count));
}

void encode_response(const Response& response, std::vector<std::uint8_t>& out) {
  std::visit(Overloaded{
                 [&](const ReadRegistersResponse& r) {
                   append_read_response_header(out, r.function,
                                               static_cast<std::uint16_t>(r.words.size()));
                   out.insert(out.end(), r.words.bytes().begin(), r.words.bytes().end());
                 },
                 [&](const WriteSingleRegisterResponse& r) {
                   out.push_back(function_code::write_single_register);
                   append_be16(out, r.address);
                   append_be16(out, r.value);
                 },
                 [&](const WriteMultipleRegistersResponse& r) {
                   out.push_back(function_code::write_multiple_registers);
                   append_be16(out, r.address);
                   append_be16(out, r.count);
                 },
                 [&](const ExceptionResponse& r) {
                   out.push_back(static_cast<std::uint8_t>(r.function | kExceptionBit));
                   out.push_back(static_cast<std::uint8_t>(r.code));
                 },
             },
             response);
}

std::vector<std::uint8_t> encode_response(const Response& response) {
  std::vector<std::uint8_t> out;
  out.reserve(kMaxPdu);  // as in encode_request
  encode_response(response, out);
  return out;
}

}  // namespace ambi
