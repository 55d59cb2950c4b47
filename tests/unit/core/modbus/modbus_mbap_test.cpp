// Modbus TCP: MBAP parsing at every split point, pipelining, fatal headers, unit ids and
// the server step.
#include "core/modbus/modbus_mbap.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/meter/meter.hpp"
#include "core/modbus/modbus_server.hpp"
#include "modbus_test_support.hpp"

namespace ambi {
namespace {

using namespace modbus_test;

// | transaction 0001 | protocol 0000 | length 0006 | unit 01 | 03 6000 0002 |
constexpr const char* kRead = "0001 0000 0006 01 03 6000 0002";
// | transaction 0002 | protocol 0000 | length 000B | unit FF | 10 401F 0002 04 9995 0005 |
constexpr const char* kWrite = "0002 0000 000B FF 10 401F 0002 04 9995 0005";

TEST(MbapFramer, ParsesARequestSplitAtEveryIndex) {
  const Bytes bytes = hex(kWrite);
  for (std::size_t split = 0; split <= bytes.size(); ++split) {
    SCOPED_TRACE("split at " + std::to_string(split));
    MbapFramer framer;
    framer.push(std::span(bytes).first(split));
    if (split < bytes.size()) {
      EXPECT_EQ(framer.poll(), MbapEvent{MbapNeedMore{}});
    }
    framer.push(std::span(bytes).subspan(split));
    EXPECT_EQ(framer.poll(), MbapEvent{(MbapFrame{2, 0xFF, hex("10 401F 0002 04 9995 0005")})});
    EXPECT_EQ(framer.poll(), MbapEvent{MbapNeedMore{}});
  }
}

TEST(MbapFramer, SeparatesPipelinedRequests) {
  Bytes bytes = hex(kRead);
  const Bytes second = hex(kWrite);
  bytes.insert(bytes.end(), second.begin(), second.end());
  MbapFramer framer;
  framer.push(bytes);
  EXPECT_EQ(framer.poll(), MbapEvent{(MbapFrame{1, 0x01, hex("03 6000 0002")})});
  EXPECT_EQ(framer.poll(), MbapEvent{(MbapFrame{2, 0xFF, hex("10 401F 0002 04 9995 0005")})});
  EXPECT_EQ(framer.poll(), MbapEvent{MbapNeedMore{}});
  EXPECT_EQ(framer.buffered(), 0U);
}

struct BadHeader {
  const char* bytes;
  MbapError expected;
};
const BadHeader kBadHeaders[] = {
    // | 0001 | protocol 0001 | 0006 | 01 |
    {"0001 0001 0006 01 03 6000 0002", {MbapError::Reason::bad_protocol, 1}},
    // | 0001 | 0000 | length 0001 | 01 |: no room for a function code
    {"0001 0000 0001 01", {MbapError::Reason::bad_length, 1}},
    // | 0001 | 0000 | length 00FF | 01 |: a PDU longer than 253 bytes
    {"0001 0000 00FF 01", {MbapError::Reason::bad_length, 255}},
    {"0001 0000 0000 01", {MbapError::Reason::bad_length, 0}},
};

TEST(MbapFramer, AHeaderThatIsNotModbusIsAnErrorForEver) {
  for (const BadHeader& bad : kBadHeaders) {
    SCOPED_TRACE(bad.bytes);
    MbapFramer framer;
    framer.push(hex(bad.bytes));
    EXPECT_EQ(framer.poll(), MbapEvent{bad.expected});
    framer.push(hex(kRead));
    EXPECT_EQ(framer.poll(), MbapEvent{bad.expected});
  }
}

TEST(MbapFramer, AcceptsTheShortestAndLongestLengths) {
  MbapFramer framer;
  framer.push(hex("0003 0000 0002 01 11"));
  EXPECT_EQ(framer.poll(), MbapEvent{(MbapFrame{3, 1, hex("11")})});
  Bytes longest = hex("0004 0000 00FE 01 10");
  longest.resize(6 + 254, 0x00);
  framer.push(longest);
  const MbapEvent event = framer.poll();
  ASSERT_TRUE(std::holds_alternative<MbapFrame>(event));
  EXPECT_EQ(std::get<MbapFrame>(event).pdu.size(), 253U);
}

TEST(MbapFramer, NextViewsTheSameRequestsAsPollAcrossPushes) {
  Bytes stream = hex(kRead);
  const Bytes second = hex(kWrite);
  stream.insert(stream.end(), second.begin(), second.end());
  stream.insert(stream.end(), stream.begin(), stream.end());  // four requests
  for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    SCOPED_TRACE("chunks of " + std::to_string(chunk));
    MbapFramer copying;
    MbapFramer viewing;
    std::size_t seen = 0;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      const auto piece = std::span(stream).subspan(at, std::min(chunk, stream.size() - at));
      copying.push(piece);
      viewing.push(piece);
      for (;;) {
        const MbapEvent copied = copying.poll();
        const MbapViewEvent viewed = viewing.next();
        if (std::holds_alternative<MbapNeedMore>(copied)) {
          EXPECT_TRUE(std::holds_alternative<MbapNeedMore>(viewed));
          break;
        }
        ASSERT_TRUE(std::holds_alternative<MbapFrame>(copied));
        ASSERT_TRUE(std::holds_alternative<MbapView>(viewed));
        const auto& frame = std::get<MbapFrame>(copied);
        const auto& view = std::get<MbapView>(viewed);
        EXPECT_EQ(view.transaction, frame.transaction);
        EXPECT_EQ(view.unit, frame.unit);
        EXPECT_EQ(Bytes(view.pdu.begin(), view.pdu.end()), frame.pdu);
        EXPECT_EQ(Bytes(view.adu.begin(), view.adu.end()),
                  encode_mbap(frame.transaction, frame.unit, frame.pdu));
        ++seen;
      }
      EXPECT_EQ(viewing.buffered(), copying.buffered());
    }
    EXPECT_EQ(seen, 4U);
    EXPECT_EQ(viewing.buffered(), 0U);
  }
}

TEST(MbapFramer, NextReportsABadHeaderAfterTheGoodRequests) {
  MbapFramer framer;
  Bytes bytes = hex(kRead);
  const Bytes bad = hex("0009 0001 0006 01 03 6000 0002");
  bytes.insert(bytes.end(), bad.begin(), bad.end());
  framer.push(bytes);
  EXPECT_TRUE(std::holds_alternative<MbapView>(framer.next()));
  EXPECT_EQ(std::get<MbapError>(framer.next()), (MbapError{MbapError::Reason::bad_protocol, 1}));
  framer.push(hex(kRead));
  EXPECT_TRUE(std::holds_alternative<MbapError>(framer.next()));
}

TEST(EncodeMbap, CountsUnitAndPduInTheLength) {
  EXPECT_EQ(encode_mbap(0x1234, 0x01, hex("03 04 1902 0246")),
            hex("1234 0000 0007 01 03 04 1902 0246"));
}

TEST(ServeMbap, AnswersTheOwnIdFFAndZeroWithTheirTransaction) {
  Meter m = powered_meter();
  for (const std::uint8_t unit : {std::uint8_t{1}, std::uint8_t{0xFF}, std::uint8_t{0}}) {
    SCOPED_TRACE(static_cast<int>(unit));
    const MbapReply out = serve_mbap(m, MbapFrame{0xBEEF, unit, hex("03 4002 0001")}, {});
    Bytes expected = hex("BEEF 0000 0005 00 03 02 1113");
    expected[6] = unit;
    EXPECT_EQ(out.reply, expected);
  }
}

TEST(ServeMbap, AnswersOtherUnitsWithGatewayTargetFailed) {
  Meter m = powered_meter();
  // | 0007 | 0000 | 0003 | unit 09 | 86 0B |
  const MbapReply out = serve_mbap(m, MbapFrame{7, 9, hex("06 6048 0002")}, {});
  EXPECT_EQ(out.reply, hex("0007 0000 0003 09 86 0B"));
  EXPECT_EQ(m.tariff(), 1);
}

TEST(ServeMbap, AMeterWithoutSupplyAnswersNoUnitAtAll) {
  Meter m = powered_meter();
  m.power_off();
  for (const std::uint8_t unit :
       {std::uint8_t{1}, std::uint8_t{0xFF}, std::uint8_t{0}, std::uint8_t{9}}) {
    EXPECT_TRUE(serve_mbap(m, MbapFrame{7, unit, hex("06 6048 0002")}, {}).reply.empty())
        << int{unit};
  }
  m.power_on();
  EXPECT_EQ(m.tariff(), 1);
}

TEST(ServeMbap, ExecutesTheManualsCtExampleOverTcp) {
  Meter m = powered_meter();
  MbapFramer framer;
  framer.push(hex(kWrite));
  const MbapEvent event = framer.poll();
  ASSERT_TRUE(std::holds_alternative<MbapFrame>(event));
  EXPECT_EQ(serve_mbap(m, std::get<MbapFrame>(event), {}).reply,
            hex("0002 0000 0006 FF 10 401F 0002"));
  EXPECT_EQ(m.state().ct, (CtRatio{9995, 5}));
}

TEST(ServeMbapInto, AppendsEachReplyAfterTheOnesBefore) {
  Meter m = powered_meter();
  Bytes out = hex("AA BB");
  const Bytes pdu = hex("03 4002 0001");
  static_cast<void>(serve_mbap_into(m, MbapView{0xBEEF, 1, pdu, {}}, {}, out));
  const Bytes other = hex("06 6048 0002");
  static_cast<void>(serve_mbap_into(m, MbapView{7, 9, other, {}}, {}, out));
  const Bytes unmapped = hex("03 3000 0001");
  static_cast<void>(serve_mbap_into(m, MbapView{8, 1, unmapped, {}}, {}, out));
  EXPECT_EQ(
      out,
      hex("AA BB  BEEF 0000 0005 01 03 02 1113  0007 0000 0003 09 86 0B  0008 0000 0003 01 83 02"));
}

TEST(ServeMbapInto, AppendsNothingForAnEmptyPdu) {
  Meter m = powered_meter();
  Bytes out = hex("AA");
  const MbapExchange exchange = serve_mbap_into(m, MbapView{1, 1, {}, {}}, {}, out);
  EXPECT_EQ(out, hex("AA"));
  EXPECT_FALSE(exchange.link.any());
  EXPECT_EQ(exchange.reply_size, 0U);
  EXPECT_FALSE(exchange.response.has_value());
}

TEST(ServeMbapInto, ReturnsTheLinkChangeOfAWrite) {
  Meter m = powered_meter();
  Bytes out;
  const Bytes pdu = hex("06 4003 0002");
  EXPECT_EQ(serve_mbap_into(m, MbapView{1, 1, pdu, {}}, {}, out).link.unit_id, 2);
  EXPECT_EQ(out, hex("0001 0000 0006 01 06 4003 0002"));
}

TEST(ServeMbapInto, ReturnsTheRouteTheRequestAndWhereTheReplyIs) {
  Meter m = powered_meter();
  Bytes out = hex("AA BB");
  const Bytes pdu = hex("03 4002 0001");
  const MbapExchange read = serve_mbap_into(m, MbapView{0xBEEF, 1, pdu, {}}, {}, out);
  EXPECT_EQ(read.route, Route::execute_and_reply);
  EXPECT_EQ(read.request, ParsedRequest{(ReadRegistersRequest{0x03, 0x4002, 1})});
  const Bytes words = hex("1113");
  EXPECT_EQ(read.response,
            std::optional<Response>{(ReadRegistersResponse{0x03, RegisterWords{words}})});
  EXPECT_EQ(read.reply_at, 2U);
  EXPECT_EQ(read.reply_size, 11U);
  // | 0007 | 0000 | 0003 | unit 09 | 86 0B |
  const Bytes write = hex("06 6048 0002");
  const MbapExchange gateway = serve_mbap_into(m, MbapView{7, 9, write, {}}, {}, out);
  EXPECT_EQ(gateway.route, Route::gateway_answer);
  EXPECT_EQ(gateway.request, ParsedRequest{(WriteSingleRegisterRequest{0x6048, 2})});
  EXPECT_EQ(gateway.response, std::optional<Response>{
                                  (ExceptionResponse{0x06, ExceptionCode::gateway_target_failed})});
  EXPECT_EQ(Bytes(out.begin() + 13, out.end()), hex("0007 0000 0003 09 86 0B"));
  EXPECT_EQ(gateway.reply_at, 13U);
  m.power_off();
  const MbapExchange unheard = serve_mbap_into(m, MbapView{8, 1, pdu, {}}, {}, out);
  EXPECT_TRUE(unheard.no_supply);
  EXPECT_EQ(unheard.request, ParsedRequest{(ReadRegistersRequest{0x03, 0x4002, 1})});
  EXPECT_EQ(unheard.reply_size, 0U);
  EXPECT_EQ(out.size(), 22U);
}

TEST(TcpRoute, ServesTheOwnIdFFAndZeroAndAnswersOthersAsAGateway) {
  EXPECT_EQ(tcp_route(5, 5), Route::execute_and_reply);
  EXPECT_EQ(tcp_route(0xFF, 5), Route::execute_and_reply);
  EXPECT_EQ(tcp_route(0, 5), Route::execute_and_reply);
  EXPECT_EQ(tcp_route(6, 5), Route::gateway_answer);
}

TEST(ServeMbap, ReportsAnIdChangeForAfterTheReply) {
  Meter m = powered_meter();
  const MbapReply out = serve_mbap(m, MbapFrame{1, 1, hex("06 4003 0002")}, {});
  EXPECT_EQ(out.reply, hex("0001 0000 0006 01 06 4003 0002"));
  EXPECT_EQ(out.link.unit_id, 2);
}

}  // namespace
}  // namespace ambi
