// Sets of Modbus units (tools/units.hpp): `log --units` lists, the probe of who answers behind
// a gateway (exception 0B is "nobody there" at once), and the gateway's identity at unit 255.
#include "tools/units.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ambi {
namespace {

using Units = std::vector<std::uint8_t>;

TEST(ParseUnitList, ReadsAllAndListsOfIdsAndRanges) {
  const auto all = parse_unit_list("all");
  ASSERT_TRUE(all.has_value()) << all.error();
  EXPECT_TRUE(all->all);
  EXPECT_TRUE(all->units.empty());
  const auto list = parse_unit_list("20,1-3,2,247,100-100");
  ASSERT_TRUE(list.has_value()) << list.error();
  EXPECT_FALSE(list->all);
  EXPECT_EQ(list->units, (Units{1, 2, 3, 20, 100, 247})) << "ascending, each once";
  const auto every = parse_unit_list("1-247");
  ASSERT_TRUE(every.has_value());
  EXPECT_EQ(every->units, every_unit());
  EXPECT_EQ(every_unit().size(), 247U);
}

TEST(ParseUnitList, RefusesAnythingElseNamingTheForm) {
  for (const std::string_view text : {"", "0", "248", "255", "1-248", "5-3", "1,", ",1", "1--2",
                                      "a", "ALL", "1 - 3", "-1", "3-"}) {
    const auto list = parse_unit_list(text);
    ASSERT_FALSE(list.has_value()) << text;
    EXPECT_EQ(list.error(),
              "--units must be all or unit ids 1-247 and ranges, e.g. 1-10,20, not \"" +
                  std::string{text} + "\"");
  }
}

TEST(UnitsText, WritesRunsAsRanges) {
  EXPECT_EQ(units_text(Units{}), "");
  EXPECT_EQ(units_text(Units{7}), "7");
  EXPECT_EQ(units_text(Units{1, 2, 3, 5, 7, 8, 200}), "1-3,5,7-8,200");
  EXPECT_EQ(units_text(every_unit()), "1-247");
}

TEST(ProbeUri, WaitsBrieflyWithoutRetriesUnlessTheUriSaysOtherwise) {
  MeterUri tcp;
  tcp.scheme = UriScheme::modbus_tcp;
  EXPECT_EQ(probe_uri(tcp).timeout, std::chrono::milliseconds{300});
  EXPECT_EQ(probe_uri(tcp).retries, 0);
  MeterUri serial;
  serial.scheme = UriScheme::modbus_serial;
  serial.baud = 9600;
  // 40 characters of 11 bits at 9600 baud: 45.8 ms, cut to 45.
  EXPECT_EQ(probe_uri(serial).timeout, std::chrono::milliseconds{195});
  tcp.timeout = std::chrono::milliseconds{2000};
  tcp.retries = 3;
  EXPECT_EQ(probe_uri(tcp).timeout, std::chrono::milliseconds{2000});
  EXPECT_EQ(probe_uri(tcp).retries, 3);
}

/// A gateway in memory: the units of `meters` answer a read with their words, unit 255 with
/// `gateway` when it is set, every other unit exception 0B; `failing` units bring a failure.
class FakeGateway final : public ModbusClient {
 public:
  std::map<std::uint8_t, std::vector<std::uint16_t>> meters;
  std::map<std::uint8_t, ModbusClientError::Kind> failing;
  std::vector<std::uint16_t> gateway;
  std::map<std::uint8_t, std::uint16_t> exceptions;  ///< units that answer another exception
  std::map<std::uint8_t, int> busy;  ///< units silent this many times, then answering
  std::vector<std::uint8_t> asked;
  std::vector<std::chrono::milliseconds> timeouts;

  void set_timeout(std::chrono::milliseconds timeout) override { timeouts.push_back(timeout); }

 private:
  Tried<std::vector<std::uint16_t>> transact_read(std::uint8_t unit, std::uint16_t /*start*/,
                                                  std::uint16_t count) override {
    asked.push_back(unit);
    if (const auto f = failing.find(unit); f != failing.end()) {
      return {std::unexpected(ModbusClientError{f->second, 0, "failed"}), 1};
    }
    if (auto b = busy.find(unit); b != busy.end() && b->second > 0) {
      --b->second;
      return {std::unexpected(ModbusClientError{ModbusClientError::Kind::timeout, 0, "silent"}), 1};
    }
    if (const auto e = exceptions.find(unit); e != exceptions.end()) {
      return {ModbusAnswer<std::vector<std::uint16_t>>{std::unexpect,
                                                       static_cast<ExceptionCode>(e->second)},
              1};
    }
    if (unit == kGatewayUnit && !gateway.empty()) {
      return {ModbusAnswer<std::vector<std::uint16_t>>{gateway}, 1};
    }
    if (const auto m = meters.find(unit); m != meters.end()) {
      std::vector<std::uint16_t> words = m->second;
      words.resize(count);
      return {ModbusAnswer<std::vector<std::uint16_t>>{words}, 1};
    }
    return {ModbusAnswer<std::vector<std::uint16_t>>{std::unexpect,
                                                     ExceptionCode::gateway_target_failed},
            1};
  }
  Tried<void> transact_write(std::uint8_t /*unit*/, std::uint16_t /*start*/,
                             std::span<const std::uint16_t> /*words*/) override {
    return {ModbusAnswer<void>{}, 1};
  }
};

using std::chrono::milliseconds;
constexpr milliseconds kShort{300};
constexpr milliseconds kLong{1000};

TEST(FindUnits, ListsTheUnitsThatAnswerWithDataAndSkipsExceptionsAndSilence) {
  FakeGateway gw;
  gw.meters[1] = {0x1902, 0x0246};
  gw.meters[53] = {0x1902, 0x0298};
  gw.meters[200] = {0x1902, 0x0299};
  gw.failing[7] = ModbusClientError::Kind::timeout;
  gw.failing[8] = ModbusClientError::Kind::bad_reply;
  gw.exceptions[9] = 0x02;
  const Units all = every_unit();
  const auto found = find_units(gw, all, kShort, kLong);
  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_EQ(*found, (Units{1, 53, 200}));
  Units asked = all;
  asked.push_back(7);  // silent behind a gateway that answers 0B elsewhere: asked again
  EXPECT_EQ(gw.asked, asked) << "each unit asked once, the silent one twice";
}

TEST(ProbeUnits, ClassifiesEachAnswer) {
  FakeGateway gw;
  gw.meters[1] = {0x1902, 0x0246};
  gw.exceptions[2] = 0x02;
  gw.failing[3] = ModbusClientError::Kind::bad_reply;
  gw.failing[4] = ModbusClientError::Kind::timeout;
  const auto probes = probe_units(gw, Units{1, 2, 3, 4, 5}, kShort, kLong);
  ASSERT_TRUE(probes.has_value());
  std::vector<std::pair<int, ProbeAnswer>> got;
  for (const UnitProbe& p : *probes) got.emplace_back(p.unit, p.answer);
  EXPECT_EQ(got, (std::vector<std::pair<int, ProbeAnswer>>{{1, ProbeAnswer::data},
                                                           {2, ProbeAnswer::exception},
                                                           {3, ProbeAnswer::garbled},
                                                           {4, ProbeAnswer::silent},
                                                           {5, ProbeAnswer::empty}}));
  EXPECT_EQ((*probes)[1].exception_code, 0x02);
}

TEST(ProbeUnits, AsksTheUnitsABusyGatewayLeftSilentOnceMoreWithTheLongerTimeout) {
  FakeGateway gw;
  for (std::uint8_t u = 1; u <= 10; ++u) gw.meters[u] = {0x1902, static_cast<std::uint16_t>(u)};
  gw.busy[4] = 1;  // the gateway was saving: units 4-6 went unanswered once
  gw.busy[5] = 1;
  gw.busy[6] = 1;
  gw.busy[8] = 2;  // silent twice: left out
  const Units candidates{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  const auto found = find_units(gw, candidates, kShort, kLong);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, (Units{1, 2, 3, 4, 5, 6, 7, 9, 10}));
  EXPECT_EQ(gw.timeouts, (std::vector<milliseconds>{kLong, kShort})) << "the timeout restored";
}

TEST(ProbeUnits, WithoutAGatewaySilenceIsTheNormAndNotAskedAgain) {
  FakeGateway gw;
  gw.meters[3] = {0x1902, 0x0246};
  for (std::uint8_t u = 1; u <= 5; ++u) {
    if (u != 3) gw.failing[u] = ModbusClientError::Kind::timeout;  // an RS485 line
  }
  const auto found = find_units(gw, Units{1, 2, 3, 4, 5}, kShort, kLong);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, (Units{3}));
  EXPECT_EQ(gw.asked, (Units{1, 2, 3, 4, 5}));
  EXPECT_TRUE(gw.timeouts.empty());
}

TEST(ProbeUnits, StopsWhenTheProgressSaysSo) {
  FakeGateway gw;
  const auto probes = probe_units(gw, every_unit(), kShort, kLong,
                                  [](std::size_t done, std::size_t) { return done < 3; });
  ASSERT_TRUE(probes.has_value());
  EXPECT_EQ(probes->size(), 3U);
}

TEST(FindUnits, StopsWhenTheLinkFails) {
  for (const auto kind : {ModbusClientError::Kind::io, ModbusClientError::Kind::connect}) {
    FakeGateway gw;
    gw.meters[1] = {0x1902, 0x0246};
    gw.failing[3] = kind;
    const Units candidates{1, 2, 3, 4, 5};
    const auto found = find_units(gw, candidates, kShort, kLong);
    ASSERT_FALSE(found.has_value());
    EXPECT_EQ(found.error().kind, kind);
    EXPECT_EQ(gw.asked, (Units{1, 2, 3}));
  }
}

TEST(GatewayIdentity, DecodesTheThirteenWordsOfUnit255) {
  const std::vector<std::uint16_t> words{330, 0x0100, 0x0101, 0x1902, 0x0493, 53, 1,
                                         53,  0,      0,      0,      0,      0};
  const auto g = decode_gateway_identity(words);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->device_type, 330);
  EXPECT_EQ(g->hardware_version, 0x0100);
  EXPECT_EQ(g->firmware_version, 0x0101);
  EXPECT_EQ(g->serial_number, "19020493");
  EXPECT_EQ(g->meters, 53);
  EXPECT_EQ(g->first_unit, 1);
  EXPECT_EQ(g->last_unit, 53);
  std::vector<std::uint16_t> other = words;
  other[0] = 331;
  EXPECT_FALSE(decode_gateway_identity(other).has_value()) << "another device type";
  EXPECT_FALSE(decode_gateway_identity(std::span{words}.first(5)).has_value()) << "too short";
}

TEST(GatewayIdentity, ProbeAsksUnit255AndTakesAnExceptionAsNoGateway) {
  FakeGateway gw;
  EXPECT_FALSE(probe_gateway(gw).has_value());
  EXPECT_EQ(gw.asked, (Units{255}));
  gw.gateway = {330, 0x0100, 0x0100, 0x1902, 0x0246, 247, 1, 247, 0, 0, 0, 0, 0};
  const auto g = probe_gateway(gw);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->meters, 247);
  gw.failing[255] = ModbusClientError::Kind::timeout;
  EXPECT_FALSE(probe_gateway(gw).has_value()) << "silence";
}

}  // namespace
}  // namespace ambi
