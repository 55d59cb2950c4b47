#pragma once
// Helpers of the Modbus tests: frames written as the manual writes them ("01 06 4003
// 000A"), a CRC appended, and one frame served through the RTU framer.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

#include "core/codec/crc16.hpp"
#include "core/codec/hex.hpp"
#include "core/meter/meter.hpp"
#include "core/modbus/modbus_rtu.hpp"
#include "core/modbus/modbus_server.hpp"

namespace ambi::modbus_test {

using Bytes = std::vector<std::uint8_t>;

/// Hex digits in pairs, spaces ignored: "01 06 4003 000A" → 01 06 40 03 00 0A.
inline Bytes hex(std::string_view text) {
  auto bytes = parse_hex(text);
  EXPECT_TRUE(bytes.has_value()) << "not hex pairs: " << text;
  return bytes.value_or(Bytes{});
}

/// The frame with its CRC-16/MODBUS appended, low byte first.
inline Bytes with_crc(Bytes frame) {
  const std::uint16_t crc = crc16_modbus(frame);
  frame.push_back(static_cast<std::uint8_t>(crc & 0xFFU));
  frame.push_back(static_cast<std::uint8_t>(crc >> 8));
  return frame;
}

/// A factory-new meter, powered (power-down counter 1).
inline Meter powered_meter() {
  Meter m;
  m.power_on();
  return m;
}

/// A meter with every counter non-zero and most of them different: each tariff sees each
/// quadrant for a different time, at unequal loads per quadrant and per phase; then the CT
/// ratio changes to 1500/5.
inline Meter busy_meter() {
  const Origin modbus{Source::modbus, {}};
  Meter m = powered_meter();
  const double angles[] = {30.0, 150.0, 210.0, 330.0};
  const double amps[] = {2.0, 3.0, 6.0, 11.0};
  for (int tariff = 1; tariff <= 4; ++tariff) {
    EXPECT_TRUE(m.apply(SetTariff{tariff}, modbus).has_value());
    for (std::size_t q = 0; q < 4; ++q) {
      LoadInput load;
      for (std::size_t p = 0; p < 3; ++p) {
        load.phases[p] = {228.0 + static_cast<double>(p), amps[q] * static_cast<double>(p + 1),
                          angles[q]};
      }
      load.hz = 49.97;
      EXPECT_TRUE(m.set_load(load).has_value());
      m.advance(900'000 * tariff + 1'234 + 61'717 * static_cast<std::int64_t>(q));
    }
  }
  EXPECT_TRUE(m.apply(SetCtRatio{1500, 5}, modbus).has_value());
  return m;
}

/// The Float ABCD an energy register carries for a reading in mWh: the float nearest to
/// mWh / 1e6 kWh that is no larger in magnitude (rounded toward zero, PRODUCT.md). float ×
/// 1e6 is exact in double (24 + 20 significant bits), so the comparison is too.
inline float counted_float(std::int64_t mwh) {
  float f = static_cast<float>(static_cast<double>(mwh) / 1e6);
  if (std::abs(static_cast<double>(f) * 1e6) > std::abs(static_cast<double>(mwh)))
    f = std::nextafter(f, 0.0F);
  return f;
}

/// Sends `frame` (without CRC) through the framer and the RTU server step.
inline RtuExchange send_rtu(Meter& meter, std::string_view frame, const ModbusQuirks& quirks = {}) {
  RtuFramer framer;
  framer.push(with_crc(hex(frame)));
  const RtuEvent event = framer.poll();
  const auto* parsed = std::get_if<RtuFrame>(&event);
  EXPECT_NE(parsed, nullptr) << "no frame parsed from " << frame;
  if (parsed == nullptr) return {};
  return serve_rtu(meter, *parsed, quirks);
}

/// Serves a bare PDU written in hex.
inline ModbusReply send_pdu(Meter& meter, std::string_view pdu, const ModbusQuirks& quirks = {}) {
  return handle_pdu(meter, hex(pdu), quirks);
}

/// The 16-bit words of a read response PDU (after function and byte count), decoded by hand:
/// an oracle independent of the codec.
inline std::vector<std::uint16_t> response_words(const Bytes& pdu) {
  std::vector<std::uint16_t> words;
  for (std::size_t i = 2; i + 1 < pdu.size(); i += 2) {
    words.push_back(static_cast<std::uint16_t>((pdu[i] << 8) | pdu[i + 1]));
  }
  return words;
}

}  // namespace ambi::modbus_test
