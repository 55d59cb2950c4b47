// The reader tools' Modbus master against the twin's own slave stack, over loopback TCP
// (Modbus TCP and RTU over TCP), a pseudo-terminal (RTU on a serial line, libmodbus) and an
// in-memory stream (our RTU client with no thread or socket: timeouts cost no wall time).
#include "tools/modbus_client.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "core/modbus/modbus_map.hpp"
#include "loopback_slave.hpp"
#include "memory_slave.hpp"
#include "modbus_test_support.hpp"
#include "tools/modbus_client_detail.hpp"
#include "tools/rtu_tcp_client.hpp"

namespace ambi {
namespace {

using namespace modbus_test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Kind = ModbusClientError::Kind;

constexpr std::chrono::milliseconds kTestTimeout{200};

enum class Link : std::uint8_t { tcp, rtu_over_tcp, serial, memory };
constexpr std::array<const char*, 4> kLinkNames{"tcp", "rtu_over_tcp", "serial", "memory"};
void PrintTo(Link link, std::ostream* out) {
  *out << kLinkNames[static_cast<std::size_t>(link)];
}

MeterUri tcp_uri(UriScheme scheme, std::uint16_t port) {
  MeterUri uri;
  uri.scheme = scheme;
  uri.host = "127.0.0.1";
  uri.port = port;
  uri.timeout = kTestTimeout;
  uri.retries = 0;
  return uri;
}

MeterUri serial_uri(const std::string& device, Parity parity = Parity::none) {
  MeterUri uri;
  uri.scheme = UriScheme::modbus_serial;
  uri.device = device;
  uri.baud = 9600;
  uri.parity = parity;
  uri.timeout = kTestTimeout;
  uri.retries = 0;
  return uri;
}

/// The in-memory link's URI: our RTU client, named as if over TCP.
MeterUri memory_uri() {
  MeterUri uri = tcp_uri(UriScheme::rtu_over_tcp, 1);
  uri.host = "memory";
  return uri;
}

std::unique_ptr<TestSlave> slave_on(Link link) {
  switch (link) {
    case Link::memory:
      return std::make_unique<MemorySlave>(busy_meter());
    case Link::tcp:
      return std::make_unique<LoopbackSlave>(Framing::mbap, busy_meter());
    case Link::rtu_over_tcp:
      return std::make_unique<LoopbackSlave>(Framing::rtu, busy_meter());
    case Link::serial:
      return std::make_unique<LoopbackSlave>(busy_meter());
  }
  return nullptr;
}

MeterUri uri_of(Link link, const TestSlave& test_slave) {
  if (link == Link::memory) return memory_uri();
  const auto& slave = dynamic_cast<const LoopbackSlave&>(test_slave);
  switch (link) {
    case Link::memory:
      break;
    case Link::tcp:
      return tcp_uri(UriScheme::modbus_tcp, slave.port());
    case Link::rtu_over_tcp:
      return tcp_uri(UriScheme::rtu_over_tcp, slave.port());
    case Link::serial:
      return serial_uri(slave.device());
  }
  return {};
}

/// A port on loopback with nothing listening.
/// A loopback port that refuses connections for as long as it lives: bound (so nothing
/// else can take the port) but not listening, so a connect is refused, not accepted.
class ClosedPort {
 public:
  ClosedPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), size) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &size) != 0) {
      ADD_FAILURE() << "cannot bind a loopback port";
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  ClosedPort(const ClosedPort&) = delete;
  ClosedPort& operator=(const ClosedPort&) = delete;
  ~ClosedPort() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

/// A client on `link` to `slave` with `uri`.
std::expected<std::unique_ptr<ModbusClient>, std::string> open_client(Link link, TestSlave& slave,
                                                                      const MeterUri& uri) {
  if (link == Link::memory) return rtu_client_over(dynamic_cast<MemorySlave&>(slave).link(), uri);
  return open_modbus(uri);
}

/// Waits up to a second for `done(meter)`.
template <class Done>
bool eventually(TestSlave& slave, Done done) {
  const auto deadline = Clock::now() + 1s;
  while (Clock::now() < deadline) {
    if (slave.with_meter(done)) return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

class ModbusClientOnEveryLink : public ::testing::TestWithParam<Link> {
 protected:
  void SetUp() override {
    slave_ = slave_on(GetParam());
    ASSERT_TRUE(slave_->ok());
    uri_ = uri_of(GetParam(), *slave_);
    auto client = open_client(GetParam(), *slave_, uri_);
    ASSERT_TRUE(client.has_value()) << client.error();
    client_ = std::move(*client);
  }
  std::unique_ptr<TestSlave> slave_;
  MeterUri uri_;
  std::unique_ptr<ModbusClient> client_;
};

TEST_P(ModbusClientOnEveryLink, ReadsTheWordsTheMeterHolds) {
  const auto expected =
      slave_->with_meter([](const Meter& m) { return read_words(m, 0x4000, 0x34); });
  ASSERT_TRUE(expected.has_value());
  const auto words = client_->read(1, 0x4000, 0x34);
  ASSERT_TRUE(words.has_value()) << words.error().message;
  EXPECT_EQ(*words, *expected);
  EXPECT_EQ(slave_->last_function(), 0x03);
}

TEST_P(ModbusClientOnEveryLink, WritesOneWordWithFunction06) {
  const std::array<std::uint16_t, 1> lcd_cycle{0x0025};  // BCD 25 s
  const auto written = client_->write(1, 0x4010, lcd_cycle);
  ASSERT_TRUE(written.has_value()) << written.error().message;
  EXPECT_EQ(slave_->last_function(), 0x06);
  EXPECT_EQ(slave_->with_meter([](const Meter& m) { return m.settings().lcd_cycle_s; }), 25);
}

TEST_P(ModbusClientOnEveryLink, WritesTwoWordsWithFunction16) {
  const std::array<std::uint16_t, 2> s0_rate{0x4120, 0x0000};  // float 10.0
  const auto written = client_->write(1, 0x400D, s0_rate);
  ASSERT_TRUE(written.has_value()) << written.error().message;
  EXPECT_EQ(slave_->last_function(), 0x10);
  EXPECT_EQ(slave_->with_meter([](const Meter& m) { return m.settings().s0_rate_centi; }), 1'000U);
}

TEST_P(ModbusClientOnEveryLink, ReportsExceptionTwoWithItsMeaning) {
  const auto words = client_->read(1, 0x0000, 2);
  ASSERT_FALSE(words.has_value());
  EXPECT_EQ(words.error().kind, Kind::exception);
  EXPECT_EQ(words.error().exception_code, 0x02);
  EXPECT_EQ(words.error().message,
            "unit 1 answered exception 02 (illegal data address) to a read of 0x0000+2");
}

TEST_P(ModbusClientOnEveryLink, AnExceptionIsAnAnswerNotAFailure) {
  const auto read = client_->read_registers(1, 0x0000, 2);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  ASSERT_FALSE(read->has_value());
  EXPECT_EQ(read->error(), ExceptionCode::illegal_data_address);
  const std::array<std::uint16_t, 1> read_only{0x0001};
  const auto written = client_->write_registers(1, 0x4000, read_only);
  ASSERT_TRUE(written.has_value()) << written.error().message;
  ASSERT_FALSE(written->has_value());
  EXPECT_EQ(written->error(), ExceptionCode::illegal_data_address);
  const auto words = client_->read_registers(1, 0x4002, 1);
  ASSERT_TRUE(words.has_value() && words->has_value());
  EXPECT_EQ(**words, (std::vector<std::uint16_t>{0x1113}));
}

TEST_P(ModbusClientOnEveryLink, RefusesARequestOfMoreRegistersThanOneFrameCarries) {
  const auto words = client_->read(1, 0x4000, 126);
  ASSERT_FALSE(words.has_value());
  EXPECT_EQ(words.error().message, "a read takes 1 to 125 registers, not 126");
  EXPECT_EQ(slave_->requests(), 0);
}

std::string link_test_name(const ::testing::TestParamInfo<Link>& info) {
  return kLinkNames[static_cast<std::size_t>(info.param)];
}

INSTANTIATE_TEST_SUITE_P(ModbusClientLinks, ModbusClientOnEveryLink,
                         ::testing::Values(Link::tcp, Link::rtu_over_tcp, Link::serial,
                                           Link::memory),
                         link_test_name);

/// A client on `link` to `slave`, with `retries`.
std::unique_ptr<ModbusClient> client_on(Link link, TestSlave& slave, int retries = 0) {
  MeterUri uri = uri_of(link, slave);
  uri.retries = retries;
  auto client = open_client(link, slave, uri);
  EXPECT_TRUE(client.has_value()) << client.error();
  return client ? std::move(*client) : nullptr;
}

std::string where(Link link, const TestSlave& test_slave) {
  if (link == Link::memory) return "rtu+tcp://memory:1";
  const auto& slave = dynamic_cast<const LoopbackSlave&>(test_slave);
  if (link == Link::serial) return "serial://" + slave.device();
  return (link == Link::tcp ? "tcp://127.0.0.1:" : "rtu+tcp://127.0.0.1:") +
         std::to_string(slave.port());
}

TEST(ModbusClientTcp, TimesOutWhenTheServerStaysSilent) {
  LoopbackSlave slave{Framing::mbap, powered_meter()};
  slave.misbehave(Misbehaviour::silent);
  const auto client = client_on(Link::tcp, slave);
  ASSERT_NE(client, nullptr);
  const auto start = Clock::now();
  const auto words = client->read(5, 0x4000, 2);
  const auto took = Clock::now() - start;
  ASSERT_FALSE(words.has_value());
  EXPECT_EQ(words.error().kind, Kind::timeout);
  EXPECT_EQ(words.error().message,
            "no answer from unit 5 at " + where(Link::tcp, slave) + " within 200 ms");
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 1s);
}

TEST(ModbusClientTcp, ReportsExceptionElevenForAUnitTheMeterDoesNotAnswerTo) {
  LoopbackSlave slave{Framing::mbap, powered_meter()};
  const auto client = client_on(Link::tcp, slave);
  ASSERT_NE(client, nullptr);
  const auto words = client->read(7, 0x4000, 2);
  ASSERT_FALSE(words.has_value());
  EXPECT_EQ(words.error().kind, Kind::exception);
  EXPECT_EQ(words.error().exception_code, 0x0B);
  EXPECT_EQ(words.error().message,
            "unit 7 answered exception 0B (gateway target device failed to respond) to a read of "
            "0x4000+2");
}

TEST(ModbusClientTcp, ARefusedConnectionFailsAtOnce) {
  for (const UriScheme scheme : {UriScheme::modbus_tcp, UriScheme::rtu_over_tcp}) {
    const ClosedPort closed;
    const std::uint16_t port = closed.port();
    const auto start = Clock::now();
    const auto client = open_modbus(tcp_uri(scheme, port));
    ASSERT_FALSE(client.has_value());
    EXPECT_EQ(client.error(),
              "cannot connect to 127.0.0.1:" + std::to_string(port) +
                  ": Connection refused (is the meter or gateway listening there?)");
    EXPECT_LT(Clock::now() - start, 100ms);
  }
}

/// The first read after the far end went away fails as I/O; the next, which tries to open
/// the link again, as a connect failure.
void expect_lost_then_unreachable(ModbusClient& client) {
  const auto lost = client.read(1, 0x4000, 2);
  ASSERT_FALSE(lost.has_value());
  EXPECT_EQ(lost.error().kind, Kind::io) << lost.error().message;
  const auto again = client.read(1, 0x4000, 2);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().kind, Kind::connect) << again.error().message;
}

TEST(ModbusClientTcp, ALostServerIsAnIoFailureThenAConnectFailure) {
  for (const Link link : {Link::tcp, Link::rtu_over_tcp}) {
    auto slave = slave_on(link);
    const auto client = client_on(link, *slave);
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->read(1, 0x4000, 2).has_value());
    slave.reset();
    expect_lost_then_unreachable(*client);
  }
}

/// A real line's waits: a timeout takes its time there, not in memory.
bool waits(Link link) {
  return link != Link::memory;
}

/// The RTU links: our own framing over an in-memory stream, libmodbus on a pseudo-terminal.
class ModbusClientRtu : public ::testing::TestWithParam<Link> {};

TEST_P(ModbusClientRtu, TimesOutForAUnitTheLineDoesNotServe) {
  const auto slave = slave_on(GetParam());
  const auto client = client_on(GetParam(), *slave);
  ASSERT_NE(client, nullptr);
  const auto words = client->read(9, 0x4000, 2);
  ASSERT_FALSE(words.has_value());
  EXPECT_EQ(words.error().kind, Kind::timeout);
  EXPECT_EQ(words.error().message,
            "no answer from unit 9 at " + where(GetParam(), *slave) + " within 200 ms");
  EXPECT_EQ(slave->requests(), 1);
}

TEST_P(ModbusClientRtu, RetriesATimeoutAsOftenAsTheUriSays) {
  const auto slave = slave_on(GetParam());
  const auto client = client_on(GetParam(), *slave, 1);
  ASSERT_NE(client, nullptr);
  const auto start = Clock::now();
  const auto words = client->read(9, 0x4000, 2);
  ASSERT_FALSE(words.has_value());
  if (waits(GetParam())) {
    EXPECT_GE(Clock::now() - start, 380ms);
  }
  EXPECT_EQ(words.error().message,
            "no answer from unit 9 at " + where(GetParam(), *slave) + " within 200 ms (2 tries)");
  EXPECT_EQ(slave->requests(), 2);
}

TEST_P(ModbusClientRtu, RetriesNoException) {
  const auto slave = slave_on(GetParam());
  const auto client = client_on(GetParam(), *slave, 1);
  ASSERT_NE(client, nullptr);
  const auto answered = client->read_registers(1, 0x0000, 2);
  ASSERT_TRUE(answered.has_value()) << answered.error().message;
  EXPECT_EQ(answered->error(), ExceptionCode::illegal_data_address);
  EXPECT_EQ(slave->requests(), 1);
  const auto folded = client->read(1, 0x0000, 2);
  ASSERT_FALSE(folded.has_value());
  EXPECT_EQ(folded.error().message,
            "unit 1 answered exception 02 (illegal data address) to a read of 0x0000+2");
  EXPECT_EQ(slave->requests(), 2);
}

TEST_P(ModbusClientRtu, ReportsABadCrcAsABadReply) {
  const auto slave = slave_on(GetParam());
  slave->misbehave(Misbehaviour::bad_crc);
  const auto client = client_on(GetParam(), *slave);
  ASSERT_NE(client, nullptr);
  const auto words = client->read(1, 0x4000, 2);
  ASSERT_FALSE(words.has_value());
  EXPECT_EQ(words.error().kind, Kind::bad_reply);
  EXPECT_EQ(words.error().message, "bad reply from unit 1 at " + where(GetParam(), *slave) +
                                       " to a read of 0x4000+2: bad CRC");
}

TEST_P(ModbusClientRtu, DropsStaleBytesBeforeTheNextRequest) {
  const auto slave = slave_on(GetParam());
  slave->misbehave(Misbehaviour::junk_after_reply);
  const auto client = client_on(GetParam(), *slave);
  ASSERT_NE(client, nullptr);
  const auto first = client->read(1, 0x4000, 2);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  if (GetParam() == Link::serial) {
    // The junk leaves 30 ms after the reply; the pty passes it on a moment later.
    auto& loopback = dynamic_cast<LoopbackSlave&>(*slave);
    const auto deadline = Clock::now() + 1s;
    while (loopback.junk_sent() == 0 && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
    ASSERT_EQ(loopback.junk_sent(), 1);
    std::this_thread::sleep_for(20ms);
  }
  const auto second = client->read(1, 0x4000, 2);
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(*second, *first);
}

TEST_P(ModbusClientRtu, BroadcastsToUnitZeroWithoutAwaitingAReply) {
  const auto slave = slave_on(GetParam());
  MeterUri uri = uri_of(GetParam(), *slave);
  uri.timeout = 2s;
  auto client = open_client(GetParam(), *slave, uri);
  ASSERT_TRUE(client.has_value()) << client.error();
  const std::array<std::uint16_t, 1> lcd_cycle{0x0025};
  const auto start = Clock::now();
  const auto written = (*client)->write(0, 0x4010, lcd_cycle);
  ASSERT_TRUE(written.has_value()) << written.error().message;
  EXPECT_LT(Clock::now() - start, 500ms);
  EXPECT_TRUE(eventually(*slave, [](const Meter& m) { return m.settings().lcd_cycle_s == 25; }));
}

INSTANTIATE_TEST_SUITE_P(ModbusClientLinks, ModbusClientRtu,
                         ::testing::Values(Link::memory, Link::serial), link_test_name);

TEST(ModbusClientMemory, AHungUpStreamIsAnIoFailureThenAConnectFailure) {
  MemorySlave slave{busy_meter()};
  const auto client = client_on(Link::memory, slave);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->read(1, 0x4000, 2).has_value());
  slave.hang_up();
  expect_lost_then_unreachable(*client);
}

TEST(ModbusClientSerial, RefusesEvenParityOnAPseudoTerminal) {
  LoopbackSlave slave{powered_meter()};
  const auto client = open_modbus(serial_uri(slave.device(), Parity::even));
  ASSERT_FALSE(client.has_value());
  EXPECT_EQ(client.error(),
            slave.device() +
                " does not take even parity (a pseudo-terminal cannot carry parity bits): add "
                "?parity=none");
}

TEST(ModbusClientSerial, AMissingDeviceCannotBeOpened) {
  const auto client = open_modbus(serial_uri("/dev/ambi-no-such-tty"));
  ASSERT_FALSE(client.has_value());
  EXPECT_EQ(client.error(), "cannot open /dev/ambi-no-such-tty: No such file or directory");
}

TEST(ModbusClientExceptionMeaning, NamesTheCodesOfTheApplicationProtocol) {
  EXPECT_EQ(exception_meaning(0x01), "illegal function");
  EXPECT_EQ(exception_meaning(0x02), "illegal data address");
  EXPECT_EQ(exception_meaning(0x03), "illegal data value");
  EXPECT_EQ(exception_meaning(0x04), "server device failure");
  EXPECT_EQ(exception_meaning(0x05), "acknowledge");
  EXPECT_EQ(exception_meaning(0x06), "server device busy");
  EXPECT_EQ(exception_meaning(0x0A), "gateway path unavailable");
  EXPECT_EQ(exception_meaning(0x0B), "gateway target device failed to respond");
  EXPECT_EQ(exception_meaning(0x0C), "exception 0x0C");
}

TEST(ModbusClientMessages, HostPortBracketsAnIpv6HostOnce) {
  MeterUri uri;
  uri.scheme = UriScheme::modbus_tcp;
  uri.port = 502;
  for (const char* host : {"::1", "[::1]"}) {
    uri.host = host;
    EXPECT_EQ(modbus_client_detail::host_port(uri), "[::1]:502") << host;
    EXPECT_EQ(modbus_client_detail::link_name(uri), "tcp://[::1]:502") << host;
  }
  uri.host = "127.0.0.1";
  EXPECT_EQ(modbus_client_detail::host_port(uri), "127.0.0.1:502");
  uri.host = "meter.local";
  uri.scheme = UriScheme::rtu_over_tcp;
  EXPECT_EQ(modbus_client_detail::link_name(uri), "rtu+tcp://meter.local:502");
}

TEST(ModbusClientMessages, AnExceptionAfterARetryNamesTheTries) {
  using namespace modbus_client_detail;
  const RequestInfo request{1, false, 0x4000, 2};
  Tried<std::vector<std::uint16_t>> tried{
      ModbusAnswer<std::vector<std::uint16_t>>{std::unexpect, ExceptionCode::illegal_data_value},
      2};
  const auto error = folded(std::move(tried), request).error();
  EXPECT_EQ(error.kind, Kind::exception);
  EXPECT_EQ(error.exception_code, 0x03);
  EXPECT_EQ(error.message,
            "unit 1 answered exception 03 (illegal data value) to a read of 0x4000+2 (2 tries)");
  EXPECT_EQ(exception_error(request, static_cast<ExceptionCode>(0x0C)).message,
            "unit 1 answered exception 0C to a read of 0x4000+2");
}

TEST(ModbusClientMessages, WithRetriesRetriesFailuresOnlyAndCountsTheTries) {
  using namespace modbus_client_detail;
  int calls = 0;
  const Tried<void> answered = with_retries<void>(3, [&]() -> ModbusResult<void> {
    ++calls;
    if (calls == 1) return std::unexpected(ModbusClientError{Kind::timeout, 0, "no answer"});
    return ModbusAnswer<void>{std::unexpect, ExceptionCode::server_device_busy};
  });
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(answered.tries, 2);
  ASSERT_TRUE(answered.result.has_value());
  EXPECT_EQ(answered.result->error(), ExceptionCode::server_device_busy);
  calls = 0;
  const Tried<void> failed = with_retries<void>(1, [&]() -> ModbusResult<void> {
    ++calls;
    return std::unexpected(ModbusClientError{Kind::bad_reply, 0, "bad CRC"});
  });
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(failed.result.error().message, "bad CRC (2 tries)");
  calls = 0;
  const Tried<void> broken = with_retries<void>(5, [&]() -> ModbusResult<void> {
    ++calls;
    return std::unexpected(ModbusClientError{Kind::io, 0, "reset"});
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(broken.result.error().message, "reset");
}

// | id | fc | address | count |
//   01   03   40 00     00 02
const Request kRead = ReadRegistersRequest{0x03, 0x4000, 2};
const Bytes kS0Rate = hex("4120 0000");
const Request kWriteS0 = WriteMultipleRegistersRequest{0x400D, RegisterWords{kS0Rate}};

TEST(ModbusClientRtuReply, LengthFollowsFromTheFunctionCode) {
  EXPECT_EQ(rtu_reply_length(1, kRead, hex("01")), 0U);
  EXPECT_EQ(rtu_reply_length(1, kRead, hex("01 03")), 0U);
  EXPECT_EQ(rtu_reply_length(1, kRead, hex("01 03 04")), 9U);
  EXPECT_EQ(rtu_reply_length(1, kRead, hex("01 83")), 5U);
  EXPECT_EQ(rtu_reply_length(1, kWriteS0, hex("01 10")), 8U);
  EXPECT_EQ(rtu_reply_length(1, kRead, hex("02")).error(), "the answer came from unit 2");
  EXPECT_EQ(rtu_reply_length(1, kRead, hex("01 04")).error(),
            "function 04 in the answer to function 03");
  EXPECT_EQ(rtu_reply_length(1, kRead, hex("01 03 06")).error(),
            "6 data bytes where 4 were asked for");
}

TEST(ModbusClientRtuReply, ChecksTheCrcThenTheUnitThenTheAnswer) {
  // | id | fc | bytes | data        | CRC |
  //   01   03   04      12 34 56 78
  const Bytes reply = with_crc(hex("01 03 04 12345678"));
  const auto read = check_rtu_reply(1, kRead, reply);
  ASSERT_TRUE(read.has_value()) << read.error();
  EXPECT_EQ(encode_response(*read), hex("03 04 12345678"));
  Bytes garbled = reply;
  garbled[4] ^= 0x01;
  EXPECT_EQ(check_rtu_reply(1, kRead, garbled).error(), "bad CRC");
  EXPECT_EQ(check_rtu_reply(1, kRead, with_crc(hex("02 03 04 12345678"))).error(),
            "the answer came from unit 2");
  EXPECT_EQ(check_rtu_reply(1, kRead, with_crc(hex("01 03 04 1234"))).error(),
            "4 data bytes where 4 were asked for");
  EXPECT_EQ(check_rtu_reply(1, kRead, hex("01 83 02")).error(), "a reply too short to be one");
  EXPECT_EQ(check_rtu_reply(1, kRead, with_crc(hex("01 83 02 00"))).error(),
            "an exception reply of the wrong length");
  const Request write = WriteSingleRegisterRequest{0x4010, 0x0025};
  EXPECT_EQ(check_rtu_reply(1, write, with_crc(hex("01 06 4010 0025"))).value(),
            Response{(WriteSingleRegisterResponse{0x4010, 0x0025})});
  EXPECT_EQ(check_rtu_reply(1, write, with_crc(hex("01 06 4010 0026"))).error(),
            "the echo differs from the request");
  EXPECT_EQ(check_rtu_reply(1, write, with_crc(hex("01 06 4010 0025 00"))).error(),
            "the echo differs from the request");
  EXPECT_EQ(check_rtu_reply(1, write, with_crc(hex("01 10 4010 0001"))).error(),
            "function 10 in the answer to function 06");
  EXPECT_EQ(check_rtu_reply(1, write, with_crc(hex("01 86 02"))).value(),
            Response{(ExceptionResponse{0x06, ExceptionCode::illegal_data_address})});
}

}  // namespace
}  // namespace ambi
