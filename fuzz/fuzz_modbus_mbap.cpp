// Fuzzes the MBAP framer as a TCP stream in fuzzer-chosen segments: it yields frames whose
// re-encoding is a prefix-consistent MBAP frame, or an error that sticks.
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

#include "core/modbus_mbap.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ambi;
  static const Meter kStart = fuzz::loaded_meter();
  Meter meter = kStart;
  MbapFramer framer;
  std::size_t pos = 0;
  bool failed = false;
  while (pos < size && !failed) {
    const std::size_t take = std::min<std::size_t>(1 + data[pos] % 64, size - pos);
    framer.push(std::span(data + pos, take));
    pos += take;
    for (int guard = 0; guard < 10'000; ++guard) {
      const MbapEvent event = framer.poll();
      if (std::holds_alternative<MbapNeedMore>(event)) break;
      if (std::holds_alternative<MbapError>(event)) {
        fuzz::require(std::holds_alternative<MbapError>(framer.poll()));
        failed = true;
        break;
      }
      const auto& frame = std::get<MbapFrame>(event);
      fuzz::require(!frame.pdu.empty() && frame.pdu.size() <= kMaxMbapLength - 1);
      const auto bytes = encode_mbap(frame.transaction, frame.unit, frame.pdu);
      fuzz::require(bytes.size() == 7 + frame.pdu.size());
      (void)handle_pdu(meter, frame.pdu);
    }
  }
  return 0;
}
