#pragma once
// Modbus RTU frames over a TCP stream (rtu+tcp://), which libmodbus does not carry: the
// serial line ADU | unit | PDU | CRC lo hi | (Modbus over serial line V1.02, 2.5.1) sent
// as is through a socket, as transparent serial-to-Ethernet converters pass it on.
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
#include <vector>

#include "tools/meter_uri.hpp"
#include "tools/modbus_client.hpp"

namespace ambi {

/// The length of the whole reply to the RTU frame `request` whose first bytes are `head`;
/// 0 while more bytes are needed to tell. The error names what cannot begin a reply to
/// this request (another unit, another function, a byte count that is not the one asked).
[[nodiscard]] std::expected<std::size_t, std::string> rtu_reply_length(
    std::span<const std::uint8_t> request, std::span<const std::uint8_t> head);

/// Checks the complete reply `reply` (as long as `rtu_reply_length` said) to the RTU frame
/// `request`: the CRC, then the unit and function echo, then for FC 06/16 the address and
/// value or count echo. The reply PDU (normal or exception), or what is wrong with it.
[[nodiscard]] std::expected<std::vector<std::uint8_t>, std::string> check_rtu_reply(
    std::span<const std::uint8_t> request, std::span<const std::uint8_t> reply);

/// Connects to the RTU-over-TCP server `uri` names (scheme rtu_over_tcp). Before each
/// request stale bytes are dropped; a request to unit 0 is sent without awaiting a reply;
/// a link that broke is reconnected at the next request. The error is one line.
[[nodiscard]] std::expected<std::unique_ptr<ModbusClient>, std::string> open_rtu_over_tcp(
    const MeterUri& uri);

}  // namespace ambi
