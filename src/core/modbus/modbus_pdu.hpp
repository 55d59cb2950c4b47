#pragma once
// The Modbus application layer of the meter (manual A3, Modbus Application Protocol
// V1.1b3): a parsed request in (modbus_codec.hpp), a response PDU out. No framing, no
// transport. A Modbus exception is an answer (a value), not a failure.

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

/// What the meter did with one request: the response it appended (its words view the
/// buffer it was appended to, until that buffer grows; none for an empty PDU) and the link
/// change to apply after sending it.
struct PduAnswer {
  std::optional<Response> response;
  LinkChange link;
};

/// Serves one parsed request, appending the response PDU to `out`: nothing is allocated
/// once `out` has room. The checks run in the order of spec decision C29: a function code
/// the meter does not serve answers 01 (FC 04 only with `quirks.fc04_as_fc03`); a PDU that
/// failed the codec's shape and count checks 03; then reads (FC 03) need every address
/// mapped (02); writes (FC 06, FC 16) go to the registers of the manual's Write table
/// through `Meter::apply_all` with Origin{Source::modbus}, all registers of one request or
/// none: unknown or read-only register 02, bad or refused value 03, a stopped meter (8.1)
/// 04. Nothing changes on an exception.
PduAnswer append_pdu_reply(Meter& meter, const ParsedRequest& request, const ModbusQuirks& quirks,
                           std::vector<std::uint8_t>& out);

/// What the meter answers to one request PDU, copied out.
struct ModbusReply {
  /// The response PDU, normal or exception; empty when there is nothing to answer
  /// (an empty request).
  std::vector<std::uint8_t> pdu;
  std::optional<ExceptionCode> exception;  ///< set when `pdu` is an exception response
  LinkChange link;
};

/// Parses and serves one request PDU (function code + data) as `append_pdu_reply` does.
[[nodiscard]] ModbusReply handle_pdu(Meter& meter, PduBytes pdu, const ModbusQuirks& quirks = {});

}  // namespace ambi
