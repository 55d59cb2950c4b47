// Fuzzes the Modbus PDU codec and the meter's application layer on any request PDU:
// differential where it is cheap. A request the codec accepts encodes back to the same bytes;
// every answer is one response PDU, the typed response the server returned, which the codec
// parses back as an answer to that request; an exception changes nothing.
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "core/modbus/modbus_pdu.hpp"
#include "fuzz_support.hpp"

// NOLINTNEXTLINE(readability-identifier-naming): the entry point libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ambi;
  static const Meter kStart = fuzz::loaded_meter();
  Meter meter = kStart;
  const std::span<const std::uint8_t> pdu(data, size);
  const ModbusQuirks quirks{.fc04_as_fc03 = size > 0 && (data[0] & 1) != 0};
  const ParsedRequest request = parse_request(pdu);
  if (request) fuzz::require(encode_request(*request) == std::vector(pdu.begin(), pdu.end()));
  fuzz::require(function_of(request) == (size > 0 ? data[0] : 0));

  std::vector<std::uint8_t> out;
  const PduAnswer answer = append_pdu_reply(meter, request, quirks, out);
  fuzz::require(answer.response.has_value() == (size > 0));
  if (size == 0) return 0;
  fuzz::require(!out.empty() && out.size() <= kMaxPdu);
  fuzz::require((out[0] & 0x7F) == (data[0] & 0x7F));
  if (!answer.response) std::abort();  // required above for size > 0
  fuzz::require(encode_response(*answer.response) == out);
  const Request asked = request ? *request : Request{OtherRequest{data[0], {}}};
  const ParsedResponse parsed = parse_response(out, asked);
  if (!parsed) std::abort();
  fuzz::require(encode_response(*parsed) == out);
  if (data[0] < kExceptionBit) fuzz::require(*parsed == *answer.response);
  if (const auto* exception = std::get_if<ExceptionResponse>(&*answer.response)) {
    fuzz::require(out.size() == 2 && meter.state() == kStart.state());
    fuzz::require(!answer.link.any());
    fuzz::require(!to_string(exception->code).empty());
  }
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    if (is_legal_counter(i)) fuzz::require(meter.registers().mwh(i) >= kStart.registers().mwh(i));
  }
  return 0;
}
