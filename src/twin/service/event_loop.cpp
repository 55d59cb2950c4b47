#include "twin/service/event_loop.hpp"

#include <sched.h>

namespace ambi {

void run_event_loop(boost::asio::io_context& io, std::chrono::microseconds window,
                    const std::function<std::chrono::steady_clock::time_point()>& last_request) {
  if (window.count() <= 0) {
    io.run();
    return;
  }
  while (!io.stopped()) {
    if (std::chrono::steady_clock::now() - last_request() >= window) {
      io.run_one();  // sleeps until something is ready
      continue;
    }
    // Runs what is ready without sleeping; when nothing was, lets another runnable thread
    // on this CPU go first (the client may be one of them on a busy machine).
    if (io.poll() == 0) sched_yield();
  }
}

}  // namespace ambi
