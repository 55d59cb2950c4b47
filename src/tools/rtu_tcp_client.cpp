// RTU over TCP: our own RTU framing (core/modbus_rtu.hpp, core/crc16.hpp) on a ByteLink.
#include "tools/rtu_tcp_client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

#include "core/codec/crc16.hpp"
#include "core/modbus/modbus_codec.hpp"
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

bool crc_matches(std::span<const std::uint8_t> frame) {
  const std::size_t body = frame.size() - 2;
  const auto sent = static_cast<std::uint16_t>(frame[body] | (frame[body + 1] << 8));
  return crc16_modbus(frame.first(body)) == sent;
}

/// What is wrong with the fields of a reply whose CRC is good, or nullopt.
std::optional<std::string> reply_field_problem(std::span<const std::uint8_t> request,
                                               std::span<const std::uint8_t> reply) {
  const std::uint8_t function = request[1];
  if (reply[0] != request[0]) return fmt::format("the answer came from unit {}", reply[0]);
  if (reply[1] == (function | kExceptionBit)) {
    if (reply.size() != kExceptionReplyLength) return "an exception reply of the wrong length";
    return std::nullopt;
  }
  if (reply[1] != function)
    return fmt::format("function {:02X} in the answer to function {:02X}", reply[1], function);
  if (function == function_code::read_holding_registers) {
    const std::size_t asked = std::size_t{be16(request, 4)} * 2;
    if (reply[2] != asked || reply.size() != kReadReplyOverhead + asked) {
      return fmt::format("{} data bytes where {} were asked for", reply[2], asked);
    }
    return std::nullopt;
  }
  if (reply.size() != kWriteReplyLength ||
      !std::ranges::equal(reply.subspan(2, 4), request.subspan(2, 4))) {
    return "the echo differs from the request";
  }
  return std::nullopt;
}

class RtuOverTcpClient final : public ModbusClient {
 public:
  RtuOverTcpClient(ByteLink link, const MeterUri& uri)
      : link_(std::move(link)),
        uri_(uri),
        link_name_(link_name(uri)),
        timeout_(effective_timeout(uri)),
        retries_(effective_retries(uri)) {}

  std::expected<std::vector<std::uint16_t>, ModbusClientError> read(std::uint8_t unit,
                                                                    std::uint16_t start,
                                                                    std::uint16_t count) override {
    const RequestInfo request{unit, false, start, count};
    if (auto bad = check_count(request)) return std::unexpected(*bad);
    const std::vector<std::uint8_t> pdu = read_request_pdu(start, count);
    return with_retries<std::vector<std::uint16_t>>(
        retries_, [&]() -> std::expected<std::vector<std::uint16_t>, ModbusClientError> {
          auto reply = transact(request, pdu);
          if (!reply) return std::unexpected(std::move(reply.error()));
          return response_words(*reply);
        });
  }

  std::expected<void, ModbusClientError> write(std::uint8_t unit, std::uint16_t start,
                                               std::span<const std::uint16_t> words) override {
    const RequestInfo request{
        unit, true, start, static_cast<std::uint16_t>(std::min<std::size_t>(words.size(), 0xFFFF))};
    if (auto bad = check_count(request)) return std::unexpected(*bad);
    const std::vector<std::uint8_t> pdu = write_request_pdu(start, words);
    return with_retries<void>(retries_, [&]() -> std::expected<void, ModbusClientError> {
      auto reply = transact(request, pdu);
      if (!reply) return std::unexpected(std::move(reply.error()));
      return {};
    });
  }

  void set_timeout(std::chrono::milliseconds timeout) override { timeout_ = timeout; }

 private:
  /// One request and its reply PDU (empty for a broadcast); an exception reply is an error.
  std::expected<std::vector<std::uint8_t>, ModbusClientError> transact(
      const RequestInfo& request, std::span<const std::uint8_t> pdu) {
    if (!link_) {
      auto link = ByteLink::connect_tcp(uri_.host, uri_.port, timeout_);
      if (!link) return std::unexpected(connect_error(link.error()));
      link_.emplace(std::move(*link));
    }
    link_->discard_input();
    const std::vector<std::uint8_t> frame = encode_rtu(request.unit, pdu);
    if (auto sent = link_->send(frame); !sent) return std::unexpected(broken(sent.error()));
    if (request.unit == 0) return std::vector<std::uint8_t>{};
    auto reply = receive(request, frame);
    if (reply && ((*reply)[0] & kExceptionBit) != 0)
      return std::unexpected(exception_error(request, (*reply)[1]));
    return reply;
  }

  /// Reads until the reply is as long as its function code says, or the timeout passes.
  std::expected<std::vector<std::uint8_t>, ModbusClientError> receive(
      const RequestInfo& request, std::span<const std::uint8_t> frame) {
    const auto deadline = ByteLink::Clock::now() + timeout_;
    std::vector<std::uint8_t> buffer;
    std::array<std::uint8_t, kMaxRtuFrame> chunk{};
    std::size_t length = 0;
    while (length == 0 || buffer.size() < length) {
      const auto got =
          link_->receive(std::span{chunk}.first(kMaxRtuFrame - buffer.size()), deadline);
      if (!got) return std::unexpected(broken(got.error()));
      if (*got == 0) return std::unexpected(incomplete(request, buffer.size(), length));
      buffer.insert(buffer.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(*got));
      const auto expected_length = rtu_reply_length(frame, buffer);
      if (!expected_length)
        return std::unexpected(bad_reply_error(request, link_name_, expected_length.error()));
      length = *expected_length;
    }
    auto pdu = check_rtu_reply(frame, std::span{buffer}.first(length));
    if (!pdu) return std::unexpected(bad_reply_error(request, link_name_, pdu.error()));
    return std::move(*pdu);
  }

  ModbusClientError incomplete(const RequestInfo& request, std::size_t got,
                               std::size_t length) const {
    ModbusClientError error = timeout_error(request, link_name_, timeout_);
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
  MeterUri uri_;
  std::string link_name_;
  std::chrono::milliseconds timeout_;
  int retries_;
};

}  // namespace

std::expected<std::size_t, std::string> rtu_reply_length(std::span<const std::uint8_t> request,
                                                         std::span<const std::uint8_t> head) {
  if (head.empty()) return std::size_t{0};
  if (head[0] != request[0])
    return std::unexpected(fmt::format("the answer came from unit {}", head[0]));
  if (head.size() < 2) return std::size_t{0};
  const std::uint8_t function = request[1];
  if (head[1] == (function | kExceptionBit)) return kExceptionReplyLength;
  if (head[1] != function) {
    return std::unexpected(
        fmt::format("function {:02X} in the answer to function {:02X}", head[1], function));
  }
  if (function != function_code::read_holding_registers) return kWriteReplyLength;
  if (head.size() < 3) return std::size_t{0};
  const std::size_t asked = std::size_t{be16(request, 4)} * 2;
  if (head[2] != asked)
    return std::unexpected(fmt::format("{} data bytes where {} were asked for", head[2], asked));
  return kReadReplyOverhead + asked;
}

std::expected<std::vector<std::uint8_t>, std::string> check_rtu_reply(
    std::span<const std::uint8_t> request, std::span<const std::uint8_t> reply) {
  if (reply.size() < kExceptionReplyLength) return std::unexpected("a reply too short to be one");
  if (!crc_matches(reply)) return std::unexpected("bad CRC");
  if (auto problem = reply_field_problem(request, reply)) return std::unexpected(*problem);
  return std::vector<std::uint8_t>(reply.begin() + 1, reply.end() - 2);
}

std::expected<std::unique_ptr<ModbusClient>, std::string> open_rtu_over_tcp(const MeterUri& uri) {
  auto link = ByteLink::connect_tcp(uri.host, uri.port, effective_timeout(uri));
  if (!link) return std::unexpected(link.error());
  return std::make_unique<RtuOverTcpClient>(std::move(*link), uri);
}

}  // namespace ambi
