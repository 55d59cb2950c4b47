#pragma once
// Load profiles: a constant load, a CSV scenario, or the built-in demo, and the player that
// steps a meter through one with exact piecewise-constant integration. Pure: text in,
// values out; files are read by the app layer.

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/meter/load.hpp"
#include "core/meter/meter.hpp"
#include "core/profile/load_generator.hpp"

namespace ambi {

/// One row of a profile: from `t_ms` on, this load (and tariff input level, if given).
struct ProfileStep {
  std::int64_t t_ms = 0;
  PreparedLoad load{};
  std::optional<bool> tariff_input;
};

/// A piecewise-constant load over time. Rows are sorted by time, the first at t = 0.
/// With `repeat_ms` the profile starts again every `repeat_ms` (a day, for the demo).
/// With a `generator` the rows are not stored: the load of each step of the generator is
/// drawn with `seed` when its time comes, steps aligned to simulated time (a step starts at
/// every multiple of its length, whenever the profile was started).
struct LoadProfile {
  std::vector<ProfileStep> steps;
  std::optional<std::int64_t> repeat_ms;
  std::string name;
  std::shared_ptr<const HouseholdModel> generator;
  std::uint64_t seed = 0;
};

/// A generated profile (shared model, this meter's seed).
[[nodiscard]] LoadProfile generated_profile(std::shared_ptr<const HouseholdModel> model,
                                            std::uint64_t seed, std::string name);

/// Parses the `--load` syntax, e.g. "L1=230V,10A,25deg;L2=230V,5A;L3=0A;f=50Hz" or
/// "all=230V,16A,0deg". Each phase part lists values with units V, A, deg; omitted values
/// and phases keep those of `base`. Errors name the bad part and the expected form.
[[nodiscard]] std::expected<LoadInput, std::string> parse_load_spec(std::string_view spec,
                                                                    const LoadInput& base = {});

/// Parses a CSV scenario (see docs/scenarios.md): a header naming columns among
/// t, L1_v, L1_i, L1_phi, L2_v, ..., L3_phi, f, tariff_input; `t` in seconds (decimals
/// allowed, ms resolution) or hh:mm[:ss]; empty cells keep the previous value; lines
/// starting with '#' are comments, and "# repeat: SECONDS" makes the profile loop.
/// Errors name the line and the problem.
[[nodiscard]] std::expected<LoadProfile, std::string> parse_scenario_csv(std::string_view text,
                                                                         std::string name = "");

/// The CSV text of the built-in "demo" scenario: a household day (base load, PV export at
/// noon, an EV charging on three phases in the evening), repeating every 24 h.
[[nodiscard]] std::string_view demo_scenario_csv();

/// A constant profile.
[[nodiscard]] LoadProfile constant_profile(const LoadInput& load);

/// Plays a profile into a meter: `advance` splits the step at every row boundary so each
/// piece is integrated under its own load, exactly, however long the step.
class ProfilePlayer {
 public:
  /// Starts the profile at the meter's present time and applies its first row.
  ProfilePlayer(LoadProfile profile, Meter& meter);
  /// Advances the meter by `dt_ms`, applying rows as their times pass.
  void advance(Meter& meter, std::int64_t dt_ms);
  [[nodiscard]] const LoadProfile& profile() const { return profile_; }
  /// Simulated ms since the profile started.
  [[nodiscard]] std::int64_t position_ms() const { return position_ms_; }

 private:
  void apply_next(Meter& meter);
  void apply_generated(Meter& meter);

  LoadProfile profile_;
  std::int64_t start_ms_ = 0;  // the meter's simulated time when the profile started
  std::int64_t position_ms_ = 0;
  std::size_t next_ = 0;         // the row applied at next_at_ms_
  std::int64_t next_at_ms_ = 0;  // position of the next row boundary (max: none)
};

}  // namespace ambi
