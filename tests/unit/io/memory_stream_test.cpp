// The in-memory stream pair: bytes arrive in order and in the bursts they were sent in, a
// peer can answer from inside the sender's call, an empty inbox reads as a passed deadline,
// and a gone peer is an error once its bytes are read.
#include "io/memory_stream.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "io/byte_link.hpp"

namespace ambi {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes read_once(ByteStream& end, std::size_t at_most = 64) {
  std::array<std::uint8_t, 64> buffer{};
  const auto n = end.receive(std::span(buffer).first(at_most), {});
  EXPECT_TRUE(n.has_value());
  return n ? Bytes(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(*n)) : Bytes{};
}

TEST(MemoryStream, OneReceiveTakesFromOneBurstInOrder) {
  auto [a, b] = memory_stream_pair();
  ASSERT_TRUE(a->send(Bytes{1, 2, 3}).has_value());
  ASSERT_TRUE(a->send(Bytes{4}).has_value());
  EXPECT_EQ(read_once(*b, 2), (Bytes{1, 2}));
  EXPECT_EQ(read_once(*b), (Bytes{3}));
  EXPECT_EQ(read_once(*b), (Bytes{4}));
  EXPECT_EQ(read_once(*b), Bytes{}) << "nothing there: as if the deadline passed";
}

TEST(MemoryStream, APeerAnswersFromInsideTheSendersCall) {
  auto [master, slave] = memory_stream_pair();
  slave->on_receive([](MemoryStream& end) {
    Bytes request = end.take_all();
    request.push_back(0xFF);
    ASSERT_TRUE(end.send(request).has_value());
  });
  ASSERT_TRUE(master->send(Bytes{7, 8}).has_value());
  EXPECT_EQ(read_once(*master), (Bytes{7, 8, 0xFF}));
}

TEST(MemoryStream, DiscardDropsWhatWasNotRead) {
  auto [a, b] = memory_stream_pair();
  ASSERT_TRUE(a->send(Bytes{1, 2}).has_value());
  b->discard_input();
  EXPECT_EQ(read_once(*b), Bytes{});
}

TEST(MemoryStream, AGonePeerIsAnErrorOnceItsBytesAreRead) {
  auto [a, b] = memory_stream_pair();
  ASSERT_TRUE(a->send(Bytes{5}).has_value());
  a.reset();
  EXPECT_EQ(read_once(*b), (Bytes{5}));
  std::array<std::uint8_t, 4> buffer{};
  const auto n = b->receive(buffer, {});
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error(), "the connection was closed by the other side");
  EXPECT_FALSE(b->send(Bytes{1}).has_value());
}

TEST(MemoryStream, AByteLinkCarriesIt) {
  auto [a, b] = memory_stream_pair();
  ByteLink link = ByteLink::over(std::move(a));
  EXPECT_FALSE(link.serial());
  ASSERT_TRUE(link.send(Bytes{9}).has_value());
  EXPECT_EQ(read_once(*b), (Bytes{9}));
}

}  // namespace
}  // namespace ambi
