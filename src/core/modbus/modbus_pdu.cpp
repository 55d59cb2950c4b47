// One handler per request type; the codec parses and encodes, the register map reads and
// plans the writes.
#include "core/modbus/modbus_pdu.hpp"

#include <array>
#include <variant>

#include "core/meter/meter.hpp"
#include "core/modbus/modbus_map.hpp"

namespace ambi {
namespace {

using Out = std::vector<std::uint8_t>;

PduAnswer fail(std::uint8_t function, ExceptionCode code, Out& out) {
  const ExceptionResponse response{function, code};
  encode_response(response, out);
  return {response, {}};
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

/// The function codes the meter serves (PRODUCT.md): reads FC 03, writes FC 06 and FC 16;
/// FC 04 only as a quirk.
bool serves(std::uint8_t function, const ModbusQuirks& quirks) {
  if (function == function_code::read_input_registers) return quirks.fc04_as_fc03;
  return function == function_code::read_holding_registers ||
         function == function_code::write_single_register ||
         function == function_code::write_multiple_registers;
}

struct Handlers {
  Meter& meter;
  Out& out;

  /// FC 03 (and FC 04 as a quirk): the words straight from the register map into `out`.
  PduAnswer operator()(const ReadRegistersRequest& r) const {
    const std::size_t at = out.size();
    append_read_response_header(out, r.function, r.count);
    const std::size_t words = out.size();
    if (!append_register_bytes(meter, r.address, r.count, out)) {
      out.resize(at);
      return fail(r.function, ExceptionCode::illegal_data_address, out);
    }
    return {ReadRegistersResponse{r.function, RegisterWords{std::span(out).subspan(words)}}, {}};
  }

  /// FC 06: the response echoes the request.
  PduAnswer operator()(const WriteSingleRegisterRequest& r) const {
    const std::array<std::uint16_t, 1> value{r.value};
    return write(function_code::write_single_register, r.address, value,
                 WriteSingleRegisterResponse{r.address, r.value});
  }

  /// FC 16: the response echoes address and count.
  PduAnswer operator()(const WriteMultipleRegistersRequest& r) const {
    std::array<std::uint16_t, kMaxWriteRegisters> words{};
    for (std::size_t i = 0; i < r.values.size(); ++i) words[i] = r.values[i];
    const auto count = static_cast<std::uint16_t>(r.values.size());
    return write(function_code::write_multiple_registers, r.address, std::span(words).first(count),
                 WriteMultipleRegistersResponse{r.address, count});
  }

  /// Not served: `serves` has answered 01 already.
  PduAnswer operator()(const OtherRequest& r) const {
    return fail(r.function, ExceptionCode::illegal_function, out);
  }

  /// Plans and applies a write of `words` from `start`; answers `echo` when it is done.
  PduAnswer write(std::uint8_t function, std::uint16_t start, std::span<const std::uint16_t> words,
                  const Response& echo) const {
    const auto commands = plan_write(start, words, meter.settings().data_type);
    if (!commands) {
      return fail(function,
                  commands.error() == WriteError::not_writable ? ExceptionCode::illegal_data_address
                                                               : ExceptionCode::illegal_data_value,
                  out);
    }
    const Settings before = meter.settings();
    if (auto ok = meter.apply_all(*commands, Origin{Source::modbus, {}}); !ok) {
      return fail(function, exception_of(ok.error()), out);
    }
    encode_response(echo, out);
    return {echo, link_change(before, meter.settings())};
  }
};

}  // namespace

PduAnswer append_pdu_reply(Meter& meter, const ParsedRequest& request, const ModbusQuirks& quirks,
                           Out& out) {
  const std::optional<ExceptionCode> refused = request ? std::nullopt : request.error().exception();
  if (!request && !refused) return {};  // an empty PDU: nothing to answer
  const std::uint8_t function = function_of(request);
  if (!serves(function, quirks)) return fail(function, ExceptionCode::illegal_function, out);
  if (refused) return fail(function, *refused, out);
  return std::visit(Handlers{meter, out}, *request);
}

ModbusReply handle_pdu(Meter& meter, PduBytes pdu, const ModbusQuirks& quirks) {
  ModbusReply reply;
  const PduAnswer answer = append_pdu_reply(meter, parse_request(pdu), quirks, reply.pdu);
  if (const auto* exception =
          answer.response ? std::get_if<ExceptionResponse>(&*answer.response) : nullptr) {
    reply.exception = exception->code;
  }
  reply.link = answer.link;
  return reply;
}

}  // namespace ambi
