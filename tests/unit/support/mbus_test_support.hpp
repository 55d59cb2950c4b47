#pragma once
// Helpers of the M-bus tests: telegrams written as the manual writes them, without checksum
// and stop byte ("68 06 06 68 53 01 51 01 7A 01"), completed here; one telegram served
// through the framer and the slave.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

#include "core/codec/hex.hpp"
#include "core/mbus/mbus_frame.hpp"
#include "core/mbus/mbus_slave.hpp"
#include "core/meter/meter.hpp"

namespace ambi::mbus_test {

using Bytes = std::vector<std::uint8_t>;
inline const Origin kMbus{Source::mbus, {}};

/// Hex digits in pairs, spaces ignored: "10 5B 01" → 10 5B 01.
inline Bytes hex(std::string_view text) {
  auto bytes = parse_hex(text);
  EXPECT_TRUE(bytes.has_value()) << "not hex pairs: " << text;
  return bytes.value_or(Bytes{});
}

/// The byte strings one after the other.
template <class... More>
Bytes cat(Bytes first, const More&... more) {
  (first.insert(first.end(), more.begin(), more.end()), ...);
  return first;
}

/// A short ("10 C A") or control/long ("68 L L 68 C A CI ...") telegram with its checksum
/// and stop byte appended.
inline Bytes telegram(std::string_view text) {
  Bytes bytes = hex(text);
  const std::size_t body = !bytes.empty() && bytes[0] == kMbusShortStart ? 1 : 4;
  bytes.push_back(mbus_checksum(std::span(bytes).subspan(body)));
  bytes.push_back(kMbusStop);
  return bytes;
}

/// The RSP_UD telegram: 68 L L 68 08 A 72 `user_data` CS 16.
inline Bytes rsp_ud(std::uint8_t address, const Bytes& user_data) {
  return encode_mbus(mbus_long(c_field::rsp_ud, address, ci_field::rsp_ud_variable, user_data));
}

/// A factory-new meter, powered.
inline Meter powered_meter() {
  Meter m;
  m.power_on();
  return m;
}

/// A meter and its M-bus slave on one bus; `send` frames the bytes and serves each telegram.
struct Bus {
  Meter meter = powered_meter();
  MbusSlave slave;

  /// A bus whose meter has primary address `address` (the manual's examples use 01).
  static Bus at(int address, MbusQuirks quirks = {}) {
    Bus bus{powered_meter(), MbusSlave{quirks}};
    EXPECT_TRUE(bus.meter.apply(SetMbusId{address}, kMbus).has_value());
    return bus;
  }

  /// Serves every telegram in `bytes`; the exchanges concatenated (replies appended, the
  /// last baud change kept, the route and typed answer of the last telegram). Fails the
  /// test when no telegram is found.
  MbusExchange send(const Bytes& bytes) {
    MbusFramer framer;
    framer.push(bytes);
    MbusExchange all;
    int frames = 0;
    for (MbusEvent event = framer.poll(); !std::holds_alternative<MbusNeedMore>(event);
         event = framer.poll()) {
      const auto* frame = std::get_if<MbusFrame>(&event);
      if (frame == nullptr) continue;
      ++frames;
      const MbusExchange out = slave.serve(meter, *frame);
      all.reply.insert(all.reply.end(), out.reply.begin(), out.reply.end());
      all.route = out.route;
      all.answer = out.answer;
      if (out.baud) all.baud = out.baud;
    }
    EXPECT_GT(frames, 0) << "no telegram in the bytes";
    return all;
  }
  /// `send(telegram(text))`.
  MbusExchange send(std::string_view text) { return send(telegram(text)); }
};

inline const Bytes kAck{kMbusAck};

}  // namespace ambi::mbus_test
