// Property: no sequence of commands, loads, tariff edges, power cycles and time steps
// decreases a legal register, unlocks C-05, deactivates T3/T4 or passes 7 CT changes.
#include <gtest/gtest.h>

#include <random>

#include "core/meter/meter.hpp"

namespace ambi {
namespace {

class Chaos {
 public:
  explicit Chaos(std::uint64_t seed) : rng_(seed) {}

  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  Command command() {
    switch (pick(0, 13)) {
      case 0:
        return SetCombination{pick(0, 6)};
      case 1:
        return SetTariff{pick(0, 5)};
      case 2:
        return SetCtRatio{pick(0, 10'001), pick(0, 6)};
      case 3:
        return ResetTripCounter{};
      case 4:
        return ResetPowerDownCounter{};
      case 5:
        return SetS0Rate{pick(0, 1'000'001)};
      case 6:
        return SetPulseType{pick(0, 3)};
      case 7:
        return SetPulseWidth{pick(0, 120)};
      case 8:
        return SetModbusId{pick(-1, 300)};
      case 9:
        return SetPassword{{static_cast<char>('0' + pick(0, 9)), '0', '0', '0'}};
      case 10:
        return SetMbusBaud{pick(0, 20'000)};
      case 11:
        return SetDataType{pick(0, 3)};
      case 12:
        return SetCombination{5};
      default:
        return SetTariff{pick(3, 4)};
    }
  }

  Origin origin() {
    const auto source = static_cast<Source>(pick(0, 3));
    if (source != Source::app) return Origin{source, {}};
    return Origin{source, std::array<char, 4>{static_cast<char>('0' + pick(0, 1)), '0', '0', '0'}};
  }

  LoadInput load() {
    LoadInput l;
    for (auto& p : l.phases) {
      p = PhaseInput{static_cast<double>(pick(0, 400)), pick(0, 2000) / 10.0,
                     static_cast<double>(pick(-360, 360))};
    }
    l.hz = 45 + pick(0, 100) / 10.0;
    return l;
  }

 private:
  std::mt19937_64 rng_;
};

void expect_invariants(const Meter& before, const Meter& after, int step) {
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    if (!is_legal_counter(i)) continue;
    ASSERT_GE(after.registers().mwh(i), before.registers().mwh(i))
        << "counter " << i << " step " << step;
  }
  if (before.c05_locked()) {
    ASSERT_TRUE(after.c05_locked()) << "step " << step;
  }
  if (before.state().t3_t4_activated) {
    ASSERT_TRUE(after.state().t3_t4_activated) << "step " << step;
  }
  ASSERT_LE(after.state().ct_changes, kMaxCtChanges);
  ASSERT_GE(after.state().ct_changes, before.state().ct_changes);
}

TEST(MeterProperty, NoSequenceOfCommandsBreaksALegalRule) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE(seed);
    Chaos chaos(seed);
    Meter m;
    m.power_on();
    int ct_accepted = 0;
    for (int step = 0; step < 2000; ++step) {
      const Meter before = m;
      switch (chaos.pick(0, 9)) {
        case 0:
          (void)m.set_load(chaos.load());
          break;
        case 1:
          m.set_tariff_input(chaos.pick(0, 1) == 1);
          break;
        case 2:
          m.power_off();
          break;
        case 3:
          m.power_on();
          break;
        case 4:
          m.advance(chaos.pick(1, 10'000'000));
          break;
        default: {
          const Command c = chaos.command();
          const bool accepted = m.apply(c, chaos.origin()).has_value();
          if (accepted && std::holds_alternative<SetCtRatio>(c) &&
              before.state().ct != m.state().ct) {
            ++ct_accepted;
          }
          if (!accepted) {
            ASSERT_EQ(m.state(), before.state()) << "a refusal changed state";
          }
        }
      }
      expect_invariants(before, m, step);
    }
    EXPECT_LE(ct_accepted, kMaxCtChanges);
  }
}

}  // namespace
}  // namespace ambi
