#pragma once
// The Modbus master side of the reader tools: FC 03 reads and FC 06/16 writes to one meter
// (or, with unit 0 on a serial line, a broadcast write). libmodbus carries Modbus TCP and
// RTU on serial lines (it drives real RS485 adapters); RTU over TCP, which libmodbus does
// not know, uses our own RTU framing over a socket and the PDU codec of the core.
//
// Two levels of error, as tokio-modbus has them: a Modbus exception is an answer (the inner
// `ModbusAnswer`), a transaction that brought no usable answer is a failure (the outer
// `ModbusClientError`). Only failures are retried.

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/modbus/modbus_codec.hpp"
#include "tools/meter_uri.hpp"

namespace ambi {

/// Why a Modbus transaction brought no answer (or, folded in by the one-level
/// `ModbusClient::read` and `write`, which answer it was).
struct ModbusClientError {
  enum class Kind : std::uint8_t {
    connect,    ///< the host refused or is unreachable; the serial device cannot be opened
    timeout,    ///< no (complete) answer within the timeout, after the retries
    exception,  ///< one-level calls only: the meter answered with `exception_code`
    bad_reply,  ///< an answer that is not a valid reply to the request (CRC, length, echo)
    io,         ///< the link failed mid-way (connection reset...)
  };
  Kind kind = Kind::io;
  std::uint8_t exception_code = 0;
  std::string message;  ///< one line: what happened, where, and what to check
};

/// What the meter answered: the value asked for, or the exception it answered with.
template <class T>
using ModbusAnswer = std::expected<T, ExceptionCode>;
/// One transaction: the meter's answer, or the failure that left none.
template <class T>
using ModbusResult = std::expected<ModbusAnswer<T>, ModbusClientError>;
/// A transaction's result and how often the request was sent (1 + the retries used).
template <class T>
struct Tried {
  ModbusResult<T> result;
  int tries = 1;
};

/// The meaning of an exception code, as the Modbus application protocol names it
/// ("illegal data address"); "exception 0xNN" for an unknown one.
[[nodiscard]] std::string exception_meaning(std::uint8_t code);

/// A connection to one Modbus line or server. Not thread-safe.
class ModbusClient {
 public:
  virtual ~ModbusClient() = default;
  /// FC 03: `count` (1-125) holding registers from `start` of unit `unit`.
  [[nodiscard]] ModbusResult<std::vector<std::uint16_t>> read_registers(std::uint8_t unit,
                                                                        std::uint16_t start,
                                                                        std::uint16_t count);
  /// FC 06 for one word, FC 16 for more (1-123). Unit 0 broadcasts (no answer is awaited).
  [[nodiscard]] ModbusResult<void> write_registers(std::uint8_t unit, std::uint16_t start,
                                                   std::span<const std::uint16_t> words);
  /// `read_registers` with an exception answer folded into the error (kind `exception`:
  /// "unit 1 answered exception 02 (illegal data address) to a read of 0x0000+2"), for a
  /// caller that reports both alike.
  [[nodiscard]] std::expected<std::vector<std::uint16_t>, ModbusClientError> read(
      std::uint8_t unit, std::uint16_t start, std::uint16_t count);
  /// `write_registers` with an exception answer folded into the error.
  [[nodiscard]] std::expected<void, ModbusClientError> write(std::uint8_t unit, std::uint16_t start,
                                                             std::span<const std::uint16_t> words);
  /// Changes the answer timeout (a scan probes with a short one).
  virtual void set_timeout(std::chrono::milliseconds timeout) = 0;

 protected:
  /// The FC 03 transaction of a request whose count is in range, with the link's retries.
  [[nodiscard]] virtual Tried<std::vector<std::uint16_t>> transact_read(std::uint8_t unit,
                                                                        std::uint16_t start,
                                                                        std::uint16_t count) = 0;
  /// The FC 06 or FC 16 transaction of a write whose count is in range.
  [[nodiscard]] virtual Tried<void> transact_write(std::uint8_t unit, std::uint16_t start,
                                                   std::span<const std::uint16_t> words) = 0;
};

/// Opens the line or connection `uri` names (a Modbus scheme). The error says what could
/// not be opened and why ("cannot connect to 127.0.0.1:5020: connection refused").
[[nodiscard]] std::expected<std::unique_ptr<ModbusClient>, std::string> open_modbus(
    const MeterUri& uri);

}  // namespace ambi
