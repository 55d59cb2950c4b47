// RTU framing: CRC, lengths from the function code at every split point, pipelined frames,
// silence-ended frames, silent drops, unit routing and the server step.
#include "core/modbus/modbus_rtu.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/codec/crc16.hpp"
#include "core/meter/meter.hpp"
#include "core/modbus/modbus_server.hpp"
#include "modbus_test_support.hpp"

namespace ambi {
namespace {

using namespace modbus_test;

/// The frame of `unit_and_pdu` with its CRC.
RtuFrame frame_of(std::string_view unit_and_pdu) {
  return RtuFrame{with_crc(hex(unit_and_pdu))};
}

TEST(Crc16Modbus, MatchesTheCatalogueCheckValue) {
  const std::string text = "123456789";
  const Bytes bytes(text.begin(), text.end());
  EXPECT_EQ(crc16_modbus(bytes), 0x4B37);
}

TEST(Crc16Modbus, MatchesAWellKnownReadRequest) {
  // | 01 | 03 | 0000 | 0001 | CRC 84 0A (low byte first) |
  EXPECT_EQ(encode_rtu(0x01, hex("03 0000 0001")), hex("01 03 0000 0001 84 0A"));
}

struct SplitCase {
  const char* name;
  const char* frame;  ///< without CRC
};
const SplitCase kSplitCases[] = {
    // | id | 03 | address | count |
    {"FC 03", "01 03 6000 0002"},
    // | id | 06 | address | value |
    {"FC 06", "01 06 4003 000A"},
    // | id | 10 | address | count | bytes | primary | secondary |
    {"FC 16", "01 10 401F 0002 04 9995 0005"},
    // | id | 04 | address | count |: any known function code, served or not
    {"FC 04", "07 04 0000 0001"},
};

TEST(RtuFramer, ParsesAFrameSplitAtEveryIndex) {
  for (const SplitCase& c : kSplitCases) {
    const Bytes frame = with_crc(hex(c.frame));
    for (std::size_t split = 0; split <= frame.size(); ++split) {
      SCOPED_TRACE(std::string(c.name) + " split at " + std::to_string(split));
      RtuFramer framer;
      framer.push(std::span(frame).first(split));
      if (split < frame.size()) {
        EXPECT_EQ(framer.poll(), RtuEvent{RtuNeedMore{}});
      }
      framer.push(std::span(frame).subspan(split));
      EXPECT_EQ(framer.poll(), RtuEvent{frame_of(c.frame)});
      EXPECT_EQ(framer.poll(), RtuEvent{RtuNeedMore{}});
      EXPECT_EQ(framer.buffered(), 0U);
    }
  }
}

TEST(RtuFramer, SeparatesBackToBackFramesInOneBuffer) {
  Bytes bytes = with_crc(hex("01 03 4000 0002"));
  const Bytes second = with_crc(hex("01 10 400D 0002 04 4120 0000"));
  const Bytes third = with_crc(hex("02 06 6048 0002"));
  bytes.insert(bytes.end(), second.begin(), second.end());
  bytes.insert(bytes.end(), third.begin(), third.end());
  RtuFramer framer;
  framer.push(bytes);
  EXPECT_EQ(framer.poll(), RtuEvent{frame_of("01 03 4000 0002")});
  EXPECT_EQ(framer.poll(), RtuEvent{frame_of("01 10 400D 0002 04 4120 0000")});
  EXPECT_EQ(framer.poll(), RtuEvent{frame_of("02 06 6048 0002")});
  EXPECT_EQ(framer.poll(), RtuEvent{RtuNeedMore{}});
}

TEST(RtuFramer, DropsABadCrcAndEverythingUntilTheNextSilence) {
  Bytes bad = with_crc(hex("01 06 4003 000A"));
  bad.back() ^= 0x01;
  RtuFramer framer;
  framer.push(bad);
  EXPECT_EQ(framer.poll(), RtuEvent{(RtuDiscard{RtuDiscard::Reason::bad_crc, 8})});
  framer.push(with_crc(hex("01 03 4000 0002")));  // same burst: part of the garbage
  EXPECT_EQ(framer.poll(), RtuEvent{RtuNeedMore{}});
  EXPECT_EQ(framer.on_silence(), RtuEvent{RtuNeedMore{}});
  framer.push(with_crc(hex("01 03 4000 0002")));
  EXPECT_EQ(framer.poll(), RtuEvent{frame_of("01 03 4000 0002")});
}

TEST(RtuFramer, EndsAFrameOfUnknownLengthAtTheSilence) {
  // | id | 2B | MEI 0E | read code 01 | object 00 | CRC |: no length rule
  const Bytes frame = with_crc(hex("01 2B 0E 01 00"));
  RtuFramer framer;
  framer.push(frame);
  EXPECT_EQ(framer.poll(), RtuEvent{RtuNeedMore{}});
  EXPECT_EQ(framer.on_silence(), RtuEvent{frame_of("01 2B 0E 01 00")});
  EXPECT_EQ(framer.buffered(), 0U);
}

TEST(RtuFramer, DropsAnIncompleteFrameAtTheSilence) {
  RtuFramer framer;
  framer.push(hex("01 03 40 00 00"));
  EXPECT_EQ(framer.poll(), RtuEvent{RtuNeedMore{}});
  EXPECT_EQ(framer.on_silence(), RtuEvent{(RtuDiscard{RtuDiscard::Reason::incomplete, 5})});
  framer.push(with_crc(hex("01 03 4000 0002")));
  EXPECT_EQ(framer.poll(), RtuEvent{frame_of("01 03 4000 0002")});
}

TEST(RtuFramer, AGapInsideAFrameDropsItAndEverythingUpToTheSilence) {
  const Bytes frame = with_crc(hex("01 03 4000 0002"));
  RtuFramer framer;
  framer.push(std::span(frame).first(3));
  EXPECT_EQ(framer.poll(), RtuEvent{RtuNeedMore{}});
  EXPECT_EQ(framer.on_gap(), RtuEvent{(RtuDiscard{RtuDiscard::Reason::interrupted, 3})});
  framer.push(std::span(frame).subspan(3));  // the rest after the gap: not a frame either
  EXPECT_EQ(framer.poll(), RtuEvent{RtuNeedMore{}});
  framer.push(frame);  // still before the silence
  EXPECT_EQ(framer.poll(), RtuEvent{RtuNeedMore{}});
  EXPECT_EQ(framer.on_silence(), RtuEvent{RtuNeedMore{}});
  framer.push(frame);
  EXPECT_EQ(framer.poll(), RtuEvent{frame_of("01 03 4000 0002")});
}

TEST(RtuFramer, AGapBetweenFramesChangesNothing) {
  const Bytes frame = with_crc(hex("01 03 4000 0002"));
  RtuFramer framer;
  EXPECT_EQ(framer.on_gap(), RtuEvent{RtuNeedMore{}});
  framer.push(frame);
  EXPECT_EQ(framer.poll(), RtuEvent{frame_of("01 03 4000 0002")});
  EXPECT_EQ(framer.on_gap(), RtuEvent{RtuNeedMore{}});
  framer.push(frame);
  EXPECT_EQ(framer.poll(), RtuEvent{frame_of("01 03 4000 0002")});
  EXPECT_EQ(to_string(RtuDiscard::Reason::interrupted),
            "frame interrupted by a gap of more than 1.5 characters");
}

TEST(RtuFramer, DropsANoiseByteAtTheSilence) {
  RtuFramer framer;
  framer.push(hex("FF"));
  EXPECT_EQ(framer.poll(), RtuEvent{RtuNeedMore{}});
  EXPECT_EQ(framer.on_silence(), RtuEvent{(RtuDiscard{RtuDiscard::Reason::too_short, 1})});
}

TEST(RtuFramer, DropsAFrameLongerThan256Bytes) {
  RtuFramer framer;
  // | id | 10 | address | count 7F | byte count FE |: 7 + 254 + 2 = 263 bytes
  framer.push(hex("01 10 4000 007F FE"));
  EXPECT_EQ(framer.poll(), RtuEvent{(RtuDiscard{RtuDiscard::Reason::too_long, 7})});
  RtuFramer unknown;
  unknown.push(Bytes(kMaxRtuFrame + 1, 0x2B));
  EXPECT_EQ(unknown.poll(), RtuEvent{(RtuDiscard{RtuDiscard::Reason::too_long, 257})});
}

TEST(RtuRoute, RoutesOwnIdBroadcastAndOthers) {
  const ModbusQuirks strict{};
  const ModbusQuirks lenient{.answer_unit_zero = true};
  EXPECT_EQ(rtu_route(5, 5, 0x03, strict), Route::execute_and_reply);
  EXPECT_EQ(rtu_route(6, 5, 0x03, strict), Route::ignore);
  EXPECT_EQ(rtu_route(0, 5, 0x06, strict), Route::execute_silently);
  EXPECT_EQ(rtu_route(0, 5, 0x10, strict), Route::execute_silently);
  EXPECT_EQ(rtu_route(0, 5, 0x03, strict), Route::ignore);
  EXPECT_EQ(rtu_route(0, 5, 0x04, strict), Route::ignore);
  EXPECT_EQ(rtu_route(0, 5, 0x03, lenient), Route::execute_and_reply);
  EXPECT_EQ(rtu_route(0, 5, 0x06, lenient), Route::execute_silently);
}

TEST(RtuFrame, IsTheBytesAsTheyArrived) {
  // | id | fc | address | count | CRC   |
  //   01   03   00 00     00 01   84 0A
  const RtuFrame frame = frame_of("01 03 0000 0001");
  EXPECT_EQ(frame.adu, hex("01 03 0000 0001 840A"));
  EXPECT_EQ(frame.unit(), 0x01);
  EXPECT_EQ(Bytes(frame.pdu().begin(), frame.pdu().end()), hex("03 0000 0001"));
  EXPECT_TRUE(rtu_crc_matches(frame.adu));
  Bytes garbled = frame.adu;
  garbled[2] ^= 0x01;
  EXPECT_FALSE(rtu_crc_matches(garbled));
}

TEST(ServeRtu, ReturnsTheRequestItParsedAndTheResponseItSent) {
  Meter m = powered_meter();
  const RtuFrame frame = frame_of("01 03 4002 0001");
  const RtuExchange out = serve_rtu(m, frame, {});
  EXPECT_EQ(out.unit, 1);
  EXPECT_EQ(out.route, Route::execute_and_reply);
  EXPECT_FALSE(out.no_supply);
  EXPECT_EQ(out.request, ParsedRequest{(ReadRegistersRequest{0x03, 0x4002, 1})});
  const Bytes words = hex("1113");
  EXPECT_EQ(out.response,
            std::optional<Response>{(ReadRegistersResponse{0x03, RegisterWords{words}})});
  EXPECT_EQ(out.reply_unit, 1);
  EXPECT_EQ(out.reply, with_crc(hex("01 03 02 1113")));
}

TEST(ServeRtu, RoutesOnceBeforeServing) {
  Meter m = powered_meter();
  const RtuFrame broadcast = frame_of("00 06 6048 0003");
  RtuExchange routed = route_rtu(m, broadcast, {});
  EXPECT_EQ(routed.route, Route::execute_silently);
  EXPECT_EQ(routed.request, ParsedRequest{(WriteSingleRegisterRequest{0x6048, 3})});
  EXPECT_EQ(m.tariff(), 1);  // routing changes nothing
  serve_rtu(m, routed, {});
  EXPECT_EQ(m.tariff(), 3);
  EXPECT_TRUE(routed.reply.empty());
  EXPECT_FALSE(routed.response.has_value());
  const RtuFrame other = frame_of("02 06 6048 0002");
  EXPECT_EQ(route_rtu(m, other, {}).route, Route::ignore);
  m.power_off();
  RtuExchange unheard = route_rtu(m, frame_of("01 03 4002 0001"), {});
  EXPECT_TRUE(unheard.no_supply);
  EXPECT_EQ(unheard.route, Route::execute_and_reply);
}

TEST(ServeRtu, ExecutesABroadcastWriteWithoutAnswering) {
  Meter m = powered_meter();
  const RtuExchange out = serve_rtu(m, frame_of("00 06 6048 0003"), {});
  EXPECT_TRUE(out.reply.empty());
  EXPECT_EQ(m.tariff(), 3);
}

TEST(ServeRtu, IgnoresReadsToUnitZeroUnlessTheQuirkIsOn) {
  Meter m = powered_meter();
  EXPECT_TRUE(serve_rtu(m, frame_of("00 03 4002 0001"), {}).reply.empty());
  // | id 01 (own) | 03 | 2 bytes | 1113 |
  EXPECT_EQ(serve_rtu(m, frame_of("00 03 4002 0001"), {.answer_unit_zero = true}).reply,
            with_crc(hex("01 03 02 1113")));
}

TEST(ServeRtu, IgnoresOtherUnitsAndChangesNothing) {
  Meter m = powered_meter();
  const RtuExchange out = serve_rtu(m, frame_of("02 06 6048 0003"), {});
  EXPECT_TRUE(out.reply.empty());
  EXPECT_EQ(m.tariff(), 1);
}

TEST(ServeRtu, AMeterWithoutSupplyAnswersNothingAndChangesNothing) {
  Meter m = powered_meter();
  m.power_off();
  EXPECT_TRUE(serve_rtu(m, frame_of("01 03 4002 0001"), {}).reply.empty());
  EXPECT_TRUE(serve_rtu(m, frame_of("01 06 6048 0003"), {}).reply.empty());
  EXPECT_TRUE(serve_rtu(m, frame_of("00 06 6048 0003"), {}).reply.empty());
  m.power_on();
  EXPECT_EQ(m.tariff(), 1);
  EXPECT_EQ(serve_rtu(m, frame_of("01 03 4002 0001"), {}).reply, with_crc(hex("01 03 02 1113")));
}

TEST(ServeRtu, AnswersExceptionsWithTheCrc) {
  Meter m = powered_meter();
  // | id | 83 | 02 | CRC |
  const RtuExchange out = serve_rtu(m, frame_of("01 03 0000 0001"), {});
  EXPECT_EQ(out.reply, with_crc(hex("01 83 02")));
  EXPECT_EQ(out.response, std::optional<Response>{
                              (ExceptionResponse{0x03, ExceptionCode::illegal_data_address})});
}

TEST(ServeRtu, ReportsTheNewIdForAfterTheReply) {
  Meter m = powered_meter();
  const RtuExchange out = serve_rtu(m, frame_of("01 06 4003 00F7"), {});
  EXPECT_EQ(out.reply, with_crc(hex("01 06 4003 00F7")));
  EXPECT_EQ(out.link.unit_id, 247);
  EXPECT_TRUE(serve_rtu(m, frame_of("01 03 4003 0001"), {}).reply.empty());
  EXPECT_EQ(serve_rtu(m, frame_of("F7 03 4003 0001"), {}).reply, with_crc(hex("F7 03 02 00F7")));
}

}  // namespace
}  // namespace ambi
