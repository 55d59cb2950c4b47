#pragma once
// Modbus RTU frames over a TCP stream (rtu+tcp://), which libmodbus does not carry: the
// serial line ADU | unit | PDU | CRC lo hi | (Modbus over serial line V1.02, 2.5.1) sent
// as is through a socket, as transparent serial-to-Ethernet converters pass it on. The
// PDUs are built and read by the core's codec (core/modbus/modbus_codec.hpp).
//
// A reply's length follows from the request's function code, so a reply is complete without
// timing: exception | unit | fc+0x80 | code | CRC | (5 bytes); FC 03 | unit | 03 | n | n
// bytes | CRC | (5 + n); FC 06 and FC 16 | unit | fc | address | value or count | CRC | (8).

#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string>

#include "core/modbus/modbus_codec.hpp"
#include "io/byte_link.hpp"
#include "tools/meter_uri.hpp"
#include "tools/modbus_client.hpp"

namespace ambi {

/// The length of the whole reply to `request` sent to `unit` whose first bytes are `head`;
/// 0 while more bytes are needed to tell. The error names what cannot begin a reply to
/// this request (another unit, another function, a byte count that is not the one asked).
[[nodiscard]] std::expected<std::size_t, std::string> rtu_reply_length(
    std::uint8_t unit, const Request& request, std::span<const std::uint8_t> head);

/// Checks the complete reply `reply` (as long as `rtu_reply_length` said) to `request` sent
/// to `unit`: the CRC, then the unit, then the PDU as an answer to the request (the
/// function code or its exception; a read's byte count; a write's echo). The response
/// (viewing `reply`), or what is wrong with it.
[[nodiscard]] std::expected<Response, std::string> check_rtu_reply(
    std::uint8_t unit, const Request& request, std::span<const std::uint8_t> reply);

/// Connects to the RTU-over-TCP server `uri` names (scheme rtu_over_tcp). Before each
/// request stale bytes are dropped; a request to unit 0 is sent without awaiting a reply;
/// a link that broke is reconnected at the next request. The error is one line.
[[nodiscard]] std::expected<std::unique_ptr<ModbusClient>, std::string> open_rtu_over_tcp(
    const MeterUri& uri);

/// The same client over an open `link` (in tests, an in-memory stream to a core slave:
/// io/memory_stream.hpp); `uri` gives the timeout, the retries and the name in messages. A
/// link that broke is not opened again: the requests after it fail as `connect` errors.
[[nodiscard]] std::unique_ptr<ModbusClient> rtu_client_over(ByteLink link, const MeterUri& uri);

}  // namespace ambi
