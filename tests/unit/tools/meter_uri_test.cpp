// Meter URIs (docs/tools.md "URIs"): every scheme and form, its defaults, the bounds of each
// parameter, the one-line errors, IPv6 hosts, and the canonical form read back.
#include "tools/meter_uri.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace ambi {
namespace {

using std::chrono::milliseconds;

/// What a URI parses to; the fields not listed take MeterUri's defaults.
struct GoodUri {
  std::string_view text;
  UriScheme scheme;
  std::string_view host;
  std::uint16_t port;
  std::string_view device;
  std::uint32_t baud;
  Parity parity;
  std::uint8_t unit;
  std::uint8_t mbus_address;
  std::optional<std::uint32_t> secondary;
  milliseconds timeout;
  int retries;
  std::string_view canonical;  ///< to_string of the parsed URI
};

void PrintTo(const GoodUri& uri, std::ostream* out) {
  *out << uri.text;
}

constexpr auto kTcp = UriScheme::modbus_tcp;
constexpr auto kRtuTcp = UriScheme::rtu_over_tcp;
constexpr auto kSerial = UriScheme::modbus_serial;
constexpr auto kMbusTcp = UriScheme::mbus_tcp;
constexpr auto kMbusSerial = UriScheme::mbus_serial;
constexpr auto kEven = Parity::even;
constexpr milliseconds kNoTimeout{0};

// clang-format off
const GoodUri kGoodUris[] = {
  // text                                       scheme  host           port   device         baud    parity        unit addr  secondary   timeout            retries canonical
  {"tcp://127.0.0.1",                           kTcp,   "127.0.0.1",   502,   "",            0,      kEven,        1,   0xFE, {},         kNoTimeout,        -1, "tcp://127.0.0.1:502?unit=1"},
  {"tcp://meter.local:5020?unit=247",           kTcp,   "meter.local", 5020,  "",            0,      kEven,        247, 0xFE, {},         kNoTimeout,        -1, "tcp://meter.local:5020?unit=247"},
  {"tcp://h:65535?unit=0",                      kTcp,   "h",           65535, "",            0,      kEven,        0,   0xFE, {},         kNoTimeout,        -1, "tcp://h:65535?unit=0"},
  {"tcp://h:1?&unit=2&",                        kTcp,   "h",           1,     "",            0,      kEven,        2,   0xFE, {},         kNoTimeout,        -1, "tcp://h:1?unit=2"},
  {"tcp://[::1]:502",                           kTcp,   "::1",         502,   "",            0,      kEven,        1,   0xFE, {},         kNoTimeout,        -1, "tcp://[::1]:502?unit=1"},
  {"tcp://[::1]",                               kTcp,   "::1",         502,   "",            0,      kEven,        1,   0xFE, {},         kNoTimeout,        -1, "tcp://[::1]:502?unit=1"},
  {"tcp://[2001:db8::7]:1502?unit=3",           kTcp,   "2001:db8::7", 1502,  "",            0,      kEven,        3,   0xFE, {},         kNoTimeout,        -1, "tcp://[2001:db8::7]:1502?unit=3"},
  // A bare IPv6 address works only with a port: the last ':' starts it.
  {"tcp://::1:5020",                            kTcp,   "::1",         5020,  "",            0,      kEven,        1,   0xFE, {},         kNoTimeout,        -1, "tcp://[::1]:5020?unit=1"},
  {"tcp://h:1?timeout=600s&retries=10",         kTcp,   "h",           1,     "",            0,      kEven,        1,   0xFE, {},         milliseconds{600'000}, 10, "tcp://h:1?unit=1"},
  {"tcp://h:1?timeout=600000",                  kTcp,   "h",           1,     "",            0,      kEven,        1,   0xFE, {},         milliseconds{600'000}, -1, "tcp://h:1?unit=1"},
  {"tcp://h:1?timeout=1ms&retries=0",           kTcp,   "h",           1,     "",            0,      kEven,        1,   0xFE, {},         milliseconds{1},   0,  "tcp://h:1?unit=1"},
  {"rtu+tcp://10.0.0.5:4001?unit=0",            kRtuTcp, "10.0.0.5",   4001,  "",            0,      kEven,        0,   0xFE, {},         kNoTimeout,        -1, "rtu+tcp://10.0.0.5:4001?unit=0"},
  {"rtu+tcp://[fe80::1]:4001",                  kRtuTcp, "fe80::1",    4001,  "",            0,      kEven,        1,   0xFE, {},         kNoTimeout,        -1, "rtu+tcp://[fe80::1]:4001?unit=1"},
  {"serial:///dev/ttyUSB0",                     kSerial, "",           0,     "/dev/ttyUSB0", 9600,  kEven,        1,   0xFE, {},         kNoTimeout,        -1, "serial:///dev/ttyUSB0?baud=9600&parity=even&unit=1"},
  {"serial:///dev/ttyS1?baud=19200&parity=N&unit=5", kSerial, "",      0,     "/dev/ttyS1",  19200,  Parity::none, 5,   0xFE, {},         kNoTimeout,        -1, "serial:///dev/ttyS1?baud=19200&parity=none&unit=5"},
  {"serial:///dev/pts/3?parity=odd&timeout=2s&retries=3", kSerial, "", 0,     "/dev/pts/3",  9600,   Parity::odd,  1,   0xFE, {},         milliseconds{2000}, 3, "serial:///dev/pts/3?baud=9600&parity=odd&unit=1"},
  {"serial:///dev/x?baud=300&parity=E",         kSerial, "",           0,     "/dev/x",      300,    kEven,        1,   0xFE, {},         kNoTimeout,        -1, "serial:///dev/x?baud=300&parity=even&unit=1"},
  {"serial:///dev/x?baud=115200&parity=O",      kSerial, "",           0,     "/dev/x",      115200, Parity::odd,  1,   0xFE, {},         kNoTimeout,        -1, "serial:///dev/x?baud=115200&parity=odd&unit=1"},
  {"mbus+tcp://127.0.0.1:10001",                kMbusTcp, "127.0.0.1", 10001, "",            0,      kEven,        1,   0xFE, {},         kNoTimeout,        -1, "mbus+tcp://127.0.0.1:10001?address=254"},
  {"mbus+tcp://h:1?address=0",                  kMbusTcp, "h",         1,     "",            0,      kEven,        1,   0,    {},         kNoTimeout,        -1, "mbus+tcp://h:1?address=0"},
  {"mbus+tcp://[::1]:10001?secondary=1902FFFF", kMbusTcp, "::1",       10001, "",            0,      kEven,        1,   0xFE, 0x1902FFFF, kNoTimeout,        -1, "mbus+tcp://[::1]:10001?secondary=1902FFFF"},
  {"mbus+tcp://h:1?secondary=1902ffff",         kMbusTcp, "h",         1,     "",            0,      kEven,        1,   0xFE, 0x1902FFFF, kNoTimeout,        -1, "mbus+tcp://h:1?secondary=1902FFFF"},
  {"mbus+serial:///dev/ttyUSB1",                kMbusSerial, "",       0,     "/dev/ttyUSB1", 2400,  kEven,        1,   0xFE, {},         kNoTimeout,        -1, "mbus+serial:///dev/ttyUSB1?baud=2400&parity=even&address=254"},
  {"mbus+serial:///dev/ttyUSB1?baud=9600&address=250&timeout=500ms&retries=0", kMbusSerial, "", 0, "/dev/ttyUSB1", 9600, kEven, 1, 250, {}, milliseconds{500}, 0, "mbus+serial:///dev/ttyUSB1?baud=9600&parity=even&address=250"},
  {"mbus+serial:///dev/x?secondary=19020246&parity=none", kMbusSerial, "", 0, "/dev/x",      2400,   Parity::none, 1,   0xFE, 0x19020246, kNoTimeout,        -1, "mbus+serial:///dev/x?baud=2400&parity=none&secondary=19020246"},
};
// clang-format on

class GoodMeterUri : public testing::TestWithParam<GoodUri> {};

TEST_P(GoodMeterUri, ParsesWithEveryDefaultFilledIn) {
  const GoodUri& want = GetParam();
  const auto uri = parse_meter_uri(want.text);
  ASSERT_TRUE(uri.has_value()) << uri.error();
  EXPECT_EQ(uri->scheme, want.scheme);
  EXPECT_EQ(uri->host, want.host);
  EXPECT_EQ(uri->port, want.port);
  EXPECT_EQ(uri->device, want.device);
  EXPECT_EQ(uri->baud, want.baud);
  EXPECT_EQ(uri->parity, want.parity);
  EXPECT_EQ(uri->unit, want.unit);
  EXPECT_EQ(uri->mbus_address, want.mbus_address);
  EXPECT_EQ(uri->secondary, want.secondary);
  EXPECT_EQ(uri->timeout, want.timeout);
  EXPECT_EQ(uri->retries, want.retries);
  EXPECT_EQ(uri->text, want.text);
}

TEST_P(GoodMeterUri, PrintsItsCanonicalForm) {
  const auto uri = parse_meter_uri(GetParam().text);
  ASSERT_TRUE(uri.has_value()) << uri.error();
  EXPECT_EQ(to_string(*uri), GetParam().canonical);
}

TEST_P(GoodMeterUri, CanonicalFormParsesToTheSameMeter) {
  const auto uri = parse_meter_uri(GetParam().text);
  ASSERT_TRUE(uri.has_value()) << uri.error();
  const std::string canonical = to_string(*uri);
  const auto again = parse_meter_uri(canonical);
  ASSERT_TRUE(again.has_value()) << again.error();
  EXPECT_EQ(again->scheme, uri->scheme);
  EXPECT_EQ(again->host, uri->host);
  EXPECT_EQ(again->port, uri->port);
  EXPECT_EQ(again->device, uri->device);
  EXPECT_EQ(again->baud, uri->baud);
  EXPECT_EQ(again->parity, uri->parity);
  EXPECT_EQ(again->unit, uri->unit);
  EXPECT_EQ(again->mbus_address, uri->mbus_address);
  EXPECT_EQ(again->secondary, uri->secondary);
  EXPECT_EQ(to_string(*again), canonical);
}

INSTANTIATE_TEST_SUITE_P(EveryScheme, GoodMeterUri, testing::ValuesIn(kGoodUris));

/// A URI that is refused, and the whole line that says why.
struct BadUri {
  std::string_view text;
  std::string_view error;
};

void PrintTo(const BadUri& uri, std::ostream* out) {
  *out << uri.text;
}

// clang-format off
const BadUri kBadUris[] = {
  {"http://x", "\"http://x\" is not a meter URI; use one of: tcp://HOST:PORT?unit=N, "
               "rtu+tcp://HOST:PORT, serial:///dev/ttyUSB0?baud=9600&parity=even, "
               "mbus+tcp://HOST:PORT?address=A, mbus+serial:///dev/ttyUSB0?baud=2400"},
  {"TCP://h:1", "\"TCP://h:1\" is not a meter URI; use one of: tcp://HOST:PORT?unit=N, "
                "rtu+tcp://HOST:PORT, serial:///dev/ttyUSB0?baud=9600&parity=even, "
                "mbus+tcp://HOST:PORT?address=A, mbus+serial:///dev/ttyUSB0?baud=2400"},
  {"tcp://:502", "tcp://:502: the host is missing (e.g. tcp://127.0.0.1:5020)"},
  {"tcp://", "tcp://: the host is missing (e.g. tcp://127.0.0.1:5020)"},
  {"tcp://[]:502", "tcp://[]:502: the host is missing (e.g. tcp://127.0.0.1:5020)"},
  {"rtu+tcp://host", "rtu+tcp://host: the port is missing (e.g. rtu+tcp://host:5020)"},
  {"mbus+tcp://host?address=1", "mbus+tcp://host?address=1: the port is missing (e.g. mbus+tcp://host:5020)"},
  {"rtu+tcp://[::1]", "rtu+tcp://[::1]: the port is missing (e.g. rtu+tcp://[::1]:5020)"},
  {"mbus+tcp://h:0", "mbus+tcp://h:0: the port must be a number 1-65535"},
  {"tcp://h:65536", "tcp://h:65536: the port must be a number 1-65535"},
  {"tcp://h:50x", "tcp://h:50x: the port must be a number 1-65535"},
  {"tcp://h:", "tcp://h:: the port must be a number 1-65535"},
  {"tcp://[::1]:", "tcp://[::1]:: the port must be a number 1-65535"},
  {"tcp://[::1]:0", "tcp://[::1]:0: the port must be a number 1-65535"},
  {"tcp://[::1:502", "tcp://[::1:502: the IPv6 address lacks its closing ']' (e.g. tcp://[::1]:5020)"},
  {"tcp://[::1]502", "tcp://[::1]502: only :PORT may follow [::1] (e.g. tcp://[::1]:5020)"},
  {"serial://dev/ttyUSB0", "serial://dev/ttyUSB0: the device path must be absolute (e.g. serial:///dev/ttyUSB0)"},
  {"mbus+serial://", "mbus+serial://: the device path must be absolute (e.g. mbus+serial:///dev/ttyUSB0)"},
  {"tcp://h:1?unit=248", "tcp://h:1?unit=248: unit must be 0-247, not \"248\""},
  {"tcp://h:1?unit=-1", "tcp://h:1?unit=-1: unit must be 0-247, not \"-1\""},
  {"tcp://h:1?unit=", "tcp://h:1?unit=: unit must be 0-247, not \"\""},
  {"tcp://h:1?unit", "tcp://h:1?unit: parameter \"unit\" needs a value (KEY=VALUE)"},
  {"mbus+tcp://h:1?address=255", "mbus+tcp://h:1?address=255: address must be 0-254, not \"255\""},
  {"serial:///dev/x?baud=299", "serial:///dev/x?baud=299: baud must be 300-115200, not \"299\""},
  {"serial:///dev/x?baud=115201", "serial:///dev/x?baud=115201: baud must be 300-115200, not \"115201\""},
  {"serial:///dev/x?parity=mark", "serial:///dev/x?parity=mark: parity must be even, none or odd, not \"mark\""},
  {"serial:///dev/x?parity=e", "serial:///dev/x?parity=e: parity must be even, none or odd, not \"e\""},
  {"mbus+tcp://h:1?secondary=1234567", "mbus+tcp://h:1?secondary=1234567: secondary must be 8 digits (F for a wildcard), e.g. 19020246"},
  {"mbus+tcp://h:1?secondary=1234567G", "mbus+tcp://h:1?secondary=1234567G: secondary must be 8 digits (F for a wildcard), e.g. 19020246"},
  {"tcp://h:1?timeout=0", "tcp://h:1?timeout=0: timeout must be a duration like 500ms or 2s, not \"0\""},
  {"tcp://h:1?timeout=601s", "tcp://h:1?timeout=601s: timeout must be a duration like 500ms or 2s, not \"601s\""},
  {"tcp://h:1?timeout=600001ms", "tcp://h:1?timeout=600001ms: timeout must be a duration like 500ms or 2s, not \"600001ms\""},
  {"tcp://h:1?timeout=1m", "tcp://h:1?timeout=1m: timeout must be a duration like 500ms or 2s, not \"1m\""},
  {"tcp://h:1?timeout=1.5s", "tcp://h:1?timeout=1.5s: timeout must be a duration like 500ms or 2s, not \"1.5s\""},
  {"tcp://h:1?timeout=ms", "tcp://h:1?timeout=ms: timeout must be a duration like 500ms or 2s, not \"ms\""},
  {"tcp://h:1?retries=11", "tcp://h:1?retries=11: retries must be 0-10, not \"11\""},
  {"tcp://h:1?address=3", "tcp://h:1?address=3: unknown parameter \"address\" (this scheme takes unit, timeout, retries)"},
  {"rtu+tcp://h:1?baud=9600", "rtu+tcp://h:1?baud=9600: unknown parameter \"baud\" (this scheme takes unit, timeout, retries)"},
  {"serial:///dev/x?address=3", "serial:///dev/x?address=3: unknown parameter \"address\" (this scheme takes unit, baud, parity, timeout, retries)"},
  {"mbus+tcp://h:1?unit=3", "mbus+tcp://h:1?unit=3: unknown parameter \"unit\" (this scheme takes address, secondary, timeout, retries)"},
  {"mbus+tcp://h:1?parity=even", "mbus+tcp://h:1?parity=even: unknown parameter \"parity\" (this scheme takes address, secondary, timeout, retries)"},
  {"mbus+serial:///dev/x?unit=3", "mbus+serial:///dev/x?unit=3: unknown parameter \"unit\" (this scheme takes address, secondary, baud, parity, timeout, retries)"},
};
// clang-format on

class BadMeterUri : public testing::TestWithParam<BadUri> {};

TEST_P(BadMeterUri, IsRefusedWithOneLineNamingTheProblem) {
  const auto uri = parse_meter_uri(GetParam().text);
  ASSERT_FALSE(uri.has_value()) << GetParam().text << " parsed";
  EXPECT_EQ(uri.error(), GetParam().error);
  EXPECT_EQ(uri.error().find('\n'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(EveryMistake, BadMeterUri, testing::ValuesIn(kBadUris));

/// The answer timeout and retries a URI ends up with.
struct InForce {
  std::string_view text;
  milliseconds timeout;
  int retries;
};

void PrintTo(const InForce& uri, std::ostream* out) {
  *out << uri.text;
}

// docs/tools.md: TCP 1 s / 0, Modbus serial 1 s / 1, M-bus TCP 2 s / 0, M-bus serial 2 s plus
// a full telegram (261 characters of 11 bits) at the baud rate / 1.
const InForce kInForce[] = {
    {"tcp://h:1", milliseconds{1000}, 0},
    {"rtu+tcp://h:1", milliseconds{1000}, 0},
    {"serial:///dev/x", milliseconds{1000}, 1},
    {"mbus+tcp://h:1", milliseconds{2000}, 0},
    {"mbus+serial:///dev/x", milliseconds{2000 + 1196}, 1},  // 2871 bits at 2400 baud
    {"mbus+serial:///dev/x?baud=9600", milliseconds{2000 + 299}, 1},
    {"mbus+serial:///dev/x?baud=300", milliseconds{2000 + 9570}, 1},
    {"tcp://h:1?timeout=250ms&retries=2", milliseconds{250}, 2},
    {"serial:///dev/x?retries=0", milliseconds{1000}, 0},
    {"mbus+serial:///dev/x?timeout=5s&retries=4", milliseconds{5000}, 4},
};

class MeterUriInForce : public testing::TestWithParam<InForce> {};

TEST_P(MeterUriInForce, TakesTheSchemesDefaultsUnlessTheUriSaysOtherwise) {
  const auto uri = parse_meter_uri(GetParam().text);
  ASSERT_TRUE(uri.has_value()) << uri.error();
  EXPECT_EQ(effective_timeout(*uri), GetParam().timeout);
  EXPECT_EQ(effective_retries(*uri), GetParam().retries);
}

INSTANTIATE_TEST_SUITE_P(EveryScheme, MeterUriInForce, testing::ValuesIn(kInForce));

TEST(MeterUriKinds, TellMbusAndSerialSchemesApart) {
  const std::pair<std::string_view, std::pair<bool, bool>> kinds[] = {
      {"tcp://h:1", {false, false}},          {"rtu+tcp://h:1", {false, false}},
      {"serial:///dev/x", {false, true}},     {"mbus+tcp://h:1", {true, false}},
      {"mbus+serial:///dev/x", {true, true}},
  };
  for (const auto& [text, kind] : kinds) {
    const auto uri = parse_meter_uri(text);
    ASSERT_TRUE(uri.has_value()) << uri.error();
    EXPECT_EQ(uri->is_mbus(), kind.first) << text;
    EXPECT_EQ(uri->is_serial(), kind.second) << text;
  }
}

TEST(MeterUri, KnowsWhetherTheUnitWasGiven) {
  // `log --units` takes the units instead of the URI's unit=, never both.
  for (const auto& [text, given] : std::initializer_list<std::pair<std::string_view, bool>>{
           {"tcp://h:1", false},
           {"tcp://h:1?unit=1", true},
           {"tcp://h:1?timeout=1s&unit=7", true},
           {"serial:///dev/x?baud=9600", false},
           {"mbus+tcp://h:1?address=3", false}}) {
    const auto uri = parse_meter_uri(text);
    ASSERT_TRUE(uri.has_value()) << text << ": " << uri.error();
    EXPECT_EQ(uri->unit_given, given) << text;
  }
}

}  // namespace
}  // namespace ambi
