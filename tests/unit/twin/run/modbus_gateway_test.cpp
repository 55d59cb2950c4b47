// A fleet's Modbus TCP gateway (twin/transport/modbus_gateway.hpp) on meters in memory: the
// unit id finds the meter with that id now; nobody answers 0B; a broadcast write reaches
// every meter and nobody answers; a meter without supply makes the gateway answer 0B.
#include "twin/transport/modbus_gateway.hpp"

#include <gtest/gtest.h>

#include "fleet_fixture.hpp"
#include "modbus_test_support.hpp"
#include "temp_dir.hpp"
#include "twin/service/fleet.hpp"

namespace ambi {
namespace {

using modbus_test::Bytes;
using modbus_test::hex;

class GatewayTest : public ::testing::Test {
 protected:
  GatewayTest() : gateway_(add_meters(fleet_, dir_.path(), 3), GatewayIdentity{.meters = 3}) {}

  /// The gateway's reply to the MBAP request `adu`.
  Bytes serve(std::string_view adu) {
    const Bytes bytes = hex(adu);
    MbapFramer framer;
    framer.push(bytes);
    const MbapViewEvent event = framer.next();
    EXPECT_TRUE(std::holds_alternative<MbapView>(event));
    Bytes out;
    (void)gateway_.serve_into(std::get<MbapView>(event), {}, out);
    return out;
  }

  TempDir dir_{"ambi-gateway"};
  Fleet fleet_{ClockMode::stepped, 1.0};
  ModbusGateway gateway_;
};

TEST_F(GatewayTest, EachUnitReadsItsOwnMetersSerial) {
  // | 00 01 | 00 00 | 00 06 | unit | 03 40 00 00 02 |: the serial (register 4000, 2 words)
  EXPECT_EQ(serve("00 01 00 00 00 06 01 03 40 00 00 02"),
            hex("00 01 00 00 00 07 01 03 04 19 02 02 46"));
  EXPECT_EQ(serve("00 02 00 00 00 06 03 03 40 00 00 02"),
            hex("00 02 00 00 00 07 03 03 04 19 02 02 48"));
}

TEST_F(GatewayTest, AUnitWithNoMeterAnswers0B) {
  EXPECT_EQ(serve("00 03 00 00 00 06 04 03 40 00 00 02"), hex("00 03 00 00 00 03 04 83 0B"));
  EXPECT_EQ(serve("00 04 00 00 00 06 F8 03 40 00 00 02"), hex("00 04 00 00 00 03 F8 83 0B"));
}

TEST_F(GatewayTest, UnitFFIsTheGatewayItself) {
  EXPECT_EQ(serve("00 05 00 00 00 06 FF 03 04 05 00 01"), hex("00 05 00 00 00 05 FF 03 02 00 03"));
}

TEST_F(GatewayTest, AMeterThatChangesItsIdMovesToThatUnit) {
  // Meter 3 (unit 3) is set to id 9 (register 4003): the reply still comes from unit 3.
  EXPECT_EQ(serve("00 06 00 00 00 06 03 06 40 03 00 09"),
            hex("00 06 00 00 00 06 03 06 40 03 00 09"));
  EXPECT_EQ(serve("00 07 00 00 00 06 09 03 40 00 00 02"),
            hex("00 07 00 00 00 07 09 03 04 19 02 02 48"));
  EXPECT_EQ(serve("00 08 00 00 00 06 03 03 40 00 00 02"), hex("00 08 00 00 00 03 03 83 0B"));
}

TEST_F(GatewayTest, TwoMetersWithOneIdAnswerAsTheFirst) {
  const Command command = SetModbusId{1};
  ASSERT_TRUE(fleet_.at(2)
                  .apply(std::span(&command, 1), Origin{Source::app, {{'0', '0', '0', '0'}}})
                  .has_value());
  EXPECT_EQ(serve("00 09 00 00 00 06 01 03 40 00 00 02"),
            hex("00 09 00 00 00 07 01 03 04 19 02 02 46"));
}

TEST_F(GatewayTest, ABroadcastWriteReachesEveryMeterAndNobodyAnswers) {
  // Unit 0, FC 06 4010 = 0x0012 (LCD cycle 12 s, BCD).
  EXPECT_TRUE(serve("00 0A 00 00 00 06 00 06 40 10 00 12").empty());
  for (std::size_t i = 0; i < fleet_.size(); ++i) {
    EXPECT_EQ(fleet_.at(i).meter().settings().lcd_cycle_s, 12) << "meter " << i;
  }
  EXPECT_TRUE(serve("00 0B 00 00 00 06 00 03 40 00 00 02").empty()) << "a read broadcast";
}

TEST_F(GatewayTest, AMeterWithoutSupplyLeavesTheGatewayWaitingAndItAnswers0B) {
  fleet_.at(1).set_power(false);
  EXPECT_EQ(serve("00 0C 00 00 00 06 02 03 40 00 00 02"), hex("00 0C 00 00 00 03 02 83 0B"));
}

}  // namespace
}  // namespace ambi
