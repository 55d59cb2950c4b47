// Modbus TCP load generator: N connections × D requests in flight (closed loop), reading
// `count` holding registers at `address`. Prints one JSON line: transactions/s, p50/p99
// latency (µs, from a request's send to its reply), exception replies, errors. Raw sockets +
// epoll, one thread.
//
//   modbus_loadgen [--send-each] [--expect-exception] HOST PORT[+N] CONNS DEPTH SECONDS
//   [ADDRESS=0x5002] [COUNT=2] [UNIT=1]
//
// PORT+N spreads the connections over N consecutive ports (the gateways of a fleet,
// connection i on PORT + i mod N); UNIT 0 reads a random unit 1-247 with every request.
//
// The requests that replace the replies of one read leave in one send (as a pipelining
// client sends them); --send-each sends every request on its own (one syscall each).
// A reply is as long as its MBAP header says. An exception reply is an error unless
// --expect-exception is given (a read the meter refuses, e.g. at an unmapped address: the
// cost of failing requests); then only an exception reply to the read is not an error.
// The generator must not be what limits the figures: per reply it does no allocation and
// reads the clock once per recv (the replies a recv returns arrived together).
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
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "loadgen_socket.hpp"

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

using loadgen::connect_to;

bool send_all(int fd, const std::vector<std::uint8_t>& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

struct Options {
  bool send_each = false;
  bool expect_exception = false;
  const char* host = nullptr;
  int port = 0;
  int ports = 1;  ///< consecutive ports from `port`
  int conns = 0;
  int depth = 0;
  double seconds = 0;
  std::uint16_t address = 0x5002;
  std::uint16_t count = 2;
  std::uint8_t unit = 1;
};

/// The command line; nullopt (after the usage line) when it is short.
std::optional<Options> parse_options(int argc, char** argv) {
  Options o;
  const char* program = argv[0];
  for (; argc > 1 && std::strncmp(argv[1], "--", 2) == 0; --argc, ++argv) {
    const std::string flag(argv[1]);
    if (flag == "--send-each") {
      o.send_each = true;
    } else if (flag == "--expect-exception") {
      o.expect_exception = true;
    } else {
      argc = 0;  // an unknown flag: the usage line
      break;
    }
  }
  if (argc < 6) {
    std::fprintf(stderr,
                 "usage: %s [--send-each] [--expect-exception] HOST PORT CONNS DEPTH SECONDS "
                 "[ADDRESS] [COUNT] [UNIT]\n",
                 program);
    return std::nullopt;
  }
  o.host = argv[1];
  o.port = std::atoi(argv[2]);
  if (const char* plus = std::strchr(argv[2], '+'); plus != nullptr) {
    o.ports = std::max(1, std::atoi(plus + 1));
  }
  o.conns = std::atoi(argv[3]);
  o.depth = std::atoi(argv[4]);
  o.seconds = std::atof(argv[5]);
  if (argc > 6) o.address = static_cast<std::uint16_t>(std::strtol(argv[6], nullptr, 0));
  if (argc > 7) o.count = static_cast<std::uint16_t>(std::atoi(argv[7]));
  if (argc > 8) o.unit = static_cast<std::uint8_t>(std::atoi(argv[8]));
  return o;
}

/// The closed loop: every connection keeps `depth` requests in flight until the deadline.
class Load {
 public:
  explicit Load(const Options& o)
      : o_(o),
        reply_size_(9 + 2U * o.count),
        ep_(epoll_create1(0)),
        pool_(static_cast<std::size_t>(o.conns), Connection(static_cast<std::size_t>(o.depth))) {
    for (std::size_t i = 0; i < pool_.size(); ++i) {
      pool_[i].fd = connect_to(o.host, o.port + static_cast<int>(i) % o.ports);
      epoll_event ev{EPOLLIN, {.u64 = i}};
      epoll_ctl(ep_, EPOLL_CTL_ADD, pool_[i].fd, &ev);
    }
    latencies_us_.reserve(1 << 22);
  }

  /// Runs until the deadline; false when the server closed a connection.
  bool run() {
    start_ = Clock::now();
    deadline_ = start_ + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(o_.seconds));
    for (auto& c : pool_) {
      for (int d = 0; d < o_.depth; ++d) issue(c, Clock::now());
      send_queued(c);
    }
    std::vector<epoll_event> events(static_cast<std::size_t>(o_.conns));
    while (Clock::now() < deadline_) {
      const int n = epoll_wait(ep_, events.data(), o_.conns, 100);
      for (int e = 0; e < n; ++e) {
        if (!on_readable(pool_[events[static_cast<std::size_t>(e)].data.u64])) {
          std::fprintf(stderr, "connection closed by the server\n");
          return false;
        }
      }
    }
    elapsed_ = std::chrono::duration<double>(Clock::now() - start_).count();
    for (auto& c : pool_) close(c.fd);
    return true;
  }

  /// Prints the JSON line; the exit status (0 without errors).
  int report() {
    std::sort(latencies_us_.begin(), latencies_us_.end());
    const auto pct = [&](double p) {
      return latencies_us_.empty() ? 0U
                                   : latencies_us_[static_cast<std::size_t>(
                                         p * static_cast<double>(latencies_us_.size() - 1))];
    };
    std::printf(
        "{\"conns\":%d,\"depth\":%d,\"transactions\":%zu,\"tps\":%.0f,\"p50_us\":%u,\"p99_us\":%u,"
        "\"exceptions\":%llu,\"errors\":%llu}\n",
        o_.conns, o_.depth, latencies_us_.size(),
        static_cast<double>(latencies_us_.size()) / elapsed_, pct(0.50), pct(0.99),
        static_cast<unsigned long long>(exceptions_), static_cast<unsigned long long>(errors_));
    return errors_ == 0 ? 0 : 1;
  }

 private:
  // Requests for one connection are queued in `tx_` and leave in one send (a pipelining
  // client answers a batch of replies with a batch of requests).
  void issue(Connection& c, Clock::time_point now) {
    c.in_flight.push(now);
    append_request(tx_, c.next_tid++, o_.unit != 0 ? o_.unit : random_unit(), o_.address, o_.count);
    if (o_.send_each && !send_all(c.fd, tx_)) ++errors_;
    if (o_.send_each) tx_.clear();
  }
  /// A unit 1-247 from xorshift64 (cheap enough not to limit the figures).
  std::uint8_t random_unit() {
    rng_ ^= rng_ << 13U;
    rng_ ^= rng_ >> 7U;
    rng_ ^= rng_ << 17U;
    return static_cast<std::uint8_t>(1 + rng_ % 247);
  }
  void send_queued(Connection& c) {
    if (!tx_.empty() && !send_all(c.fd, tx_)) ++errors_;
    tx_.clear();
  }

  /// One recv on `c`: its whole replies timed, a request issued for each; false on close.
  bool on_readable(Connection& c) {
    const ssize_t got = recv(c.fd, buf_.data(), buf_.size(), 0);
    if (got <= 0) return false;
    const auto now = Clock::now();
    // Whole replies are read where recv put them; only a partial one is kept in c.rx.
    std::span<const std::uint8_t> bytes(buf_.data(), static_cast<std::size_t>(got));
    if (!c.rx.empty()) {
      c.rx.insert(c.rx.end(), bytes.begin(), bytes.end());
      bytes = c.rx;
    }
    std::size_t off = 0;
    while (bytes.size() - off >= kMbapLengthEnd && !c.in_flight.empty()) {
      // MBAP: the length field (bytes 4-5) counts the unit and the PDU.
      const std::size_t size =
          kMbapLengthEnd + (static_cast<std::size_t>(bytes[off + 4]) << 8U | bytes[off + 5]);
      if (bytes.size() - off < size) break;
      const std::uint8_t function = size > 7 ? bytes[off + 7] : 0;
      const bool exception = (function & 0x80U) != 0;
      if (exception) ++exceptions_;
      const bool expected = o_.expect_exception ? size == kExceptionReplySize && function == 0x83
                                                : size == reply_size_ && function == 3;
      if (!expected) ++errors_;
      latencies_us_.push_back(static_cast<std::uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(now - c.in_flight.pop()).count()));
      off += size;
      if (now < deadline_) issue(c, now);
    }
    std::vector<std::uint8_t> rest(bytes.begin() + static_cast<std::ptrdiff_t>(off), bytes.end());
    c.rx.swap(rest);
    send_queued(c);
    return true;
  }

  static constexpr std::size_t kMbapLengthEnd = 6;       ///< transaction, protocol, length
  static constexpr std::size_t kExceptionReplySize = 9;  ///< MBAP, function | 0x80, code

  Options o_;
  std::size_t reply_size_;
  int ep_;
  std::vector<Connection> pool_;
  std::vector<std::uint32_t> latencies_us_;
  std::uint64_t exceptions_ = 0;
  std::uint64_t errors_ = 0;
  std::vector<std::uint8_t> tx_;
  std::array<std::uint8_t, 65536> buf_{};
  Clock::time_point start_;
  Clock::time_point deadline_;
  double elapsed_ = 0;
  std::uint64_t rng_ = 0x9E3779B97F4A7C15ULL;
};

}  // namespace

int main(int argc, char** argv) {
  const auto options = parse_options(argc, argv);
  if (!options) return 2;
  Load load(*options);
  if (!load.run()) return 1;
  return load.report();
}
