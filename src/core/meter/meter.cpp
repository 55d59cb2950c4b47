#include "core/meter/meter.hpp"

#include <algorithm>
#include <cstdlib>

namespace ambi {
namespace {

/// Longest piece integrated at once: keeps power × time below 2^62 for any allowed load
/// (3 × 1000 V × 100000 A ≈ 3e11 mW, × 1e7 ms = 3e18 < 4.6e18).
constexpr std::int64_t kMaxChunkMs = 10'000'000;

constexpr Dir dir_of(std::int64_t power) {
  return power >= 0 ? Dir::forward : Dir::reverse;
}

}  // namespace

Meter::Meter(const FactoryOptions& options) {
  state_.serial_bcd = options.serial_bcd;
  state_.settings.mbus_secondary_id = options.serial_bcd;
  if (options.ordered_c05)
    state_.settings.combination = CombinationCode::netted_forward_minus_reverse;
  if (options.modbus_id) state_.settings.modbus_id = *options.modbus_id;
  if (options.mbus_id) state_.settings.mbus_id = *options.mbus_id;
  identity_.serial_bcd = options.serial_bcd;
  remeasure();
  rebase_s0();
}

Meter::Meter(const PersistentState& state, std::uint8_t error_code)
    : state_(state), error_code_(error_code) {
  identity_.serial_bcd = state.serial_bcd;
  remeasure();
  rebase_s0();
}

Outcome<> Meter::set_load(const LoadInput& load) {
  auto prepared = prepare_load(load);
  if (!prepared) return std::unexpected(prepared.error());
  set_load(*prepared);
  return {};
}

void Meter::set_load(const PreparedLoad& load) {
  load_ = load.input;
  if (!wiring_.normal()) {
    rewire();
    return;
  }
  terminals_ = load.input;
  if (follow_supply()) return;
  if (powered_ && !stopped()) {
    measurement_ = load.measured;
    update_secondary();
  }
}

void Meter::set_wiring(const Wiring& wiring) {
  wiring_ = wiring;
  rewire();
}

bool Meter::rewire() {
  terminals_ = wiring_.normal() ? load_ : wire(load_, wiring_, state_.ct);
  if (follow_supply()) return true;
  remeasure();
  return false;
}

void Meter::set_tariff_input(bool energized) {
  if (energized == tariff_input_) return;
  tariff_input_ = energized;
  if (stopped() || !powered_) return;  // an edge without supply goes unseen
  state_.tariff = energized ? 2 : 1;
  settings_changed();
}

void Meter::power_off() {
  supply_switch_ = false;
  follow_supply();
}

void Meter::power_on() {
  supply_switch_ = true;
  follow_supply();
}

bool Meter::voltage_present(const LoadInput& load) {
  return std::any_of(load.phases.begin(), load.phases.end(),
                     [](const PhaseInput& p) { return p.volts >= kSupplyVolts; });
}

bool Meter::follow_supply() {
  const bool supplied = supply_switch_ && voltage_present(terminals_);
  if (supplied == powered_) return false;
  powered_ = supplied;
  // What lives in RAM starts afresh with every power-up (PRODUCT.md "RAM at power-up").
  communication_active_ = false;
  bluetooth_active_ = false;
  if (supplied) {
    ++power_ups_;
    if (!stopped() && state_.power_down_counter < 0xFFFF) ++state_.power_down_counter;
    settings_changed();
  }
  remeasure();
  return true;
}

void Meter::set_communication_active(bool active) {
  communication_active_ = active && powered_;
}
void Meter::set_bluetooth_active(bool active) {
  bluetooth_active_ = active && powered_;
}

void Meter::set_storage_write_error(std::uint8_t unwritable_bits) {
  constexpr std::uint8_t kWriteBits =
      error_bit::main_unwritable | error_bit::backup_unwritable | error_bit::mantissa_unwritable;
  error_code_ =
      static_cast<std::uint8_t>((error_code_ & ~kWriteBits) | (unwritable_bits & kWriteBits));
}

void Meter::advance(std::int64_t dt_ms) {
  if (dt_ms <= 0) return;
  const bool live = powered_ && !stopped();
  while (dt_ms > 0) {
    const std::int64_t step = std::min(dt_ms, kMaxChunkMs);
    if (live) integrate(step);
    now_ms_ += step;
    dt_ms -= step;
  }
}

/// Adds power × time to a counter; zero power (half of every forward/reverse pair) is skipped.
inline void feed(EnergyCounter& counter, std::int64_t power, std::int64_t dt) {
  if (power != 0) counter.add(power, dt);
}

/// One piece of constant load. Per-phase registers always follow their phase; the totals
/// (and the tariff, quadrant, trip and S0 sources) follow the "flows": the three phases,
/// or with C-05 their sum, netted first (manual 7.6.15 example). Flows are summed per
/// direction and quadrant first, so each counter is fed once.
void Meter::integrate(std::int64_t dt) {
  namespace ci = counter_index;
  auto& c = state_.registers.counters;
  const int t = state_.tariff;
  for (int i = 0; i < kPhases; ++i) {
    const auto& ph = measurement_.phases[static_cast<std::size_t>(i)];
    const std::int64_t ap = std::abs(ph.p_mw);
    feed(c[ci::phase(Family::active, i, dir_of(ph.p_mw))], ap, dt);
    feed(c[ci::phase(Family::reactive, i, dir_of(ph.q_mvar))], std::abs(ph.q_mvar), dt);
    feed(c[ci::trip_phase(i, dir_of(ph.p_mw))], ap, dt);
  }
  std::array<std::int64_t, 2> p{}, q{}, sp{};  // by Dir
  std::array<std::int64_t, 4> quad{};          // |Q| by quadrant
  const auto add_flow = [&](std::int64_t fp, std::int64_t fq, std::int64_t fsp) {
    p[static_cast<std::size_t>(dir_of(fp))] += std::abs(fp);
    q[static_cast<std::size_t>(dir_of(fq))] += std::abs(fq);
    sp[static_cast<std::size_t>(dir_of(fsp))] += std::abs(fsp);
    quad[static_cast<std::size_t>(quadrant_of(fp, fq) - 1)] += std::abs(fq);
  };
  if (state_.settings.combination == CombinationCode::netted_forward_minus_reverse) {
    add_flow(measurement_.p_mw, measurement_.q_mvar,
             secondary_p_mw_[0] + secondary_p_mw_[1] + secondary_p_mw_[2]);
  } else {
    for (std::size_t i = 0; i < secondary_p_mw_.size(); ++i) {
      add_flow(measurement_.phases[i].p_mw, measurement_.phases[i].q_mvar, secondary_p_mw_[i]);
    }
  }
  for (const Dir d : {Dir::forward, Dir::reverse}) {
    const auto k = static_cast<std::size_t>(d);
    feed(c[ci::total(Family::active, d)], p[k], dt);
    feed(c[ci::tariff(Family::active, t, d)], p[k], dt);
    feed(c[ci::total(Family::reactive, d)], q[k], dt);
    feed(c[ci::tariff(Family::reactive, t, d)], q[k], dt);
    feed(c[ci::trip_total(d)], p[k], dt);
    feed(c[ci::ct_secondary(d)], sp[k], dt);
  }
  for (int n = 1; n <= 4; ++n) {
    feed(c[ci::quadrant(n)], quad[static_cast<std::size_t>(n - 1)], dt);
    feed(c[ci::quadrant_tariff(n, t)], quad[static_cast<std::size_t>(n - 1)], dt);
  }
  const bool active_reactive = state_.settings.pulse_type == PulseType::active_reactive;
  s0_[0].advance(active_reactive ? p[0] + p[1] : p[0], now_ms_, dt);
  s0_[1].advance(active_reactive ? q[0] + q[1] : p[1], now_ms_, dt);
}

void Meter::remeasure() {
  measurement_ = measure(terminals_, powered_ && !stopped());
  update_secondary();
}

void Meter::update_secondary() {
  for (std::size_t i = 0; i < secondary_p_mw_.size(); ++i) {
    secondary_p_mw_[i] = to_secondary(measurement_.phases[i].p_mw, state_.ct);
  }
}

void Meter::rebase_s0() {
  for (auto& out : s0_) {
    out.rebase(state_.settings.s0_rate_centi, state_.settings.pulse_width_ms, now_ms_);
  }
}

bool Meter::c05_locked() const {
  return state_.settings.combination == CombinationCode::netted_forward_minus_reverse;
}

std::uint32_t Meter::status_word() const {
  std::uint32_t w = 0;
  if (communication_active_) w |= status_bit::communication_active;
  if (bluetooth_active_) w |= status_bit::bluetooth_active;
  if (state_.t3_t4_activated) w |= status_bit::t3_t4_activated;
  if (c05_locked()) w |= status_bit::c05_locked;
  if (error_code_ != 0) w |= status_bit::storage_error;
  if (tariff_input_) w |= status_bit::tariff_input_energized;
  if (powered_) w |= status_bit::powered;
  if (state_.ct_changes >= kMaxCtChanges) w |= status_bit::ct_history_full;
  return w;
}

Reading Meter::shown_total(std::size_t forward, std::size_t reverse) const {
  const auto& r = state_.registers;
  return rolled_over(
      combine(state_.settings.combination, shown_mwh(r.mwh(forward)), shown_mwh(r.mwh(reverse))));
}

Reading Meter::total(Family family) const {
  return shown_total(counter_index::total(family, Dir::forward),
                     counter_index::total(family, Dir::reverse));
}

Reading Meter::total_tariff(Family family, int tariff) const {
  return shown_total(counter_index::tariff(family, tariff, Dir::forward),
                     counter_index::tariff(family, tariff, Dir::reverse));
}

Reading Meter::total_phase(Family family, int phase) const {
  return shown_total(counter_index::phase(family, phase, Dir::forward),
                     counter_index::phase(family, phase, Dir::reverse));
}

Reading Meter::counter(std::size_t index) const {
  return shown_mwh(state_.registers.mwh(index));
}

Reading Meter::trip_total() const {
  return shown_total(counter_index::trip_total(Dir::forward),
                     counter_index::trip_total(Dir::reverse));
}

Reading Meter::trip_phase(int phase) const {
  return shown_total(counter_index::trip_phase(phase, Dir::forward),
                     counter_index::trip_phase(phase, Dir::reverse));
}

std::vector<CtHistoryEntry> Meter::ct_history() const {
  std::vector<CtHistoryEntry> out(state_.ct_history.begin(),
                                  state_.ct_history.begin() + state_.ct_changes);
  for (CtHistoryEntry& entry : out) {
    entry.forward_mwh = shown_mwh(entry.forward_mwh);
    entry.reverse_mwh = shown_mwh(entry.reverse_mwh);
  }
  if (!out.empty()) {
    out[0].forward_mwh = counter(counter_index::ct_secondary(Dir::forward));
    out[0].reverse_mwh = counter(counter_index::ct_secondary(Dir::reverse));
  }
  return out;
}

}  // namespace ambi
