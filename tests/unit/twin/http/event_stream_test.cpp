// The event streams of GET /api/v1/events over real loopback sockets: the head and a first
// event at once, broadcasts to every stream, debounced change events, the stream cap, a
// slow stream dropped, a closed one forgotten.
#include "twin/http/event_stream.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <chrono>
#include <string>

namespace ambi {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

/// An io_context, a listener, and streams whose data counts the events sent.
class EventStreamsTest : public ::testing::Test {
 protected:
  explicit EventStreamsTest(EventStreamLimits limits = {})
      : streams_(io_, [this] { return "{\"n\":" + std::to_string(++sent_) + "}"; }, limits) {
    acceptor_.open(tcp::v4());
    acceptor_.bind({asio::ip::address_v4::loopback(), 0});
    acceptor_.listen();
  }

  /// Connects a client and hands the server's end to the streams.
  tcp::socket connect() {
    tcp::socket client(io_);
    client.connect(acceptor_.local_endpoint());
    streams_.add(acceptor_.accept());
    return client;
  }

  /// Everything a client has received after the io_context ran `time`.
  std::string received(tcp::socket& client, std::chrono::milliseconds time = 50ms) {
    io_.restart();
    io_.run_for(time);
    std::string text;
    while (client.available() > 0) {
      std::string chunk(client.available(), '\0');
      client.read_some(asio::buffer(chunk));
      text += chunk;
    }
    return text;
  }

  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  int sent_ = 0;
  EventStreams streams_;
};

TEST_F(EventStreamsTest, ANewStreamGetsTheHeadAndOneEventAtOnce) {
  tcp::socket client = connect();
  EXPECT_EQ(streams_.size(), 1U);
  EXPECT_EQ(received(client),
            std::string(EventStreams::response_head()) + "event: state\ndata: {\"n\":1}\n\n");
}

TEST_F(EventStreamsTest, ABroadcastReachesEveryStreamWithOneSnapshot) {
  tcp::socket a = connect();
  tcp::socket b = connect();
  received(a);
  received(b);
  streams_.broadcast();
  EXPECT_EQ(received(a), "event: state\ndata: {\"n\":3}\n\n");
  EXPECT_EQ(received(b), "event: state\ndata: {\"n\":3}\n\n");
  EXPECT_EQ(sent_, 3);
}

TEST_F(EventStreamsTest, ABroadcastWithoutStreamsTakesNoSnapshot) {
  streams_.broadcast();
  streams_.changed();
  io_.run_for(100ms);
  EXPECT_EQ(sent_, 0);
}

TEST_F(EventStreamsTest, ChangesCloseTogetherGiveOneEvent) {
  tcp::socket client = connect();
  received(client);
  streams_.changed();
  streams_.changed();
  streams_.changed();
  EXPECT_EQ(received(client, 150ms), "event: state\ndata: {\"n\":2}\n\n");
}

TEST_F(EventStreamsTest, AStreamWhoseClientClosesIsForgotten) {
  tcp::socket client = connect();
  received(client);
  client.close();
  io_.restart();
  io_.run_for(50ms);
  EXPECT_EQ(streams_.size(), 0U);
}

TEST_F(EventStreamsTest, AStreamThatCannotKeepUpIsDropped) {
  tcp::socket client = connect();
  // The io_context does not run: nothing leaves the queue (the head and first event, then 7).
  for (int i = 0; i < 7; ++i) streams_.broadcast();
  EXPECT_EQ(streams_.size(), 1U);
  streams_.broadcast();
  EXPECT_EQ(streams_.size(), 0U);
  received(client);
  boost::system::error_code ec;
  std::string rest(64 * 1024, '\0');
  client.read_some(asio::buffer(rest), ec);
  EXPECT_EQ(ec, asio::error::eof);
}

TEST_F(EventStreamsTest, CloseAllEndsEveryStream) {
  tcp::socket a = connect();
  tcp::socket b = connect();
  received(a);
  received(b);
  streams_.close_all();
  EXPECT_EQ(streams_.size(), 0U);
  for (tcp::socket* s : {&a, &b}) {
    boost::system::error_code ec;
    char byte = 0;
    s->read_some(asio::buffer(&byte, 1), ec);
    EXPECT_EQ(ec, asio::error::eof);
  }
}

class TwoStreamsTest : public EventStreamsTest {
 protected:
  TwoStreamsTest() : EventStreamsTest(EventStreamLimits{2, 8, 50ms}) {}
};

TEST_F(TwoStreamsTest, IsFullAtTheCap) {
  tcp::socket a = connect();
  EXPECT_FALSE(streams_.full());
  tcp::socket b = connect();
  EXPECT_TRUE(streams_.full());
  EXPECT_EQ(streams_.max_streams(), 2U);
  a.close();
  io_.run_for(50ms);
  EXPECT_FALSE(streams_.full());
}

TEST(EventStreamFormat, WritesOneStateEvent) {
  EXPECT_EQ(EventStreams::format_event(R"({"a":1})"), "event: state\ndata: {\"a\":1}\n\n");
  EXPECT_TRUE(EventStreams::response_head().starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_NE(EventStreams::response_head().find("Content-Type: text/event-stream\r\n"),
            std::string_view::npos);
  EXPECT_NE(EventStreams::response_head().find("Cache-Control: no-cache\r\n"),
            std::string_view::npos);
  EXPECT_TRUE(EventStreams::response_head().ends_with("\r\n\r\n"));
}

}  // namespace
}  // namespace ambi
