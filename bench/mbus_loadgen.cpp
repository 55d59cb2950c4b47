// M-bus over TCP load generator: N connections, each with one REQ_UD2 in flight (M-bus is
// half duplex; closed loop). Each connection alternates the FCB (10 5B 00 5B 16 /
// 10 7B 00 7B 16) so a meter that follows the FCB answers with fresh data. Prints one JSON
// line: RSP_UD telegrams/s, p50/p99 round trip (µs, from a request's send to the last byte
// of its answer), errors. Raw sockets + epoll, one thread.
//
//   mbus_loadgen HOST PORT CONNS SECONDS [ADDRESS=0]
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "loadgen_socket.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Connection {
  int fd = -1;
  bool fcb = false;
  Clock::time_point sent;
  std::vector<std::uint8_t> rx;
};

using loadgen::connect_to;

/// REQ_UD2 to `address`, FCV set, FCB as given (EN 13757-2 short frame).
bool send_request(Connection& c, std::uint8_t address) {
  const auto control = static_cast<std::uint8_t>(c.fcb ? 0x7B : 0x5B);
  const std::array<std::uint8_t, 5> frame{0x10, control, address,
                                          static_cast<std::uint8_t>(control + address), 0x16};
  c.fcb = !c.fcb;
  c.sent = Clock::now();
  return send(c.fd, frame.data(), frame.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(frame.size());
}

/// The size of the telegram at the front of `rx` once complete (0: need more); sets `bad`
/// when it is no RSP_UD long frame.
std::size_t complete_telegram(const std::vector<std::uint8_t>& rx, bool& bad) {
  if (rx.empty()) return 0;
  if (rx[0] != 0x68) {
    bad = true;
    return rx.size();
  }
  if (rx.size() < 4) return 0;
  const std::size_t size = std::size_t{rx[1]} + 6;
  if (rx.size() < size) return 0;
  bad = rx[2] != rx[1] || rx[3] != 0x68 || rx[4] != 0x08 || rx[size - 1] != 0x16;
  return size;
}

/// What a run measured.
struct Tally {
  std::vector<std::uint32_t> latencies_us;
  std::uint64_t errors = 0;
  std::size_t telegram_bytes = 0;
};

/// Takes in what arrived on `c`; on a complete telegram, records it and sends the next
/// request (before `deadline`). False when the server closed the connection.
bool on_readable(Connection& c, std::uint8_t address, Clock::time_point deadline, Tally& tally) {
  std::array<std::uint8_t, 65536> buf{};
  const ssize_t got = recv(c.fd, buf.data(), buf.size(), 0);
  if (got <= 0) return false;
  c.rx.insert(c.rx.end(), buf.begin(), buf.begin() + got);
  bool bad = false;
  const std::size_t size = complete_telegram(c.rx, bad);
  if (size == 0) return true;
  const auto now = Clock::now();
  if (bad) ++tally.errors;
  tally.telegram_bytes = size;
  tally.latencies_us.push_back(static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(now - c.sent).count()));
  c.rx.erase(c.rx.begin(), c.rx.begin() + static_cast<std::ptrdiff_t>(std::min(size, c.rx.size())));
  if (now < deadline && !send_request(c, address)) ++tally.errors;
  return true;
}

/// Keeps one request in flight on every connection until `deadline`. False when the server
/// closed a connection.
bool drive(std::vector<Connection>& pool, int ep, std::uint8_t address, Clock::time_point deadline,
           Tally& tally) {
  for (auto& c : pool) {
    if (!send_request(c, address)) ++tally.errors;
  }
  std::vector<epoll_event> events(pool.size());
  while (Clock::now() < deadline) {
    const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
    for (int e = 0; e < n; ++e) {
      Connection& c = pool[events[static_cast<std::size_t>(e)].data.u64];
      if (!on_readable(c, address, deadline, tally)) return false;
    }
  }
  return true;
}

/// The JSON line of a run; the exit status (0: answers and no errors).
int report(int conns, Tally& tally, double elapsed) {
  auto& lat = tally.latencies_us;
  std::sort(lat.begin(), lat.end());
  const auto pct = [&](double p) {
    return lat.empty() ? 0U
                       : lat[static_cast<std::size_t>(p * static_cast<double>(lat.size() - 1))];
  };
  std::printf(
      "{\"conns\":%d,\"frames\":%zu,\"frames_per_s\":%.0f,\"p50_us\":%u,\"p99_us\":%u,"
      "\"telegram_bytes\":%zu,\"errors\":%llu}\n",
      conns, lat.size(), static_cast<double>(lat.size()) / elapsed, pct(0.50), pct(0.99),
      tally.telegram_bytes, static_cast<unsigned long long>(tally.errors));
  return tally.errors == 0 && !lat.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s HOST PORT CONNS SECONDS [ADDRESS]\n", argv[0]);
    return 2;
  }
  const char* host = argv[1];
  const int port = std::atoi(argv[2]);
  const int conns = std::atoi(argv[3]);
  const double seconds = std::atof(argv[4]);
  const auto address = static_cast<std::uint8_t>(argc > 5 ? std::atoi(argv[5]) : 0);

  const int ep = epoll_create1(0);
  std::vector<Connection> pool(static_cast<std::size_t>(conns));
  for (std::size_t i = 0; i < pool.size(); ++i) {
    pool[i].fd = connect_to(host, port);
    epoll_event ev{EPOLLIN, {.u64 = i}};
    epoll_ctl(ep, EPOLL_CTL_ADD, pool[i].fd, &ev);
  }
  Tally tally;
  tally.latencies_us.reserve(1 << 22);
  const auto start = Clock::now();
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  if (!drive(pool, ep, address, deadline, tally)) {
    std::fprintf(stderr, "connection closed by the server\n");
    return 1;
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto& c : pool) close(c.fd);
  return report(conns, tally, elapsed);
}
