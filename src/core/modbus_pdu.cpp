// One handler per function code; the register map does the encoding and the planning.
#include "core/modbus_pdu.hpp"

#include <algorithm>
#include <array>

#include "core/meter.hpp"
#include "core/modbus_map.hpp"

namespace ambi {
namespace {

using Pdu = std::span<const std::uint8_t>;

constexpr std::uint16_t kMaxReadCount = 125;   // V1.1b3 6.3
constexpr std::uint16_t kMaxWriteCount = 123;  // V1.1b3 6.12

std::uint16_t be16(Pdu pdu, std::size_t at) {
  return static_cast<std::uint16_t>((pdu[at] << 8) | pdu[at + 1]);
}
void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xFFU));
}

ModbusReply fail(std::uint8_t function, ExceptionCode code) {
  return {exception_pdu(function, code), code, {}};
}

/// A refusal of the meter as an exception: a stopped meter cannot serve (04); any other
/// refusal is a value the meter does not accept (03).
ExceptionCode exception_of(const Rejection& r) {
  const bool device =
      r.kind == Rejection::Kind::storage_failed || r.kind == Rejection::Kind::powered_off;
  return device ? ExceptionCode::server_device_failure : ExceptionCode::illegal_data_value;
}

LinkChange link_change(const Settings& before, const Settings& after) {
  LinkChange c;
  if (after.modbus_id != before.modbus_id) c.unit_id = after.modbus_id;
  if (after.modbus_baud_code != before.modbus_baud_code) c.baud_code = after.modbus_baud_code;
  if (after.parity != before.parity) c.parity = after.parity;
  return c;
}

/// FC 03 (and FC 04 as a quirk): | fc | address hi lo | count hi lo |.
ModbusReply read_registers(Meter& meter, Pdu pdu, const ModbusQuirks&) {
  const std::uint8_t fc = pdu[0];
  if (pdu.size() != 5) return fail(fc, ExceptionCode::illegal_data_value);
  const std::uint16_t count = be16(pdu, 3);
  if (count < 1 || count > kMaxReadCount) return fail(fc, ExceptionCode::illegal_data_value);
  const auto words = read_words(meter, be16(pdu, 1), count);
  if (!words) return fail(fc, ExceptionCode::illegal_data_address);
  ModbusReply reply;
  reply.pdu.reserve(2 + 2 * std::size_t{count});
  reply.pdu.push_back(fc);
  reply.pdu.push_back(static_cast<std::uint8_t>(2 * count));
  for (const std::uint16_t w : *words) put16(reply.pdu, w);
  return reply;
}

ModbusReply read_input_registers(Meter& meter, Pdu pdu, const ModbusQuirks& quirks) {
  if (!quirks.fc04_as_fc03) return fail(pdu[0], ExceptionCode::illegal_function);
  return read_registers(meter, pdu, quirks);
}

/// Plans and applies a write of `words` from `start`; `echo` is the normal response.
ModbusReply write(Meter& meter, std::uint8_t fc, std::uint16_t start,
                  std::span<const std::uint16_t> words, std::vector<std::uint8_t> echo) {
  const auto commands = plan_write(start, words, meter.settings().data_type);
  if (!commands) {
    return fail(fc, commands.error() == WriteError::not_writable
                        ? ExceptionCode::illegal_data_address
                        : ExceptionCode::illegal_data_value);
  }
  const Settings before = meter.settings();
  if (auto ok = meter.apply_all(*commands, Origin{Source::modbus, {}}); !ok) {
    return fail(fc, exception_of(ok.error()));
  }
  return {std::move(echo), std::nullopt, link_change(before, meter.settings())};
}

/// FC 06: | fc | address hi lo | value hi lo |; the response echoes the request.
ModbusReply write_single(Meter& meter, Pdu pdu, const ModbusQuirks&) {
  if (pdu.size() != 5) return fail(pdu[0], ExceptionCode::illegal_data_value);
  const std::array<std::uint16_t, 1> value{be16(pdu, 3)};
  return write(meter, pdu[0], be16(pdu, 1), value, {pdu.begin(), pdu.end()});
}

/// FC 16: | fc | address hi lo | count hi lo | byte count | values... |; the response
/// echoes address and count.
ModbusReply write_multiple(Meter& meter, Pdu pdu, const ModbusQuirks&) {
  const std::uint8_t fc = pdu[0];
  if (pdu.size() < 6) return fail(fc, ExceptionCode::illegal_data_value);
  const std::uint16_t count = be16(pdu, 3);
  const std::size_t bytes = pdu[5];
  if (count < 1 || count > kMaxWriteCount || bytes != 2U * count || pdu.size() != 6 + bytes) {
    return fail(fc, ExceptionCode::illegal_data_value);
  }
  std::vector<std::uint16_t> words(count);
  for (std::size_t i = 0; i < count; ++i) words[i] = be16(pdu, 6 + 2 * i);
  return write(meter, fc, be16(pdu, 1), words, {pdu.begin(), pdu.begin() + 5});
}

struct Handler {
  std::uint8_t function;
  ModbusReply (*serve)(Meter&, Pdu, const ModbusQuirks&);
};
constexpr std::array<Handler, 4> kHandlers{{
    {function_code::read_holding_registers, &read_registers},
    {function_code::read_input_registers, &read_input_registers},
    {function_code::write_single_register, &write_single},
    {function_code::write_multiple_registers, &write_multiple},
}};

}  // namespace

std::vector<std::uint8_t> exception_pdu(std::uint8_t function, ExceptionCode code) {
  return {static_cast<std::uint8_t>(function | 0x80U), static_cast<std::uint8_t>(code)};
}

ModbusReply handle_pdu(Meter& meter, std::span<const std::uint8_t> pdu,
                       const ModbusQuirks& quirks) {
  if (pdu.empty()) return {};
  const auto it = std::find_if(kHandlers.begin(), kHandlers.end(),
                               [fc = pdu[0]](const Handler& h) { return h.function == fc; });
  if (it == kHandlers.end()) return fail(pdu[0], ExceptionCode::illegal_function);
  return it->serve(meter, pdu, quirks);
}

}  // namespace ambi
