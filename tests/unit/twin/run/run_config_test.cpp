// The values of `ambimeter run`'s options: listen addresses and the factory serial number.
#include "twin/run/run_config.hpp"

#include <gtest/gtest.h>

namespace ambi {
namespace {

TEST(HttpAddress, AcceptsIpv4Ipv6AndLocalhost) {
  EXPECT_EQ(parse_http_address("127.0.0.1:8080")->port(), 8080);
  EXPECT_TRUE(parse_http_address("localhost:0")->address().is_loopback());
  EXPECT_TRUE(parse_http_address("[::1]:80")->address().is_v6());
  EXPECT_FALSE(parse_http_address("8080").has_value());
  EXPECT_FALSE(parse_http_address("127.0.0.1:70000").has_value());
  EXPECT_FALSE(parse_http_address("example.org:80").has_value());
}

TEST(Serial, IsEightDecimalDigitsReadAsBcd) {
  EXPECT_EQ(parse_serial("19020246").value(), 0x19020246U);
  EXPECT_FALSE(parse_serial("1902024").has_value());
  EXPECT_FALSE(parse_serial("1902024A").has_value());
}

}  // namespace
}  // namespace ambi
