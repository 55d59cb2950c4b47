// Every frame of the manual's M-bus "Write" table (A2.2), sent as printed with the checksum
// and stop byte appended (ruling R19), has its described effect and is answered E5 (ruling
// R1). Writes the meter refuses are not answered and change nothing.
#include <gtest/gtest.h>

#include <string>

#include "core/mbus/mbus_records.hpp"
#include "mbus_test_support.hpp"

namespace ambi {
namespace {

using namespace mbus_test;

/// A meter at the manual's address 01, with `command` applied first so that the example
/// is a change.
Bus bus_with(const Command& command) {
  Bus bus = Bus::at(1);
  EXPECT_TRUE(bus.meter.apply(command, kMbus).has_value());
  return bus;
}

// | 68 03 03 68 | SND_UD | A  | CI = BB (2400 baud) |  → E5 at the old rate, then 2400
//   68 03 03 68   53       01   BB
TEST(MbusWriteExamples, SwitchesToBaudRate2400AfterTheAck) {
  Bus bus = bus_with(SetMbusBaud{9600});
  const MbusExchange out = bus.send("68 03 03 68 53 01 BB");
  EXPECT_EQ(out,
            (MbusExchange{
                .route = MbusRoute::primary, .reply = kAck, .answer = MbusAck{}, .baud = 2400}));
  EXPECT_EQ(bus.meter.settings().mbus_baud, 2400U);
}

TEST(MbusWriteExamples, MapsEveryBaudCiToItsRate) {
  const std::pair<std::string_view, std::uint32_t> cases[] = {
      {"B8", 300}, {"B9", 600}, {"BA", 1200}, {"BC", 4800}, {"BD", 9600}};
  for (const auto& [ci, baud] : cases) {
    Bus bus = Bus::at(1);
    EXPECT_EQ(bus.send(std::string("68 03 03 68 53 01 ") + std::string(ci)),
              (MbusExchange{
                  .route = MbusRoute::primary, .reply = kAck, .answer = MbusAck{}, .baud = baud}))
        << ci;
    EXPECT_EQ(bus.meter.settings().mbus_baud, baud);
  }
}

// | 68 06 06 68 | SND_UD | A  | CI 51 | DIF 01 | VIF 7A (bus address) | 01 |
//   68 06 06 68   53       01   51      01       7A                     01
TEST(MbusWriteExamples, SetsPrimaryAddressOne) {
  Bus bus = Bus::at(1);
  EXPECT_EQ(bus.send("68 06 06 68 53 01 51 01 7A 01").reply, kAck);
  EXPECT_EQ(bus.meter.settings().mbus_id, 1);
}

TEST(MbusWriteExamples, NewPrimaryAddressAnswersFromTheNextTelegram) {
  Bus bus;  // factory address 000
  EXPECT_EQ(bus.send("68 06 06 68 53 00 51 01 7A 01").reply, kAck);
  EXPECT_EQ(bus.meter.settings().mbus_id, 1);
  EXPECT_TRUE(bus.send("10 5B 00").reply.empty());
  EXPECT_EQ(bus.send("10 5B 01").reply.at(5), 0x01);  // the A field of the RSP_UD
}

// | 68 09 09 68 | 53 | 01 | 51 | DIF 0C (8 BCD) | VIF 79 (identification) | 15 01 23 45 |
TEST(MbusWriteExamples, SetsSecondaryAddressAsReadInTheHeader) {
  Bus bus = Bus::at(1);
  EXPECT_EQ(bus.send("68 09 09 68 53 01 51 0C 79 15 01 23 45").reply, kAck);
  EXPECT_EQ(bus.meter.settings().mbus_secondary_id, 0x45230115U);
  const Bytes reply = bus.send("10 5B 01").reply;
  EXPECT_EQ(Bytes(reply.begin() + 7, reply.begin() + 11), hex("15 01 23 45"));  // R20
}

// | 68 08 08 68 | 53 | 01 | 51 | DIF 09 (2 BCD) | VIF 7C, 1 char "T" | 02 |
TEST(MbusWriteExamples, SelectsTariffTwo) {
  Bus bus = Bus::at(1);
  EXPECT_EQ(bus.send("68 08 08 68 53 01 51 09 7C 01 54 02").reply, kAck);
  EXPECT_EQ(bus.meter.tariff(), 2);
}

// | 68 07 07 68 | 53 | 01 | 51 | DIF 09 | VIF FD 3A (dimensionless) | 05 |
TEST(MbusWriteExamples, SetsCombinationCodeFive) {
  Bus bus = Bus::at(1);
  EXPECT_EQ(bus.send("68 07 07 68 53 01 51 09 FD 3A 05").reply, kAck);
  EXPECT_EQ(bus.meter.settings().combination, CombinationCode::netted_forward_minus_reverse);
}

// | 68 0A 0A 68 | 53 | 01 | 51 | DIF 0C (8 BCD) | VIF FD 3A | 00 00 01 00 = 100.00 imp/kWh |
TEST(MbusWriteExamples, SetsS0Rate100) {
  Bus bus = Bus::at(1);
  EXPECT_EQ(bus.send("68 0A 0A 68 53 01 51 0C FD 3A 00 00 01 00").reply, kAck);
  EXPECT_EQ(bus.meter.settings().s0_rate_centi, 10'000U);  // R21
}

// | 68 09 09 68 | 53 | 01 | 51 | DIF 0C | VIF 04 | 00 00 00 00 (ignored) | → trip counter 0
TEST(MbusWriteExamples, ResetsTheResettableKwh) {
  Bus bus = Bus::at(1);
  LoadInput load;
  load.phases[0] = {230.0, 10.0, 0.0};
  ASSERT_TRUE(bus.meter.set_load(load).has_value());
  bus.meter.advance(3'600'000);
  ASSERT_EQ(bus.meter.trip_total(), 2'300'000);
  EXPECT_EQ(bus.send("68 09 09 68 53 01 51 0C 04 00 00 00 00").reply, kAck);
  EXPECT_EQ(bus.meter.trip_total(), 0);
  EXPECT_EQ(bus.meter.total(Family::active), 2'300'000);
}

TEST(MbusWriteExamples, ResettableKwhIgnoresItsValue) {
  Bus bus = Bus::at(1);
  EXPECT_EQ(bus.send("68 09 09 68 53 01 51 0C 04 99 AA FF 12").reply, kAck);
}

// | 68 08 08 68 | 53 | 01 | 51 | DIF 0A (4 BCD) | VIF FD 60 (reset counter) | 00 00 |
TEST(MbusWriteExamples, ResetsThePowerDownCounter) {
  Bus bus = Bus::at(1);
  ASSERT_EQ(bus.meter.state().power_down_counter, 1);
  EXPECT_EQ(bus.send("68 08 08 68 53 01 51 0A FD 60 00 00").reply, kAck);
  EXPECT_EQ(bus.meter.state().power_down_counter, 0);
}

// | 10 | SND_NKE 40 | A 01 |
TEST(MbusWriteExamples, AnswersSndNke) {
  Bus bus = Bus::at(1);
  EXPECT_EQ(bus.send("10 40 01").reply, kAck);
}

// | 68 0B 0B 68 | 53 | FD | CI 52 | ID 13070001 | INM   | v1 | electricity |
//   68 0B 0B 68   53   FD   52      01 00 07 13   CD 25   01   02
TEST(MbusWriteExamples, SelectsBySecondaryAddress) {
  Bus bus = bus_with(SetMbusSecondaryId{0x13070001});
  EXPECT_EQ(bus.send("68 0B 0B 68 53 FD 52 01 00 07 13 CD 25 01 02").reply, kAck);
  EXPECT_TRUE(bus.slave.selected());
}

// ---- refused writes: no answer, nothing changes -------------------------------------------

TEST(MbusWriteExamples, RefusedValuesAreNotAnswered) {
  Bus bus = Bus::at(1);
  const PersistentState before = bus.meter.state();
  EXPECT_TRUE(bus.send("68 08 08 68 53 01 51 09 7C 01 54 05").reply.empty());        // tariff 5
  EXPECT_TRUE(bus.send("68 06 06 68 53 01 51 01 7A FB").reply.empty());              // address 251
  EXPECT_TRUE(bus.send("68 0A 0A 68 53 01 51 0C FD 3A 00 00 0A 00").reply.empty());  // not BCD
  EXPECT_TRUE(
      bus.send("68 0A 0A 68 53 01 51 0C FD 3A 34 12 00 00").reply.empty());       // 12.34 imp/kWh
  EXPECT_TRUE(bus.send("68 09 09 68 53 01 51 0C 79 1A 01 23 45").reply.empty());  // not BCD
  EXPECT_TRUE(bus.send("68 07 07 68 53 01 51 09 FD 3A 06").reply.empty());        // C-06
  EXPECT_EQ(bus.meter.state(), before);
}

TEST(MbusWriteExamples, RecordsOutsideTheWriteTableAreNotAnswered) {
  Bus bus = Bus::at(1);
  EXPECT_TRUE(bus.send("68 09 09 68 53 01 51 0B FD 3A 05 95 99").reply.empty());  // CT ratio
  EXPECT_TRUE(bus.send("68 09 09 68 53 01 51 04 03 00 00 00 00").reply.empty());  // energy
  EXPECT_TRUE(bus.send("68 06 06 68 53 01 51 04 03 00").reply.empty());           // truncated
  EXPECT_EQ(bus.meter.state().ct, (CtRatio{5, 5}));
}

TEST(MbusWriteExamples, ASndUdAppliesAllItsRecordsOrNone) {
  Bus bus = Bus::at(1);
  EXPECT_TRUE(bus.send("68 0C 0C 68 53 01 51 09 7C 01 54 03 09 FD 3A 07").reply.empty());
  EXPECT_EQ(bus.meter.tariff(), 1);
  EXPECT_EQ(bus.send("68 0C 0C 68 53 01 51 09 7C 01 54 03 09 FD 3A 03").reply, kAck);
  EXPECT_EQ(bus.meter.tariff(), 3);
  EXPECT_EQ(bus.meter.settings().combination, CombinationCode::forward_plus_reverse);
}

TEST(MbusWriteExamples, C05StaysFinal) {
  Bus bus = bus_with(SetCombination{5});
  EXPECT_TRUE(bus.send("68 07 07 68 53 01 51 09 FD 3A 04").reply.empty());
  EXPECT_EQ(bus.meter.settings().combination, CombinationCode::netted_forward_minus_reverse);
}

TEST(MbusWriteExamples, AStoppedMeterAnswersNoWrite) {
  PersistentState state;
  state.settings.mbus_id = 1;
  Bus bus{Meter(state, error_bit::both_copies_bad), MbusSlave{}};
  EXPECT_TRUE(bus.send("68 08 08 68 53 01 51 09 7C 01 54 02").reply.empty());
  EXPECT_TRUE(bus.send("68 03 03 68 53 01 BD").reply.empty());
  EXPECT_EQ(bus.meter.tariff(), 1);
}

TEST(MbusWriteExamples, WritePlanNamesTheProblem) {
  EXPECT_EQ(plan_mbus_write(hex("04 03 00 00 00 00")).error(), MbusWriteError::not_writable);
  EXPECT_EQ(plan_mbus_write(hex("09 7C 01 54 1F")).error(), MbusWriteError::bad_value);
  EXPECT_EQ(plan_mbus_write(hex("09 7C 01")).error(), MbusWriteError::malformed);
  EXPECT_EQ(plan_mbus_write({})->size(), 0U);
}

}  // namespace
}  // namespace ambi
