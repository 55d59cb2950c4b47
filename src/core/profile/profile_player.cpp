// Constant profiles and the player that steps a meter through a profile.
#include <algorithm>
#include <limits>

#include "core/profile/profile.hpp"

namespace ambi {

namespace {
constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
}  // namespace

LoadProfile constant_profile(const LoadInput& load) {
  LoadProfile profile;
  profile.steps.push_back(ProfileStep{0, PreparedLoad{load, measure(load, true)}, std::nullopt});
  profile.name = "constant";
  return profile;
}

LoadProfile generated_profile(std::shared_ptr<const HouseholdModel> model, std::uint64_t seed,
                              std::string name) {
  LoadProfile profile;
  profile.generator = std::move(model);
  profile.seed = seed;
  profile.name = std::move(name);
  return profile;
}

ProfilePlayer::ProfilePlayer(LoadProfile profile, Meter& meter)
    : profile_(std::move(profile)), start_ms_(meter.now_ms()) {
  next_at_ms_ = profile_.steps.empty() && !profile_.generator ? kNever : 0;
  apply_next(meter);
}

void ProfilePlayer::advance(Meter& meter, std::int64_t dt_ms) {
  while (dt_ms > 0) {
    const std::int64_t step = std::clamp<std::int64_t>(next_at_ms_ - position_ms_, 0, dt_ms);
    meter.advance(step);
    position_ms_ += step;
    dt_ms -= step;
    apply_next(meter);
  }
}

/// Applies the row due now (if any) and finds the next boundary: the following row, or
/// with `repeat_ms` row 0 of the next cycle.
void ProfilePlayer::apply_next(Meter& meter) {
  if (position_ms_ < next_at_ms_) return;
  if (profile_.generator) return apply_generated(meter);
  const auto& steps = profile_.steps;
  const ProfileStep& row = steps[next_];
  meter.set_load(row.load);
  if (row.tariff_input) meter.set_tariff_input(*row.tariff_input);
  const std::int64_t cycle_start = position_ms_ - row.t_ms;
  if (next_ + 1 < steps.size()) {
    ++next_;
    next_at_ms_ = cycle_start + steps[next_].t_ms;
  } else if (profile_.repeat_ms && *profile_.repeat_ms > row.t_ms) {
    next_ = 0;
    next_at_ms_ = cycle_start + *profile_.repeat_ms;
  } else {
    next_at_ms_ = kNever;
  }
}

/// The generator's step that holds the present time, and the end of that step.
void ProfilePlayer::apply_generated(Meter& meter) {
  const HouseholdModel& model = *profile_.generator;
  const std::int64_t now = start_ms_ + position_ms_;
  std::int64_t step_start = now - (now % model.step_ms);
  if (now % model.step_ms < 0) step_start -= model.step_ms;
  const LoadInput load = household_load(model, profile_.seed, step_start);
  meter.set_load(PreparedLoad{load, measure(load, true)});
  next_at_ms_ = step_start + model.step_ms - start_ms_;
}

}  // namespace ambi
