#pragma once
// Exact energy integration: integers only, remainder carried, never a float sum.
//
// Power is quantised to milliwatts (or millivar) when a load is set; time is counted in
// milliseconds of simulated time. A counter holds whole milliwatt-hours plus a carried
// remainder in mW·ms (1 mWh = 3 600 000 mW·ms), so a constant 1 kW for one simulated year
// reads exactly 8 760 000 000 mWh = 8760.000 kWh, whatever the step size.

#include <cstdint>

namespace ambi {

/// Milliwatt-milliseconds per milliwatt-hour.
inline constexpr std::int64_t kMwMsPerMwh = 3'600'000;

/// A register reading rolls over to 0 beyond 999999.999 kWh (manual 7.2):
/// the modulus in mWh.
inline constexpr std::int64_t kRolloverMwh = 1'000'000'000'000;

/// A non-negative energy magnitude that only grows (or is reset, for trip counters).
/// The value is `mwh + pending / kMwMsPerMwh`; `pending` absorbs additions cheaply and
/// is folded into `mwh` before it could overflow.
class EnergyCounter {
 public:
  /// Adds power × time. `power_mw` must be ≥ 0 and `power_mw * dt_ms` below 2^62;
  /// the integrator splits long steps so that this holds.
  constexpr void add(std::int64_t power_mw, std::int64_t dt_ms) {
    pending_ += power_mw * dt_ms;
    if (pending_ >= kFoldAt) fold();
  }

  /// Whole milliwatt-hours accumulated (not rolled over).
  [[nodiscard]] constexpr std::int64_t mwh() const { return mwh_ + pending_ / kMwMsPerMwh; }

  /// The part below one mWh, in mW·ms (the "mantissa" of manual 8.1).
  [[nodiscard]] constexpr std::int64_t remainder_mw_ms() const { return pending_ % kMwMsPerMwh; }

  /// Restores a counter from its stored parts; `remainder` is reduced modulo one mWh.
  [[nodiscard]] static constexpr EnergyCounter from_parts(std::int64_t mwh,
                                                          std::int64_t remainder) {
    EnergyCounter c;
    c.mwh_ = mwh + remainder / kMwMsPerMwh;
    c.pending_ = remainder % kMwMsPerMwh;
    return c;
  }

  constexpr void reset() { *this = EnergyCounter{}; }

  friend constexpr bool operator==(const EnergyCounter& a, const EnergyCounter& b) {
    return a.mwh() == b.mwh() && a.remainder_mw_ms() == b.remainder_mw_ms();
  }

 private:
  static constexpr std::int64_t kFoldAt = std::int64_t{1} << 62;
  constexpr void fold() {
    mwh_ += pending_ / kMwMsPerMwh;
    pending_ %= kMwMsPerMwh;
  }
  std::int64_t mwh_ = 0;
  std::int64_t pending_ = 0;
};

/// A forward/reverse pair: the two non-negative magnitudes behind every register family.
struct FlowCounters {
  EnergyCounter forward;
  EnergyCounter reverse;
  friend constexpr bool operator==(const FlowCounters&, const FlowCounters&) = default;
};

/// Applies the 999999.999 kWh rollover to a signed reading in mWh, keeping its sign.
[[nodiscard]] constexpr std::int64_t rolled_over(std::int64_t mwh) {
  return mwh < 0 ? -((-mwh) % kRolloverMwh) : mwh % kRolloverMwh;
}

/// The meter's display resolution: one Wh (kWh with 3 decimals, manual 7.2), in mWh.
inline constexpr std::int64_t kMwhPerWh = 1'000;

/// What every interface shows of a reading in mWh: rolled over, then cut toward zero to
/// whole Wh (PRODUCT.md "energy resolution on every face"). The result is a multiple of
/// `kMwhPerWh`, in mWh.
[[nodiscard]] constexpr std::int64_t shown_mwh(std::int64_t mwh) {
  return rolled_over(mwh) / kMwhPerWh * kMwhPerWh;
}

}  // namespace ambi
