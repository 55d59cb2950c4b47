// Fuzzes the MBAP framer as a TCP stream in fuzzer-chosen segments: it yields frames whose
// re-encoding is the bytes they came in (the view's `adu`), or an error that sticks. The
// server's hot path runs beside it: the viewing framer (`next`) must see the same frames as
// `poll`; the replies `serve_mbap_into` gathers in one buffer must equal `serve_mbap`'s one by
// one, each the request's header and the response the step returned.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "core/modbus/modbus_server.hpp"
#include "fuzz_support.hpp"

// NOLINTNEXTLINE(readability-identifier-naming): the entry point libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ambi;
  static const Meter kStart = fuzz::loaded_meter();
  Meter meter = kStart;
  Meter fast_meter = kStart;
  MbapFramer framer;
  MbapFramer viewer;
  std::vector<std::uint8_t> replies;
  std::vector<std::uint8_t> gathered;
  std::size_t pos = 0;
  bool failed = false;
  while (pos < size && !failed) {
    const std::size_t take = std::min<std::size_t>(1 + data[pos] % 64, size - pos);
    framer.push(std::span(data + pos, take));
    viewer.push(std::span(data + pos, take));
    pos += take;
    for (int guard = 0; guard < 10'000; ++guard) {
      const MbapEvent event = framer.poll();
      const MbapViewEvent viewed = viewer.next();
      fuzz::require(event.index() == viewed.index());
      if (std::holds_alternative<MbapNeedMore>(event)) break;
      if (std::holds_alternative<MbapError>(event)) {
        fuzz::require(std::get<MbapError>(event) == std::get<MbapError>(viewed));
        fuzz::require(std::holds_alternative<MbapError>(framer.poll()));
        failed = true;
        break;
      }
      const auto& frame = std::get<MbapFrame>(event);
      const auto& view = std::get<MbapView>(viewed);
      fuzz::require(view.transaction == frame.transaction && view.unit == frame.unit);
      fuzz::require(std::vector<std::uint8_t>(view.pdu.begin(), view.pdu.end()) == frame.pdu);
      fuzz::require(!frame.pdu.empty() && frame.pdu.size() <= kMaxMbapLength - 1);
      const auto bytes = encode_mbap(frame.transaction, frame.unit, frame.pdu);
      fuzz::require(bytes.size() == kMbapHeader + frame.pdu.size());
      fuzz::require(bytes == std::vector<std::uint8_t>(view.adu.begin(), view.adu.end()));
      const MbapReply one = serve_mbap(meter, frame, {});
      replies.insert(replies.end(), one.reply.begin(), one.reply.end());
      const MbapExchange fast = serve_mbap_into(fast_meter, view, {}, gathered);
      fuzz::require(fast.link == one.link && gathered == replies);
      fuzz::require(fast.reply_size == one.reply.size());
      if (fast.reply_size == 0) continue;
      const auto reply = std::span(gathered).subspan(fast.reply_at, fast.reply_size);
      fuzz::require(std::equal(bytes.begin(), bytes.begin() + 4, reply.begin()));
      fuzz::require(reply[6] == frame.unit);
      const auto pdu = reply.subspan(kMbapHeader);
      if (!fast.response) std::abort();  // a reply has its response
      fuzz::require(encode_response(*fast.response) == std::vector(pdu.begin(), pdu.end()));
    }
    fuzz::require(viewer.buffered() == framer.buffered());
  }
  fuzz::require(fast_meter.state() == meter.state());
  return 0;
}
