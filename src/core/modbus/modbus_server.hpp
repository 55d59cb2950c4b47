#pragma once
// The meter's Modbus server steps (manual A3.1; spec decisions C29, C31): one RTU frame or
// one MBAP request in; out come the route its unit id asks for, the request as parsed (once),
// the response the meter gave, the bytes to send and the link change to apply after sending
// them. A transport moves bytes and prints what these steps return; the framers
// (modbus_rtu.hpp, modbus_mbap.hpp) know nothing of the meter.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/modbus/modbus_codec.hpp"
#include "core/modbus/modbus_mbap.hpp"
#include "core/modbus/modbus_pdu.hpp"
#include "core/modbus/modbus_rtu.hpp"

namespace ambi {

class Meter;

/// What a request's unit id asks of the meter (serial line V1.02 2.2; spec decision C31).
enum class Route : std::uint8_t {
  execute_and_reply,  ///< the meter's own id; on TCP also 0xFF and 0; with the unit-0 quirk,
                      ///< RTU reads to 0
  execute_silently,   ///< RTU: a write broadcast to unit 0, executed without an answer
  ignore,             ///< RTU: another unit, or a read broadcast to unit 0
  gateway_answer,     ///< TCP: any other unit id, answered with exception 0B
};

/// RTU: the meter's own id is executed and answered. Broadcast 0: writes are executed
/// without an answer; reads are ignored, unless `answer_unit_zero` (then they are answered).
/// Any other id: ignored.
[[nodiscard]] Route rtu_route(std::uint8_t unit, std::uint8_t own_id, std::uint8_t function,
                              const ModbusQuirks& quirks);
/// TCP: the meter's own id, 0xFF and 0 are served (0 is no broadcast on TCP); any other id
/// gets exception 0B, as from a gateway whose target stays silent.
[[nodiscard]] constexpr Route tcp_route(std::uint8_t unit, std::uint8_t own_id) {
  return unit == own_id || unit == kTcpUnitAny || unit == 0 ? Route::execute_and_reply
                                                            : Route::gateway_answer;
}

/// One RTU frame through the server. `request` views the frame's PDU, `response` views
/// `reply`: both stay valid while the frame and this exchange live (a move keeps them; the
/// exchange cannot be copied).
struct RtuExchange {
  RtuExchange() = default;
  RtuExchange(RtuExchange&&) = default;
  RtuExchange& operator=(RtuExchange&&) = default;
  RtuExchange(const RtuExchange&) = delete;
  RtuExchange& operator=(const RtuExchange&) = delete;
  ~RtuExchange() = default;

  std::uint8_t unit = 0;  ///< the unit id the frame was sent to
  Route route = Route::ignore;
  bool no_supply = false;  ///< the meter had no supply: it heard nothing (manual 5.8)
  ParsedRequest request;
  std::optional<Response> response;  ///< the response sent; none for a broadcast
  std::uint8_t reply_unit = 0;       ///< the id the reply goes out from (the one before a change)
  std::vector<std::uint8_t> reply;   ///< | reply_unit | response | CRC |; empty: nothing to send
  LinkChange link;                   ///< to apply once `reply` has been sent
};

/// The first half of the RTU server step: the frame's request parsed and its route, from the
/// meter's id and supply now. Changes nothing.
[[nodiscard]] RtuExchange route_rtu(const Meter& meter, const RtuFrame& frame,
                                    const ModbusQuirks& quirks);
/// The second half: executes a routed frame (unless ignored) and encodes the reply. A meter
/// without supply hears nothing and answers nothing (`no_supply` is set).
void serve_rtu(Meter& meter, RtuExchange& exchange, const ModbusQuirks& quirks);
/// The whole RTU server step: `route_rtu`, then `serve_rtu`.
[[nodiscard]] RtuExchange serve_rtu(Meter& meter, const RtuFrame& frame,
                                    const ModbusQuirks& quirks);

/// One MBAP request through the server, its reply appended to a buffer. `request` views the
/// request's PDU; `response` views the buffer until it grows.
struct MbapExchange {
  Route route = Route::execute_and_reply;  ///< execute_and_reply or gateway_answer
  bool no_supply = false;                  ///< the meter had no supply: no reply (manual 5.8)
  ParsedRequest request;
  std::optional<Response> response;
  std::size_t reply_at = 0;    ///< where the reply begins in the buffer
  std::size_t reply_size = 0;  ///< 0: nothing was answered
  LinkChange link;             ///< to apply once the reply has been sent
};

/// The TCP server step: routes, executes and encodes one request, appending the reply (with
/// the request's transaction and unit id) to `out`, so that the replies to a batch of
/// pipelined requests gather in one buffer without an allocation each. A meter without
/// supply answers nothing (the master times out).
[[nodiscard]] MbapExchange serve_mbap_into(Meter& meter, const MbapView& request,
                                           const ModbusQuirks& quirks,
                                           std::vector<std::uint8_t>& out);

/// The bytes to send for one request and the link change to apply after sending them.
struct MbapReply {
  std::vector<std::uint8_t> reply;
  LinkChange link;
};
/// `serve_mbap_into` with a buffer of its own.
[[nodiscard]] MbapReply serve_mbap(Meter& meter, const MbapFrame& frame,
                                   const ModbusQuirks& quirks);

}  // namespace ambi
