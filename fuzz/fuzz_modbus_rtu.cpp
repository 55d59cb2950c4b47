// Fuzzes the RTU framer and server step: input split into chunks at fuzzer-chosen points,
// silences and 1.5-character gaps in between. The framer never holds more than one frame, never
// crashes, and every frame it yields has a good CRC (re-encoding its unit and PDU gives its
// bytes). Every reply is | the meter's id | the response the server step returned | CRC |.
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "core/modbus/modbus_server.hpp"
#include "fuzz_support.hpp"

namespace {

void check_reply(const ambi::RtuExchange& exchange) {
  using namespace ambi;
  fuzz::require(exchange.reply.size() <= kMaxRtuFrame);
  if (exchange.reply.empty()) return;
  fuzz::require(exchange.route == Route::execute_and_reply && exchange.response.has_value());
  fuzz::require(rtu_crc_matches(exchange.reply) && exchange.reply[0] == exchange.reply_unit);
  const auto pdu = std::span(exchange.reply).subspan(1, exchange.reply.size() - 3);
  if (!exchange.response) std::abort();  // required above
  fuzz::require(encode_response(*exchange.response) == std::vector(pdu.begin(), pdu.end()));
}

void drain(ambi::RtuFramer& framer, ambi::Meter& meter, ambi::RtuEvent event) {
  using namespace ambi;
  for (int guard = 0; guard < 10'000 && !std::holds_alternative<RtuNeedMore>(event); ++guard) {
    if (const auto* frame = std::get_if<RtuFrame>(&event)) {
      fuzz::require(frame->adu.size() <= kMaxRtuFrame);
      fuzz::require(encode_rtu(frame->unit(), frame->pdu()) == frame->adu);
      const RtuExchange exchange = serve_rtu(meter, *frame, ModbusQuirks{});
      fuzz::require(exchange.unit == frame->unit());
      check_reply(exchange);
    }
    event = framer.poll();
  }
  fuzz::require(framer.buffered() <= 4 * ambi::kMaxRtuFrame);
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the entry point libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ambi;
  static const Meter kStart = fuzz::loaded_meter();
  Meter meter = kStart;
  RtuFramer framer;
  std::size_t pos = 0;
  while (pos < size) {
    // First byte of each chunk: its length (0 → a silence, 255 → a gap inside a frame).
    const std::size_t length = data[pos++];
    if (length == 0) {
      drain(framer, meter, framer.on_silence());
      continue;
    }
    if (length == 255) {
      const std::size_t held = framer.buffered();
      const RtuEvent event = framer.on_gap();
      // A gap drops what is held (a frame in progress) and nothing else.
      fuzz::require(std::holds_alternative<RtuNeedMore>(event) ||
                    std::get<RtuDiscard>(event) ==
                        RtuDiscard{RtuDiscard::Reason::interrupted, held});
      fuzz::require(framer.buffered() == 0 || std::holds_alternative<RtuNeedMore>(event));
      drain(framer, meter, framer.poll());
      continue;
    }
    const std::size_t take = std::min(length, size - pos);
    framer.push(std::span(data + pos, take));
    pos += take;
    drain(framer, meter, framer.poll());
  }
  drain(framer, meter, framer.on_silence());
  return 0;
}
