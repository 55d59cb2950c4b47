#pragma once
// The Modbus master side of the reader tools: FC 03 reads and FC 06/16 writes to one meter
// (or, with unit 0 on a serial line, a broadcast write). libmodbus carries Modbus TCP and
// RTU on serial lines (it drives real RS485 adapters); RTU over TCP, which libmodbus does
// not know, uses our own RTU framing over a socket.

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tools/meter_uri.hpp"

namespace ambi {

/// Why a Modbus transaction failed.
struct ModbusClientError {
  enum class Kind : std::uint8_t {
    connect,    ///< the host refused or is unreachable; the serial device cannot be opened
    timeout,    ///< no (complete) answer within the timeout, after the retries
    exception,  ///< the meter answered with an exception; see `exception_code`
    bad_reply,  ///< an answer that is not a valid reply to the request (CRC, length, echo)
    io,         ///< the link failed mid-way (connection reset...)
  };
  Kind kind = Kind::io;
  std::uint8_t exception_code = 0;
  std::string message;  ///< one line: what happened, where, and what to check
};

/// The meaning of an exception code, as the Modbus application protocol names it
/// ("illegal data address"); "exception 0xNN" for an unknown one.
[[nodiscard]] std::string exception_meaning(std::uint8_t code);

/// A connection to one Modbus line or server. Not thread-safe.
class ModbusClient {
 public:
  virtual ~ModbusClient() = default;
  /// FC 03: `count` (1-125) holding registers from `start` of unit `unit`.
  [[nodiscard]] virtual std::expected<std::vector<std::uint16_t>, ModbusClientError> read(
      std::uint8_t unit, std::uint16_t start, std::uint16_t count) = 0;
  /// FC 06 for one word, FC 16 for more. Unit 0 broadcasts (no answer is awaited).
  [[nodiscard]] virtual std::expected<void, ModbusClientError> write(
      std::uint8_t unit, std::uint16_t start, std::span<const std::uint16_t> words) = 0;
  /// Changes the answer timeout (a scan probes with a short one).
  virtual void set_timeout(std::chrono::milliseconds timeout) = 0;
};

/// Opens the line or connection `uri` names (a Modbus scheme). The error says what could
/// not be opened and why ("cannot connect to 127.0.0.1:5020: connection refused").
[[nodiscard]] std::expected<std::unique_ptr<ModbusClient>, std::string> open_modbus(
    const MeterUri& uri);

}  // namespace ambi
