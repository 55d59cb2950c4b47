// The pure parts of the M-bus transports: trace decoding, the inter-byte silence and the
// options of `ambimeter run` (the transports themselves are tested in tests/interop/).
#include <gtest/gtest.h>

#include "core/mbus/mbus_frame.hpp"
#include "core/mbus/mbus_slave.hpp"
#include "core/meter/meter.hpp"
#include "twin/run/run_config.hpp"
#include "twin/transport/mbus_link.hpp"

namespace ambi {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(MbusTraceDecoding, NamesARequestWithItsFrameCountBits) {
  EXPECT_EQ(decode_mbus_frame(mbus_short(0x7B, 5)).dump(),
            R"({"format":"short","function":"REQ_UD2","c":123,"a":5,"fcb":1,"fcv":1})");
}

TEST(MbusTraceDecoding, GivesALinkResetNoFrameCountBits) {
  EXPECT_EQ(decode_mbus_frame(mbus_short(0x40, 0)).dump(),
            R"({"format":"short","function":"SND_NKE","c":64,"a":0})");
}

TEST(MbusTraceDecoding, ShowsTheDataOfAnSndUdAsHex) {
  // | C  | A  | CI | DIF VIF value |
  //   53   00   51   01  7A  05
  EXPECT_EQ(
      decode_mbus_frame(mbus_long(0x53, 0, 0x51, Bytes{0x01, 0x7A, 0x05})).dump(),
      R"({"format":"long","function":"SND_UD","c":83,"a":0,"fcb":0,"fcv":1,"ci":81,"data":"01 7A 05"})");
}

TEST(MbusTraceDecoding, NamesTheSingleCharacterAnAck) {
  EXPECT_EQ(decode_mbus_frame(mbus_single()).dump(), R"({"format":"single","function":"ACK"})");
}

TEST(MbusTraceDecoding, NamesAControlFrame) {
  EXPECT_EQ(
      decode_mbus_frame(mbus_long(0x53, 0, 0xBD)).dump(),
      R"({"format":"control","function":"SND_UD","c":83,"a":0,"fcb":0,"fcv":1,"ci":189,"data":""})");
}

/// A meter at primary address 5 and its slave's answer to `request`.
MbusExchange answer_to(const MbusFrame& request) {
  Meter meter;
  meter.power_on();
  EXPECT_TRUE(meter.apply(SetMbusId{5}, Origin{Source::mbus, {}}).has_value());
  LoadInput load;
  load.phases[0] = {230.12, 5.5, 30.0};
  EXPECT_TRUE(meter.set_load(load).has_value());
  meter.advance(3'600'000);
  MbusSlave slave;
  return slave.serve(meter, request);
}

/// The telegram in `bytes`, as a master's framer reads it.
MbusFrame framed(const Bytes& bytes) {
  MbusFramer framer;
  framer.push(bytes);
  const MbusEvent event = framer.poll();
  EXPECT_TRUE(std::holds_alternative<MbusFrame>(event));
  return std::holds_alternative<MbusFrame>(event) ? std::get<MbusFrame>(event) : MbusFrame{};
}

// The trace prints the RSP_UD the slave built; it is what decoding its bytes gives.
TEST(MbusTraceDecoding, RendersTheTypedRspUdAsItsBytesDecode) {
  const MbusExchange out = answer_to(mbus_short(0x7B, 5));
  ASSERT_TRUE(std::holds_alternative<MbusRspUd>(out.answer));
  const Json typed = decode_mbus_frame(out.answer);
  EXPECT_EQ(typed, decode_mbus_frame(framed(out.reply)));
  EXPECT_EQ(typed["function"], "RSP_UD");
  EXPECT_EQ(typed["a"], 5);
  EXPECT_EQ(typed["manufacturer"], "INM");
  EXPECT_EQ(typed["access_number"], 1);
  EXPECT_NEAR(typed["records"]["l1_voltage"].get<double>(), 230.12, 1e-9);
  EXPECT_EQ(typed["records"].size(), 32U);
}

TEST(MbusTraceDecoding, RendersATypedAckAsTheSingleCharacter) {
  const MbusExchange out = answer_to(mbus_short(0x40, 5));
  EXPECT_EQ(decode_mbus_frame(out.answer).dump(), R"({"format":"single","function":"ACK"})");
  EXPECT_EQ(decode_mbus_frame(out.answer), decode_mbus_frame(framed(out.reply)));
}

RunOptions options() {
  RunOptions o;
  o.state_dir = "/tmp/ambi-unit-not-opened";
  return o;
}

TEST(MbusOptions, ListenOnLoopbackPort5021ByDefault) {
  const auto c = resolve_run_config(options());
  ASSERT_TRUE(c.has_value()) << c.error();
  ASSERT_TRUE(c->mbus_tcp.has_value());
  EXPECT_EQ(c->mbus_tcp->address().to_string(), "127.0.0.1");
  EXPECT_EQ(c->mbus_tcp->port(), 5021);
  EXPECT_FALSE(c->mbus_serial.has_value());
  EXPECT_FALSE(c->mbus_quirks.fcb_repeat);
}

TEST(MbusOptions, OffDisablesMbusTcp) {
  RunOptions o = options();
  o.mbus_tcp = "off";
  EXPECT_FALSE(resolve_run_config(o)->mbus_tcp.has_value());
}

TEST(MbusOptions, PtyPrefixMakesAPseudoTerminal) {
  RunOptions o = options();
  o.mbus_serial = "pty:/tmp/ttyMBUS";
  const auto c = resolve_run_config(o);
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->mbus_serial->path, "/tmp/ttyMBUS");
  EXPECT_TRUE(c->mbus_serial->pty);
}

TEST(MbusOptions, FcbRepeatQuirkIsRecognised) {
  RunOptions o = options();
  o.mbus_quirks = {"fcb-repeat"};
  EXPECT_TRUE(resolve_run_config(o)->mbus_quirks.fcb_repeat);
}

TEST(MbusOptions, TheRetiredIgnoreFcbQuirkSaysWhatReplacedIt) {
  RunOptions o = options();
  o.mbus_quirks = {"ignore-fcb"};
  EXPECT_EQ(resolve_run_config(o).error(),
            "--mbus-quirk ignore-fcb is gone: every REQ_UD2 gets fresh data by default now; "
            "drop the flag (fcb-repeat asks for the old behaviour)");
}

TEST(MbusOptions, PacingNeedsTheSerialPort) {
  RunOptions o = options();
  o.mbus_pacing = true;
  EXPECT_EQ(resolve_run_config(o).error(),
            "--mbus-pacing applies to --mbus-serial only; add --mbus-serial DEVICE or pty:PATH");
  o.mbus_serial = "pty:/tmp/ttyMBUS";
  EXPECT_TRUE(resolve_run_config(o)->mbus_pacing);
}

TEST(MbusOptions, UnknownQuirkOrEmptyDeviceIsOneLineNamingTheFlag) {
  RunOptions o = options();
  o.mbus_quirks = {"fcb"};
  EXPECT_EQ(resolve_run_config(o).error(),
            "bad --mbus-quirk \"fcb\": use fcb-repeat (repeat the last RSP_UD when the FCB did not "
            "toggle)");
  o = options();
  o.mbus_serial = "pty:";
  EXPECT_TRUE(resolve_run_config(o).error().starts_with("--mbus-serial needs a serial device"));
  o = options();
  o.mbus_tcp = "nowhere";
  EXPECT_TRUE(resolve_run_config(o).error().starts_with("bad --mbus-tcp \"nowhere\""));
}

}  // namespace
}  // namespace ambi
