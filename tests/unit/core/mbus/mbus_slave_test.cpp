// The M-bus slave state machine: addressing (primary, test, broadcast, selected), fresh
// telegrams and the access number (FCB repeats as a quirk), RAM lost at power-up and
// silence without supply, selection by secondary address with wildcards, SND_NKE,
// REQ_UD1, application reset, baud switching, and silence for everything it must ignore.
#include <gtest/gtest.h>

#include "core/mbus/mbus_records.hpp"
#include "mbus_test_support.hpp"

namespace ambi {
namespace {

using namespace mbus_test;

constexpr std::size_t kAccessAt = 15;  // 68 L L 68 C A CI | ID(4) MAN(2) VER MED | ACCESS
constexpr std::size_t kStatusAt = 16;

bool is_rsp_ud(const Bytes& reply, std::uint8_t address) {
  return reply.size() > kStatusAt && reply[0] == 0x68 && reply[4] == 0x08 && reply[5] == address &&
         reply[6] == 0x72;
}

/// A bus whose meter is at 01 with secondary address 13070001 (the manual's selection).
Bus manual_bus(MbusQuirks quirks = {}) {
  Bus bus = Bus::at(1, quirks);
  EXPECT_TRUE(bus.meter.apply(SetMbusSecondaryId{0x13070001}, kMbus).has_value());
  return bus;
}

// | 10 | REQ_UD2 5B | A 01 | → | 68 L L 68 | RSP_UD 08 | A 01 | CI 72 | ... access 01 |
TEST(MbusSlave, AnswersReqUd2WithRspUd) {
  Bus bus = Bus::at(1);
  const Bytes reply = bus.send("10 5B 01").reply;
  ASSERT_TRUE(is_rsp_ud(reply, 0x01));
  EXPECT_EQ(reply[kAccessAt], 1);
  EXPECT_EQ(reply[kStatusAt], 0);
  EXPECT_EQ(bus.slave.access_number(), 1);
}

// libmbus's request-data sends | 10 7B A | every time: each one is a new reading (A2.2:
// the access number goes up every time the meter is read).
TEST(MbusSlave, EveryReqUd2GetsAFreshTelegramWhateverItsFcb) {
  Bus bus = Bus::at(1);
  const Bytes first = bus.send("10 7B 01").reply;
  LoadInput load;
  load.phases[0] = {230.0, 10.0, 0.0};
  ASSERT_TRUE(bus.meter.set_load(load).has_value());
  bus.meter.advance(3'600'000);
  const Bytes second = bus.send("10 7B 01").reply;
  ASSERT_TRUE(is_rsp_ud(second, 0x01));
  EXPECT_EQ(second[kAccessAt], 2);
  EXPECT_NE(second, first);
  EXPECT_EQ(bus.send("10 7B 01").reply[kAccessAt], 3);
  EXPECT_EQ(bus.send("10 5B 01").reply[kAccessAt], 4);
}

TEST(MbusSlave, FcbRepeatQuirkRepeatsTheLastAnswerWhenTheFcbIsNotToggled) {
  Bus bus = Bus::at(1, MbusQuirks{.fcb_repeat = true});
  const Bytes first = bus.send("10 7B 01").reply;
  LoadInput load;
  load.phases[0] = {230.0, 10.0, 0.0};
  ASSERT_TRUE(bus.meter.set_load(load).has_value());
  EXPECT_EQ(bus.send("10 7B 01").reply, first);    // same FCB: the master lost the answer
  const Bytes fresh = bus.send("10 5B 01").reply;  // toggled: new data
  EXPECT_EQ(fresh[kAccessAt], 2);
  EXPECT_NE(fresh, first);
  EXPECT_EQ(bus.send("10 7B 01").reply[kAccessAt], 3);
}

TEST(MbusSlave, FcbRepeatQuirkEndsTheRepeatOnAnyOtherTelegram) {
  Bus bus = Bus::at(1, MbusQuirks{.fcb_repeat = true});
  EXPECT_EQ(bus.send("10 7B 01").reply[kAccessAt], 1);
  EXPECT_EQ(bus.send("10 40 01").reply, kAck);
  EXPECT_EQ(bus.send("10 7B 01").reply[kAccessAt], 2);
  EXPECT_EQ(bus.send("10 7A 01").reply, kAck);
  EXPECT_EQ(bus.send("10 7B 01").reply[kAccessAt], 3);
}

TEST(MbusSlave, APowerUpForgetsTheAccessNumberTheSelectionAndTheFcb) {
  Bus bus = manual_bus(MbusQuirks{.fcb_repeat = true});
  ASSERT_EQ(bus.send("68 0B 0B 68 53 FD 52 01 00 07 13 CD 25 01 02").reply, kAck);
  const Bytes before = bus.send("10 7B FD").reply;
  ASSERT_TRUE(is_rsp_ud(before, 0x01));
  ASSERT_EQ(bus.send("10 7B 01").reply, before);  // the quirk's repeat, remembered
  LoadInput load;
  load.phases[0] = {230.0, 10.0, 0.0};
  ASSERT_TRUE(bus.meter.set_load(load).has_value());
  bus.meter.advance(3'600'000);  // new energy: a repeat would show the old
  bus.meter.power_off();
  bus.meter.power_on();
  EXPECT_TRUE(bus.send("10 5B FD").reply.empty()) << "the selection lives in RAM";
  const Bytes after = bus.send("10 7B 01").reply;
  ASSERT_TRUE(is_rsp_ud(after, 0x01));
  EXPECT_EQ(after[kAccessAt], 1) << "the access number starts again";
  EXPECT_NE(after, before) << "no FCB memory survives: a fresh telegram";
  EXPECT_EQ(bus.slave.access_number(), 1);
}

TEST(MbusSlave, WithoutSupplyTheMeterIsSilentAndChangesNothing) {
  Bus bus = Bus::at(1);
  bus.meter.power_off();
  EXPECT_TRUE(bus.send("10 5B 01").reply.empty());
  EXPECT_TRUE(bus.send("10 40 01").reply.empty());
  EXPECT_TRUE(bus.send("68 08 08 68 53 01 51 09 7C 01 54 02").reply.empty());
  EXPECT_EQ(bus.meter.tariff(), 1);
  EXPECT_EQ(bus.slave.access_number(), 0);
}

TEST(MbusSlave, ZeroVoltsOnEveryPhaseIsALossOfSupply) {
  Bus bus = Bus::at(1);
  LoadInput dead;
  for (auto& p : dead.phases) p.volts = 0.0;
  ASSERT_TRUE(bus.meter.set_load(dead).has_value());
  EXPECT_TRUE(bus.send("10 5B 01").reply.empty());
  LoadInput one_phase = dead;
  one_phase.phases[2].volts = 230.0;
  ASSERT_TRUE(bus.meter.set_load(one_phase).has_value());
  EXPECT_TRUE(is_rsp_ud(bus.send("10 5B 01").reply, 0x01));
}

TEST(MbusSlave, AccessNumberWrapsFrom255ToZero) {
  Bus bus = Bus::at(1);
  for (int i = 1; i <= 255; ++i) {
    ASSERT_EQ(bus.send("10 7B 01").reply[kAccessAt], i);
  }
  EXPECT_EQ(bus.send("10 5B 01").reply[kAccessAt], 0);
}

// | 10 | REQ_UD1 5A / 7A | A | → E5: the meter has no alarm (class 1) data
TEST(MbusSlave, AnswersReqUd1WithAck) {
  Bus bus = Bus::at(1);
  EXPECT_EQ(bus.send("10 5A 01").reply, kAck);
  EXPECT_EQ(bus.send("10 7A 01").reply, kAck);
  EXPECT_EQ(bus.slave.access_number(), 0);
}

TEST(MbusSlave, TestAddressAlwaysAnswersFromThePrimaryAddress) {
  Bus bus = Bus::at(7);
  EXPECT_TRUE(is_rsp_ud(bus.send("10 5B FE").reply, 0x07));
  EXPECT_EQ(bus.send("68 08 08 68 53 FE 51 09 7C 01 54 02").reply, kAck);
  EXPECT_EQ(bus.meter.tariff(), 2);
}

TEST(MbusSlave, BroadcastExecutesButNeverAnswers) {
  Bus bus = Bus::at(1);
  EXPECT_TRUE(bus.send("68 08 08 68 53 FF 51 09 7C 01 54 02").reply.empty());
  EXPECT_EQ(bus.meter.tariff(), 2);
  EXPECT_TRUE(bus.send("10 5B FF").reply.empty());
  EXPECT_EQ(bus.slave.access_number(), 0);
  EXPECT_EQ(bus.send("68 03 03 68 53 FF BD"),
            (MbusExchange{.route = MbusRoute::broadcast, .reply = {}, .answer = {}, .baud = 9600}));
  EXPECT_EQ(bus.meter.settings().mbus_baud, 9600U);
}

TEST(MbusSlave, IgnoresOtherAddresses) {
  Bus bus = Bus::at(1);
  EXPECT_TRUE(bus.send("10 5B 02").reply.empty());
  EXPECT_TRUE(bus.send("10 40 FB").reply.empty());
  EXPECT_TRUE(bus.send("68 08 08 68 53 02 51 09 7C 01 54 02").reply.empty());
  EXPECT_EQ(bus.meter.tariff(), 1);
}

TEST(MbusSlave, FdReachesTheMeterOnlyWhileSelected) {
  Bus bus = manual_bus();
  EXPECT_TRUE(bus.send("10 5B FD").reply.empty());
  EXPECT_TRUE(bus.send("10 40 FD").reply.empty());
  EXPECT_EQ(bus.send("68 0B 0B 68 53 FD 52 01 00 07 13 CD 25 01 02").reply, kAck);
  EXPECT_TRUE(is_rsp_ud(bus.send("10 7B FD").reply, 0x01));
  EXPECT_EQ(bus.send("68 08 08 68 53 FD 51 09 7C 01 54 03").reply, kAck);
  EXPECT_EQ(bus.meter.tariff(), 3);
}

// | 10 | SND_NKE 40 | FD | → E5, deselected: FD no longer reaches the meter
TEST(MbusSlave, SndNkeDeselects) {
  Bus bus = manual_bus();
  ASSERT_EQ(bus.send("68 0B 0B 68 73 FD 52 01 00 07 13 CD 25 01 02").reply, kAck);
  EXPECT_EQ(bus.send("10 40 FD").reply, kAck);
  EXPECT_FALSE(bus.slave.selected());
  EXPECT_TRUE(bus.send("10 5B FD").reply.empty());
}

TEST(MbusSlave, SndNkeToThePrimaryAddressDeselectsToo) {
  Bus bus = manual_bus();
  ASSERT_EQ(bus.send("68 0B 0B 68 53 FD 52 01 00 07 13 CD 25 01 02").reply, kAck);
  EXPECT_EQ(bus.send("10 40 01").reply, kAck);
  EXPECT_FALSE(bus.slave.selected());
}

TEST(MbusSlave, SelectionAcceptsWildcards) {
  const std::string_view masks[] = {
      "FF FF FF FF FF FF FF FF",  // everything
      "01 00 07 13 FF FF FF FF",  // ID only
      "F1 F0 0F 1F CD 25 01 02",  // single digits
      "FF FF FF FF CD 25 FF 02",  // manufacturer and medium
  };
  for (const std::string_view mask : masks) {
    Bus bus = manual_bus();
    EXPECT_EQ(bus.send(std::string("68 0B 0B 68 53 FD 52 ") + std::string(mask)).reply, kAck)
        << mask;
    EXPECT_TRUE(bus.slave.selected()) << mask;
  }
}

TEST(MbusSlave, ANonMatchingSelectionDeselectsSilently) {
  const std::string_view others[] = {
      "02 00 07 13 CD 25 01 02",  // ID
      "F2 FF FF FF FF FF FF FF",  // ID digit behind a wildcard
      "01 00 07 13 CD 26 01 02",  // manufacturer
      "01 00 07 13 CD 25 02 02",  // version
      "01 00 07 13 CD 25 01 03",  // medium
  };
  for (const std::string_view other : others) {
    Bus bus = manual_bus();
    ASSERT_EQ(bus.send("68 0B 0B 68 53 FD 52 01 00 07 13 CD 25 01 02").reply, kAck);
    EXPECT_TRUE(bus.send(std::string("68 0B 0B 68 53 FD 52 ") + std::string(other)).reply.empty())
        << other;
    EXPECT_FALSE(bus.slave.selected()) << other;
  }
}

TEST(MbusSlave, MalformedSelectionChangesNothing) {
  Bus bus = manual_bus();
  ASSERT_EQ(bus.send("68 0B 0B 68 53 FD 52 01 00 07 13 CD 25 01 02").reply, kAck);
  EXPECT_TRUE(bus.send("68 0A 0A 68 53 FD 52 01 00 07 13 CD 25 01").reply.empty());     // 7 bytes
  EXPECT_TRUE(bus.send("68 0B 0B 68 53 01 52 01 00 07 13 CD 25 01 02").reply.empty());  // not FD
  EXPECT_TRUE(bus.slave.selected());
}

TEST(MbusSlave, SelectionFollowsAChangedSecondaryAddress) {
  Bus bus = Bus::at(1);
  EXPECT_EQ(bus.send("68 0B 0B 68 53 FD 52 46 02 02 19 CD 25 01 02").reply, kAck);  // the serial
  EXPECT_EQ(bus.send("68 09 09 68 53 FD 51 0C 79 15 01 23 45").reply, kAck);
  EXPECT_TRUE(bus.send("68 0B 0B 68 53 FD 52 46 02 02 19 CD 25 01 02").reply.empty());
  EXPECT_EQ(bus.send("68 0B 0B 68 53 FD 52 15 01 23 45 CD 25 01 02").reply, kAck);
}

// | 68 03 03 68 | 53 | 01 | CI 50 | → E5 (with or without a sub-code)
TEST(MbusSlave, AcknowledgesAnApplicationReset) {
  Bus bus = Bus::at(1);
  EXPECT_EQ(bus.send("68 03 03 68 53 01 50").reply, kAck);
  EXPECT_EQ(bus.send("68 04 04 68 53 01 50 00").reply, kAck);
  EXPECT_TRUE(bus.send("68 05 05 68 53 01 50 00 00").reply.empty());
}

TEST(MbusSlave, BaudSwitchToTheRateInForceChangesNothing) {
  Bus bus = Bus::at(1);
  EXPECT_EQ(
      bus.send("68 03 03 68 53 01 BB"),
      (MbusExchange{.route = MbusRoute::primary, .reply = kAck, .answer = MbusAck{}, .baud = {}}));
}

TEST(MbusSlave, IgnoresBaudRatesTheMeterDoesNotHave) {
  Bus bus = Bus::at(1);
  EXPECT_TRUE(bus.send("68 03 03 68 53 01 BE").reply.empty());     // 19200
  EXPECT_TRUE(bus.send("68 03 03 68 53 01 BF").reply.empty());     // 38400
  EXPECT_TRUE(bus.send("68 04 04 68 53 01 BD 00").reply.empty());  // not a control frame
  EXPECT_EQ(bus.meter.settings().mbus_baud, 2400U);
}

TEST(MbusSlave, IgnoresUnknownFunctionsAndFormats) {
  Bus bus = Bus::at(1);
  EXPECT_TRUE(bus.send("10 4B 01").reply.empty());              // REQ_UD2 without FCV
  EXPECT_TRUE(bus.send("10 53 01").reply.empty());              // SND_UD as a short frame
  EXPECT_TRUE(bus.send("68 03 03 68 5B 01 72").reply.empty());  // REQ_UD2 as a control frame
  EXPECT_TRUE(bus.send("68 03 03 68 53 01 55").reply.empty());  // unknown CI
  EXPECT_TRUE(bus.send("68 03 03 68 08 01 72").reply.empty());  // a slave's RSP_UD
  EXPECT_TRUE(bus.send(hex("E5")).reply.empty());
}

TEST(MbusSlave, BadTelegramsGetSilence) {
  Bus bus = Bus::at(1);
  MbusFramer framer;
  framer.push(hex("10 5B 01 5D 16  68 08 08 68 53 01 51 09 7C 01 54 02 00 16  68 08 07 68"));
  for (MbusEvent e = framer.poll(); !std::holds_alternative<MbusNeedMore>(e); e = framer.poll()) {
    EXPECT_TRUE(std::holds_alternative<MbusDiscard>(e));
  }
  EXPECT_EQ(bus.meter.tariff(), 1);
}

TEST(MbusSlave, StoppedMeterStillAnswersReadsWithStatusError) {
  PersistentState state;
  state.settings.mbus_id = 1;
  Bus bus{Meter(state, error_bit::both_copies_bad), MbusSlave{}};
  bus.meter.power_on();
  const Bytes reply = bus.send("10 5B 01").reply;
  ASSERT_TRUE(is_rsp_ud(reply, 0x01));
  EXPECT_EQ(reply[kStatusAt], 0x02);
  EXPECT_EQ(bus.send("10 40 01").reply, kAck);
}

TEST(MbusSlave, ServesBackToBackTelegramsInOrder) {
  Bus bus = manual_bus();
  const Bytes stream =
      cat(telegram("10 40 FF"), telegram("68 0B 0B 68 53 FD 52 01 00 07 13 FF FF FF FF"),
          telegram("68 08 08 68 53 FD 51 09 7C 01 54 04"), telegram("10 40 FD"));
  EXPECT_EQ(bus.send(stream).reply, hex("E5 E5 E5"));
  EXPECT_EQ(bus.meter.tariff(), 4);
  EXPECT_FALSE(bus.slave.selected());
}

// ---- the route the slave decided -----------------------------------------------------------

TEST(MbusSlaveRoute, NamesThePrimaryTestAndBroadcastAddresses) {
  Bus bus = Bus::at(1);
  EXPECT_EQ(bus.send("10 5B 01").route, MbusRoute::primary);
  EXPECT_EQ(bus.send("10 5B FE").route, MbusRoute::test);
  EXPECT_EQ(bus.send("10 40 FF").route, MbusRoute::broadcast);
  EXPECT_EQ(bus.send("10 5B FF").route, MbusRoute::broadcast) << "a request is not executed";
  EXPECT_EQ(bus.slave.access_number(), 2);
}

TEST(MbusSlaveRoute, IgnoresOtherAddressesAndTheSingleCharacter) {
  Bus bus = Bus::at(1);
  EXPECT_EQ(bus.send("10 5B 02").route, MbusRoute::ignored);
  EXPECT_EQ(bus.send("10 40 FB").route, MbusRoute::ignored);
  EXPECT_EQ(bus.send(kAck).route, MbusRoute::ignored);
  EXPECT_FALSE(addressed(MbusRoute::ignored));
}

TEST(MbusSlaveRoute, IsAddressedForAnUnknownFunctionToTheMeterThoughNothingAnswers) {
  Bus bus = Bus::at(1);
  const MbusExchange out = bus.send("10 7F 01");  // C 7F: no function of EN 13757-2
  EXPECT_EQ(out.route, MbusRoute::primary);
  EXPECT_TRUE(out.reply.empty());
}

// 0xFD: "while or by being selected" (spec decision C45).
TEST(MbusSlaveRoute, TakesFdAsSelectedOnlyWhileOrBySelecting) {
  Bus bus = manual_bus();
  EXPECT_EQ(bus.send("10 5B FD").route, MbusRoute::ignored);
  EXPECT_EQ(bus.send("68 0B 0B 68 53 FD 52 02 00 07 13 CD 25 01 02").route, MbusRoute::ignored)
      << "a selection of another meter";
  EXPECT_EQ(bus.send("68 0B 0B 68 53 FD 52 01 00 07 13 CD 25 01 02").route, MbusRoute::selected);
  EXPECT_EQ(bus.send("10 7B FD").route, MbusRoute::selected);
  EXPECT_EQ(bus.send("68 0B 0B 68 53 FD 52 02 00 07 13 CD 25 01 02").route, MbusRoute::selected)
      << "deselecting a selected meter is addressed to it";
  EXPECT_FALSE(bus.slave.selected());
  EXPECT_EQ(bus.send("10 7B FD").route, MbusRoute::ignored);
}

TEST(MbusSlaveRoute, IsIgnoredWithoutSupply) {
  Bus bus = Bus::at(1);
  bus.meter.power_off();
  EXPECT_EQ(bus.send("10 5B 01").route, MbusRoute::ignored);
}

// ---- the answer, typed ---------------------------------------------------------------------

TEST(MbusSlaveAnswer, IsTheRspUdTheReplyEncodes) {
  Bus bus = manual_bus();
  const MbusExchange out = bus.send("10 5B 01");
  const auto* rsp_ud = std::get_if<MbusRspUd>(&out.answer);
  ASSERT_NE(rsp_ud, nullptr);
  EXPECT_EQ(encode_rsp_ud_frame(*rsp_ud), out.reply);
  EXPECT_EQ(rsp_ud->address, 1);
  EXPECT_EQ(rsp_ud->header, meter_data_header(bus.meter, 1));
  EXPECT_EQ(rsp_ud->values.size(), mbus_read_records().size());
}

TEST(MbusSlaveAnswer, HoldsEachValueAsSentLimitedToItsDataField) {
  Bus bus = Bus::at(1);
  LoadInput load;
  load.phases[0] = {230.0, 100.0, 0.0};
  ASSERT_TRUE(bus.meter.set_load(load).has_value());
  const MbusExchange out = bus.send("10 5B 01");
  const auto* rsp_ud = std::get_if<MbusRspUd>(&out.answer);
  ASSERT_NE(rsp_ud, nullptr);
  const auto defs = mbus_read_records();
  for (std::size_t i = 0; i < defs.size(); ++i) {
    const std::int64_t now = defs[i].source(bus.meter);
    EXPECT_EQ(rsp_ud->values[i], clamp_to_field(defs[i].header.dif(), now)) << defs[i].name;
  }
}

TEST(MbusSlaveAnswer, RepeatsTheTypedRspUdWithItsBytesOnAnFcbRepeat) {
  Bus bus = Bus::at(1, MbusQuirks{.fcb_repeat = true});
  const MbusExchange first = bus.send("10 7B 01");
  LoadInput load;
  load.phases[0] = {230.0, 10.0, 0.0};
  ASSERT_TRUE(bus.meter.set_load(load).has_value());
  const MbusExchange again = bus.send("10 7B 01");
  EXPECT_EQ(again.reply, first.reply);
  EXPECT_EQ(again.answer, first.answer);
}

TEST(MbusSlaveAnswer, IsAnAckOrNothing) {
  Bus bus = Bus::at(1);
  EXPECT_TRUE(std::holds_alternative<MbusAck>(bus.send("10 40 01").answer));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(bus.send("10 40 FF").answer))
      << "a broadcast is executed, not answered";
  EXPECT_TRUE(std::holds_alternative<std::monostate>(bus.send("10 5B 02").answer));
}

}  // namespace
}  // namespace ambi
