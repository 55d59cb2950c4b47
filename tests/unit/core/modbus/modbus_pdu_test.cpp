// The PDU handler: exceptions 01/02/03/04 for every bad request with the meter unchanged,
// FC 16 all-or-nothing, FC 04 quirk, and link changes reported for after the reply.
#include "core/modbus/modbus_pdu.hpp"

#include <gtest/gtest.h>

#include "core/meter/meter.hpp"
#include "modbus_test_support.hpp"

namespace ambi {
namespace {

using namespace modbus_test;
const Origin kModbus{Source::modbus, {}};

struct BadRequest {
  const char* pdu;  ///< hex, without unit and CRC
  ExceptionCode expected;
  const char* why;
};

constexpr auto k01 = ExceptionCode::illegal_function;
constexpr auto k02 = ExceptionCode::illegal_data_address;
constexpr auto k03 = ExceptionCode::illegal_data_value;

// | fc | address | count/value | (bytes | values) |
const BadRequest kBadRequests[] = {
    {"01 0000 0001", k01, "FC 01 read coils"},
    {"02 0000 0001", k01, "FC 02 read discrete inputs"},
    {"04 5000 0002", k01, "FC 04 without the quirk"},
    {"04 5000 00", k01, "FC 04 without the quirk, malformed: the function is checked first"},
    {"2B", k01, "an unknown function code without data"},
    {"05 0000 FF00", k01, "FC 05 write coil"},
    {"2B 0E 01 00", k01, "FC 43 device identification"},
    {"03 5000 0000", k03, "read count 0"},
    {"03 6000 007E", k03, "read count 126"},
    {"03 5000 00", k03, "read PDU too short"},
    {"03 5000 0002 00", k03, "read PDU too long"},
    {"03 0000 0001", k02, "read below every block"},
    {"03 4034 0001", k02, "read after the 0x4000 block"},
    {"03 4033 0002", k02, "read running past the 0x4000 block"},
    {"03 5036 0003", k02, "read running past the 0x5000 block"},
    {"03 6090 0002", k02, "read starting on the last word and running past 0x6000"},
    {"03 FFFF 0002", k02, "read wrapping past 0xFFFF"},
    {"06 4000 0001", k02, "FC 06 to the read-only serial number"},
    {"06 5002 0001", k02, "FC 06 to a measurement"},
    {"06 4025 0000", k02, "FC 06 to a reserved register"},
    {"06 1234 0000", k02, "FC 06 to an unmapped address"},
    {"06 400D 4120", k02, "FC 06 to a 2-word register"},
    {"06 4003 0000", k03, "Modbus ID 0"},
    {"06 4003 00F8", k03, "Modbus ID 248"},
    {"06 4004 000B", k03, "baud code 11"},
    {"06 400F 0006", k03, "combination code 6"},
    {"06 4010 001A", k03, "LCD cycle time not BCD"},
    {"06 4010 0031", k03, "LCD cycle time 31 s"},
    {"06 4010 0000", k03, "LCD cycle time 0 s"},
    {"06 4011 0004", k03, "parity 4"},
    {"06 4016 0001", k03, "power-down counter set to 1 (only 0 resets)"},
    {"06 4021 0100", k03, "pulse width 100 ms"},
    {"06 4021 0001", k03, "pulse width 1 ms"},
    {"06 4021 003A", k03, "pulse width not BCD"},
    {"06 4022 0003", k03, "pulse type 3"},
    {"06 4026 0003", k03, "data type 3"},
    {"06 4032 0002", k03, "screen direction 2"},
    {"06 4033 0002", k03, "OBIS 2"},
    {"06 6048 0005", k03, "tariff 5"},
    {"06 6048 FFFF", k03, "tariff -1"},
    {"06 4003 00", k03, "FC 06 PDU too short"},
    {"10 400D 0002 04 4120 00", k03, "FC 16 fewer bytes than counted"},
    {"10 400D 0002 03 4120 00", k03, "FC 16 byte count not twice the count"},
    {"10 400D 0002 04 4120 0000 00", k03, "FC 16 more bytes than counted"},
    {"10 400D 0000 00", k03, "FC 16 count 0"},
    {"10 400D", k03, "FC 16 PDU too short"},
    {"10 400E 0001 02 0000", k02, "FC 16 starting on the second word of S0 rate"},
    {"10 400D 0001 02 4120", k02, "FC 16 covering half the S0 rate"},
    {"10 4004 0002 04 0006 0000", k02, "FC 16 running into the read-only 4005"},
    {"10 4000 0002 04 1902 0246", k02, "FC 16 to the serial number"},
    {"10 400D 0002 04 43FA 0000", k03, "S0 rate 500 imp/kWh"},
    {"10 400D 0002 04 4120 0001", k03, "S0 rate just above 10 imp/kWh"},
    {"10 400D 0002 04 7FC0 0000", k03, "S0 rate NaN"},
    {"10 401F 0002 04 9996 0005", k03, "CT ratio 9996/5"},
    {"10 401F 0002 04 0100 0002", k03, "CT ratio 100/2"},
    {"10 401F 0002 04 99A5 0005", k03, "CT ratio not BCD"},
    {"10 4021 0002 04 0040 0003", k03, "pulse width fine, pulse type 3: nothing applies"},
    {"10 4003 0002 04 000A 000B", k03, "ID fine, baud 11: nothing applies"},
    {"10 6049 0002 04 7F80 0000", k03, "trip reset with an infinite value"},
};

Meter busy_meter() {
  Meter m = powered_meter();
  LoadInput load;
  load.phases[0] = {230.0, 10.0, 30.0};
  EXPECT_TRUE(m.set_load(load).has_value());
  m.advance(3'600'000);
  return m;
}

TEST(ModbusPdu, EveryBadRequestAnswersItsExceptionAndChangesNothing) {
  for (const BadRequest& bad : kBadRequests) {
    SCOPED_TRACE(bad.why);
    Meter m = busy_meter();
    const PersistentState before = m.state();
    const std::uint64_t revision = m.settings_revision();
    const Bytes request = hex(bad.pdu);
    const ModbusReply reply = handle_pdu(m, request);
    EXPECT_EQ(reply.exception, bad.expected);
    EXPECT_EQ(reply.pdu, (Bytes{static_cast<std::uint8_t>(request[0] | 0x80),
                                static_cast<std::uint8_t>(bad.expected)}));
    EXPECT_FALSE(reply.link.any());
    EXPECT_EQ(m.state(), before);
    EXPECT_EQ(m.settings_revision(), revision);
  }
}

TEST(ModbusPdu, ReadResponseCarriesByteCountAndWords) {
  Meter m = powered_meter();
  // | fc | bytes | 4002 meter code | 4003 ID |
  EXPECT_EQ(send_pdu(m, "03 4002 0002").pdu, hex("03 04 1113 0001"));
}

TEST(ModbusPdu, Fc04AnswersLikeFc03WithTheQuirk) {
  Meter m = powered_meter();
  const ModbusQuirks quirks{.fc04_as_fc03 = true};
  EXPECT_EQ(send_pdu(m, "04 4002 0002", quirks).pdu, hex("04 04 1113 0001"));
}

TEST(ModbusPdu, Fc16WritesSeveralRegistersTogether) {
  Meter m = powered_meter();
  // | fc | 4021 | count 2 | 4 bytes | 40 ms BCD | type 2 |
  EXPECT_EQ(send_pdu(m, "10 4021 0002 04 0040 0002").pdu, hex("10 4021 0002"));
  EXPECT_EQ(m.settings().pulse_width_ms, 40);
  EXPECT_EQ(m.settings().pulse_type, PulseType::forward_reverse);
}

TEST(ModbusPdu, Fc16AlsoWritesSingleWordRegisters) {
  Meter m = powered_meter();
  EXPECT_EQ(send_pdu(m, "10 6048 0001 02 0003").pdu, hex("10 6048 0001"));
  EXPECT_EQ(m.tariff(), 3);
}

TEST(ModbusPdu, IdAndBaudInOneWriteAreBothDeferredLinkChanges) {
  Meter m = powered_meter();
  const ModbusReply reply = send_pdu(m, "10 4003 0002 04 0011 0009");
  EXPECT_FALSE(reply.exception.has_value());
  EXPECT_EQ(reply.link, (LinkChange{17, 9, std::nullopt}));
}

TEST(ModbusPdu, WritingTheValueInForceIsNoLinkChange) {
  Meter m = powered_meter();
  const ModbusReply reply = send_pdu(m, "06 4003 0001");
  EXPECT_EQ(reply.pdu, hex("06 4003 0001"));
  EXPECT_FALSE(reply.link.any());
}

TEST(ModbusPdu, AnEighthCtRatioChangeIsRefusedWith03) {
  Meter m = powered_meter();
  for (int i = 0; i < kMaxCtChanges; ++i) {
    ASSERT_TRUE(m.apply(SetCtRatio{100L + 100L * i, 5}, kModbus).has_value());
  }
  const PersistentState before = m.state();
  EXPECT_EQ(send_pdu(m, "10 401F 0002 04 9995 0005").exception, k03);
  EXPECT_EQ(m.state(), before);
}

TEST(ModbusPdu, C05CannotBeLeftByModbus) {
  Meter m = powered_meter();
  EXPECT_EQ(send_pdu(m, "06 400F 0005").pdu, hex("06 400F 0005"));
  EXPECT_EQ(send_pdu(m, "06 400F 0004").exception, k03);
  EXPECT_EQ(m.settings().combination, CombinationCode::netted_forward_minus_reverse);
}

TEST(ModbusPdu, AStoppedMeterAnswersReadsAndRefusesWritesWith04) {
  Meter m(PersistentState{}, error_bit::both_copies_bad);
  m.power_on();
  EXPECT_EQ(send_pdu(m, "03 4015 0001").pdu, hex("03 02 0001"));
  EXPECT_EQ(send_pdu(m, "06 6048 0002").exception, ExceptionCode::server_device_failure);
  EXPECT_EQ(m.tariff(), 1);
}

TEST(ModbusPdu, TripResetIgnoresTheFiniteValueWritten) {
  Meter m = busy_meter();
  ASSERT_NE(m.trip_total(), 0);
  EXPECT_EQ(send_pdu(m, "10 6049 0002 04 4120 0000").pdu, hex("10 6049 0002"));
  EXPECT_EQ(m.trip_total(), 0);
}

TEST(ModbusPdu, AMalformedFc04WithTheQuirkAnswers03) {
  Meter m = powered_meter();
  EXPECT_EQ(send_pdu(m, "04 5000 00", {.fc04_as_fc03 = true}).exception, k03);
}

TEST(AppendPduReply, AppendsTheResponseAndReturnsItTyped) {
  Meter m = powered_meter();
  Bytes out = hex("AA");
  const Bytes read = hex("03 4002 0002");
  const PduAnswer answer = append_pdu_reply(m, parse_request(read), {}, out);
  // | AA | fc | bytes | 4002 meter code | 4003 ID |
  EXPECT_EQ(out, hex("AA 03 04 1113 0001"));
  const Bytes words = hex("1113 0001");
  EXPECT_EQ(answer.response,
            std::optional<Response>{(ReadRegistersResponse{0x03, RegisterWords{words}})});
  const Bytes write = hex("06 4003 0002");
  const PduAnswer id = append_pdu_reply(m, parse_request(write), {}, out);
  EXPECT_EQ(id.response, std::optional<Response>{(WriteSingleRegisterResponse{0x4003, 2})});
  EXPECT_EQ(id.link.unit_id, 2);
  const Bytes refused = hex("10 400D 0000 00");
  EXPECT_EQ(append_pdu_reply(m, parse_request(refused), {}, out).response,
            std::optional<Response>{(ExceptionResponse{0x10, k03})});
  EXPECT_EQ(out, hex("AA 03 04 1113 0001 06 4003 0002 90 03"));
}

TEST(ModbusPdu, AnEmptyRequestHasNoAnswer) {
  Meter m = powered_meter();
  const ModbusReply reply = handle_pdu(m, {});
  EXPECT_TRUE(reply.pdu.empty());
  EXPECT_FALSE(reply.exception.has_value());
}

}  // namespace
}  // namespace ambi
