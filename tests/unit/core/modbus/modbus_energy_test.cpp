// Every energy register of the 0x6000 block reads the meter register the manual puts at
// that address. The expected layout is rebuilt here from the manual's A3.2 listing, not
// from the map, so a row with a wrong source or address fails.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <functional>
#include <map>

#include "core/meter/meter.hpp"
#include "core/modbus/modbus_map.hpp"
#include "modbus_test_support.hpp"

namespace ambi {
namespace {

using namespace modbus_test;
namespace ci = counter_index;
using Expected = std::map<std::uint16_t, Reading>;

/// 6000-6023 active, 6024-6047 reactive: total, T1, T2, L1-L3; forward ditto; reverse ditto.
void add_family(Expected& out, const Meter& m, Family f, std::uint16_t base) {
  auto at = [&](int slot) { return static_cast<std::uint16_t>(base + 2 * slot); };
  out[at(0)] = m.total(f);
  for (int t = 1; t <= 2; ++t) out[at(t)] = m.total_tariff(f, t);
  for (int p = 0; p < 3; ++p) out[at(3 + p)] = m.total_phase(f, p);
  for (const Dir d : {Dir::forward, Dir::reverse}) {
    const int first = d == Dir::forward ? 6 : 12;
    out[at(first)] = m.counter(ci::total(f, d));
    for (int t = 1; t <= 2; ++t) out[at(first + t)] = m.counter(ci::tariff(f, t, d));
    for (int p = 0; p < 3; ++p) out[at(first + 3 + p)] = m.counter(ci::phase(f, p, d));
  }
}

/// 604B-6062: T3, T4 of total, forward and reverse; active then reactive.
void add_t3_t4(Expected& out, const Meter& m) {
  std::uint16_t a = 0x604B;
  for (const Family f : {Family::active, Family::reactive}) {
    for (int t = 3; t <= 4; ++t, a += 2) out[a] = m.total_tariff(f, t);
    for (const Dir d : {Dir::forward, Dir::reverse}) {
      for (int t = 3; t <= 4; ++t, a += 2) out[a] = m.counter(ci::tariff(f, t, d));
    }
  }
}

Expected manual_layout(const Meter& m) {
  Expected out;
  add_family(out, m, Family::active, 0x6000);
  add_family(out, m, Family::reactive, 0x6024);
  out[0x6049] = m.trip_total();
  add_t3_t4(out, m);
  std::uint16_t a = 0x6063;
  for (int q = 1; q <= 4; ++q) {
    out[a] = m.counter(ci::quadrant(q));
    a += 2;
    for (int t = 1; t <= 4; ++t, a += 2) out[a] = m.counter(ci::quadrant_tariff(q, t));
  }
  for (int p = 0; p < 3; ++p, a += 2) out[a] = m.trip_phase(p);
  return out;
}

TEST(ModbusEnergy, EveryEnergyAddressReadsTheManualsRegister) {
  Meter m = busy_meter();
  const Expected expected = manual_layout(m);
  ASSERT_EQ(expected.size(), 72U);
  EXPECT_EQ(expected.rbegin()->first, 0x608F);
  const auto words = read_words(m, 0x6000, 0x91);
  ASSERT_TRUE(words.has_value());
  for (const auto& [address, mwh] : expected) {
    SCOPED_TRACE(address);
    const std::size_t i = address - 0x6000U;
    const float value = std::bit_cast<float>((std::uint32_t{(*words)[i]} << 16) | (*words)[i + 1]);
    EXPECT_EQ(value, counted_float(mwh));
    EXPECT_EQ(mwh % 1000, 0) << "whole Wh on every face";
    EXPECT_NE(mwh, 0);
  }
}

TEST(ModbusEnergy, ValuesDifferSoThatASwappedRowWouldShow) {
  const Meter m = busy_meter();
  std::map<Reading, int> seen;
  for (const auto& [address, mwh] : manual_layout(m)) ++seen[mwh];
  // Only the trip counters (never reset) equal their totals: 6049, 608B-608F.
  EXPECT_EQ(seen.size(), 72U - 4U);
}

}  // namespace
}  // namespace ambi
