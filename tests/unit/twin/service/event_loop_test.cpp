// The event loop's busy-poll window: it serves what is ready whether it polls or sleeps,
// ends when stopped or out of work, and sleeps (as io_context::run) once the window is over.
#include "twin/service/event_loop.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <thread>

namespace ambi {
namespace {

namespace asio = boost::asio;
using std::chrono::steady_clock;
using namespace std::chrono_literals;

TEST(EventLoop, RunsEveryHandlerAndEndsWhenOutOfWork) {
  for (const auto window : {0us, 200us, 10'000us}) {
    SCOPED_TRACE(window.count());
    asio::io_context io;
    int ran = 0;
    asio::steady_timer timer(io, 5ms);
    timer.async_wait([&](boost::system::error_code) { ++ran; });
    for (int i = 0; i < 3; ++i) asio::post(io, [&] { ++ran; });
    const auto now = steady_clock::now();
    run_event_loop(io, window, [now] { return now; });  // a request "just now": polling
    EXPECT_EQ(ran, 4);
    EXPECT_TRUE(io.stopped());
  }
}

TEST(EventLoop, EndsOnStopWhilePolling) {
  asio::io_context io;
  asio::steady_timer forever(io, 1h);
  forever.async_wait([](boost::system::error_code) {});
  asio::steady_timer stop(io, 10ms);
  stop.async_wait([&](boost::system::error_code) { io.stop(); });
  run_event_loop(io, 10'000us, [] { return steady_clock::now(); });  // always within the window
  EXPECT_TRUE(io.stopped());
}

TEST(EventLoop, PicksUpWorkFromAnotherThreadWhileSleepingAndWhilePolling) {
  for (const bool hot : {false, true}) {
    SCOPED_TRACE(hot);
    asio::io_context io;
    auto guard = asio::make_work_guard(io);
    std::atomic<int> served{0};
    std::thread client([&] {
      for (int i = 0; i < 50; ++i) {
        asio::post(io, [&] { served.fetch_add(1); });
        std::this_thread::sleep_for(100us);
      }
      asio::post(io, [&] { guard.reset(); });
    });
    const auto long_ago = steady_clock::now() - 1h;
    run_event_loop(io, 5'000us, [&] { return hot ? steady_clock::now() : long_ago; });
    client.join();
    EXPECT_EQ(served.load(), 50);
  }
}

}  // namespace
}  // namespace ambi
