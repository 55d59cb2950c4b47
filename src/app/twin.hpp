#pragma once
// The running twin: one meter, its clock, its load source and its state directory, with
// the save policy of `ambimeter run` (docs/control-api.md). Single-threaded: every method
// is called from the one io_context thread.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>

#include "app/clock.hpp"
#include "app/request_json.hpp"
#include "app/state_json.hpp"
#include "app/state_store.hpp"
#include "core/mbus_slave.hpp"
#include "core/meter.hpp"
#include "core/profile.hpp"

namespace ambi {

class Twin {
 public:
  /// Takes over a constructed meter (already powered on or not) and its open store.
  Twin(Meter meter, StateStore store, SimClock clock);

  /// Starts simulated time afresh from the meter's present time (at the end of start-up,
  /// so that the start-up save holds exactly the loaded state).
  void restart_clock();
  /// Brings the meter to the clock's present simulated time, playing the scenario if any.
  void sync();
  /// Writes the state now (unless the meter is stopped) and records write failures in the
  /// meter's error code (manual 8.1 bits 1-3).
  void save();
  /// Saves when the persistent state differs from the last save (or the last save failed).
  void save_if_changed();

  /// Stepped clock only: moves simulated time on by `dt_ms` > 0 and integrates it.
  [[nodiscard]] ApiResult<> advance(std::int64_t dt_ms);
  /// Sets a manual load; stops any scenario.
  [[nodiscard]] Outcome<> set_load(const LoadInput& load);
  /// Plays a profile from now on (replacing a manual load or another scenario).
  void start_scenario(LoadProfile profile);
  /// Bluetooth link up or down (status word, LCD icon).
  void set_bluetooth(bool active) { meter_.set_bluetooth_active(active); }
  /// Terminals 10/11.
  void set_tariff_input(bool energized);
  /// Holds the supply off or brings it back (a power-up counts and saves).
  void set_power(bool on);
  /// Supply off, `off_ms` of simulated time (stepped clock only), supply on; saves.
  [[nodiscard]] ApiResult<> power_cycle(std::int64_t off_ms);
  /// Applies commands all or nothing; saves when they changed the meter.
  [[nodiscard]] Outcome<> apply(std::span<const Command> commands, const Origin& origin);

  /// Starts serving Modbus requests that arrived together (manual A3): brings the meter to
  /// now and marks communication active (status word bit 0, the LCD's telephone hook) until
  /// `kCommunicationHold` of wall time after this call. Call once per batch, before
  /// `serve_modbus`.
  void begin_modbus();
  /// Serves one request addressed to the meter: runs `serve` on the meter and saves at once
  /// when it changed a setting or the persistent state (a write). Every change a request
  /// can make goes through `Meter::apply_all`, which bumps `settings_revision()`.
  template <class Serve>
  void serve_modbus(Serve&& serve) {
    const std::uint64_t revision = meter_.settings_revision();
    std::forward<Serve>(serve)(meter_);
    if (meter_.settings_revision() != revision) save();
  }
  /// How long the communication flag stays on after a request (wall time).
  static constexpr std::chrono::seconds kCommunicationHold{5};

  /// Serves one M-bus telegram through `slave` (manual A2) like `serve_modbus`: brings the
  /// meter to now, marks communication active when the telegram is addressed to the meter
  /// (its primary address, 0xFE, 0xFF, or 0xFD while or by being selected), saves at once
  /// when it changed a setting or the persistent state. Returns the slave's answer.
  [[nodiscard]] MbusExchange serve_mbus(MbusSlave& slave, const MbusFrame& frame);

  /// GET /api/v1/state.
  [[nodiscard]] Json state_json() const;
  /// {"name","position_ms"} of the running scenario, or null.
  [[nodiscard]] Json scenario_json() const;
  /// {"sim_ms","clock","speed"}.
  [[nodiscard]] Json time_json() const;

  /// The meter, for reading (change it through the methods above, which save).
  [[nodiscard]] const Meter& meter() const { return meter_; }
  /// The simulated clock.
  [[nodiscard]] const SimClock& clock() const { return clock_; }
  /// The state directory.
  [[nodiscard]] const StateStore& store() const { return store_; }

 private:
  Meter meter_;
  StateStore store_;
  SimClock clock_;
  std::optional<ProfilePlayer> player_;
  PersistentState saved_{};
  bool ever_saved_ = false;
  std::uint8_t write_bits_ = 0;
  std::optional<SimClock::WallClock::time_point> communication_until_;
};

}  // namespace ambi
