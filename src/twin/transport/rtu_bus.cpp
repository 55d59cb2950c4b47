#include "twin/transport/rtu_bus.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "core/codec/uart_line.hpp"
#include "twin/transport/audit_feed.hpp"

namespace ambi {
namespace {

std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31U);
}

uart::Parity uart_parity(Parity parity) {
  switch (parity) {
    case Parity::none:
      return uart::Parity::none;
    case Parity::odd:
      return uart::Parity::odd;
    case Parity::even:
      break;
  }
  return uart::Parity::even;
}

}  // namespace

std::int64_t collision_offset_bits(std::uint64_t seed, std::uint64_t collision, std::size_t k) {
  return static_cast<std::int64_t>(mix(seed ^ mix(collision * 0x9E3779B97F4A7C15ULL + k)) % 16U);
}

std::vector<std::uint8_t> RtuBus::talk_over(std::span<const std::uint8_t> unsent,
                                            std::span<const std::uint8_t> master,
                                            std::chrono::microseconds master_after) {
  ++talk_overs_;
  const uart::Format format{uart_parity(line_.parity), 1};  // R3: 8 data bits, 1 stop bit
  // Bit times from the first transmitter's start to the other's (rounded down).
  const std::int64_t lag = master_after.count() * static_cast<std::int64_t>(line_.baud) / 1'000'000;
  const std::int64_t reply_at = lag >= 0 ? 0 : -lag;
  const std::array<uart::Transmission, 2> on_line{
      uart::Transmission{unsent, reply_at},
      uart::Transmission{master, lag >= 0 ? lag : 0},
  };
  const std::vector<std::uint8_t> bits =
      uart::line_bits(on_line, format, uart::Physics::contention, seed_ ^ mix(~talk_overs_));
  // What the line carries while the reply's bytes take their time, read from their start.
  const auto from = static_cast<std::size_t>(std::min<std::int64_t>(reply_at, std::ssize(bits)));
  const std::size_t length =
      std::min(bits.size() - from, unsent.size() * static_cast<std::size_t>(format.bits()));
  return uart::receive(std::span(bits).subspan(from, length), format).bytes;
}

RtuBus::RtuBus(std::vector<Twin*> meters, LineSettings line, std::uint64_t seed)
    : meters_(std::move(meters)), line_(line), seed_(seed) {}

bool RtuBus::hears(const Twin& twin) const {
  const Settings& s = twin.meter().settings();
  return modbus_baud_rate(s.modbus_baud_code) == line_.baud && s.parity == line_.parity;
}

RtuExchange RtuBus::serve(const RtuFrame& frame, const ModbusQuirks& quirks) {
  RtuExchange first;
  bool have_first = false;
  std::vector<std::vector<std::uint8_t>> replies;
  fault_causes_.clear();
  heard_.clear();
  for (Twin* twin : meters_) {
    if (!hears(*twin)) continue;  // another baud rate or parity: noise to it
    RtuExchange exchange = route_rtu(twin->meter(), frame, quirks);
    if (exchange.route == Route::ignore) continue;
    twin->begin_modbus();
    twin->serve_modbus(ModbusFraming::rtu, [&](Meter& m) { serve_rtu(m, exchange, quirks); });
    if (twin->has_link_faults() && !exchange.reply.empty()) {
      // A faulted meter's reply goes on the wire as the fault makes it (a delay does not
      // hold the bus: docs/faults.md).
      FaultedReply faulted = twin->fault_reply(exchange.reply, ReplyFraming::rtu);
      fault_causes_.insert(fault_causes_.end(), faulted.causes.begin(), faulted.causes.end());
      if (faulted.dropped) {
        exchange.reply.clear();
        exchange.response.reset();
      } else if (faulted.changed()) {
        exchange.reply = std::move(faulted.bytes);
      }
    }
    heard_.push_back({twin, audit_reply(exchange.response, exchange.reply.size())});
    if (!exchange.reply.empty()) replies.push_back(exchange.reply);
    if (!have_first || (first.reply.empty() && !exchange.reply.empty())) {
      first = std::move(exchange);
      have_first = true;
    }
  }
  if (!have_first) {  // nobody took it: the frame as the line carried it, for the trace
    first.unit = frame.unit();
    first.request = parse_request(frame.pdu());
  }
  first.link = {};  // the line stays at its rate; a meter set to another one goes deaf
  if (replies.size() > 1) {
    ++collisions_;
    std::vector<uart::Transmission> on_line;
    on_line.reserve(replies.size());
    for (std::size_t k = 0; k < replies.size(); ++k) {
      on_line.push_back({replies[k], k == 0 ? 0 : collision_offset_bits(seed_, collisions_, k)});
    }
    const uart::Format format{uart_parity(line_.parity), 1};  // R3: 8 data bits, 1 stop bit
    first.reply =
        uart::superimpose(on_line, format, uart::Physics::contention, seed_ ^ mix(collisions_))
            .bytes;
    first.response.reset();  // what the master reads is no response of anyone's
  }
  return first;
}

}  // namespace ambi
