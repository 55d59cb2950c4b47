#pragma once
// What the two Modbus clients (libmodbus for TCP and serial lines, our own RTU framing over
// TCP) share: how a request and a link are named in messages, the errors they build, the
// write request, and the retry rule.

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "core/modbus/modbus_codec.hpp"
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

/// FC 06 for one word (| 06 | address | value |), FC 16 for more (| 10 | start | count |
/// byte count | words |). `values` holds `words` big-endian (`register_bytes(words)`); an
/// FC 16 request views it.
[[nodiscard]] Request write_request(std::uint16_t start, std::span<const std::uint16_t> words,
                                    std::span<const std::uint8_t> values);

/// "a read of 0x4000+2", "a write of 0x4010+1".
[[nodiscard]] std::string describe(const RequestInfo& request);
/// The line or server without its query: "tcp://127.0.0.1:5020", "serial:///dev/ttyUSB0".
[[nodiscard]] std::string link_name(const MeterUri& uri);
/// "127.0.0.1:5020", "[::1]:502": an IPv6 host in brackets, once (given with or without).
[[nodiscard]] std::string host_port(const MeterUri& uri);

/// "no answer from unit 5 at tcp://127.0.0.1:5020 within 1000 ms".
[[nodiscard]] ModbusClientError timeout_error(const RequestInfo& request, std::string_view link,
                                              std::chrono::milliseconds timeout);
/// "unit 1 answered exception 02 (illegal data address) to a read of 0x4000+2".
[[nodiscard]] ModbusClientError exception_error(const RequestInfo& request, ExceptionCode code);
/// "bad reply from unit 1 at rtu+tcp://h:p to a read of 0x4000+2: bad CRC".
[[nodiscard]] ModbusClientError bad_reply_error(const RequestInfo& request, std::string_view link,
                                                std::string_view what);
/// "the link to tcp://h:p failed: Connection reset by peer".
[[nodiscard]] ModbusClientError io_error(std::string_view link, std::string_view what);
/// A connect failure with its one-line message (a reconnection that failed).
[[nodiscard]] ModbusClientError connect_error(std::string message);

/// An error when `request` asks for no word or more than one request carries.
[[nodiscard]] std::optional<ModbusClientError> check_count(const RequestInfo& request);

/// Failures worth another try: no answer, or a garbled one.
[[nodiscard]] constexpr bool retryable(ModbusClientError::Kind kind) {
  return kind == ModbusClientError::Kind::timeout || kind == ModbusClientError::Kind::bad_reply;
}

/// " (2 tries)" after a message of a request sent more than once.
[[nodiscard]] std::string tries_note(int tries);

/// Runs `attempt` once, then again while it fails retryably, `retries` more times at most.
/// An answer, normal or exception, ends the tries. The last failure's message says how many
/// tries were made when there were several.
template <class T, class Attempt>
[[nodiscard]] Tried<T> with_retries(int retries, Attempt&& attempt) {
  for (int tries = 1;; ++tries) {
    ModbusResult<T> result = attempt();
    if (result || !retryable(result.error().kind) || tries > retries) {
      if (!result && tries > 1) result.error().message += tries_note(tries);
      return {std::move(result), tries};
    }
  }
}

/// The one-level form of `tried`: an exception answer becomes an error of kind `exception`
/// whose message names it (and the tries, when there were several).
template <class T>
[[nodiscard]] std::expected<T, ModbusClientError> folded(Tried<T> tried,
                                                         const RequestInfo& request) {
  if (!tried.result) return std::unexpected(std::move(tried.result.error()));
  if (!*tried.result) {
    ModbusClientError error = exception_error(request, tried.result->error());
    if (tried.tries > 1) error.message += tries_note(tried.tries);
    return std::unexpected(std::move(error));
  }
  if constexpr (std::is_void_v<T>) {
    return {};
  } else {
    return std::move(**tried.result);
  }
}

}  // namespace ambi::modbus_client_detail
