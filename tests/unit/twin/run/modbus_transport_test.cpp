// The pure parts of the Modbus transports: trace decoding, character timing and the
// options of `ambimeter run` (the transports themselves are tested in tests/interop/).
#include <gtest/gtest.h>

#include "twin/run/run_config.hpp"
#include "twin/transport/modbus_link.hpp"
#include "twin/transport/traffic_trace.hpp"

namespace ambi {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(TraceDecoding, NamesTheFieldsOfARead) {
  // | fc | address | count |
  //   03   40 00     00 02
  EXPECT_EQ(decode_request_pdu(Bytes{0x03, 0x40, 0x00, 0x00, 0x02}).dump(),
            R"({"function":3,"address":16384,"count":2})");
}

TEST(TraceDecoding, ListsTheValuesOfAWriteMultiple) {
  // | fc | address | count | bytes | values    |
  //   10   40 1F     00 02   04      99 95 00 05
  EXPECT_EQ(
      decode_request_pdu(Bytes{0x10, 0x40, 0x1F, 0x00, 0x02, 0x04, 0x99, 0x95, 0x00, 0x05}).dump(),
      R"({"function":16,"address":16415,"count":2,"values":[39317,5]})");
}

TEST(TraceDecoding, ShowsAnUnknownFunctionAsHexData) {
  EXPECT_EQ(decode_request_pdu(Bytes{0x2B, 0x0E, 0x01}).dump(),
            R"({"function":43,"data":"0E 01"})");
}

TEST(TraceDecoding, NamesTheExceptionCodeOfAnExceptionResponse) {
  EXPECT_EQ(decode_response_pdu(Bytes{0x83, 0x02}).dump(), R"({"function":131,"exception":2})");
}

TEST(TraceDecoding, ListsTheWordsOfAReadResponse) {
  // | fc | bytes | words        |
  //   03   04      43 66 00 00
  EXPECT_EQ(decode_response_pdu(Bytes{0x03, 0x04, 0x43, 0x66, 0x00, 0x00}).dump(),
            R"({"function":3,"values":[17254,0]})");
}

RunOptions options() {
  RunOptions o;
  o.state_dir = "/tmp/ambi-unit-not-opened";
  return o;
}

TEST(ModbusOptions, ListenOnLoopbackPort5020ByDefault) {
  const auto c = resolve_run_config(options());
  ASSERT_TRUE(c.has_value()) << c.error();
  ASSERT_TRUE(c->modbus_tcp.has_value());
  EXPECT_EQ(c->modbus_tcp->address().to_string(), "127.0.0.1");
  EXPECT_EQ(c->modbus_tcp->port(), 5020);
  EXPECT_FALSE(c->rtu_over_tcp.has_value());
  EXPECT_FALSE(c->modbus_rtu.has_value());
  EXPECT_EQ(c->modbus_idle_timeout.count(), 60'000);
}

TEST(ModbusOptions, OffDisablesModbusTcp) {
  RunOptions o = options();
  o.modbus_tcp = "off";
  EXPECT_FALSE(resolve_run_config(o)->modbus_tcp.has_value());
}

TEST(ModbusOptions, PtyPrefixAsksForAPseudoTerminal) {
  RunOptions o = options();
  o.modbus_rtu = "pty:/tmp/ttyAMBI";
  const auto c = resolve_run_config(o);
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_TRUE(c->modbus_rtu->pty);
  EXPECT_EQ(c->modbus_rtu->path, "/tmp/ttyAMBI");
  o.modbus_rtu = "/dev/ttyUSB0";
  EXPECT_FALSE(resolve_run_config(o)->modbus_rtu->pty);
}

TEST(ModbusOptions, QuirksAreSwitchedOnByName) {
  RunOptions o = options();
  o.quirks = {"unit0", "fc04"};
  const auto c = resolve_run_config(o);
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_TRUE(c->quirks.fc04_as_fc03);
  EXPECT_TRUE(c->quirks.answer_unit_zero);
}

TEST(ModbusOptions, ErrorsNameTheFlag) {
  RunOptions o = options();
  o.quirks = {"fc05"};
  EXPECT_EQ(resolve_run_config(o).error().rfind("bad --quirk \"fc05\"", 0), 0U);
  o = options();
  o.rtu_over_tcp = "somewhere:1";
  EXPECT_EQ(resolve_run_config(o).error().rfind("bad --rtu-over-tcp \"somewhere:1\"", 0), 0U);
  o = options();
  o.rtu_pacing = true;
  EXPECT_EQ(resolve_run_config(o).error().rfind("--rtu-pacing applies to --modbus-rtu only", 0),
            0U);
  o = options();
  o.modbus_rtu = "pty:";
  EXPECT_EQ(resolve_run_config(o).error().rfind("--modbus-rtu needs", 0), 0U);
}

}  // namespace
}  // namespace ambi
