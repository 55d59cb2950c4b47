#pragma once
// What the two Modbus clients (libmodbus for TCP and serial lines, our own RTU framing over
// TCP) share: request PDUs, how a request and a link are named in messages, the errors
// they build, and the retry rule.

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tools/meter_uri.hpp"
#include "tools/modbus_client.hpp"

namespace ambi::modbus_client_detail {

/// One request as messages name it.
struct RequestInfo {
  std::uint8_t unit = 1;
  bool write = false;
  std::uint16_t start = 0;
  std::uint16_t count = 0;
};

/// FC 03 PDU: | 03 | start hi lo | count hi lo |.
[[nodiscard]] std::vector<std::uint8_t> read_request_pdu(std::uint16_t start, std::uint16_t count);
/// FC 06 PDU for one word (| 06 | address | value |), FC 16 for more
/// (| 10 | start | count | byte count | words |).
[[nodiscard]] std::vector<std::uint8_t> write_request_pdu(std::uint16_t start,
                                                          std::span<const std::uint16_t> words);

/// "a read of 0x4000+2", "a write of 0x4010+1".
[[nodiscard]] std::string describe(const RequestInfo& request);
/// The line or server without its query: "tcp://127.0.0.1:5020", "serial:///dev/ttyUSB0".
[[nodiscard]] std::string link_name(const MeterUri& uri);
/// "127.0.0.1:5020", "[::1]:502".
[[nodiscard]] std::string host_port(const MeterUri& uri);

/// "no answer from unit 5 at tcp://127.0.0.1:5020 within 1000 ms".
[[nodiscard]] ModbusClientError timeout_error(const RequestInfo& request, std::string_view link,
                                              std::chrono::milliseconds timeout);
/// "unit 1 answered exception 02 (illegal data address) to a read of 0x4000+2".
[[nodiscard]] ModbusClientError exception_error(const RequestInfo& request, std::uint8_t code);
/// "bad reply from unit 1 at rtu+tcp://h:p to a read of 0x4000+2: bad CRC".
[[nodiscard]] ModbusClientError bad_reply_error(const RequestInfo& request, std::string_view link,
                                                std::string_view what);
/// "the link to tcp://h:p failed: Connection reset by peer".
[[nodiscard]] ModbusClientError io_error(std::string_view link, std::string_view what);
/// A connect failure with its one-line message (a reconnection that failed).
[[nodiscard]] ModbusClientError connect_error(std::string message);

/// An error when `request` asks for no word or more than one request carries.
[[nodiscard]] std::optional<ModbusClientError> check_count(const RequestInfo& request);

/// The words of an FC 03 response PDU | 03 | byte count | words |.
[[nodiscard]] std::vector<std::uint16_t> response_words(std::span<const std::uint8_t> pdu);

/// Failures worth another try: no answer, or a garbled one. An exception is an answer.
[[nodiscard]] constexpr bool retryable(ModbusClientError::Kind kind) {
  return kind == ModbusClientError::Kind::timeout || kind == ModbusClientError::Kind::bad_reply;
}

/// Runs `attempt` once, then again while it fails retryably, `retries` more times at most.
/// The last error's message says how many tries were made when there were several.
template <class T, class Attempt>
[[nodiscard]] std::expected<T, ModbusClientError> with_retries(int retries, Attempt&& attempt) {
  for (int tries = 1;; ++tries) {
    std::expected<T, ModbusClientError> result = attempt();
    if (result || !retryable(result.error().kind) || tries > retries) {
      if (!result && tries > 1) result.error().message += " (" + std::to_string(tries) + " tries)";
      return result;
    }
  }
}

}  // namespace ambi::modbus_client_detail
