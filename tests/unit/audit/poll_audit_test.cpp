// The poll audit's checks, fed as the transports feed them and as a trace file does.
#include "audit/poll_audit.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "audit/audit_report.hpp"
#include "audit/trace_audit.hpp"
#include "core/codec/crc16.hpp"
#include "core/codec/hex.hpp"

namespace ambi {
namespace {

/// | unit | pdu | CRC lo hi |
std::vector<std::uint8_t> rtu(std::vector<std::uint8_t> frame) {
  const std::uint16_t crc = crc16_modbus(frame);
  frame.push_back(static_cast<std::uint8_t>(crc & 0xFF));
  frame.push_back(static_cast<std::uint8_t>(crc >> 8));
  return frame;
}

/// | transaction | 00 00 | length | unit | pdu |
std::vector<std::uint8_t> mbap(std::uint16_t transaction, std::vector<std::uint8_t> pdu) {
  const auto length = static_cast<std::uint16_t>(pdu.size() + 1);
  // The header goes in front of the PDU (appending the PDU to a 7-byte vector trips gcc 12's
  // -Warray-bounds at -O3, a false positive).
  const std::array<std::uint8_t, 7> header{static_cast<std::uint8_t>(transaction >> 8),
                                           static_cast<std::uint8_t>(transaction & 0xFF),
                                           0,
                                           0,
                                           static_cast<std::uint8_t>(length >> 8),
                                           static_cast<std::uint8_t>(length & 0xFF),
                                           1};
  pdu.insert(pdu.begin(), header.begin(), header.end());
  return pdu;
}

struct Sent {
  std::vector<std::uint8_t> adu;
  ParsedRequest request;
};

/// Feeds one Modbus TCP request and its answer (`exception` 0: a normal reply).
void feed_tcp(AuditClient& c, std::vector<std::uint8_t> pdu, std::uint8_t exception,
              std::int64_t sim_ms = 0) {
  const std::vector<std::uint8_t> adu = mbap(1, pdu);
  const ParsedRequest request = parse_request(std::span(adu).subspan(7));
  ModbusReplySeen reply{std::nullopt, 11};
  if (exception != 0) reply.exception = static_cast<ExceptionCode>(exception);
  c.modbus(ModbusSeen{{sim_ms, std::nullopt}, adu, 1, &request, reply, 0});
}

std::uint64_t count_of(const AuditClient& c, AuditCheck check) {
  const AuditFinding* f = c.finding(check);
  return f == nullptr ? 0 : f->count;
}

// ---- Modbus ---------------------------------------------------------------------------------

TEST(PollAuditModbus, AReadStartingOnTheSecondWordOfAFloatIsOffByOne) {
  PollAudit audit;
  AuditClient& c = audit.client(AuditTransport::tcp, "127.0.0.1:40000");
  // | 03 | 50 03 | 00 02 |: 0x5003 is the second word of l1_voltage (0x5002-0x5003).
  feed_tcp(c, {0x03, 0x50, 0x03, 0x00, 0x02}, 0, 1000);
  feed_tcp(c, {0x03, 0x50, 0x03, 0x00, 0x02}, 0, 2000);
  const AuditFinding* f = c.finding(AuditCheck::second_word);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->count, 2U);
  EXPECT_EQ(f->first.sim_ms, 1000);
  EXPECT_EQ(f->last.sim_ms, 2000);
  EXPECT_EQ(f->example, "00 01 00 00 00 06 01 03 50 03 00 02");
  EXPECT_NE(f->detail.find("l1_voltage"), std::string::npos) << f->detail;
  EXPECT_EQ(c.finding_count(), 1U);
}

TEST(PollAuditModbus, AReadOnTheFirstWordOrOfOneWordRegistersIsNoFinding) {
  PollAudit audit;
  AuditClient& c = audit.client(AuditTransport::tcp, "127.0.0.1:40000");
  feed_tcp(c, {0x03, 0x50, 0x02, 0x00, 0x06}, 0);  // L1-L3 voltage
  feed_tcp(c, {0x03, 0x40, 0x03, 0x00, 0x01}, 0);  // Modbus ID
  feed_tcp(c, {0x03, 0x40, 0x25, 0x00, 0x01}, 0);  // reserved, reads 0
  EXPECT_EQ(c.finding_count(), 0U);
  EXPECT_EQ(c.requests(), 3U);
}

TEST(PollAuditModbus, AReadThatTouchesAnUnmappedAddressSaysWhereAndHintsAtOffByOne) {
  PollAudit audit;
  AuditClient& c = audit.client(AuditTransport::tcp, "127.0.0.1:40000");
  feed_tcp(c, {0x03, 0x4F, 0xFF, 0x00, 0x02}, 0x02);  // one before the 0x5000 block
  const AuditFinding* f = c.finding(AuditCheck::unmapped);
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->detail.find("0x4FFF"), std::string::npos) << f->detail;
  EXPECT_NE(f->detail.find("1-based"), std::string::npos) << f->detail;
  // Crossing the end of the 0x4000 block (0x4033 is its last register).
  feed_tcp(c, {0x03, 0x40, 0x30, 0x00, 0x08}, 0x02);
  EXPECT_EQ(count_of(c, AuditCheck::unmapped), 2U);
}

TEST(PollAuditModbus, Fc04IsAFindingWhetherRefusedOrAnsweredByTheQuirk) {
  PollAudit audit;
  AuditClient& c = audit.client(AuditTransport::tcp, "127.0.0.1:40000");
  feed_tcp(c, {0x04, 0x50, 0x02, 0x00, 0x02}, 0x01);
  feed_tcp(c, {0x04, 0x50, 0x04, 0x00, 0x02}, 0);
  const AuditFinding* f = c.finding(AuditCheck::fc04);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->count, 2U);
  EXPECT_EQ(f->detail.find("quirk"), std::string::npos) << "the first was refused";
  EXPECT_EQ(severity(AuditCheck::fc04), "error");
}

TEST(PollAuditModbus, MoreThan125RegistersIsAFindingEvenThoughTheCodecRefusedIt) {
  PollAudit audit;
  AuditClient& c = audit.client(AuditTransport::tcp, "127.0.0.1:40000");
  feed_tcp(c, {0x03, 0x60, 0x00, 0x00, 0x7E}, 0x03);  // 126
  EXPECT_EQ(count_of(c, AuditCheck::too_many), 1U);
  // FC 16 of 124 registers: byte count 248.
  std::vector<std::uint8_t> pdu{0x10, 0x40, 0x00, 0x00, 0x7C, 0xF8};
  pdu.resize(pdu.size() + 248, 0);
  feed_tcp(c, pdu, 0x03);
  EXPECT_EQ(count_of(c, AuditCheck::too_many), 2U);
}

TEST(PollAuditModbus, WritesToReadOnlyOrHalfCoveredRegistersAreFindings) {
  PollAudit audit;
  AuditClient& c = audit.client(AuditTransport::tcp, "127.0.0.1:40000");
  feed_tcp(c, {0x06, 0x50, 0x02, 0x00, 0x01}, 0x02);  // l1_voltage is read-only
  feed_tcp(c, {0x06, 0x40, 0x0D, 0x00, 0x01}, 0x02);  // half of s0_rate
  feed_tcp(c, {0x06, 0x40, 0x03, 0x00, 0x05}, 0);     // Modbus ID 5: fine
  feed_tcp(c, {0x06, 0x40, 0x03, 0x01, 0x2C},
           0x03);  // Modbus ID 300: a bad value, not a bad register
  const AuditFinding* f = c.finding(AuditCheck::read_only_write);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->count, 2U);
  EXPECT_NE(f->detail.find("l1_voltage is read-only"), std::string::npos) << f->detail;
}

TEST(PollAuditModbus, TheSameFailingRequestAgainIsARepeatEvenWithOthersBetween) {
  PollAudit audit;
  AuditClient& c = audit.client(AuditTransport::tcp, "127.0.0.1:40000");
  for (int i = 0; i < 3; ++i) {
    feed_tcp(c, {0x03, 0x4F, 0xFF, 0x00, 0x02}, 0x02);
    feed_tcp(c, {0x03, 0x50, 0x02, 0x00, 0x02}, 0);
  }
  EXPECT_EQ(count_of(c, AuditCheck::repeated_failure), 2U);
  // Changed (another count): no repeat.
  feed_tcp(c, {0x03, 0x4F, 0xFF, 0x00, 0x04}, 0x02);
  EXPECT_EQ(count_of(c, AuditCheck::repeated_failure), 2U);
}

TEST(PollAuditModbus, ARepeatIsRememberedAmongEightRecentFailures) {
  PollAudit audit;
  AuditClient& c = audit.client(AuditTransport::tcp, "127.0.0.1:40000");
  for (std::uint8_t i = 0; i < 9; ++i) feed_tcp(c, {0x03, 0x70, i, 0x00, 0x01}, 0x02);
  feed_tcp(c, {0x03, 0x70, 0x08, 0x00, 0x01}, 0x02);  // the newest: still known
  EXPECT_EQ(count_of(c, AuditCheck::repeated_failure), 1U);
  feed_tcp(c, {0x03, 0x70, 0x00, 0x00, 0x01}, 0x02);  // the oldest: forgotten
  EXPECT_EQ(count_of(c, AuditCheck::repeated_failure), 1U);
}

TEST(PollAuditModbus, PollingFasterThanTheSerialLineIsAFindingOnRtuOnly) {
  PollAudit audit;
  AuditClient& line = audit.client(AuditTransport::rtu, "/dev/ttyUSB0");
  // | 01 | 03 | 50 02 | 00 02 | CRC |: 8 bytes; its reply 9 bytes.
  const auto adu = rtu({0x01, 0x03, 0x50, 0x02, 0x00, 0x02});
  const ParsedRequest request = parse_request(std::span(adu).subspan(1, 5));
  const auto at = [&](std::int64_t us) {
    line.modbus(ModbusSeen{{0, us}, adu, 1, &request, ModbusReplySeen{std::nullopt, 9}, 9600});
  };
  // At 9600 baud: t3.5 4011 µs twice, 17 characters of 1146 µs: 27.5 ms at least.
  at(0);
  at(100'000);  // fine
  at(127'000);  // too soon
  at(154'600);  // fine
  const AuditFinding* f = line.finding(AuditCheck::too_fast);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->count, 1U);
  EXPECT_NE(f->detail.find("27.5 ms"), std::string::npos) << f->detail;

  AuditClient& tcp = audit.client(AuditTransport::rtu_over_tcp, "127.0.0.1:5000");
  tcp.modbus(ModbusSeen{{0, 0}, adu, 1, &request, ModbusReplySeen{std::nullopt, 9}, 9600});
  tcp.modbus(ModbusSeen{{0, 10}, adu, 1, &request, ModbusReplySeen{std::nullopt, 9}, 9600});
  EXPECT_EQ(tcp.finding_count(), 0U);
}

TEST(PollAuditModbus, AGapInsideAFrameIsAFindingOnASerialLine) {
  PollAudit audit;
  AuditClient& c = audit.client(AuditTransport::rtu, "/dev/ttyUSB0");
  const std::vector<std::uint8_t> bytes{0x01, 0x03, 0x50};
  c.link_error({{5, std::nullopt},
                bytes,
                "frame interrupted by a gap of more than 1.5 characters: 3 bytes dropped"});
  c.link_error({{6, std::nullopt}, bytes, "bad CRC: 8 bytes dropped"});
  EXPECT_EQ(count_of(c, AuditCheck::gap_in_frame), 1U);
  EXPECT_EQ(c.finding_count(), 1U);
}

/// Feeds one Modbus TCP request to `unit` reaching `target`, answered with `exception` (0: a
/// normal reply; -1: no reply at all).
void feed_unit(AuditClient& c, std::uint8_t unit, std::vector<std::uint8_t> pdu, int exception,
               AuditTarget target) {
  std::vector<std::uint8_t> adu = mbap(1, pdu);
  adu[6] = unit;
  const ParsedRequest request = parse_request(std::span(adu).subspan(7));
  std::optional<ModbusReplySeen> reply;
  if (exception == 0) reply = ModbusReplySeen{std::nullopt, 11};
  if (exception > 0) reply = ModbusReplySeen{static_cast<ExceptionCode>(exception), 9};
  c.modbus(ModbusSeen{{0, std::nullopt}, adu, unit, &request, reply, 0, target});
}

TEST(PollAuditModbus, AUnitNoMeterHasIsAFindingAndNotTheRegisterMaps) {
  PollAudit audit;
  AuditClient& c = audit.client(AuditTransport::tcp, "127.0.0.1:40000");
  // FC 04 at the second word of a float, to unit 9 with nobody behind the gateway: 0B.
  feed_unit(c, 9, {0x04, 0x50, 0x03, 0x00, 0x02}, 0x0B, AuditTarget::no_meter);
  feed_unit(c, 250, {0x03, 0x50, 0x02, 0x00, 0x02}, 0x0B, AuditTarget::no_meter);
  const AuditFinding* f = c.finding(AuditCheck::no_meter);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->count, 2U);
  EXPECT_EQ(severity(AuditCheck::no_meter), "error");
  EXPECT_NE(f->detail.find("no meter behind the gateway has Modbus id 9"), std::string::npos)
      << f->detail;
  EXPECT_NE(f->detail.find("exception 0B"), std::string::npos) << f->detail;
  EXPECT_EQ(count_of(c, AuditCheck::fc04), 0U) << "no meter heard it: no map check";
  EXPECT_EQ(count_of(c, AuditCheck::second_word), 0U);
  EXPECT_EQ(c.finding_count(), 1U);

  AuditClient& line = audit.client(AuditTransport::rtu, "/dev/ttyUSB0");
  feed_unit(line, 9, {0x03, 0x50, 0x02, 0x00, 0x02}, -1, AuditTarget::no_meter);
  const AuditFinding* silent = line.finding(AuditCheck::no_meter);
  ASSERT_NE(silent, nullptr);
  EXPECT_NE(silent->detail.find("no meter on the line has Modbus id 9"), std::string::npos)
      << silent->detail;
  EXPECT_NE(silent->detail.find("response timeout"), std::string::npos) << silent->detail;
}

TEST(PollAuditModbus, TheGatewaysOwnUnitIsAFindingOnlyWhenItRefuses) {
  PollAudit audit;
  AuditClient& c = audit.client(AuditTransport::tcp, "127.0.0.1:40000");
  // Its identity, 0x0400-0x040C: read as Inepro's library does, no finding (and no
  // "unmapped": the meter's map is not the gateway's).
  feed_unit(c, 255, {0x03, 0x04, 0x00, 0x00, 0x0D}, 0, AuditTarget::gateway);
  EXPECT_EQ(c.finding_count(), 0U);
  // A meter's register on 255: 02.
  feed_unit(c, 255, {0x03, 0x50, 0x02, 0x00, 0x02}, 0x02, AuditTarget::gateway);
  const AuditFinding* f = c.finding(AuditCheck::gateway_unit);
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->detail.find("FC 03 at 0x5002 count 2 to unit 255, the gateway itself"),
            std::string::npos)
      << f->detail;
  EXPECT_NE(f->detail.find("0x0400-0x040C"), std::string::npos) << f->detail;
  EXPECT_EQ(count_of(c, AuditCheck::unmapped), 0U);
  EXPECT_EQ(c.finding_count(), 1U);
}

TEST(PollAuditModbus, AReadToTheBroadcastAddressThatNobodyAnswersIsAFinding) {
  PollAudit audit;
  AuditClient& c = audit.client(AuditTransport::rtu, "/dev/ttyUSB0");
  feed_unit(c, 0, {0x03, 0x50, 0x02, 0x00, 0x02}, -1, AuditTarget::meter);
  feed_unit(c, 0, {0x06, 0x40, 0x16, 0x00, 0x01}, -1, AuditTarget::meter);  // a write: fine
  EXPECT_EQ(count_of(c, AuditCheck::broadcast_read), 1U);
  EXPECT_EQ(c.finding_count(), 1U);
  // Unit 0 answered (a single meter on Modbus TCP serves it, C31): no finding.
  AuditClient& tcp = audit.client(AuditTransport::tcp, "127.0.0.1:40000");
  feed_unit(tcp, 0, {0x03, 0x50, 0x02, 0x00, 0x02}, 0, AuditTarget::meter);
  EXPECT_EQ(tcp.finding_count(), 0U);
}

TEST(PollAuditModbus, TalkingOverAMeterOfABusIsPollingTooFast) {
  PollAudit audit;
  AuditClient& c = audit.client(AuditTransport::rtu, "/tmp/bus");
  const std::vector<std::uint8_t> bytes{0x01, 0x03, 0x50, 0x02, 0x00, 0x02, 0x74, 0xCB};
  c.link_error(
      {{3, std::nullopt}, bytes, "lost: sent while a meter answered (the reply is garbled)"});
  c.link_error({{3, std::nullopt}, bytes, "lost: the rest of a frame sent while a meter answered"});
  EXPECT_EQ(count_of(c, AuditCheck::too_fast), 1U);
  EXPECT_EQ(c.finding(AuditCheck::too_fast)->example, "01 03 50 02 00 02 74 CB");
}

// ---- M-bus ----------------------------------------------------------------------------------

void feed_mbus(AuditClient& c, const std::vector<std::uint8_t>& bytes, std::int64_t sim_ms = 0) {
  MbusFramer framer;
  framer.push(bytes);
  const MbusEvent event = framer.poll();
  ASSERT_TRUE(std::holds_alternative<MbusFrame>(event)) << hex_bytes(bytes);
  c.mbus(MbusSeen{{sim_ms, std::nullopt}, bytes, &std::get<MbusFrame>(event)});
}

// 10 7B 00 7B 16: REQ_UD2, FCV 1, FCB 1, address 0; 10 5B 00 5B 16: FCB 0.
const std::vector<std::uint8_t> kReqFcb1{0x10, 0x7B, 0x00, 0x7B, 0x16};
const std::vector<std::uint8_t> kReqFcb0{0x10, 0x5B, 0x00, 0x5B, 0x16};
const std::vector<std::uint8_t> kSndNke{0x10, 0x40, 0x00, 0x40, 0x16};

TEST(PollAuditMbus, AReqUd2ThatNeverTogglesTheFcbIsAFinding) {
  PollAudit audit;
  AuditClient& c = audit.client(AuditTransport::mbus_tcp, "127.0.0.1:1");
  feed_mbus(c, kReqFcb1);
  feed_mbus(c, kReqFcb1);
  feed_mbus(c, kReqFcb1);
  EXPECT_EQ(count_of(c, AuditCheck::fcb_not_toggled), 2U);
  EXPECT_EQ(c.finding(AuditCheck::fcb_not_toggled)->example, "10 7B 00 7B 16");
}

TEST(PollAuditMbus, ToggledOrResetFcbIsNoFinding) {
  PollAudit audit;
  AuditClient& c = audit.client(AuditTransport::mbus_serial, "/dev/ttyUSB1");
  feed_mbus(c, kReqFcb1);
  feed_mbus(c, kReqFcb0);
  feed_mbus(c, kReqFcb1);
  feed_mbus(c, kSndNke);
  feed_mbus(c, kReqFcb1);
  EXPECT_EQ(c.finding_count(), 0U);
}

TEST(PollAuditMbus, ReadsByPrimaryAddressAfterACollisionWithoutSelectingAreAFinding) {
  PollAudit audit;
  AuditClient& c = audit.client(AuditTransport::mbus_tcp, "127.0.0.1:1");
  feed_mbus(c, kReqFcb1, 10);
  c.link_error({{10, std::nullopt}, kReqFcb1, "answers of several meters collided"});
  feed_mbus(c, kReqFcb0, 20);
  const AuditFinding* f = c.finding(AuditCheck::no_secondary_read);
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->detail.find("at 10 ms"), std::string::npos) << f->detail;
  // A selection (SND_UD CI 52 to FD, ID 19020246 wildcards elsewhere), then FD: no more.
  feed_mbus(c, {0x68, 0x0B, 0x0B, 0x68, 0x53, 0xFD, 0x52, 0x46, 0x02, 0x02, 0x19, 0xFF, 0xFF, 0xFF,
                0xFF, 0x01, 0x16});
  feed_mbus(c, {0x10, 0x7B, 0xFD, 0x78, 0x16});
  EXPECT_EQ(f->count, 1U);
}

// ---- clients --------------------------------------------------------------------------------

TEST(PollAuditClients, ATcpPeerIsItsAddressSoReconnectsAreOneClient) {
  PollAudit audit;
  AuditClient& a = audit.client(AuditTransport::mbus_tcp, "127.0.0.1:40000");
  AuditClient& b = audit.client(AuditTransport::mbus_tcp, "127.0.0.1:40002");
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(a.peer(), "127.0.0.1");
  EXPECT_NE(&audit.client(AuditTransport::tcp, "127.0.0.1:40000"), &a);
  EXPECT_EQ(audit_peer(AuditTransport::rtu, "/tmp/tty:1"), "/tmp/tty:1");
  EXPECT_EQ(audit_peer(AuditTransport::tcp, "[::1]:502"), "[::1]");
}

TEST(PollAuditClients, BeyondTheCapClientsShareOneRecord) {
  PollAudit audit;
  for (std::size_t i = 0; i < PollAudit::kMaxClients; ++i) {
    (void)audit.client(AuditTransport::tcp, "10.0.0." + std::to_string(i) + ":1");
  }
  AuditClient& x = audit.client(AuditTransport::tcp, "10.1.0.1:1");
  AuditClient& y = audit.client(AuditTransport::tcp, "10.1.0.2:1");
  EXPECT_EQ(&x, &y);
  EXPECT_EQ(x.peer(), "(other clients)");
  EXPECT_EQ(audit.clients().size(), PollAudit::kMaxClients + 1);
  EXPECT_EQ(audit.merged_connections(), 2U);
}

// ---- the trace ------------------------------------------------------------------------------

TEST(TraceAudit, ReadsTheTraceAsTheTransportsFeedIt) {
  PollAudit audit;
  TraceAuditor reader(audit);
  const std::vector<std::string> lines{
      R"({"t":"2026-12-04T18:00:00.100Z","sim_ms":5,"transport":"tcp","peer":"127.0.0.1:40512","dir":"in","hex":"00 05 00 00 00 06 01 04 50 02 00 02","decoded":{}})",
      R"({"t":"2026-12-04T18:00:00.101Z","sim_ms":5,"transport":"tcp","peer":"127.0.0.1:40512","dir":"out","hex":"00 05 00 00 00 03 01 84 01","decoded":{}})",
      R"({"t":"2026-12-04T18:00:00.200Z","sim_ms":6,"transport":"tcp","peer":"127.0.0.1:40513","dir":"in","hex":"00 06 00 00 00 06 01 04 50 02 00 02","decoded":{}})",
      R"({"t":"2026-12-04T18:00:00.201Z","sim_ms":6,"transport":"tcp","peer":"127.0.0.1:40513","dir":"out","hex":"00 06 00 00 00 03 01 84 01","decoded":{}})",
      R"({"sim_ms":7,"transport":"meter","peer":"19020246","event":"fault 1 (phase-lost) starts"})",
      "",
      R"({"sim_ms":8,"transport":"mbus-tcp","peer":"127.0.0.1:1","dir":"in","hex":"10 7B 00 7B 16","decoded":{}})",
      R"({"sim_ms":9,"transport":"mbus-tcp","peer":"127.0.0.1:2","dir":"in","hex":"10 7B 00 7B 16","decoded":{}})",
  };
  for (std::size_t i = 0; i < lines.size(); ++i) ASSERT_TRUE(reader.line(lines[i], i + 1));
  reader.finish();
  ASSERT_EQ(audit.clients().size(), 2U);
  const AuditClient& tcp = audit.clients().front();
  EXPECT_EQ(tcp.requests(), 2U);
  EXPECT_EQ(count_of(tcp, AuditCheck::fc04), 2U);
  EXPECT_EQ(count_of(tcp, AuditCheck::repeated_failure), 1U);
  const AuditFinding* f = tcp.finding(AuditCheck::fc04);
  ASSERT_TRUE(f->first.wall_us.has_value());
  EXPECT_EQ(audit_utc(*f->first.wall_us), "2026-12-04T18:00:00.100Z");
  EXPECT_EQ(count_of(audit.clients().back(), AuditCheck::fcb_not_toggled), 1U);

  const Json j = audit_json(audit);
  EXPECT_EQ(j["findings"], 3);
  EXPECT_EQ(j["clients"][0]["findings"][0]["check"], "fc04");
  EXPECT_EQ(j["clients"][0]["findings"][0]["first"]["t"], "2026-12-04T18:00:00.100Z");
  EXPECT_NE(audit_table(audit).find("fcb-not-toggled"), std::string::npos);
}

TEST(TraceAudit, ARequestWithoutAnAnswerIsSettledByTheNextLineOrTheEnd) {
  PollAudit audit;
  TraceAuditor reader(audit);
  const std::string in =
      R"({"sim_ms":1,"transport":"rtu","peer":"/tmp/tty","dir":"in","hex":"01 04 50 02 00 02 D0 CB","decoded":{}})";
  ASSERT_TRUE(reader.line(in, 1));
  ASSERT_TRUE(reader.line(in, 2));
  EXPECT_EQ(audit.clients().front().requests(), 1U);
  reader.finish();
  EXPECT_EQ(audit.clients().front().requests(), 2U);
  // No answers: no repeated failure, and no wall time: no pace check.
  EXPECT_EQ(audit.clients().front().finding_count(), 1U);
}

TEST(TraceAudit, ATracedTargetIsFedAsLiveAndReadsToUnitZeroAreNotSkipped) {
  PollAudit audit;
  TraceAuditor reader(audit);
  const std::vector<std::string> lines{
      // A gateway's unit 255, refused: gateway-unit, not unmapped.
      R"({"sim_ms":1,"transport":"tcp","peer":"127.0.0.1:1","dir":"in","hex":"00 01 00 00 00 06 FF 03 50 02 00 02","decoded":{"unit":255,"target":"gateway"}})",
      R"({"sim_ms":1,"transport":"tcp","peer":"127.0.0.1:1","dir":"out","hex":"00 01 00 00 00 03 FF 83 02","decoded":{}})",
      // A bus frame nobody took, and a read to unit 0 every meter ignored.
      R"({"sim_ms":2,"transport":"rtu","peer":"/tmp/bus","dir":"in","hex":"09 03 50 02 00 02 75 83","decoded":{"unit":9,"ignored":true,"target":"no_meter"}})",
      R"({"sim_ms":3,"transport":"rtu","peer":"/tmp/bus","dir":"in","hex":"00 03 50 02 00 02 75 1A","decoded":{"unit":0,"ignored":true}})",
      // Another unit's frame on a meter's own line: none of its business.
      R"({"sim_ms":4,"transport":"rtu","peer":"/tmp/bus","dir":"in","hex":"02 04 50 02 00 02 D0 F8","decoded":{"unit":2,"ignored":true}})",
  };
  for (std::size_t i = 0; i < lines.size(); ++i) ASSERT_TRUE(reader.line(lines[i], i + 1));
  reader.finish();
  ASSERT_EQ(audit.clients().size(), 2U);
  const AuditClient& tcp = audit.clients().front();
  EXPECT_EQ(count_of(tcp, AuditCheck::gateway_unit), 1U);
  EXPECT_EQ(tcp.finding_count(), 1U);
  const AuditClient& bus = audit.clients().back();
  EXPECT_EQ(bus.requests(), 2U);
  EXPECT_EQ(count_of(bus, AuditCheck::no_meter), 1U);
  EXPECT_EQ(count_of(bus, AuditCheck::broadcast_read), 1U);
  EXPECT_EQ(count_of(bus, AuditCheck::fc04), 0U);
}

TEST(TraceAudit, ABadLineIsAnErrorNamingIt) {
  PollAudit audit;
  TraceAuditor reader(audit);
  const auto not_json = reader.line("{nope", 3);
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.error(), "line 3 is not a JSON object");
  EXPECT_FALSE(reader.line(R"({"a":1})", 4));
  EXPECT_FALSE(reader.line(R"({"sim_ms":1,"transport":"tcp","dir":"in","hex":"zz"})", 5));
}

TEST(TraceAudit, TraceTimesParseToMicroseconds) {
  EXPECT_EQ(parse_trace_time("1970-01-01T00:00:01.250Z"), 1'250'000);
  EXPECT_EQ(parse_trace_time("1970-01-01T00:00:01.25Z"), std::nullopt);
  EXPECT_EQ(parse_trace_time("1970-02-30T00:00:01.250Z"), std::nullopt);
  EXPECT_EQ(audit_utc(1'250'999), "1970-01-01T00:00:01.250Z");
}

}  // namespace
}  // namespace ambi
