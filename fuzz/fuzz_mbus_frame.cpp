// Fuzzes the M-bus framer and slave: the input is split into chunks at fuzzer-chosen points
// (the first byte of each chunk is its length) and every telegram found is served. The
// framer never holds more than one telegram, every telegram it yields re-encodes to bytes
// that frame back to it, and every answer is silence, E5 or an RSP_UD the decoder reads,
// typed as it encodes (the slave's typed answer is its bytes).
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

#include "core/mbus/mbus_frame.hpp"
#include "core/mbus/mbus_readout.hpp"
#include "core/mbus/mbus_rsp_ud.hpp"
#include "core/mbus/mbus_slave.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace ambi;

void check_reencodes(const MbusFrame& frame) {
  const std::vector<std::uint8_t> bytes = encode_mbus(frame);
  MbusFramer again;
  again.push(bytes);
  const MbusEvent event = again.poll();
  const auto* parsed = std::get_if<MbusFrame>(&event);
  fuzz::require(parsed != nullptr && *parsed == frame && again.buffered() == 0);
}

/// The typed answer is the reply's bytes: silence, E5, or the RSP_UD it encodes to.
void check_answer(const MbusExchange& out) {
  if (const auto* rsp_ud = std::get_if<MbusRspUd>(&out.answer)) {
    fuzz::require(encode_rsp_ud_frame(*rsp_ud) == out.reply);
  } else if (std::holds_alternative<MbusAck>(out.answer)) {
    fuzz::require(out.reply == std::vector<std::uint8_t>{kMbusAck});
  } else {
    fuzz::require(out.reply.empty());
  }
  if (!out.reply.empty()) fuzz::require(addressed(out.route));
}

void check_reply(const MbusExchange& out) {
  check_answer(out);
  if (out.reply.empty() || out.reply == std::vector<std::uint8_t>{kMbusAck}) return;
  MbusFramer framer;
  framer.push(out.reply);
  const MbusEvent event = framer.poll();
  const auto* frame = std::get_if<MbusFrame>(&event);
  fuzz::require(frame != nullptr && frame->c == c_field::rsp_ud && framer.buffered() == 0);
  const auto readout = decode_rsp_ud(frame->data);
  fuzz::require(readout.has_value() && readout->values.size() == mbus_read_records().size());
}

void drain(MbusFramer& framer, MbusSlave& slave, Meter& meter) {
  for (MbusEvent event = framer.poll(); !std::holds_alternative<MbusNeedMore>(event);
       event = framer.poll()) {
    const auto* frame = std::get_if<MbusFrame>(&event);
    if (frame == nullptr) continue;
    check_reencodes(*frame);
    const MbusExchange out = slave.serve(meter, *frame);
    check_reply(out);
    if (out.baud) fuzz::require(meter.settings().mbus_baud == *out.baud);
  }
  fuzz::require(framer.buffered() < kMbusMaxFrame);
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the entry point libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Meter kStart = fuzz::loaded_meter();
  Meter meter = kStart;
  MbusSlave slave(MbusQuirks{.fcb_repeat = size > 0 && (data[0] & 0x80) != 0});
  MbusFramer framer;
  std::size_t pos = 0;
  while (pos < size) {
    const std::size_t length = data[pos++];
    const std::size_t take = std::min(length, size - pos);
    framer.push(std::span(data + pos, take));
    pos += take;
    drain(framer, slave, meter);
  }
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    if (is_legal_counter(i)) fuzz::require(meter.registers().mwh(i) >= kStart.registers().mwh(i));
  }
  return 0;
}
