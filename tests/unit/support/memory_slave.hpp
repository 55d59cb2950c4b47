#pragma once
// A meter served by the twin's own RTU server step (serve_rtu) on the far end of an
// in-memory stream (io/memory_stream.hpp): no thread, socket or pseudo-terminal. It answers
// from inside the master's send, so every exchange is deterministic and a timeout costs no
// wall time. It misbehaves as LoopbackSlave does; its stray bytes after a reply arrive as a
// burst of their own, which the master finds at its next read.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <utility>
#include <variant>
#include <vector>

#include "core/meter/meter.hpp"
#include "core/modbus/modbus_rtu.hpp"
#include "core/modbus/modbus_server.hpp"
#include "io/byte_link.hpp"
#include "io/memory_stream.hpp"
#include "modbus_test_slave.hpp"

namespace ambi::modbus_test {

class MemorySlave final : public TestSlave {
 public:
  explicit MemorySlave(Meter meter) : meter_(std::move(meter)) {
    auto [master, slave] = memory_stream_pair();
    master_ = std::move(master);
    end_ = std::move(slave);
    end_->on_receive([this](MemoryStream& end) { serve(end); });
  }

  /// The master's end of the stream (once).
  [[nodiscard]] ByteLink link() { return ByteLink::over(std::move(master_)); }
  /// Hangs up: the master's next read finds the stream closed.
  void hang_up() { end_.reset(); }

  void misbehave(Misbehaviour misbehaviour) override { misbehaviour_ = misbehaviour; }
  [[nodiscard]] int requests() const override { return requests_; }
  [[nodiscard]] std::uint8_t last_function() const override { return last_function_; }
  void on_meter(const std::function<void(Meter&)>& f) override { f(meter_); }

 private:
  /// Frames what arrived; the line is silent once the master's send is over.
  void serve(MemoryStream& end) {
    std::array<std::uint8_t, 512> chunk{};
    for (auto n = end.receive(chunk, {}); n && *n > 0; n = end.receive(chunk, {}))
      framer_.push(std::span(chunk).first(*n));
    for (RtuEvent event = framer_.poll(); !std::holds_alternative<RtuNeedMore>(event);
         event = framer_.poll()) {
      answer(event, end);
    }
    if (framer_.buffered() > 0) answer(framer_.on_silence(), end);
  }

  void answer(const RtuEvent& event, MemoryStream& end) {
    const auto* frame = std::get_if<RtuFrame>(&event);
    if (frame == nullptr) return;
    ++requests_;
    if (!frame->pdu().empty()) last_function_ = frame->pdu()[0];
    std::vector<std::uint8_t> reply = serve_rtu(meter_, *frame, {}).reply;
    if (reply.empty() || misbehaviour_ == Misbehaviour::silent) return;
    if (misbehaviour_ == Misbehaviour::bad_crc) reply.back() ^= 0x5A;
    (void)end.send(reply);
    if (misbehaviour_ == Misbehaviour::junk_after_reply)
      (void)end.send(std::vector<std::uint8_t>{0xDE, 0xAD, 0xBE, 0xEF});
  }

  Meter meter_;
  std::unique_ptr<MemoryStream> master_;
  std::unique_ptr<MemoryStream> end_;
  RtuFramer framer_;
  Misbehaviour misbehaviour_ = Misbehaviour::none;
  int requests_ = 0;
  std::uint8_t last_function_ = 0;
};

}  // namespace ambi::modbus_test
