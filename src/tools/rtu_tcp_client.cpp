// RTU over TCP: our own RTU framing (core/modbus/modbus_rtu.hpp) and the core's PDU codec on
// a ByteLink.
#include "tools/rtu_tcp_client.hpp"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/modbus/modbus_rtu.hpp"
#include "io/byte_link.hpp"
#include "tools/modbus_client_detail.hpp"

namespace ambi {

using namespace modbus_client_detail;

namespace {

/// | unit | fc+0x80 | code | CRC |.
constexpr std::size_t kExceptionReplyLength = 5;
/// | unit | fc | address | value or count | CRC |.
constexpr std::size_t kWriteReplyLength = 8;
/// | unit | 03 | byte count | CRC | around the data.
constexpr std::size_t kReadReplyOverhead = 5;

std::string unit_problem(std::uint8_t unit) {
  return fmt::format("the answer came from unit {}", unit);
}
std::string function_problem(std::uint8_t answered, std::uint8_t asked) {
  return fmt::format("function {:02X} in the answer to function {:02X}", answered, asked);
}
std::string byte_count_problem(std::size_t sent, std::size_t asked) {
  return fmt::format("{} data bytes where {} were asked for", sent, asked);
}

/// What is wrong with a reply PDU, in the words of a bad reply message.
std::string response_problem(const ResponseError& error, const Request& request) {
  switch (error.kind) {
    case ResponseError::Kind::wrong_function:
      return function_problem(error.function, function_of(request));
    case ResponseError::Kind::bad_byte_count:
      return byte_count_problem(error.byte_count, error.expected_byte_count);
    case ResponseError::Kind::bad_length:
      if ((error.function & kExceptionBit) != 0) return "an exception reply of the wrong length";
      return "the echo differs from the request";
    case ResponseError::Kind::echo_mismatch:
      return "the echo differs from the request";
    case ResponseError::Kind::empty:
      break;
  }
  return "a reply too short to be one";
}

/// The words of a response to a read (nullopt: a broadcast, which gets no response).
ModbusAnswer<std::vector<std::uint16_t>> read_answer(const std::optional<Response>& response) {
  if (!response) return std::vector<std::uint16_t>{};
  if (const auto* exception = std::get_if<ExceptionResponse>(&*response))
    return std::unexpected(exception->code);
  return std::get<ReadRegistersResponse>(*response).words.to_vector();
}

ModbusAnswer<void> write_answer(const std::optional<Response>& response) {
  if (const auto* exception = response ? std::get_if<ExceptionResponse>(&*response) : nullptr)
    return std::unexpected(exception->code);
  return {};
}

/// Opens the link again after it broke.
using Reconnect = std::function<std::expected<ByteLink, std::string>(std::chrono::milliseconds)>;

class RtuOverTcpClient final : public ModbusClient {
 public:
  RtuOverTcpClient(ByteLink link, const MeterUri& uri, Reconnect reconnect)
      : link_(std::move(link)),
        reconnect_(std::move(reconnect)),
        link_name_(link_name(uri)),
        timeout_(effective_timeout(uri)),
        retries_(effective_retries(uri)) {}

  void set_timeout(std::chrono::milliseconds timeout) override { timeout_ = timeout; }

 private:
  Tried<std::vector<std::uint16_t>> transact_read(std::uint8_t unit, std::uint16_t start,
                                                  std::uint16_t count) override {
    const RequestInfo info{unit, false, start, count};
    const Request request =
        ReadRegistersRequest{function_code::read_holding_registers, start, count};
    return with_retries<std::vector<std::uint16_t>>(
        retries_, [&]() -> ModbusResult<std::vector<std::uint16_t>> {
          auto response = transact(info, request);
          if (!response) return std::unexpected(std::move(response.error()));
          return read_answer(*response);
        });
  }

  Tried<void> transact_write(std::uint8_t unit, std::uint16_t start,
                             std::span<const std::uint16_t> words) override {
    const RequestInfo info{unit, true, start, static_cast<std::uint16_t>(words.size())};
    const std::vector<std::uint8_t> values = register_bytes(words);
    const Request request = write_request(start, words, values);
    return with_retries<void>(retries_, [&]() -> ModbusResult<void> {
      auto response = transact(info, request);
      if (!response) return std::unexpected(std::move(response.error()));
      return write_answer(*response);
    });
  }

  /// One request and its response (none for a broadcast), viewing `reply_`.
  std::expected<std::optional<Response>, ModbusClientError> transact(const RequestInfo& info,
                                                                     const Request& request) {
    if (!link_) {
      auto link = reconnect_(timeout_);
      if (!link) return std::unexpected(connect_error(link.error()));
      link_.emplace(std::move(*link));
    }
    link_->discard_input();
    const std::vector<std::uint8_t> frame = encode_rtu(info.unit, encode_request(request));
    if (auto sent = link_->send(frame); !sent) return std::unexpected(broken(sent.error()));
    if (info.unit == 0) return std::optional<Response>{};
    if (auto received = receive(*link_, info, request); !received) {
      return std::unexpected(std::move(received.error()));
    }
    auto response = check_rtu_reply(info.unit, request, reply_);
    if (!response) return std::unexpected(bad_reply_error(info, link_name_, response.error()));
    return std::optional<Response>{*response};
  }

  /// Reads into `reply_` until the reply is as long as its function code says, or the
  /// timeout passes.
  std::expected<void, ModbusClientError> receive(ByteLink& link, const RequestInfo& info,
                                                 const Request& request) {
    const auto deadline = ByteLink::Clock::now() + timeout_;
    reply_.clear();
    std::array<std::uint8_t, kMaxRtuFrame> chunk{};
    std::size_t length = 0;
    while (length == 0 || reply_.size() < length) {
      const auto got = link.receive(std::span{chunk}.first(kMaxRtuFrame - reply_.size()), deadline);
      if (!got) return std::unexpected(broken(got.error()));
      if (*got == 0) return std::unexpected(incomplete(info, reply_.size(), length));
      reply_.insert(reply_.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(*got));
      const auto expected_length = rtu_reply_length(info.unit, request, reply_);
      if (!expected_length)
        return std::unexpected(bad_reply_error(info, link_name_, expected_length.error()));
      length = *expected_length;
    }
    reply_.resize(length);
    return {};
  }

  ModbusClientError incomplete(const RequestInfo& info, std::size_t got, std::size_t length) const {
    ModbusClientError error = timeout_error(info, link_name_, timeout_);
    if (got > 0 && length > 0)
      error.message += fmt::format(" (only {} of {} bytes came)", got, length);
    if (got > 0 && length == 0) error.message += fmt::format(" (only {} bytes came)", got);
    return error;
  }

  /// Drops the connection (the next request reconnects) and names the failure.
  ModbusClientError broken(std::string_view what) {
    link_.reset();
    return io_error(link_name_, what);
  }

  std::optional<ByteLink> link_;
  Reconnect reconnect_;
  std::string link_name_;
  std::chrono::milliseconds timeout_;
  int retries_;
  std::vector<std::uint8_t> reply_;  ///< the last reply, which its response views
};

}  // namespace

std::expected<std::size_t, std::string> rtu_reply_length(std::uint8_t unit, const Request& request,
                                                         std::span<const std::uint8_t> head) {
  if (head.empty()) return std::size_t{0};
  if (head[0] != unit) return std::unexpected(unit_problem(head[0]));
  if (head.size() < 2) return std::size_t{0};
  const std::uint8_t function = function_of(request);
  if (head[1] == (function | kExceptionBit)) return kExceptionReplyLength;
  if (head[1] != function) return std::unexpected(function_problem(head[1], function));
  const auto* read = std::get_if<ReadRegistersRequest>(&request);
  if (read == nullptr) return kWriteReplyLength;
  if (head.size() < 3) return std::size_t{0};
  const std::size_t asked = std::size_t{read->count} * 2;
  if (head[2] != asked) return std::unexpected(byte_count_problem(head[2], asked));
  return kReadReplyOverhead + asked;
}

std::expected<Response, std::string> check_rtu_reply(std::uint8_t unit, const Request& request,
                                                     std::span<const std::uint8_t> reply) {
  if (reply.size() < kExceptionReplyLength) return std::unexpected("a reply too short to be one");
  if (!rtu_crc_matches(reply)) return std::unexpected("bad CRC");
  if (reply[0] != unit) return std::unexpected(unit_problem(reply[0]));
  const ParsedResponse response = parse_response(reply.subspan(1, reply.size() - 3), request);
  if (!response) return std::unexpected(response_problem(response.error(), request));
  return *response;
}

std::expected<std::unique_ptr<ModbusClient>, std::string> open_rtu_over_tcp(const MeterUri& uri) {
  auto link = ByteLink::connect_tcp(uri.host, uri.port, effective_timeout(uri));
  if (!link) return std::unexpected(link.error());
  return std::make_unique<RtuOverTcpClient>(
      std::move(*link), uri, [host = uri.host, port = uri.port](std::chrono::milliseconds timeout) {
        return ByteLink::connect_tcp(host, port, timeout);
      });
}

std::unique_ptr<ModbusClient> rtu_client_over(ByteLink link, const MeterUri& uri) {
  return std::make_unique<RtuOverTcpClient>(
      std::move(link), uri, [](std::chrono::milliseconds) -> std::expected<ByteLink, std::string> {
        return std::unexpected("the stream is closed and cannot be opened again");
      });
}

}  // namespace ambi
