#include "twin/service/twin.hpp"

#include <utility>

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
  const std::int64_t dt = clock_->target_ms(now) - meter_.now_ms();
  if (dt > 0) {
    if (player_) {
      player_->advance(meter_, dt);
    } else {
      meter_.advance(dt);
    }
  }
  led_.update(led_energy_mwh(meter_), wall_ms());
  follow_power();
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
    m.replayable = bits == 0 && source.kind != LoadSource::Kind::none;
    m.saved_at_ms = meter_.now_ms();
    m.replay_limit_ms = source.kind == LoadSource::Kind::household
                            ? kReplaySteps * source.model.step_ms
                            : std::int64_t{86'400'000};
  } else {
    bits = store_.save(meter_.state());
  }
  meter_.set_storage_write_error(bits);
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
  if (on) {
    meter_.power_on();
  } else {
    meter_.power_off();
  }
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
  ++live_faults_;
  return fault.id;
}

bool Twin::end_fault(std::uint32_t id) {
  for (Fault& f : faults_) {
    if (f.id != id) continue;
    if (!f.ended) {
      f.ended = true;
      --live_faults_;
    }
    return true;
  }
  return false;
}

FaultedReply Twin::fault_reply(std::span<const std::uint8_t> reply, ReplyFraming framing,
                               bool over_tcp) {
  return apply_link_faults(faults_, meter_.now_ms(), reply, framing, over_tcp);
}

bool Twin::refuses_connection() {
  return live_faults_ > 0 && ambi::refuses_connection(faults_, meter_.now_ms());
}

}  // namespace ambi
