// Fuzzes the Modbus PDU decoder: any request PDU gets an answer; an exception changes nothing.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/modbus/modbus_pdu.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ambi;
  static const Meter kStart = fuzz::loaded_meter();
  Meter meter = kStart;
  const ModbusQuirks quirks{.fc04_as_fc03 = size > 0 && (data[0] & 1) != 0};
  const ModbusReply reply = handle_pdu(meter, std::span(data, size), quirks);
  if (size == 0) return 0;
  fuzz::require(!reply.pdu.empty() && reply.pdu.size() <= 253);
  fuzz::require((reply.pdu[0] & 0x7F) == (data[0] & 0x7F));
  if (reply.exception) {
    fuzz::require(reply.pdu.size() == 2 && meter.state() == kStart.state());
    fuzz::require(!reply.link.any());
  }
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    if (is_legal_counter(i)) fuzz::require(meter.registers().mwh(i) >= kStart.registers().mwh(i));
  }
  return 0;
}
