#pragma once
// The Modbus application layer of the meter (manual A3, Modbus Application Protocol
// V1.1b3): a request PDU in, a response PDU out. No framing, no transport. A Modbus
// exception is an answer (a value), not a failure. Exception codes, function codes and the
// limits are the codec's (modbus_codec.hpp).

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/meter/settings.hpp"
#include "core/modbus/modbus_codec.hpp"

namespace ambi {

class Meter;

/// Behaviours seen in the field but not in the manual: all off by default (strict).
struct ModbusQuirks {
  bool fc04_as_fc03 = false;      ///< answer FC 04 like FC 03 instead of exception 01
  bool answer_unit_zero = false;  ///< RTU: answer reads sent to unit 0 (else ignored)
};

/// Link settings a write changed. The transport applies them after sending the reply (R8).
struct LinkChange {
  std::optional<std::uint8_t> unit_id;
  std::optional<std::uint8_t> baud_code;  ///< register 4004 code 1-10
  std::optional<Parity> parity;
  [[nodiscard]] bool any() const { return unit_id || baud_code || parity; }
  friend bool operator==(const LinkChange&, const LinkChange&) = default;
};

/// What the meter answers to one request PDU.
struct ModbusReply {
  /// The response PDU, normal or exception; empty when there is nothing to answer
  /// (an empty request).
  std::vector<std::uint8_t> pdu;
  std::optional<ExceptionCode> exception;  ///< set when `pdu` is an exception response
  LinkChange link;
};

/// Serves one request PDU (function code + data). Reads: FC 03 (count 1-125, every address
/// mapped: else 03 / 02); FC 04 only with `quirks.fc04_as_fc03`, else 01. Writes: FC 06 and
/// FC 16 to the registers of the manual's Write table, through `Meter::apply_all` with
/// Origin{Source::modbus}: all registers of one request or none. Unknown or read-only
/// register: 02; malformed PDU, bad or refused value: 03; a stopped meter (8.1): 04. Nothing
/// changes on an exception.
[[nodiscard]] ModbusReply handle_pdu(Meter& meter, std::span<const std::uint8_t> pdu,
                                     const ModbusQuirks& quirks = {});

/// `handle_pdu` writing the response PDU (if any) at the end of `out`, for a transport that
/// gathers the replies of many requests in one buffer: nothing is allocated once `out` has
/// room. Returns the link change.
LinkChange append_pdu_reply(Meter& meter, std::span<const std::uint8_t> pdu,
                            const ModbusQuirks& quirks, std::vector<std::uint8_t>& out);
/// Appends the exception response PDU to `out`: function | 0x80, code.
void append_exception_pdu(std::vector<std::uint8_t>& out, std::uint8_t function,
                          ExceptionCode code);

}  // namespace ambi
