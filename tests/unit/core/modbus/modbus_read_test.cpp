// FC 03 reads of the three blocks: exact words of a factory meter, physics of a known load,
// energy, rollover, integer data mode, reserved words and reads starting mid-value.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <numbers>

#include "core/meter/meter.hpp"
#include "core/modbus/modbus_map.hpp"
#include "core/modbus/modbus_pdu.hpp"
#include "modbus_test_support.hpp"

namespace ambi {
namespace {

using namespace modbus_test;
using Words = std::vector<std::uint16_t>;
const Origin kModbus{Source::modbus, {}};
constexpr std::int64_t kHourMs = 3'600'000;

/// | fc 03 | start | count | → the words of the response (asserting it is not an exception).
Words read(Meter& m, std::uint16_t start, std::uint16_t count) {
  const Bytes pdu{0x03, static_cast<std::uint8_t>(start >> 8),
                  static_cast<std::uint8_t>(start & 0xFF), static_cast<std::uint8_t>(count >> 8),
                  static_cast<std::uint8_t>(count & 0xFF)};
  const ModbusReply reply = handle_pdu(m, pdu);
  EXPECT_FALSE(reply.exception.has_value()) << "exception reading " << start;
  EXPECT_EQ(reply.pdu.size(), 2U + 2U * count);
  if (reply.pdu.size() > 1) {
    EXPECT_EQ(reply.pdu[1], 2 * count);
  }
  return response_words(reply.pdu);
}

float float_at(const Words& w, std::size_t i) {
  return std::bit_cast<float>((std::uint32_t{w[i]} << 16) | w[i + 1]);
}
std::int32_t int_at(const Words& w, std::size_t i) {
  return static_cast<std::int32_t>((std::uint32_t{w[i]} << 16) | w[i + 1]);
}

/// L1 230 V 10 A resistive, L2 231 V 5 A lagging 60°, L3 229 V 2 A exporting, 50 Hz.
LoadInput known_load() {
  LoadInput load;
  load.phases = {PhaseInput{230.0, 10.0, 0.0}, PhaseInput{231.0, 5.0, 60.0},
                 PhaseInput{229.0, 2.0, 180.0}};
  load.hz = 50.0;
  return load;
}

Meter loaded_meter() {
  Meter m = powered_meter();
  EXPECT_TRUE(m.set_load(known_load()).has_value());
  return m;
}

TEST(ModbusRead, Block4000OfAFactoryMeterReadsTheDocumentedWords) {
  Meter m = powered_meter();
  // serial 1902 0246 | code 1113 | id 1 | baud 6 | versions 1.0, 1.02, 1.0 | 400B 5 |
  // 400C 0005 | S0 1000.0 | C-04 | 5 s | even | 'F' x3 | error 0 | 1 power-up | Q1 x4 |
  // checksum 2100 1416 | status: powered | CT 0005 0005 | 30 ms | type 1 | 5962 9173 |
  // reserved | standard | reserved x11 | direction 0 | OBIS 1
  const Words expected{0x1902, 0x0246, 0x1113, 0x0001, 0x0006, 0x3F80, 0x0000, 0x3F82, 0x8F5C,
                       0x3F80, 0x0000, 0x0005, 0x0005, 0x447A, 0x0000, 0x0004, 0x0005, 0x0001,
                       0x0046, 0x0046, 0x0046, 0x0000, 0x0001, 0x0001, 0x0001, 0x0001, 0x0001,
                       0x2100, 0x1416, 0x0000, 0x0040, 0x0005, 0x0005, 0x0030, 0x0001, 0x5962,
                       0x9173, 0x0000, 0x0001, 0,      0,      0,      0,      0,      0,
                       0,      0,      0,      0,      0,      0x0000, 0x0001};
  EXPECT_EQ(read(m, 0x4000, 0x34), expected);
}

TEST(ModbusRead, InstantaneousValuesObeyPhysics) {
  Meter m = loaded_meter();
  const Words w = read(m, 0x5000, 0x38);
  ASSERT_EQ(w.size(), 0x38U);
  const auto at = [&](std::uint16_t address) { return float_at(w, address - 0x5000U); };
  const double q2 = 231.0 * 5.0 * std::sin(std::numbers::pi / 3) / 1000.0;
  EXPECT_EQ(at(0x5000), 0.0F);  // "Voltage*": single-phase value (R9)
  EXPECT_EQ(at(0x5002), 230.0F);
  EXPECT_EQ(at(0x5004), 231.0F);
  EXPECT_EQ(at(0x5006), 229.0F);
  EXPECT_EQ(at(0x5008), 50.0F);
  EXPECT_EQ(at(0x500A), 0.0F);  // "Current*"
  EXPECT_EQ(at(0x500C), 10.0F);
  EXPECT_EQ(at(0x500E), 5.0F);
  EXPECT_EQ(at(0x5010), 2.0F);
  EXPECT_EQ(at(0x5012), 2.4195F);
  EXPECT_EQ(at(0x5014), 2.3F);
  EXPECT_EQ(at(0x5016), 0.5775F);
  EXPECT_EQ(at(0x5018), -0.458F);
  EXPECT_NEAR(at(0x501A), q2, 2e-6);
  EXPECT_EQ(at(0x501C), 0.0F);
  EXPECT_NEAR(at(0x501E), q2, 2e-6);
  EXPECT_NEAR(at(0x5020), 0.0, 1e-6);
  EXPECT_EQ(at(0x5022), 3.913F);
  EXPECT_EQ(at(0x5024), 2.3F);
  EXPECT_EQ(at(0x5026), 1.155F);
  EXPECT_EQ(at(0x5028), 0.458F);
  EXPECT_FLOAT_EQ(at(0x502A), static_cast<float>(2419.5 / 3913.0));
  EXPECT_EQ(at(0x502C), 1.0F);
  EXPECT_EQ(at(0x502E), 0.5F);
  EXPECT_EQ(at(0x5030), -1.0F);
  EXPECT_FLOAT_EQ(at(0x5032),
                  static_cast<float>(std::sqrt(230.0 * 230 + 231.0 * 231 + 230.0 * 231)));
  EXPECT_FLOAT_EQ(at(0x5034),
                  static_cast<float>(std::sqrt(230.0 * 230 + 229.0 * 229 + 230.0 * 229)));
  EXPECT_FLOAT_EQ(at(0x5036),
                  static_cast<float>(std::sqrt(231.0 * 231 + 229.0 * 229 + 231.0 * 229)));
}

TEST(ModbusRead, CurrentDirectionAndQuadrantsFollowEachPhase) {
  Meter m = loaded_meter();
  // 'F' 'F' 'R' | error | power-ups | Q1 total, L1 Q1, L2 Q1, L3 Q2
  EXPECT_EQ(read(m, 0x4012, 9), (Words{0x0046, 0x0046, 0x0052, 0, 1, 1, 1, 1, 2}));
}

TEST(ModbusRead, EnergyOfOneKilowattHourReadsOnePointZero) {
  Meter m = powered_meter();
  LoadInput load;
  load.phases[0] = {250.0, 4.0, 0.0};
  ASSERT_TRUE(m.set_load(load).has_value());
  m.advance(kHourMs);
  const Words w = read(m, 0x6000, 0x1A);
  EXPECT_EQ(w[0], 0x3F80);  // 6000 total: 1.0 kWh = 3F80 0000
  EXPECT_EQ(w[1], 0x0000);
  EXPECT_EQ(float_at(w, 0x02), 1.0F);  // T1
  EXPECT_EQ(float_at(w, 0x04), 0.0F);  // T2
  EXPECT_EQ(float_at(w, 0x06), 1.0F);  // L1
  EXPECT_EQ(float_at(w, 0x0C), 1.0F);  // forward
  EXPECT_EQ(float_at(w, 0x18), 0.0F);  // reverse
}

TEST(ModbusRead, ExportMakesANegativeTotalUnderC04) {
  Meter m = powered_meter();
  LoadInput load;
  load.phases[0] = {250.0, 8.0, 180.0};
  ASSERT_TRUE(m.set_load(load).has_value());
  m.advance(kHourMs / 2);
  const Words w = read(m, 0x6000, 0x1A);
  EXPECT_EQ(float_at(w, 0x00), -1.0F);
  EXPECT_EQ(float_at(w, 0x0C), 0.0F);
  EXPECT_EQ(float_at(w, 0x18), 1.0F);
}

TEST(ModbusRead, EnergyRollsOverBeyond999999999Kwh) {
  PersistentState state;
  const auto fwd = counter_index::total(Family::active, Dir::forward);
  state.registers.at(fwd) = EnergyCounter::from_parts(1'000'000'500'000, 0);  // 1000000.5 kWh
  Meter m(state, 0);
  m.power_on();
  EXPECT_EQ(float_at(read(m, 0x600C, 2), 0), 0.5F);
}

TEST(ModbusRead, WholeEnergyBlockReadsInTwoRequests) {
  Meter m = loaded_meter();
  m.advance(kHourMs);
  const Words first = read(m, 0x6000, 125);
  const Words second = read(m, 0x607D, 0x6091 - 0x607D);
  EXPECT_EQ(first[0x48], 1);  // 6048 tariff T1
  // Whole Wh, rounded toward zero: 2419.5 Wh reads 2.419 (a float just below it).
  EXPECT_EQ(float_at(first, 0x49), counted_float(2'419'000));  // 6049 trip = total
  EXPECT_LE(static_cast<double>(float_at(first, 0x49)) * 1000, 2419.0);
  EXPECT_EQ(float_at(second, 0x608F - 0x607D), counted_float(-458'000));  // L3 trip: export
  EXPECT_GE(static_cast<double>(float_at(second, 0x608F - 0x607D)) * 1000, -458.0);
}

TEST(ModbusRead, ReservedWordsInsideABlockReadZero) {
  Meter m = powered_meter();
  EXPECT_EQ(read(m, 0x4025, 1), (Words{0}));
  EXPECT_EQ(read(m, 0x4027, 11), Words(11, 0));
}

TEST(ModbusRead, MayStartOnTheSecondWordOfAValue) {
  Meter m = powered_meter();
  EXPECT_EQ(read(m, 0x4001, 1), (Words{0x0246}));
  EXPECT_EQ(read(m, 0x4008, 2), (Words{0x8F5C, 0x3F80}));  // low of 1.02, high of 1.0
}

TEST(ModbusRead, IntegerDataModeSendsScaledSigned32BitValues) {
  Meter m = loaded_meter();
  m.advance(kHourMs);
  ASSERT_TRUE(m.apply(SetDataType{2}, kModbus).has_value());
  const Words v = read(m, 0x5000, 0x38);
  const auto at = [&](std::uint16_t address) { return int_at(v, address - 0x5000U); };
  EXPECT_EQ(at(0x5002), 23000);  // 0.01 V
  EXPECT_EQ(at(0x5008), 5000);   // 0.01 Hz
  EXPECT_EQ(at(0x500C), 10000);  // 0.001 A
  EXPECT_EQ(at(0x5012), 2419);   // W, cut toward zero (2419.5)
  EXPECT_EQ(at(0x5018), -458);
  EXPECT_EQ(at(0x5030), -1000);  // PF 0.001
  EXPECT_EQ(v[0x30], 0xFFFF);    // -1000 = FFFF FC18
  EXPECT_EQ(v[0x31], 0xFC18);
  const Words e = read(m, 0x6000, 2);
  EXPECT_EQ(int_at(e, 0), 241);  // 2.4195 kWh in 0.01 kWh
  // The 0x4000 block's floats have no integer form: versions stay Float ABCD.
  EXPECT_EQ(read(m, 0x4005, 2), (Words{0x3F80, 0x0000}));
}

}  // namespace
}  // namespace ambi

namespace ambi {
namespace {

TEST(AppendRegisterBytes, CarriesTheWordsOfReadWordsBigEndianAfterWhatWasThere) {
  const Meter m = modbus_test::busy_meter();
  for (const auto& [start, count] : {std::pair<std::uint16_t, std::uint16_t>{0x4000, 0x34},
                                     {0x5000, 0x38},
                                     {0x6000, 125},
                                     {0x607D, 20},
                                     {0x5003, 1},
                                     {0x6001, 3}}) {
    SCOPED_TRACE(start);
    const auto words = read_words(m, start, count);
    ASSERT_TRUE(words.has_value());
    std::vector<std::uint8_t> out{0xAA};
    ASSERT_TRUE(append_register_bytes(m, start, count, out));
    ASSERT_EQ(out.size(), 1 + 2 * std::size_t{count});
    EXPECT_EQ(out[0], 0xAA);
    for (std::size_t i = 0; i < count; ++i) {
      EXPECT_EQ((out[1 + 2 * i] << 8) | out[2 + 2 * i], (*words)[i]);
    }
  }
}

TEST(AppendRegisterBytes, LeavesTheBufferAsItWasWhenAnAddressIsUnmapped) {
  const Meter m = modbus_test::powered_meter();
  std::vector<std::uint8_t> out{1, 2, 3};
  EXPECT_FALSE(append_register_bytes(m, 0x6080, 0x20, out));  // runs past 0x6090
  EXPECT_FALSE(append_register_bytes(m, 0x3FFF, 2, out));
  EXPECT_EQ(out, (std::vector<std::uint8_t>{1, 2, 3}));
}

}  // namespace
}  // namespace ambi
