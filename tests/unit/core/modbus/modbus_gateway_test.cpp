// The gateway's own answers (core/modbus/modbus_gateway.hpp): who a unit id is for, the
// identity registers on unit 255, exception 0B for a unit with nobody behind it.
#include "core/modbus/modbus_gateway.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "modbus_test_support.hpp"

namespace ambi {
namespace {

using modbus_test::hex;

/// Serves `adu` (an MBAP request) as the gateway itself; returns the reply bytes.
std::vector<std::uint8_t> gateway_reply(const GatewayIdentity& identity, std::string_view adu,
                                        MbapExchange* exchange_out = nullptr) {
  const auto bytes = hex(adu);
  MbapFramer framer;
  framer.push(bytes);
  const MbapViewEvent event = framer.next();
  EXPECT_TRUE(std::holds_alternative<MbapView>(event));
  std::vector<std::uint8_t> out;
  MbapExchange exchange = serve_gateway_mbap_into(identity, std::get<MbapView>(event), out);
  EXPECT_EQ(exchange.reply_at, 0U);
  EXPECT_EQ(exchange.reply_size, out.size());
  if (exchange_out != nullptr) *exchange_out = std::move(exchange);
  return out;
}

TEST(GatewayRoute, UnitsSayWhoAnswers) {
  EXPECT_EQ(gateway_route(255), GatewayRoute::gateway);
  EXPECT_EQ(gateway_route(0), GatewayRoute::broadcast);
  EXPECT_EQ(gateway_route(1), GatewayRoute::meter);
  EXPECT_EQ(gateway_route(247), GatewayRoute::meter);
  EXPECT_EQ(gateway_route(248), GatewayRoute::nobody);
  EXPECT_EQ(gateway_route(254), GatewayRoute::nobody);
}

TEST(GatewayIdentityRegisters, DeviceTypeFirstThenVersionsSerialAndMeters) {
  const GatewayIdentity identity{330, 0x0100, 0x0102, 0x19020493, 53, 1, 53};
  const auto words = gateway_registers(identity);
  EXPECT_EQ(words[0], 330);
  EXPECT_EQ(words[2], 0x0102);
  EXPECT_EQ(words[3], 0x1902);
  EXPECT_EQ(words[4], 0x0493);
  EXPECT_EQ(words[5], 53);
  EXPECT_EQ(words[7], 53);
  EXPECT_EQ(words[12], 0);
}

TEST(GatewayOwnUnit, ReadsItsThirteenIdentityRegisters) {
  // | 00 01 | 00 00 | 00 06 | FF | 03 04 00 00 0D |: FC 03 0x0400 × 13 on unit 255
  const GatewayIdentity identity{330, 0x0100, 0x0100, 0x19020246, 247, 1, 247};
  MbapExchange exchange;
  const auto reply = gateway_reply(identity, "00 01 00 00 00 06 FF 03 04 00 00 0D", &exchange);
  ASSERT_EQ(reply.size(), 7U + 2U + 26U);
  EXPECT_EQ(std::vector(reply.begin(), reply.begin() + 11),
            hex("00 01 00 00 00 1D FF 03 1A 01 4A"));  // length 29, 26 bytes, 330 = 0x014A
  ASSERT_TRUE(exchange.response.has_value());
  const auto* read = std::get_if<ReadRegistersResponse>(&*exchange.response);
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->words.size(), 13U);
  EXPECT_EQ(read->words[5], 247);
}

TEST(GatewayOwnUnit, APartOfItsRegistersCanBeRead) {
  const auto reply = gateway_reply({}, "00 02 00 00 00 06 FF 03 04 05 00 02");
  EXPECT_EQ(reply, hex("00 02 00 00 00 07 FF 03 04 00 00 00 00"));
}

TEST(GatewayOwnUnit, OtherAddressesWritesAndBadRequestsGetTheirExceptions) {
  // The meter's registers are not the gateway's: 02.
  EXPECT_EQ(gateway_reply({}, "00 03 00 00 00 06 FF 03 40 00 00 02"),
            hex("00 03 00 00 00 03 FF 83 02"));
  // Past the end of its 13 registers: 02.
  EXPECT_EQ(gateway_reply({}, "00 04 00 00 00 06 FF 03 04 0C 00 02"),
            hex("00 04 00 00 00 03 FF 83 02"));
  // It takes no writes: 01.
  EXPECT_EQ(gateway_reply({}, "00 05 00 00 00 06 FF 06 04 00 00 01"),
            hex("00 05 00 00 00 03 FF 86 01"));
  // A count of 0 is no request: 03.
  EXPECT_EQ(gateway_reply({}, "00 06 00 00 00 06 FF 03 04 00 00 00"),
            hex("00 06 00 00 00 03 FF 83 03"));
}

TEST(GatewayAbsentTarget, AnswersException0BWithTheRequestsTransactionAndUnit) {
  const auto bytes = hex("12 34 00 00 00 06 36 03 40 00 00 02");
  MbapFramer framer;
  framer.push(bytes);
  const MbapViewEvent event = framer.next();
  ASSERT_TRUE(std::holds_alternative<MbapView>(event));
  std::vector<std::uint8_t> out = hex("AA");  // replies gather after what is there
  const MbapExchange exchange = absent_target_mbap_into(std::get<MbapView>(event), out);
  EXPECT_EQ(out, hex("AA 12 34 00 00 00 03 36 83 0B"));
  EXPECT_EQ(exchange.reply_at, 1U);
  EXPECT_EQ(exchange.reply_size, 9U);
  ASSERT_TRUE(exchange.response.has_value());
  EXPECT_EQ(std::get<ExceptionResponse>(*exchange.response).code,
            ExceptionCode::gateway_target_failed);
}

}  // namespace
}  // namespace ambi
