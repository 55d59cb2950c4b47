#pragma once
// The twin's one event loop, with an optional busy-poll window (docs/performance.md).
//
// On the machines the twin runs on (and most of all in virtual machines) waking a thread that
// sleeps in epoll_wait costs tens of microseconds, more than serving a Modbus request. A
// client polling in a closed loop (one request, wait for the reply, the next request) pays
// that wake-up on every transaction. For `window` after the last request the loop therefore
// polls the sockets without sleeping, yielding the CPU to any other runnable thread between
// polls; once no request has come for `window` it sleeps as usual, so an idle twin costs no
// CPU.

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>

namespace ambi {

/// Runs `io` until it is stopped or out of work. With `window` > 0 the loop polls instead of
/// sleeping while `last_request()` (a steady-clock time) is less than `window` ago.
void run_event_loop(boost::asio::io_context& io, std::chrono::microseconds window,
                    const std::function<std::chrono::steady_clock::time_point()>& last_request);

}  // namespace ambi
