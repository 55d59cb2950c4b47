// Modbus TCP load generator: N connections × D requests in flight (closed loop), reading
// `count` holding registers at `address`. Prints one JSON line: transactions/s, p50/p99
// latency (µs, from a request's send to its reply), errors. Raw sockets + epoll, one thread.
//
//   modbus_loadgen [--send-each] HOST PORT CONNS DEPTH SECONDS [ADDRESS=0x5002] [COUNT=2] [UNIT=1]
//
// The requests that replace the replies of one read leave in one send (as a pipelining
// client sends them); --send-each sends every request on its own (one syscall each).
// The generator must not be what limits the figures: per reply it does no allocation and
// reads the clock once per recv (the replies a recv returns arrived together).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

/// Send times of the requests in flight, oldest first (replies come back in order).
class SendTimes {
 public:
  explicit SendTimes(std::size_t capacity) : ring_(capacity) {}
  void push(Clock::time_point t) { ring_[(head_ + size_++) % ring_.size()] = t; }
  Clock::time_point pop() {
    const Clock::time_point t = ring_[head_];
    head_ = (head_ + 1) % ring_.size();
    --size_;
    return t;
  }
  [[nodiscard]] bool empty() const { return size_ == 0; }

 private:
  std::vector<Clock::time_point> ring_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

struct Connection {
  explicit Connection(std::size_t depth) : in_flight(depth) {}
  int fd = -1;
  std::uint16_t next_tid = 0;
  SendTimes in_flight;
  std::vector<std::uint8_t> rx;  ///< bytes of a reply not complete yet
};

void append_request(std::vector<std::uint8_t>& out, std::uint16_t tid, std::uint8_t unit,
                    std::uint16_t address, std::uint16_t count) {
  const std::uint8_t bytes[] = {static_cast<std::uint8_t>(tid >> 8),
                                static_cast<std::uint8_t>(tid),
                                0,
                                0,
                                0,
                                6,
                                unit,
                                3,
                                static_cast<std::uint8_t>(address >> 8),
                                static_cast<std::uint8_t>(address),
                                static_cast<std::uint8_t>(count >> 8),
                                static_cast<std::uint8_t>(count)};
  out.insert(out.end(), bytes, bytes + sizeof bytes);
}

int connect_to(const char* host, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, host, &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror("connect");
    std::exit(2);
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool send_all(int fd, const std::vector<std::uint8_t>& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  bool send_each = false;
  if (argc > 1 && std::string(argv[1]) == "--send-each") {
    send_each = true;
    --argc;
    ++argv;
  }
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s HOST PORT CONNS DEPTH SECONDS [ADDRESS] [COUNT] [UNIT]\n",
                 argv[0]);
    return 2;
  }
  const char* host = argv[1];
  const int port = std::atoi(argv[2]);
  const int conns = std::atoi(argv[3]);
  const int depth = std::atoi(argv[4]);
  const double seconds = std::atof(argv[5]);
  const auto address =
      static_cast<std::uint16_t>(argc > 6 ? std::strtol(argv[6], nullptr, 0) : 0x5002);
  const auto count = static_cast<std::uint16_t>(argc > 7 ? std::atoi(argv[7]) : 2);
  const auto unit = static_cast<std::uint8_t>(argc > 8 ? std::atoi(argv[8]) : 1);
  const std::size_t reply_size = 9 + 2U * count;

  const int ep = epoll_create1(0);
  std::vector<Connection> pool(static_cast<std::size_t>(conns),
                               Connection(static_cast<std::size_t>(depth)));
  for (std::size_t i = 0; i < pool.size(); ++i) {
    pool[i].fd = connect_to(host, port);
    epoll_event ev{EPOLLIN, {.u64 = i}};
    epoll_ctl(ep, EPOLL_CTL_ADD, pool[i].fd, &ev);
  }
  std::vector<std::uint32_t> latencies_us;
  latencies_us.reserve(1 << 22);
  std::uint64_t errors = 0;
  // Requests for one connection are queued in `tx` and leave in one send (a pipelining
  // client answers a batch of replies with a batch of requests).
  std::vector<std::uint8_t> tx;
  const auto issue = [&](Connection& c, Clock::time_point now) {
    c.in_flight.push(now);
    append_request(tx, c.next_tid++, unit, address, count);
    if (send_each && !send_all(c.fd, tx)) ++errors;
    if (send_each) tx.clear();
  };
  const auto send_queued = [&](Connection& c) {
    if (!tx.empty() && !send_all(c.fd, tx)) ++errors;
    tx.clear();
  };
  const auto start = Clock::now();
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (auto& c : pool) {
    for (int d = 0; d < depth; ++d) issue(c, Clock::now());
    send_queued(c);
  }

  std::vector<epoll_event> events(static_cast<std::size_t>(conns));
  std::uint8_t buf[65536];
  while (Clock::now() < deadline) {
    const int n = epoll_wait(ep, events.data(), conns, 100);
    for (int e = 0; e < n; ++e) {
      Connection& c = pool[events[static_cast<std::size_t>(e)].data.u64];
      const ssize_t got = recv(c.fd, buf, sizeof buf, 0);
      if (got <= 0) {
        std::fprintf(stderr, "connection closed by the server\n");
        return 1;
      }
      const auto now = Clock::now();
      // Whole replies are read where recv put them; only a partial one is kept in c.rx.
      std::span<const std::uint8_t> bytes(buf, static_cast<std::size_t>(got));
      if (!c.rx.empty()) {
        c.rx.insert(c.rx.end(), bytes.begin(), bytes.end());
        bytes = c.rx;
      }
      std::size_t off = 0;
      while (bytes.size() - off >= reply_size && !c.in_flight.empty()) {
        if (bytes[off + 7] != 3) ++errors;
        latencies_us.push_back(static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(now - c.in_flight.pop())
                .count()));
        off += bytes[off + 7] == 3 ? reply_size : 9;
        if (now < deadline) issue(c, now);
      }
      std::vector<std::uint8_t> rest(bytes.begin() + static_cast<std::ptrdiff_t>(off), bytes.end());
      c.rx.swap(rest);
      send_queued(c);
    }
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto& c : pool) close(c.fd);
  std::sort(latencies_us.begin(), latencies_us.end());
  const auto pct = [&](double p) {
    return latencies_us.empty() ? 0U
                                : latencies_us[static_cast<std::size_t>(
                                      p * static_cast<double>(latencies_us.size() - 1))];
  };
  std::printf(
      "{\"conns\":%d,\"depth\":%d,\"transactions\":%zu,\"tps\":%.0f,\"p50_us\":%u,\"p99_us\":%u,"
      "\"errors\":%llu}\n",
      conns, depth, latencies_us.size(), static_cast<double>(latencies_us.size()) / elapsed,
      pct(0.50), pct(0.99), static_cast<unsigned long long>(errors));
  return errors == 0 ? 0 : 1;
}
