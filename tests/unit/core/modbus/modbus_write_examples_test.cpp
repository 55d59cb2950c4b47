// Every "Command:" line of the manual's Write table (A3.2), sent as exact RTU bytes with the
// CRC computed, has its described effect (ruling R1); the reply is the Modbus echo.
#include <gtest/gtest.h>

#include "core/meter/meter.hpp"
#include "modbus_test_support.hpp"

namespace ambi {
namespace {

using namespace modbus_test;
const Origin kModbus{Source::modbus, {}};

/// Applies a setting first, so that the example's value is a change.
Meter meter_with(const Command& command) {
  Meter m = powered_meter();
  EXPECT_TRUE(m.apply(command, kModbus).has_value());
  return m;
}

// | id | fc | address | value | → ID 10, taking effect after the reply (R8)
//   01   06   40 03     00 0A
TEST(ModbusWriteExamples, SetsModbusIdTenAfterTheReply) {
  Meter m = powered_meter();
  const RtuExchange out = send_rtu(m, "01 06 4003 000A");
  EXPECT_EQ(out.reply, with_crc(hex("01 06 4003 000A")));  // sent from the old id 01
  EXPECT_EQ(out.link.unit_id, 10);
  EXPECT_EQ(m.settings().modbus_id, 10);
}

// | id | fc | address | value | → 9600 baud (code 6)
//   01   06   40 04     00 06
TEST(ModbusWriteExamples, SetsBaudRate9600) {
  Meter m = meter_with(SetModbusBaud{10});
  const RtuExchange out = send_rtu(m, "01 06 4004 00 06");
  EXPECT_EQ(out.reply, with_crc(hex("01 06 4004 0006")));
  EXPECT_EQ(out.link, (LinkChange{std::nullopt, 6, std::nullopt}));
  EXPECT_EQ(m.settings().modbus_baud_code, 6);
}

// | id | fc | address | count | bytes | float 10.0    | → S0 rate 10 imp/kWh
//   01   10   40 0D     00 02   04      41 20 00 00
TEST(ModbusWriteExamples, SetsS0RateTen) {
  Meter m = powered_meter();
  const RtuExchange out = send_rtu(m, "01 10 400D 0002 04 41 20 00 00");
  EXPECT_EQ(out.reply, with_crc(hex("01 10 400D 0002")));
  EXPECT_EQ(m.settings().s0_rate_centi, 1'000U);
}

// | id | fc | address | value | → combination code 4 (forward − reverse)
//   01   06   40 0F     00 04
TEST(ModbusWriteExamples, SetsCombinationCodeFour) {
  Meter m = meter_with(SetCombination{3});
  EXPECT_EQ(send_rtu(m, "01 06 400F 0004").reply, with_crc(hex("01 06 400F 0004")));
  EXPECT_EQ(m.settings().combination, CombinationCode::forward_minus_reverse);
}

// | id | fc | address | value (BCD) | → LCD cycle time 25 s
//   01   06   40 10     00 25
TEST(ModbusWriteExamples, SetsLcdCycleTime25SecondsInBcd) {
  Meter m = powered_meter();
  EXPECT_EQ(send_rtu(m, "01 06 4010 0025").reply, with_crc(hex("01 06 4010 0025")));
  EXPECT_EQ(m.settings().lcd_cycle_s, 25);
}

// | id | fc | address | value | → parity none, after the reply
//   01   06   40 11     00 02
TEST(ModbusWriteExamples, SetsParityNone) {
  Meter m = powered_meter();
  const RtuExchange out = send_rtu(m, "01 06 4011 0002");
  EXPECT_EQ(out.reply, with_crc(hex("01 06 4011 0002")));
  EXPECT_EQ(out.link, (LinkChange{std::nullopt, std::nullopt, Parity::none}));
  EXPECT_EQ(m.settings().parity, Parity::none);
}

// | id | fc | address | value | → power-down counter reset to 0
//   01   06   40 16     00 00
TEST(ModbusWriteExamples, ResetsPowerDownCounter) {
  Meter m = powered_meter();
  ASSERT_EQ(m.state().power_down_counter, 1);
  EXPECT_EQ(send_rtu(m, "01 06 4016 0000").reply, with_crc(hex("01 06 4016 0000")));
  EXPECT_EQ(m.state().power_down_counter, 0);
}

// | id | fc | address | value | → tariff T2
//   01   06   60 48     00 02
TEST(ModbusWriteExamples, SelectsTariffTwo) {
  Meter m = powered_meter();
  EXPECT_EQ(send_rtu(m, "01 06 6048 0002").reply, with_crc(hex("01 06 6048 0002")));
  EXPECT_EQ(m.tariff(), 2);
}

// | id | fc | address | count | bytes | value (ignored) | → trip counter reset to 0
//   01   10   60 49     00 02   04      00 00 00 00
TEST(ModbusWriteExamples, ResetsTripCounter) {
  Meter m = powered_meter();
  LoadInput load;
  load.phases[0] = {230.0, 10.0, 0.0};
  ASSERT_TRUE(m.set_load(load).has_value());
  m.advance(3'600'000);
  ASSERT_EQ(m.trip_total(), 2'300'000);
  EXPECT_EQ(send_rtu(m, "01 10 6049 0002 04 0000 0000").reply, with_crc(hex("01 10 6049 0002")));
  EXPECT_EQ(m.trip_total(), 0);
  EXPECT_EQ(m.total(Family::active), 2'300'000);
}

// | id | fc | address | count | bytes | primary | secondary | → CT ratio 9995/5
//   01   10   40 1F     00 02   04      99 95     00 05
TEST(ModbusWriteExamples, SetsCtRatio9995To5) {
  Meter m = powered_meter();
  EXPECT_EQ(send_rtu(m, "01 10 401F 0002 04 9995 0005").reply, with_crc(hex("01 10 401F 0002")));
  EXPECT_EQ(m.state().ct, (CtRatio{9995, 5}));
}

// | id | fc | address | value (BCD) | → pulse width 30 ms
//   01   06   40 21     00 30
TEST(ModbusWriteExamples, SetsPulseWidth30MsInBcd) {
  Meter m = meter_with(SetPulseWidth{50});
  EXPECT_EQ(send_rtu(m, "01 06 4021 0030").reply, with_crc(hex("01 06 4021 0030")));
  EXPECT_EQ(m.settings().pulse_width_ms, 30);
}

// | id | fc | address | value | → pulse type forward & reverse
//   01   06   40 22     00 02
TEST(ModbusWriteExamples, SetsPulseTypeForwardAndReverse) {
  Meter m = powered_meter();
  EXPECT_EQ(send_rtu(m, "01 06 4022 0002").reply, with_crc(hex("01 06 4022 0002")));
  EXPECT_EQ(m.settings().pulse_type, PulseType::forward_reverse);
}

// | id | fc | address | value | → data type integer
//   01   06   40 26     00 02
TEST(ModbusWriteExamples, SetsDataTypeInteger) {
  Meter m = powered_meter();
  EXPECT_EQ(send_rtu(m, "01 06 4026 0002").reply, with_crc(hex("01 06 4026 0002")));
  EXPECT_EQ(m.settings().data_type, DataType::integer);
}

// | id | fc | address | value | → screen turned 180°
//   01   06   40 32     00 01
TEST(ModbusWriteExamples, TurnsScreen180Degrees) {
  Meter m = powered_meter();
  EXPECT_EQ(send_rtu(m, "01 06 4032 0001").reply, with_crc(hex("01 06 4032 0001")));
  EXPECT_EQ(m.settings().screen_direction, 1);
}

// | id | fc | address | value | → OBIS codes on
//   01   06   40 33     00 01
TEST(ModbusWriteExamples, TurnsObisOn) {
  Meter m = meter_with(SetObis{false});
  EXPECT_EQ(send_rtu(m, "01 06 4033 0001").reply, with_crc(hex("01 06 4033 0001")));
  EXPECT_TRUE(m.settings().obis);
}

}  // namespace
}  // namespace ambi
