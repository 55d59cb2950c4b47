#pragma once
// The running twin: one meter, its clock, its load source and its state directory, with
// the save policy of `ambimeter run` (docs/control-api.md), and its front panel (the LCD,
// the three buttons and the red LED) on wall time. Single-threaded: every method is called
// from the one io_context thread.

#include <array>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "audit/poll_audit.hpp"
#include "core/fault/fault.hpp"
#include "core/mbus/mbus_slave.hpp"
#include "core/meter/meter.hpp"
#include "core/panel/front_panel.hpp"
#include "core/panel/pulse_led.hpp"
#include "core/profile/profile.hpp"
#include "twin/service/clock.hpp"
#include "twin/service/state_store.hpp"

namespace ambi {

/// The steady clock the twin reads: wall time for the front panel, the LED and the
/// communication hold, and the simulated clock's real mode. The real one, or a test's that
/// only moves when told (never going back).
using SteadyNow = std::function<SimClock::WallClock::time_point()>;

/// The real steady clock.
[[nodiscard]] SteadyNow real_steady_now();

/// The settings that shape the meter's links (manual 7.6.5-7.6.9, A2, A3): Modbus baud
/// rate, parity and address, M-bus baud rate and primary address.
struct LinkSettings {
  std::uint8_t modbus_baud_code = 0;
  Parity parity = Parity::even;
  std::uint8_t modbus_id = 0;
  std::uint32_t mbus_baud = 0;
  std::uint8_t mbus_id = 0;
  friend bool operator==(const LinkSettings&, const LinkSettings&) = default;
};

/// The link settings among `settings`.
[[nodiscard]] LinkSettings link_settings_of(const Settings& settings);

/// Called with the new link settings after they changed.
using LinkListener = std::function<void(const LinkSettings&)>;
/// A subscription to link changes: the listener is called for as long as this is held.
using LinkSubscription = std::shared_ptr<const LinkListener>;

/// Why the twin refuses a request about its clock or its supply: each is a 409 to the HTTP
/// layer, with a message of its own (twin/http).
enum class TwinRefusal : std::uint8_t {
  clock_is_real,                 ///< advancing needs a stepped clock
  clock_is_stepped,              ///< a speed needs a real clock
  off_time_needs_stepped_clock,  ///< a power cycle with time off needs a stepped clock
  speed_fixed,                   ///< a fleet file's epoch fixes the speed (docs/fleet.md)
};

template <class T = void>
using TwinOutcome = std::expected<T, TwinRefusal>;

/// What a fleet's save pass reads of a meter (`Twin::may_skip_pass`).
struct SaveMark {
  std::int64_t saved_at_ms = 0;      ///< the simulated time of the last save
  std::int64_t replay_limit_ms = 0;  ///< how far past it a replay may go
  bool replayable = false;           ///< the last save succeeded and recorded a replayable source
  [[nodiscard]] bool may_skip(std::int64_t now_ms) const {
    return replayable && now_ms - saved_at_ms <= replay_limit_ms;
  }
};

/// How a Modbus request reached the meter: MBAP (Modbus TCP, a fleet's gateways) or RTU
/// (a serial port, a pty, RTU over TCP, a bus).
enum class ModbusFraming : std::uint8_t { tcp, rtu };
inline constexpr std::size_t kModbusFramings = 2;

/// What a twin has served and saved since the process started (GET /metrics).
struct TwinCounts {
  /// Requests served to the meter (broadcasts too), by `ModbusFraming`.
  std::array<std::uint64_t, kModbusFramings> modbus_requests{};
  std::uint64_t mbus_telegrams = 0;  ///< telegrams addressed to the meter
  std::uint64_t saves = 0;           ///< saves of its state written (or tried)
  std::uint64_t failed_saves = 0;    ///< of those, the ones that could not write an area
};

class Twin {
 public:
  /// Takes over a constructed meter (already powered on or not) and its open store, with
  /// simulated time moving as `mode` and `speed` say (see `SimClock`) and wall time read
  /// from `now`.
  Twin(Meter meter, StateStore store, ClockMode mode, double speed,
       SteadyNow now = real_steady_now());
  /// A meter of a fleet: simulated time is `clock`, shared with the fleet's other meters
  /// (PRODUCT.md: nothing else is shared). The fleet moves and restarts it (twin/service/
  /// fleet.hpp); this twin's own `restart_clock`, `advance`, `set_speed` and `power_cycle`
  /// with time off would move every meter's time, so a fleet does not call them.
  Twin(Meter meter, StateStore store, std::shared_ptr<SimClock> clock, SteadyNow now);

  /// Calls `listener` after every change of the meter's link settings, whatever made it:
  /// the HTTP API, a Modbus or M-bus write, the front-panel buttons, a reset of the
  /// settings. The change is announced when it is saved, which every path that changes a
  /// setting does at once; a serial port reconfigures its line then (after the reply that
  /// carried the change has left). Unsubscribes when the returned handle is dropped.
  [[nodiscard]] LinkSubscription on_link_change(LinkListener listener);

  /// Starts simulated time afresh from the meter's present time (at the end of start-up,
  /// so that the start-up save holds exactly the loaded state).
  void restart_clock();
  /// Brings the meter to the clock's present simulated time, playing the scenario if any,
  /// and feeds the pulse LED the energy counted so far.
  void sync();
  /// Writes the state now (unless the meter is stopped) and records write failures in the
  /// meter's error code (manual 8.1 bits 1-3). Announces a change of the link settings
  /// first (`on_link_change`).
  void save();
  /// Saves when the persistent state differs from the last save (or the last save failed).
  void save_if_changed();

  // ---- a fleet meter's replay (docs/storage.md "Replay"; slot stores only) ---------------
  /// What drives the load now, as a save records it: a constant load or a household curve
  /// (replayable), or none (a scenario table, the supply switched off).
  [[nodiscard]] LoadSource load_source() const;
  /// Whether a fleet's save pass may skip this meter: its last save recorded a replayable
  /// source and succeeded, and simulated time has not gone further past that save than a
  /// replay may cover (`kReplaySteps` steps of its curve, or a day at a constant load).
  /// Everything else that changes the meter saves at once; its energy since the save is
  /// what the source gives again.
  [[nodiscard]] bool may_skip_pass(std::int64_t now_ms) const { return mark().may_skip(now_ms); }
  /// Keeps what `may_skip_pass` reads in `mark` from now on (a fleet keeps its meters' marks
  /// in one compact array, so that its pass does not touch every meter's memory).
  void keep_save_mark_in(SaveMark* mark) {
    *mark = mark_;
    external_mark_ = mark;
  }
  /// While on, `save` only notes that a save is due (a fleet's start-up, which ends with
  /// one save of every meter).
  void defer_saves(bool on) { defer_saves_ = on; }
  /// The most steps of a household curve a replay covers.
  static constexpr std::int64_t kReplaySteps = 32;
  /// Start-up of a meter restored from a replayable save, before anything else is done to
  /// it (the fleet's clock held): plays `source` from the meter's present time (the
  /// save's) up to `until_ms` (the fleet's journal), powered, counting what it had counted
  /// before the process stopped; then time jumps to `resume_ms` uncounted.
  void replay(const LoadSource& source, std::int64_t until_ms, std::int64_t resume_ms);

  /// Stepped clock only: moves simulated time on by `dt_ms` > 0 and integrates it.
  [[nodiscard]] TwinOutcome<> advance(std::int64_t dt_ms);
  /// Sets a manual load; stops any scenario.
  [[nodiscard]] Outcome<> set_load(const LoadInput& load);
  /// Plays a profile from now on (replacing a manual load or another scenario).
  void start_scenario(LoadProfile profile);
  /// Bluetooth link up or down (status word, LCD icon); stays down without supply.
  void set_bluetooth(bool active) { meter_.set_bluetooth_active(active); }
  /// Terminals 10/11.
  void set_tariff_input(bool energized);
  /// Switches the supply off or on again (a power-up counts and saves). The meter runs only
  /// while the supply is on and a phase carries voltage (`Meter::kSupplyVolts`).
  void set_power(bool on);
  /// Supply off, `off_ms` of simulated time (stepped clock only), supply on; saves.
  [[nodiscard]] TwinOutcome<> power_cycle(std::int64_t off_ms);
  /// Applies commands all or nothing; saves when they changed the meter.
  [[nodiscard]] Outcome<> apply(std::span<const Command> commands, const Origin& origin);
  /// Real clock only: simulated seconds per wall second from now on (> 0); the simulated
  /// time reached so far is kept.
  [[nodiscard]] TwinOutcome<> set_speed(double speed);

  /// A touch of a front-panel button (manual 7) at the present wall time. A command it
  /// sends goes to the meter from Source::buttons; saves when it changed the meter.
  std::optional<PanelCommand> press(Button button, PressLength length);
  /// What the LCD shows now (wall time).
  [[nodiscard]] LcdScreen screen() const;
  /// Flashes of the red LED so far (10 000 imp/kWh, rate-limited: core/pulse_led.hpp).
  [[nodiscard]] std::int64_t led_flashes() const;

  /// Starts serving Modbus requests that arrived together (manual A3): brings the meter to
  /// now and marks communication active (status word bit 0, the LCD's telephone hook) until
  /// `kCommunicationHold` of wall time after this call. Call once per batch, before
  /// `serve_modbus`.
  void begin_modbus();
  /// Serves one request addressed to the meter: runs `serve` on the meter and saves at once
  /// when it changed a setting or the persistent state (a write). Every change a request
  /// can make goes through `Meter::apply_all`, which bumps `settings_revision()`.
  template <class Serve>
  void serve_modbus(ModbusFraming framing, Serve&& serve) {
    const std::uint64_t revision = meter_.settings_revision();
    ++counts_.modbus_requests.at(static_cast<std::size_t>(framing));
    std::forward<Serve>(serve)(meter_);
    if (meter_.settings_revision() != revision) save();
  }
  /// When the last Modbus request or M-bus telegram arrived (the twin's steady clock; the
  /// event loop's busy-poll window runs from it).
  [[nodiscard]] SimClock::WallClock::time_point last_request() const { return last_request_; }
  /// How long the communication flag stays on after a request (wall time).
  static constexpr std::chrono::seconds kCommunicationHold{5};

  /// Serves one M-bus telegram through `slave` (manual A2) like `serve_modbus`: brings the
  /// meter to now, marks communication active when the telegram is addressed to the meter
  /// (its primary address, 0xFE, 0xFF, or 0xFD while or by being selected), saves at once
  /// when it changed a setting or the persistent state. Returns the slave's answer.
  [[nodiscard]] MbusExchange serve_mbus(MbusSlave& slave, const MbusFrame& frame);

  /// The scenario being played, if any.
  [[nodiscard]] const ProfilePlayer* scenario() const { return player_ ? &*player_ : nullptr; }
  /// Flashes of the red LED and the S0 pulse counts now, with the screen: the panel's state.
  [[nodiscard]] std::array<std::uint64_t, 2> s0_pulses() const {
    return {meter_.s0(0).emitted(), meter_.s0(1).emitted()};
  }

  /// Requests served and saves made so far.
  [[nodiscard]] const TwinCounts& counts() const { return counts_; }

  /// The meter, for reading (change it through the methods above, which save).
  [[nodiscard]] const Meter& meter() const { return meter_; }
  /// The simulated clock.
  [[nodiscard]] const SimClock& clock() const { return *clock_; }
  /// The state directory.
  [[nodiscard]] const StateStore& store() const { return store_; }
  /// The twin's steady clock now.
  [[nodiscard]] SimClock::WallClock::time_point steady_now() const { return now_(); }

  /// Faults on this meter (docs/faults.md), added through the API, --fault or a fleet
  /// file's timeline. Link faults are applied by every transport to every reply the meter
  /// sends; meter faults (supply, wiring) and storage faults act here, at the simulated
  /// instants they start and end. Returns the new id.
  std::uint32_t add_fault(Fault fault);
  /// Ends fault `id` (kept in the list as ended); false when there is no such fault. The
  /// end of a meter fault restores the wiring or the supply; damage done to storage stays.
  bool end_fault(std::uint32_t id);
  [[nodiscard]] const std::vector<Fault>& faults() const { return faults_; }
  /// Whether any link fault may act (transports skip the faults otherwise).
  [[nodiscard]] bool has_link_faults() const { return live_faults_ > 0; }

  /// The poll audit of this meter's clients (docs/audit.md), made on first use so that a
  /// fleet's quiet meters hold none; null when switched off (`run --audit off`).
  [[nodiscard]] PollAudit* audit() {
    if (!audit_on_) return nullptr;
    if (!audit_) audit_ = std::make_unique<PollAudit>();
    return audit_.get();
  }
  /// What the audit holds so far (null before the first client, or when off).
  [[nodiscard]] const PollAudit* audit_so_far() const { return audit_.get(); }
  [[nodiscard]] bool audit_on() const { return audit_on_; }
  /// Switches the audit on (the default) or off; off forgets what it held.
  void set_audit(bool on) {
    audit_on_ = on;
    if (!on) audit_.reset();
  }
  /// Called when a `torn-write` fault with `kill` has torn a save: the power takes the
  /// process with it. The default kills the process with SIGKILL, as kill -9 does.
  void on_power_failure(std::function<void()> die) { die_ = std::move(die); }
  /// Called when a meter or storage fault starts or ends ("fault 3 (phase-lost) starts"),
  /// with the meter's serial and the simulated time: `--trace` records it.
  using FaultEvents =
      std::function<void(std::uint32_t serial_bcd, std::int64_t sim_ms, const std::string& text)>;
  void on_fault_event(FaultEvents events) { fault_events_ = std::move(events); }
  /// `reply` after the faults active now.
  [[nodiscard]] FaultedReply fault_reply(std::span<const std::uint8_t> reply, ReplyFraming framing,
                                         bool over_tcp = false);
  /// Whether a `refuse` fault turns away a Modbus TCP connection accepted now.
  [[nodiscard]] bool refuses_connection();

 private:
  SteadyNow now_;
  SimClock::WallClock::time_point wall_origin_;
  Meter meter_;
  StateStore store_;
  std::shared_ptr<SimClock> clock_;  ///< this meter's own, or the fleet's
  /// Wall milliseconds since the twin was made: the front panel's and the LED's time.
  [[nodiscard]] std::int64_t wall_ms() const;
  /// Tells the link listeners when the link settings differ from those last announced.
  void announce_link_changes();
  void sync_to(SimClock::WallClock::time_point now);
  /// After a power-up of the meter (by the switch or by voltage returning) the front panel
  /// starts afresh, as RAM does.
  void follow_power();
  /// Plays the load (scenario or constant) up to simulated `target_ms`.
  void play_to(std::int64_t target_ms);
  /// Brings the meter in line with the meter and storage faults active now (wiring, supply,
  /// unwritable areas) and carries out those that act once (corrupt, torn-write).
  void apply_meter_faults();
  void act_once(Fault& fault);
  void report(const Fault& fault, std::string_view what);
  /// The meter starts again from what its storage holds (a power-up reads the EEPROM):
  /// the same load, wiring and time, its state and 8.1 bits as loaded.
  void restart_from_storage();

  std::optional<ProfilePlayer> player_;
  FrontPanel panel_;
  PulseLed led_;
  PersistentState saved_{};
  [[nodiscard]] SaveMark& mark() { return external_mark_ ? *external_mark_ : mark_; }
  [[nodiscard]] const SaveMark& mark() const { return external_mark_ ? *external_mark_ : mark_; }
  SaveMark mark_{};
  SaveMark* external_mark_ = nullptr;
  bool ever_saved_ = false;
  bool defer_saves_ = false;
  std::uint64_t power_ups_seen_ = 0;
  std::uint8_t write_bits_ = 0;
  std::optional<SimClock::WallClock::time_point> communication_until_;
  SimClock::WallClock::time_point last_request_{};
  LinkSettings link_{};
  std::vector<std::weak_ptr<const LinkListener>> link_listeners_;
  std::vector<Fault> faults_;
  std::uint32_t live_faults_ = 0;   ///< link faults not ended
  std::uint32_t meter_faults_ = 0;  ///< meter and storage faults not ended
  bool supply_cut_ = false;         ///< a supply-lost fault switched the supply off
  std::uint8_t fault_unwritable_ = 0;
  std::function<void()> die_;
  FaultEvents fault_events_;
  std::unique_ptr<PollAudit> audit_;
  bool audit_on_ = true;
  TwinCounts counts_{};
};

}  // namespace ambi
