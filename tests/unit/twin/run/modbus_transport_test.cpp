// The pure parts of the Modbus transports: the trace's rendering of parsed requests and
// responses, and the options of `ambimeter run` (the transports themselves are tested in
// tests/interop/).
#include <gtest/gtest.h>

#include <string>

#include "twin/run/run_config.hpp"
#include "twin/transport/modbus_link.hpp"
#include "twin/transport/traffic_trace.hpp"

namespace ambi {
namespace {

using Bytes = std::vector<std::uint8_t>;

/// The trace's members for the request PDU `pdu`, as the server parses it.
std::string request_line(const Bytes& pdu) {
  return request_json(parse_request(pdu)).dump();
}
/// The trace's members for the response PDU `pdu`.
std::string response_line(const Bytes& pdu) {
  return response_json(parse_response(pdu).value()).dump();
}

TEST(TraceDecoding, NamesTheFieldsOfARead) {
  // | fc | address | count |
  //   03   40 00     00 02
  EXPECT_EQ(request_line(Bytes{0x03, 0x40, 0x00, 0x00, 0x02}),
            R"({"function":3,"address":16384,"count":2})");
}

TEST(TraceDecoding, NamesTheValueOfAWriteSingle) {
  // | fc | address | value |
  //   06   60 48     00 02
  EXPECT_EQ(request_line(Bytes{0x06, 0x60, 0x48, 0x00, 0x02}),
            R"({"function":6,"address":24648,"value":2})");
}

TEST(TraceDecoding, ListsTheValuesOfAWriteMultiple) {
  // | fc | address | count | bytes | values    |
  //   10   40 1F     00 02   04      99 95 00 05
  EXPECT_EQ(request_line(Bytes{0x10, 0x40, 0x1F, 0x00, 0x02, 0x04, 0x99, 0x95, 0x00, 0x05}),
            R"({"function":16,"address":16415,"count":2,"values":[39317,5]})");
}

TEST(TraceDecoding, ShowsAnUnknownFunctionAsHexData) {
  EXPECT_EQ(request_line(Bytes{0x2B, 0x0E, 0x01}), R"({"function":43,"data":"0E 01"})");
}

TEST(TraceDecoding, ShowsTheFieldsARefusedRequestCarried) {
  // | 03 | 4000 | count 0 |: refused (03), its fields shown
  EXPECT_EQ(request_line(Bytes{0x03, 0x40, 0x00, 0x00, 0x00}),
            R"({"function":3,"address":16384,"count":0})");
  // | 10 | 400D | count 2 | bytes 04 | 41 20 00 |: the whole words present
  EXPECT_EQ(request_line(Bytes{0x10, 0x40, 0x0D, 0x00, 0x02, 0x04, 0x41, 0x20, 0x00}),
            R"({"function":16,"address":16397,"count":2,"values":[16672]})");
  // | 03 | 40 00 00 |: too short for its fields
  EXPECT_EQ(request_line(Bytes{0x03, 0x40, 0x00, 0x00}), R"({"function":3,"data":"40 00 00"})");
  // | 06 | 40 03 00 0A 00 |: too long
  EXPECT_EQ(request_line(Bytes{0x06, 0x40, 0x03, 0x00, 0x0A, 0x00}),
            R"({"function":6,"data":"40 03 00 0A 00"})");
  EXPECT_EQ(request_line(Bytes{}), R"({"function":null})");
}

TEST(TraceDecoding, NamesTheExceptionCodeOfAnExceptionResponse) {
  EXPECT_EQ(response_line(Bytes{0x83, 0x02}),
            R"({"function":131,"exception":2,"exception_name":"illegal data address"})");
  EXPECT_EQ(response_line(Bytes{0x86, 0x0C}), R"({"function":134,"exception":12})");
}

TEST(TraceDecoding, ListsTheWordsOfAReadResponse) {
  // | fc | bytes | words        |
  //   03   04      43 66 00 00
  EXPECT_EQ(response_line(Bytes{0x03, 0x04, 0x43, 0x66, 0x00, 0x00}),
            R"({"function":3,"values":[17254,0]})");
}

TEST(TraceDecoding, NamesTheEchoOfAWrite) {
  EXPECT_EQ(response_line(Bytes{0x06, 0x40, 0x10, 0x00, 0x25}),
            R"({"function":6,"address":16400,"value":37})");
  EXPECT_EQ(response_line(Bytes{0x10, 0x40, 0x0D, 0x00, 0x02}),
            R"({"function":16,"address":16397,"count":2})");
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
