#include "twin/transport/mbus_line.hpp"

#include <utility>

#include "core/codec/uart_line.hpp"
#include "twin/transport/rtu_bus.hpp"

namespace ambi {

MbusLine::MbusLine(std::vector<Twin*> meters, std::uint32_t baud, std::uint64_t seed,
                   MbusQuirks quirks)
    : meters_(std::move(meters)),
      slaves_(meters_.size(), MbusSlave(quirks)),
      baud_(baud),
      seed_(seed) {}

MbusExchange MbusLine::serve(const MbusFrame& frame) {
  MbusExchange first;
  std::vector<std::vector<std::uint8_t>> replies;
  fault_causes_.clear();
  addressed_.clear();
  collided_ = false;
  for (std::size_t i = 0; i < meters_.size(); ++i) {
    Twin& twin = *meters_[i];
    if (twin.meter().settings().mbus_baud != baud_) continue;  // noise at its rate
    MbusExchange exchange = twin.serve_mbus(slaves_[i], frame);
    if (addressed(exchange.route)) addressed_.push_back(&twin);
    if (twin.has_link_faults() && !exchange.reply.empty()) {
      // A faulted meter's answer goes on the line as the fault makes it (a delay does not
      // hold the line: docs/faults.md).
      FaultedReply faulted = twin.fault_reply(exchange.reply, ReplyFraming::mbus);
      fault_causes_.insert(fault_causes_.end(), faulted.causes.begin(), faulted.causes.end());
      if (faulted.dropped) {
        exchange.reply.clear();
      } else if (faulted.changed()) {
        exchange.reply = std::move(faulted.bytes);
        exchange.answer = MbusAnswer{};
      }
    }
    if (exchange.reply.empty()) continue;
    replies.push_back(exchange.reply);
    if (replies.size() == 1) first = std::move(exchange);
  }
  first.baud.reset();  // the line stays at its rate
  if (replies.size() > 1) {
    ++collisions_;
    collided_ = true;
    std::vector<uart::Transmission> on_line;
    on_line.reserve(replies.size());
    for (std::size_t k = 0; k < replies.size(); ++k) {
      on_line.push_back({replies[k], k == 0 ? 0 : collision_offset_bits(seed_, collisions_, k)});
    }
    first.reply = uart::superimpose(on_line, uart::Format{uart::Parity::even, 1},
                                    uart::Physics::wired_and, seed_)
                      .bytes;
    first.answer = MbusAnswer{};  // what the master reads is nobody's answer
  }
  return first;
}

}  // namespace ambi
