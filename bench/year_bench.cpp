// Benchmark: one simulated year of a 1-second load profile for one meter.
//
// Builds a day of 86 400 one-second rows (every phase changes every second: a household
// base load with noise, PV export at midday, an EV in the evening), repeats it for 365
// days through the ProfilePlayer — the same path `ambimeter run --scenario` uses — and
// prints wall seconds, rows per second and peak RSS. Run: `make bench` or
// build/release/bench/year_bench [days].
#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "core/meter/meter.hpp"
#include "core/profile/profile.hpp"

namespace {

constexpr std::int64_t kDayS = 86'400;

ambi::LoadProfile one_second_day() {
  ambi::LoadProfile profile;
  profile.name = "bench-1s-day";
  profile.repeat_ms = kDayS * 1000;
  profile.steps.reserve(kDayS);
  std::mt19937 rng(42);
  std::normal_distribution<double> noise(0.0, 0.3);
  for (std::int64_t s = 0; s < kDayS; ++s) {
    const double hour = static_cast<double>(s) / 3600.0;
    const double pv = std::max(0.0, std::sin((hour - 7) / 12 * 3.14159265)) * 15.0;
    const bool ev = hour >= 18 && hour < 21;
    ambi::LoadInput load;
    for (std::size_t p = 0; p < 3; ++p) {
      const double base = 1.0 + std::abs(noise(rng)) + (ev ? 16.0 : 0.0);
      load.phases[p] = {230.0 + noise(rng), base, 25.0 + 10 * noise(rng)};
    }
    if (pv > load.phases[0].amps) load.phases[0] = {231.0, pv - load.phases[0].amps, 180.0};
    load.hz = 50.0 + noise(rng) / 100;
    auto prepared = ambi::prepare_load(load);
    if (!prepared) std::abort();
    profile.steps.push_back({s * 1000, *prepared, std::nullopt});
  }
  return profile;
}

}  // namespace

int main(int argc, char** argv) {
  const int days = argc > 1 ? std::atoi(argv[1]) : 365;
  ambi::LoadProfile profile = one_second_day();
  ambi::Meter meter;
  meter.power_on();
  ambi::ProfilePlayer player(std::move(profile), meter);

  const auto start = std::chrono::steady_clock::now();
  for (int d = 0; d < days; ++d) player.advance(meter, kDayS * 1000);  // one call per day
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double rows = static_cast<double>(days) * kDayS;
  fmt::print("year_bench: {} days of 1-second rows ({:.0f} load changes)\n", days, rows);
  fmt::print("  wall time      {:.3f} s\n", seconds);
  fmt::print("  throughput     {:.1f} M rows/s ({:.1f} ns/row)\n", rows / seconds / 1e6,
             seconds / rows * 1e9);
  fmt::print("  peak RSS       {:.1f} MiB\n", static_cast<double>(usage.ru_maxrss) / 1024.0);
  fmt::print("  total active   {:.3f} kWh, forward {:.3f} kWh, reverse {:.3f} kWh\n",
             static_cast<double>(meter.total(ambi::Family::active)) / 1e6,
             static_cast<double>(meter.counter(
                 ambi::counter_index::total(ambi::Family::active, ambi::Dir::forward))) /
                 1e6,
             static_cast<double>(meter.counter(
                 ambi::counter_index::total(ambi::Family::active, ambi::Dir::reverse))) /
                 1e6);
  fmt::print("  S0 out1 pulses {}\n", meter.s0(0).emitted());
  return 0;
}
