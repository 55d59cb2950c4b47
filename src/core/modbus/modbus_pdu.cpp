// One handler per function code; the register map does the encoding and the planning.
#include "core/modbus/modbus_pdu.hpp"

#include <algorithm>
#include <array>

#include "core/meter/meter.hpp"
#include "core/modbus/modbus_map.hpp"

namespace ambi {
namespace {

using Pdu = std::span<const std::uint8_t>;

/// What a handler did besides appending its response PDU.
struct Served {
  std::optional<ExceptionCode> exception;
  LinkChange link;
};

Served fail(std::uint8_t function, ExceptionCode code, std::vector<std::uint8_t>& out) {
  append_exception_pdu(out, function, code);
  return {code, {}};
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
Served read_registers(Meter& meter, Pdu pdu, const ModbusQuirks&, std::vector<std::uint8_t>& out) {
  const std::uint8_t fc = pdu[0];
  if (pdu.size() != 5) return fail(fc, ExceptionCode::illegal_data_value, out);
  const std::uint16_t count = be16(pdu, 3);
  if (count < 1 || count > kMaxReadRegisters)
    return fail(fc, ExceptionCode::illegal_data_value, out);
  out.push_back(fc);
  out.push_back(static_cast<std::uint8_t>(2 * count));
  if (!append_register_bytes(meter, be16(pdu, 1), count, out)) {
    out.resize(out.size() - 2);
    return fail(fc, ExceptionCode::illegal_data_address, out);
  }
  return {};
}

Served read_input_registers(Meter& meter, Pdu pdu, const ModbusQuirks& quirks,
                            std::vector<std::uint8_t>& out) {
  if (!quirks.fc04_as_fc03) return fail(pdu[0], ExceptionCode::illegal_function, out);
  return read_registers(meter, pdu, quirks, out);
}

/// Plans and applies a write of `words` from `start`; the normal response echoes the
/// request's first `echo` bytes.
Served write(Meter& meter, Pdu pdu, std::uint16_t start, std::span<const std::uint16_t> words,
             std::size_t echo, std::vector<std::uint8_t>& out) {
  const std::uint8_t fc = pdu[0];
  const auto commands = plan_write(start, words, meter.settings().data_type);
  if (!commands) {
    return fail(fc,
                commands.error() == WriteError::not_writable ? ExceptionCode::illegal_data_address
                                                             : ExceptionCode::illegal_data_value,
                out);
  }
  const Settings before = meter.settings();
  if (auto ok = meter.apply_all(*commands, Origin{Source::modbus, {}}); !ok) {
    return fail(fc, exception_of(ok.error()), out);
  }
  out.insert(out.end(), pdu.begin(), pdu.begin() + static_cast<std::ptrdiff_t>(echo));
  return {std::nullopt, link_change(before, meter.settings())};
}

/// FC 06: | fc | address hi lo | value hi lo |; the response echoes the request.
Served write_single(Meter& meter, Pdu pdu, const ModbusQuirks&, std::vector<std::uint8_t>& out) {
  if (pdu.size() != 5) return fail(pdu[0], ExceptionCode::illegal_data_value, out);
  const std::array<std::uint16_t, 1> value{be16(pdu, 3)};
  return write(meter, pdu, be16(pdu, 1), value, pdu.size(), out);
}

/// FC 16: | fc | address hi lo | count hi lo | byte count | values... |; the response
/// echoes address and count.
Served write_multiple(Meter& meter, Pdu pdu, const ModbusQuirks&, std::vector<std::uint8_t>& out) {
  const std::uint8_t fc = pdu[0];
  if (pdu.size() < 6) return fail(fc, ExceptionCode::illegal_data_value, out);
  const std::uint16_t count = be16(pdu, 3);
  const std::size_t bytes = pdu[5];
  if (count < 1 || count > kMaxWriteRegisters || bytes != 2U * count || pdu.size() != 6 + bytes) {
    return fail(fc, ExceptionCode::illegal_data_value, out);
  }
  std::array<std::uint16_t, kMaxWriteRegisters> words{};
  for (std::size_t i = 0; i < count; ++i) words[i] = be16(pdu, 6 + 2 * i);
  return write(meter, pdu, be16(pdu, 1), std::span(words).first(count), 5, out);
}

struct Handler {
  std::uint8_t function;
  Served (*serve)(Meter&, Pdu, const ModbusQuirks&, std::vector<std::uint8_t>&);
};
constexpr std::array<Handler, 4> kHandlers{{
    {function_code::read_holding_registers, &read_registers},
    {function_code::read_input_registers, &read_input_registers},
    {function_code::write_single_register, &write_single},
    {function_code::write_multiple_registers, &write_multiple},
}};

Served serve_pdu(Meter& meter, Pdu pdu, const ModbusQuirks& quirks,
                 std::vector<std::uint8_t>& out) {
  const auto it = std::find_if(kHandlers.begin(), kHandlers.end(),
                               [fc = pdu[0]](const Handler& h) { return h.function == fc; });
  if (it == kHandlers.end()) return fail(pdu[0], ExceptionCode::illegal_function, out);
  return it->serve(meter, pdu, quirks, out);
}

}  // namespace

void append_exception_pdu(std::vector<std::uint8_t>& out, std::uint8_t function,
                          ExceptionCode code) {
  out.push_back(static_cast<std::uint8_t>(function | kExceptionBit));
  out.push_back(static_cast<std::uint8_t>(code));
}

ModbusReply handle_pdu(Meter& meter, std::span<const std::uint8_t> pdu,
                       const ModbusQuirks& quirks) {
  ModbusReply reply;
  if (pdu.empty()) return reply;
  const Served served = serve_pdu(meter, pdu, quirks, reply.pdu);
  reply.exception = served.exception;
  reply.link = served.link;
  return reply;
}

LinkChange append_pdu_reply(Meter& meter, std::span<const std::uint8_t> pdu,
                            const ModbusQuirks& quirks, std::vector<std::uint8_t>& out) {
  if (pdu.empty()) return {};
  return serve_pdu(meter, pdu, quirks, out).link;
}

}  // namespace ambi
