// Benchmark: one Prometheus scrape of N meters (docs/prometheus.md), without the network.
//
// Makes N powered meters with different loads and a day of energy, then times what
// GET /metrics does for them: `read_meter` of each (the words its Modbus server would send,
// decoded as a master decodes them) and `render_prometheus` of all the readings. Prints the
// milliseconds of each step, the bytes and the series. Run:
// build/release/bench/metrics_bench [meters...] (default 1000 10000).
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "core/meter/meter.hpp"
#include "export/meter_reading.hpp"
#include "export/prometheus_text.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

/// CPU milliseconds of this thread: steadier than wall time on a loaded machine.
double cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

std::vector<ambi::Meter> make_meters(std::size_t n) {
  std::vector<ambi::Meter> meters;
  meters.reserve(n);
  std::uint32_t serial = 0x19020246;
  for (std::size_t i = 0; i < n; ++i) {
    ambi::FactoryOptions options;
    options.serial_bcd = serial;
    ambi::Meter& m = meters.emplace_back(options);
    m.power_on();
    ambi::LoadInput load;
    for (std::size_t p = 0; p < 3; ++p) {
      load.phases[p] = {230.0, 1.0 + static_cast<double>((i + p) % 16), 25.0};
    }
    (void)m.set_load(load);
    m.advance(86'400'000);
    // The next BCD serial (the low digit carries).
    std::uint32_t digit = 0;
    for (std::uint32_t s = serial;; s >>= 4, digit += 4) {
      if ((s & 0xFU) != 9) {
        serial += 1U << digit;
        break;
      }
      serial -= 9U << digit;
    }
  }
  return meters;
}

void scrape(std::size_t n) {
  const std::vector<ambi::Meter> meters = make_meters(n);
  const auto t0 = Clock::now();
  const double c0 = cpu_ms();
  std::vector<ambi::MeterReading> readings;
  readings.reserve(n);
  for (const ambi::Meter& m : meters) readings.push_back(ambi::read_meter(m));
  const double read_ms = ms_since(t0);
  const double read_cpu = cpu_ms() - c0;
  const auto t1 = Clock::now();
  const double c1 = cpu_ms();
  const std::string text = ambi::render_prometheus(readings, {});
  const double render_ms = ms_since(t1);
  const double render_cpu = cpu_ms() - c1;
  std::size_t series = 0;
  for (const char c : text) series += c == '\n' ? 1 : 0;
  fmt::print(
      "{:>6} meters: read_meter {:7.1f} ms wall, {:7.1f} ms CPU ({:.1f} us a meter); render "
      "{:7.1f} ms wall, {:7.1f} ms CPU; {:.1f} MB, {} lines\n",
      n, read_ms, read_cpu, read_cpu * 1000 / static_cast<double>(n), render_ms, render_cpu,
      static_cast<double>(text.size()) / 1e6, series);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::strtoul(argv[i], nullptr, 10));
  if (sizes.empty()) sizes = {1000, 10000};
  for (const std::size_t n : sizes) scrape(n);
  return 0;
}
