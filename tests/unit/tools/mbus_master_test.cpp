// The M-bus master against the twin's own slave, in process: a simulated bus of one or more
// meters on an in-memory line (no thread or socket), and over a loopback TCP socket and a
// pseudo-terminal where the transport itself is under test.
#include "tools/mbus_master.hpp"

#include <fmt/format.h>
#include <termios.h>

#include <algorithm>
#include <memory>

#include "io/byte_link.hpp"
#include "mbus_simulated_bus.hpp"

namespace ambi {
namespace {

using namespace std::chrono_literals;
using mbus_test::BusServer;
using mbus_test::Bytes;
using mbus_test::Heard;
using mbus_test::MemoryBus;
using mbus_test::Pty;
using mbus_test::SimulatedBus;

std::unique_ptr<MbusMaster> open_master(const std::string& text) {
  const auto uri = parse_meter_uri(text);
  EXPECT_TRUE(uri.has_value()) << uri.error();
  auto master = open_mbus(*uri);
  EXPECT_TRUE(master.has_value()) << master.error();
  return master ? std::move(*master) : nullptr;
}

/// A master on the in-memory line to `bus`'s meters: no socket, no thread, and a silence
/// costs no wall time. `query` sets the timeout and retries as a URI's would.
std::unique_ptr<MbusMaster> master_on(MemoryBus& line, std::string_view query) {
  const auto uri = parse_meter_uri(fmt::format("mbus+tcp://127.0.0.1:1?{}", query));
  EXPECT_TRUE(uri.has_value()) << uri.error();
  return mbus_master_over(line.link(), *uri);
}

/// The tariff record of the manual's Write table: 09 7C 01 54 "T", then the tariff in BCD.
Bytes tariff_record(int tariff) {
  const MbusWriteDef& def = *std::ranges::find_if(
      mbus_write_records(), [](const MbusWriteDef& d) { return d.name == "tariff"; });
  Bytes out(def.header.view().begin(), def.header.view().end());
  const Bytes value = encode_value(def.header.dif(), tariff);
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

TEST(MbusMaster, ReadDecodesEveryRecordTheMeterSends) {
  SimulatedBus bus;
  bus.add(5, 0x12345678);
  LoadInput load;
  load.phases = {PhaseInput{231.5, 12.25, 30}, PhaseInput{228.4, 3.5, -60},
                 PhaseInput{229.9, 40, 200}};
  load.hz = 49.987;
  ASSERT_TRUE(bus.with(0, [&](Meter& m) { return m.set_load(load); }).has_value());
  BusServer server(bus);
  const auto master = open_master(server.uri("timeout=500ms"));
  ASSERT_NE(master, nullptr);

  const auto readout = master->read(5);
  ASSERT_TRUE(readout.has_value()) << readout.error().message;
  EXPECT_EQ(readout->header.id_bcd, 0x12345678U);
  EXPECT_EQ(readout->header.manufacturer, kManufacturerInepro);
  EXPECT_EQ(readout->header.access_number, 1);
  const auto defs = mbus_read_records();
  ASSERT_EQ(readout->values.size(), defs.size());
  for (std::size_t i = 0; i < defs.size(); ++i) {
    ASSERT_EQ(readout->values[i].def, &defs[i]);
    const auto expected = bus.with(
        0, [&](Meter& m) { return clamp_to_field(defs[i].header.dif(), defs[i].source(m)); });
    EXPECT_EQ(readout->values[i].value, expected) << defs[i].name;
  }
  const auto at = [&](std::string_view name) {
    return readout->values[static_cast<std::size_t>(find_mbus_record(name) - defs.data())].value;
  };
  EXPECT_EQ(at("l1_voltage"), 23150);  // 231.50 V in 0.01 V
  EXPECT_EQ(at("tariff"), 1);
}

TEST(MbusMaster, TogglesTheFcbSoEveryReadIsFresh) {
  SimulatedBus bus;
  bus.add(5, 0x12345678);
  MemoryBus line(bus);
  const auto master = master_on(line, "timeout=500ms");
  ASSERT_NE(master, nullptr);

  for (const int access : {1, 2, 3}) {
    const auto readout = master->read(5);
    ASSERT_TRUE(readout.has_value()) << readout.error().message;
    EXPECT_EQ(readout->header.access_number, access);
  }
  // SND_NKE first, then REQ_UD2 with FCB 1, 0, 1 (EN 13757-2).
  EXPECT_EQ(bus.heard(), (std::vector<Heard>{{0x40, 5}, {0x7B, 5}, {0x5B, 5}, {0x7B, 5}}));
}

// A meter that repeats its last answer on an untoggled FCB (the fcb-repeat quirk, as
// EN 13757-2 allows) gives a retrying master the very answer it lost.
TEST(MbusMaster, RetriesWithTheSameFcbAndGetsTheLostAnswerAgain) {
  SimulatedBus bus;
  bus.add(5, 0x12345678, MbusQuirks{.fcb_repeat = true});
  MemoryBus line(bus);
  const auto master = master_on(line, "timeout=150ms&retries=1");
  ASSERT_NE(master, nullptr);
  ASSERT_TRUE(master->reset(5).has_value());

  bus.drop_next_answer();
  const auto repeated = master->read(5);
  ASSERT_TRUE(repeated.has_value()) << repeated.error().message;
  EXPECT_EQ(repeated->header.access_number, 1);  // the answer that was lost, sent again
  const auto next = master->read(5);
  ASSERT_TRUE(next.has_value()) << next.error().message;
  EXPECT_EQ(next->header.access_number, 2);
  EXPECT_EQ(bus.heard(), (std::vector<Heard>{{0x40, 5}, {0x7B, 5}, {0x7B, 5}, {0x5B, 5}}));
}

TEST(MbusMaster, WriteChangesTheMeter) {
  SimulatedBus bus;
  bus.add(5, 0x12345678);
  MemoryBus line(bus);
  const auto master = master_on(line, "timeout=500ms");
  ASSERT_NE(master, nullptr);

  EXPECT_EQ(tariff_record(3), mbus_test::hex("09 7C 01 54 03"));
  const auto written = master->write(5, tariff_record(3));
  ASSERT_TRUE(written.has_value()) << written.error().message;
  EXPECT_EQ(bus.with(0, [](Meter& m) { return m.tariff(); }), 3);
  const auto readout = master->read(5);
  ASSERT_TRUE(readout.has_value()) << readout.error().message;
  EXPECT_EQ(readout
                ->values[static_cast<std::size_t>(find_mbus_record("tariff") -
                                                  mbus_read_records().data())]
                .value,
            3);
  // SND_NKE, SND_UD with FCB 1, REQ_UD2 with FCB 0.
  EXPECT_EQ(bus.heard(), (std::vector<Heard>{{0x40, 5}, {0x73, 5}, {0x5B, 5}}));
}

TEST(MbusMaster, RefusedWriteIsATimeoutSayingTheMeterDidNotAcknowledge) {
  SimulatedBus bus;
  bus.add(5, 0x12345678);
  MemoryBus line(bus);
  const auto master = master_on(line, "timeout=150ms");
  ASSERT_NE(master, nullptr);

  const auto written = master->write(5, tariff_record(5));
  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().kind, MbusMasterError::Kind::timeout);
  EXPECT_NE(written.error().message.find("did not acknowledge the write"), std::string::npos)
      << written.error().message;
  EXPECT_EQ(bus.with(0, [](Meter& m) { return m.tariff(); }), 1);
}

TEST(MbusMaster, ProbeHearsSilenceOneMeterOrACollision) {
  SimulatedBus bus;
  bus.add(1, 0x11111111);
  bus.add(2, 0x22222222);
  bus.add(2, 0x33333333);
  MemoryBus line(bus);
  const auto master = master_on(line, "timeout=50ms");
  ASSERT_NE(master, nullptr);

  EXPECT_EQ(master->probe(3), MbusProbe::none);
  EXPECT_EQ(master->probe(1), MbusProbe::single);
  EXPECT_EQ(master->probe(2), MbusProbe::collision);
  EXPECT_EQ(master->probe(mbus_address::test), MbusProbe::collision);
  const auto garbled = master->read(2);
  ASSERT_FALSE(garbled.has_value());
  EXPECT_EQ(garbled.error().kind, MbusMasterError::Kind::bad_reply);
}

TEST(MbusMaster, SelectsBySecondaryAddressAndReadsAtFd) {
  SimulatedBus bus;
  bus.add(1, 0x12345678);
  bus.add(2, 0x12345679);
  bus.add(3, 0x87654321);
  MemoryBus line(bus);
  const auto master = master_on(line, "timeout=50ms");
  ASSERT_NE(master, nullptr);

  EXPECT_EQ(master->select(MbusSelection{.id = 0x9FFFFFFF}), MbusProbe::none);
  EXPECT_EQ(master->select(MbusSelection{.id = 0x1234567F}), MbusProbe::collision);
  EXPECT_EQ(master->select(MbusSelection{.id = 0x12345679, .manufacturer = 0x25CD}),
            MbusProbe::single);
  const auto readout = master->read(mbus_address::selected);
  ASSERT_TRUE(readout.has_value()) << readout.error().message;
  EXPECT_EQ(readout->header.id_bcd, 0x12345679U);
  EXPECT_EQ(bus.heard().back(), (Heard{0x7B, 0xFD}));
  EXPECT_EQ(master->select(MbusSelection{.id = 0x12345679, .manufacturer = 0x1234}),
            MbusProbe::none);
}

TEST(MbusMaster, SelectionMaskIsSentIdFirstLeastSignificantByteFirst) {
  const MbusSelection mask{
      .id = 0x1234567F, .manufacturer = 0x25CD, .version = 0x01, .medium = 0x02};
  EXPECT_EQ(mask.bytes(),
            (std::array<std::uint8_t, 8>{0x7F, 0x56, 0x34, 0x12, 0xCD, 0x25, 0x01, 0x02}));
}

TEST(SecondarySearch, FindsEveryMeterOnTheBus) {
  SimulatedBus bus;
  bus.add(1, 0x87654321);
  bus.add(2, 0x12345679);
  bus.add(3, 0x12345678);
  MemoryBus line(bus);
  const auto master = master_on(line, "timeout=20ms");
  ASSERT_NE(master, nullptr);

  int probes = 0;
  int collisions = 0;
  const auto found = secondary_search(*master, [&](std::uint32_t, MbusProbe p) {
    ++probes;
    collisions += p == MbusProbe::collision ? 1 : 0;
  });
  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_EQ(*found, (std::vector<std::uint32_t>{0x12345678, 0x12345679, 0x87654321}));
  EXPECT_EQ(probes, 81);     // FFFFFFFF, then 10 digits at each of the 8 positions under 1234567
  EXPECT_EQ(collisions, 8);  // FFFFFFFF, 1FFFFFFF ... 123456FF
}

TEST(SecondarySearch, ListsTwoMetersWithOneAddressOnce) {
  SimulatedBus bus;
  bus.add(1, 0x00000000);
  bus.add(2, 0x00000000);
  MemoryBus line(bus);
  const auto master = master_on(line, "timeout=20ms");
  ASSERT_NE(master, nullptr);

  std::vector<std::uint32_t> collided;
  const auto found = secondary_search(*master, [&](std::uint32_t mask, MbusProbe p) {
    if (p == MbusProbe::collision) collided.push_back(mask);
  });
  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_EQ(*found, (std::vector<std::uint32_t>{0x00000000}));
  ASSERT_EQ(collided.size(), 9U);
  EXPECT_EQ(collided.back(), 0x00000000U);  // a collision with no wildcard left
}

TEST(SecondarySearch, FindsNothingOnAnEmptyBus) {
  SimulatedBus bus;
  MemoryBus line(bus);
  const auto master = master_on(line, "timeout=50ms");
  ASSERT_NE(master, nullptr);

  std::vector<std::pair<std::uint32_t, MbusProbe>> probes;
  const auto found = secondary_search(
      *master, [&](std::uint32_t mask, MbusProbe p) { probes.emplace_back(mask, p); });
  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_TRUE(found->empty());
  EXPECT_EQ(probes,
            (std::vector<std::pair<std::uint32_t, MbusProbe>>{{0xFFFFFFFF, MbusProbe::none}}));
}

TEST(MbusMaster, ConnectFailsWithAMessageNamingTheUri) {
  SimulatedBus bus;
  std::string text;
  {
    BusServer server(bus);
    text = server.uri("timeout=200ms");
  }
  const auto master = open_mbus(*parse_meter_uri(text));
  ASSERT_FALSE(master.has_value());
  EXPECT_NE(master.error().find("cannot connect to 127.0.0.1"), std::string::npos)
      << master.error();
}

TEST(MbusMasterSerial, ReadsAndWritesOneMeterOverAPseudoTerminal) {
  Pty pty;
  SimulatedBus bus;
  bus.add(7, 0x45230115);
  BusServer server(bus, pty.master);
  const auto master =
      open_master(fmt::format("mbus+serial://{}?baud=9600&timeout=150ms", pty.name));
  ASSERT_NE(master, nullptr);

  const auto readout = master->read(7);
  ASSERT_TRUE(readout.has_value()) << readout.error().message;
  EXPECT_EQ(readout->header.id_bcd, 0x45230115U);
  ASSERT_TRUE(master->write(7, tariff_record(2)).has_value());
  EXPECT_EQ(bus.with(0, [](Meter& m) { return m.tariff(); }), 2);
  EXPECT_EQ(master->probe(8), MbusProbe::none);
  EXPECT_EQ(master->probe(7), MbusProbe::single);
}

TEST(MbusMasterSerial, FallsBackToNoParityOnAPseudoTerminal) {
  Pty pty;
  const auto link = ByteLink::open_serial(pty.name, 2400, Parity::even);
  ASSERT_TRUE(link.has_value()) << link.error();
  EXPECT_FALSE(link->parity_applied());
  EXPECT_TRUE(link->serial());
  termios tio{};
  ASSERT_EQ(::tcgetattr(pty.slave, &tio), 0);
  EXPECT_EQ(tio.c_cflag & PARENB, 0U);
  EXPECT_EQ(::cfgetospeed(&tio), static_cast<speed_t>(B2400));
  const auto none = ByteLink::open_serial(pty.name, 2400, Parity::none);
  ASSERT_TRUE(none.has_value()) << none.error();
  EXPECT_TRUE(none->parity_applied());
}

TEST(MbusMasterSerial, MissingDeviceIsAConnectError) {
  const auto master = open_mbus(*parse_meter_uri("mbus+serial:///dev/ambi-no-such-tty"));
  ASSERT_FALSE(master.has_value());
  EXPECT_NE(master.error().find("cannot open /dev/ambi-no-such-tty"), std::string::npos)
      << master.error();
}

}  // namespace
}  // namespace ambi
