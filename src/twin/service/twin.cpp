#include "twin/service/twin.hpp"

#include <fmt/format.h>

#include <csignal>
#include <utility>

#include "core/fault/meter_fault.hpp"
#include "io/log.hpp"

namespace ambi {

SteadyNow real_steady_now() {
  return [] { return SimClock::WallClock::now(); };
}

LinkSettings link_settings_of(const Settings& settings) {
  return LinkSettings{settings.modbus_baud_code, settings.parity, settings.modbus_id,
                      settings.mbus_baud, settings.mbus_id};
}

Twin::Twin(Meter meter, StateStore store, ClockMode mode, double speed, SteadyNow now)
    : now_(std::move(now)),
      wall_origin_(now_()),
      meter_(meter),
      store_(std::move(store)),
      clock_(std::make_shared<SimClock>(mode, speed, 0, wall_origin_)),
      link_(link_settings_of(meter_.settings())) {
  panel_.reset(wall_ms());
}

Twin::Twin(Meter meter, StateStore store, std::shared_ptr<SimClock> clock, SteadyNow now)
    : now_(std::move(now)),
      wall_origin_(now_()),
      meter_(meter),
      store_(std::move(store)),
      clock_(std::move(clock)),
      link_(link_settings_of(meter_.settings())) {
  panel_.reset(wall_ms());
}

std::int64_t Twin::wall_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now_() - wall_origin_).count();
}

LinkSubscription Twin::on_link_change(LinkListener listener) {
  auto subscription = std::make_shared<const LinkListener>(std::move(listener));
  link_listeners_.push_back(subscription);
  return subscription;
}

void Twin::announce_link_changes() {
  const LinkSettings now = link_settings_of(meter_.settings());
  if (now == link_) return;
  link_ = now;
  std::erase_if(link_listeners_, [](const auto& w) { return w.expired(); });
  const auto listeners = link_listeners_;  // a listener may subscribe another
  for (const auto& weak : listeners) {
    if (const auto listener = weak.lock()) (*listener)(now);
  }
}

void Twin::restart_clock() {
  *clock_ = SimClock(clock_->mode(), clock_->speed(), meter_.now_ms(), now_());
}

void Twin::sync() {
  sync_to(now_());
}

void Twin::sync_to(SimClock::WallClock::time_point now) {
  if (communication_until_ && now >= *communication_until_) {
    communication_until_.reset();
    meter_.set_communication_active(false);
  }
  const std::int64_t target = clock_->target_ms(now);
  bool changed = false;
  while (meter_faults_ > 0) {
    const auto next = next_fault_change(faults_, meter_.now_ms(), target);
    if (!next) break;
    play_to(*next);
    apply_meter_faults();
    changed = true;
  }
  play_to(target);
  led_.update(led_energy_mwh(meter_), wall_ms());
  follow_power();
  if (changed) save_if_changed();
}

void Twin::play_to(std::int64_t target_ms) {
  const std::int64_t dt = target_ms - meter_.now_ms();
  if (dt <= 0) return;
  if (player_) {
    player_->advance(meter_, dt);
  } else {
    meter_.advance(dt);
  }
}

void Twin::follow_power() {
  if (meter_.power_ups() == power_ups_seen_) return;
  power_ups_seen_ = meter_.power_ups();
  panel_.reset(wall_ms());
}

LoadSource Twin::load_source() const {
  LoadSource source;
  if (!meter_.supply_switched_on()) return source;
  if (!player_) {
    source.kind = LoadSource::Kind::constant;
    source.load = meter_.load();
    return source;
  }
  const LoadProfile& profile = player_->profile();
  if (profile.generator) {
    source.kind = LoadSource::Kind::household;
    source.model = *profile.generator;
    source.seed = profile.seed;
  } else if (profile.steps.size() == 1 && !profile.repeat_ms && !profile.steps[0].tariff_input) {
    source.kind = LoadSource::Kind::constant;  // a constant profile (constant_profile)
    source.load = profile.steps[0].load.input;
  }
  return source;
}

void Twin::replay(const LoadSource& source, std::int64_t until_ms, std::int64_t resume_ms) {
  if (source.kind == LoadSource::Kind::household) {
    player_.emplace(generated_profile(std::make_shared<const HouseholdModel>(source.model),
                                      source.seed, "replay"),
                    meter_);
  } else if (source.kind == LoadSource::Kind::constant) {
    player_.reset();
    if (!meter_.set_load(source.load)) return;  // not a load any more: nothing to replay
  } else {
    return;
  }
  meter_.power_on();
  follow_power();
  const std::int64_t dt = until_ms - meter_.now_ms();
  if (dt > 0) {
    if (player_) {
      player_->advance(meter_, dt);
    } else {
      meter_.advance(dt);
    }
  }
  player_.reset();
  meter_.skip_to(resume_ms);
}

void Twin::save() {
  if (defer_saves_) {
    ever_saved_ = false;  // the next save_if_changed writes
    return;
  }
  announce_link_changes();
  if (meter_.stopped()) return;
  std::uint8_t bits = 0;
  if (store_.replays()) {
    const LoadSource source = load_source();
    bits = store_.save(meter_.state(), meter_.now_ms(), source);
    SaveMark& m = mark();
    // A meter with meter or storage faults is saved every pass: a replay knows no faults.
    m.replayable = bits == 0 && source.kind != LoadSource::Kind::none && meter_faults_ == 0;
    m.saved_at_ms = meter_.now_ms();
    m.replay_limit_ms = source.kind == LoadSource::Kind::household
                            ? kReplaySteps * source.model.step_ms
                            : std::int64_t{86'400'000};
  } else {
    bits = store_.save(meter_.state());
  }
  meter_.set_storage_write_error(bits);
  ++counts_.saves;
  if (bits != 0) ++counts_.failed_saves;
  if (bits != write_bits_) {
    if (bits != 0) {
      log_line("cannot write the state in {} (error code bits 0x{:02X}); will retry",
               store_.where(), bits);
    } else {
      log_line("state written again in {}", store_.where());
    }
  }
  write_bits_ = bits;
  saved_ = meter_.state();
  ever_saved_ = true;
}

void Twin::save_if_changed() {
  if (!ever_saved_ || write_bits_ != 0 || !(meter_.state() == saved_)) save();
}

TwinOutcome<> Twin::advance(std::int64_t dt_ms) {
  if (clock_->mode() != ClockMode::stepped) return std::unexpected(TwinRefusal::clock_is_real);
  sync();
  clock_->advance(dt_ms);
  sync();
  return {};
}

Outcome<> Twin::set_load(const LoadInput& load) {
  sync();
  const bool was_powered = meter_.powered();
  auto ok = meter_.set_load(load);
  if (ok) player_.reset();
  follow_power();
  if (ok && store_.replays()) {
    save();  // a fleet meter's save records its load source (docs/storage.md "Replay")
  } else if (meter_.powered() != was_powered) {
    save_if_changed();  // a power-up counts
  }
  return ok;
}

void Twin::start_scenario(LoadProfile profile) {
  sync();
  player_.emplace(std::move(profile), meter_);
  if (store_.replays()) {
    save();  // the new load source
  } else {
    save_if_changed();
  }
}

void Twin::set_tariff_input(bool energized) {
  sync();
  meter_.set_tariff_input(energized);
  save_if_changed();
}

void Twin::set_power(bool on) {
  sync();
  supply_cut_ = false;  // the switch is the person's again; a cut still active holds it off
  if (on) {
    meter_.power_on();
  } else {
    meter_.power_off();
  }
  if (meter_faults_ > 0) apply_meter_faults();
  follow_power();
  if (store_.replays()) {
    save();  // the supply switch decides whether the source is replayable
  } else {
    save_if_changed();
  }
}

TwinOutcome<> Twin::power_cycle(std::int64_t off_ms) {
  if (off_ms > 0 && clock_->mode() != ClockMode::stepped) {
    return std::unexpected(TwinRefusal::off_time_needs_stepped_clock);
  }
  sync();
  meter_.power_off();
  save_if_changed();
  if (off_ms > 0) {
    clock_->advance(off_ms);
    sync();
  }
  meter_.power_on();
  follow_power();
  save();
  return {};
}

Outcome<> Twin::apply(std::span<const Command> commands, const Origin& origin) {
  sync();
  const std::uint64_t revision = meter_.settings_revision();
  auto ok = meter_.apply_all(commands, origin);
  if (ok && (meter_.settings_revision() != revision || !(meter_.state() == saved_))) save();
  return ok;
}

TwinOutcome<> Twin::set_speed(double speed) {
  if (clock_->mode() != ClockMode::real) return std::unexpected(TwinRefusal::clock_is_stepped);
  const auto now = now_();
  sync_to(now);
  *clock_ = SimClock(ClockMode::real, speed, meter_.now_ms(), now);
  return {};
}

std::optional<PanelCommand> Twin::press(Button button, PressLength length) {
  sync();
  const std::uint64_t revision = meter_.settings_revision();
  const PersistentState before = meter_.state();
  std::optional<PanelCommand> sent = panel_.press(meter_, button, length, wall_ms());
  if (meter_.settings_revision() != revision || !(meter_.state() == before)) save();
  return sent;
}

LcdScreen Twin::screen() const {
  return panel_.screen(meter_, wall_ms());
}

std::int64_t Twin::led_flashes() const {
  return led_.flashes(wall_ms());
}

void Twin::begin_modbus() {
  sync();
  last_request_ = now_();
  communication_until_ = last_request_ + kCommunicationHold;
  meter_.set_communication_active(true);
}

// ---- M-bus (docs/mbus-transports.md) ----

MbusExchange Twin::serve_mbus(MbusSlave& slave, const MbusFrame& frame) {
  sync();
  last_request_ = now_();
  const std::uint64_t revision = meter_.settings_revision();
  const PersistentState before = meter_.state();
  MbusExchange exchange = slave.serve(meter_, frame);
  if (addressed(exchange.route)) {
    ++counts_.mbus_telegrams;
    communication_until_ = last_request_ + kCommunicationHold;
    meter_.set_communication_active(true);
  }
  if (meter_.settings_revision() != revision || !(meter_.state() == before)) save();
  return exchange;
}

std::uint32_t Twin::add_fault(Fault fault) {
  fault.id = faults_.empty() ? 1 : faults_.back().id + 1;
  fault.seen = 0;
  fault.applied = 0;
  fault.ended = false;
  faults_.push_back(fault);
  if (fault_class(fault.kind) == FaultClass::link) {
    ++live_faults_;
    return fault.id;
  }
  ++meter_faults_;
  sync();
  apply_meter_faults();
  follow_power();
  save_if_changed();
  return fault.id;
}

bool Twin::end_fault(std::uint32_t id) {
  for (Fault& f : faults_) {
    if (f.id != id) continue;
    if (f.ended) return true;
    if (fault_class(f.kind) == FaultClass::link) {
      f.ended = true;
      --live_faults_;
      return true;
    }
    sync();
    f.ended = true;
    --meter_faults_;
    apply_meter_faults();
    follow_power();
    save_if_changed();
    return true;
  }
  return false;
}

FaultedReply Twin::fault_reply(std::span<const std::uint8_t> reply, ReplyFraming framing,
                               bool over_tcp) {
  return apply_link_faults(faults_, meter_.now_ms(), reply, framing, over_tcp);
}

void Twin::apply_meter_faults() {
  const std::int64_t now = meter_.now_ms();
  for (Fault& f : faults_) {
    if (fault_class(f.kind) == FaultClass::link) continue;
    if (f.seen == 0 && f.active_at(now)) {
      f.seen = 1;
      report(f, "starts");
      act_once(f);
    } else if (f.seen > 0 && !f.finished && !f.active_at(now)) {
      f.finished = true;
      report(f, "ends");
    }
  }
  const Wiring wiring = wiring_at(faults_, now);
  if (!(wiring == meter_.wiring())) meter_.set_wiring(wiring);
  const bool cut = supply_cut_at(faults_, now);
  if (cut && meter_.supply_switched_on()) {
    meter_.power_off();
    supply_cut_ = true;
  } else if (!cut && supply_cut_) {
    meter_.power_on();
    supply_cut_ = false;
  }
  const std::uint8_t unwritable = unwritable_at(faults_, now);
  if (unwritable != fault_unwritable_) {
    fault_unwritable_ = unwritable;
    store_.set_unwritable(unwritable);
    save();  // the 8.1 bits show at once (or clear, once the areas take a save again)
  }
}

void Twin::report(const Fault& f, std::string_view what) {
  const std::string text = fmt::format("fault {} ({}) {}", f.id, to_string(f.kind), what);
  log_line("{} on meter {:08X} at simulated {} ms", text, meter_.state().serial_bcd,
           meter_.now_ms());
  if (fault_events_) fault_events_(meter_.state().serial_bcd, meter_.now_ms(), text);
}

/// The faults that act once, when they start: storage damage and a torn save. Meter faults
/// act through the wiring and the supply for as long as they last.
void Twin::act_once(Fault& f) {
  switch (f.kind) {
    case FaultKind::corrupt:
      save();  // what the meter counted is in storage before the damage
      if (store_.damage(f.area)) ++f.applied;
      restart_from_storage();
      return;
    case FaultKind::torn_write:
      store_.save_torn(meter_.state());
      ++f.applied;
      if (f.kill) {
        log_line("fault {} (torn-write): the power fails in the middle of a save", f.id);
        if (die_) {
          die_();
        } else {
          std::raise(SIGKILL);
        }
      }
      restart_from_storage();
      return;
    case FaultKind::unwritable:
    case FaultKind::supply_lost:
    case FaultKind::phase_lost:
    case FaultKind::phases_swapped:
    case FaultKind::ct_reversed:
    case FaultKind::wrong_ct_ratio:
      ++f.applied;
      return;
    default:
      return;
  }
}

void Twin::restart_from_storage() {
  const LoadInput load = meter_.load();
  const Wiring wiring = meter_.wiring();
  const bool supply = meter_.supply_switched_on();
  const std::int64_t now = meter_.now_ms();
  const StoredState stored = store_.load();
  Meter restarted = stored.fresh ? Meter(FactoryOptions{.serial_bcd = meter_.state().serial_bcd})
                                 : Meter(stored.loaded.state, stored.loaded.error_code);
  restarted.skip_to(now);
  restarted.set_wiring(wiring);
  static_cast<void>(restarted.set_load(load));
  if (supply) restarted.power_on();
  meter_ = restarted;
  power_ups_seen_ = 0;  // a power-up: the front panel starts afresh
  follow_power();
  write_bits_ = 0;
  ever_saved_ = false;
  save();  // the copies written again from what was loaded (a stopped meter writes nothing)
}

bool Twin::refuses_connection() {
  return live_faults_ > 0 && ambi::refuses_connection(faults_, meter_.now_ms());
}

}  // namespace ambi
