#pragma once
// The Ambition 2PU CT metering engine: pure, deterministic, no I/O.
//
// Time and inputs come in (`advance`, `set_load`, `set_tariff_input`, `power_off/on`);
// measurements, registers, settings and status go out. Storage is a byte image made and
// parsed here (core/storage_image.hpp) and written to disk by the app layer.

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/meter/commands.hpp"
#include "core/meter/load.hpp"
#include "core/meter/registers.hpp"
#include "core/meter/s0.hpp"
#include "core/meter/settings.hpp"
#include "core/meter/wiring.hpp"

namespace ambi {

/// Fixed identity of this model (manual 5.9, A3.2 4002-400A).
struct Identity {
  std::uint32_t serial_bcd = 0x19020246;  ///< 8 BCD digits (register 4000)
  std::uint16_t meter_code_bcd = 0x1113;  ///< 2PCT
  float protocol_version = 1.0F;
  float software_version = 1.02F;  ///< "software version 102"
  float hardware_version = 1.0F;
  std::uint32_t checksum1_bcd = 0x21001416;
  std::uint32_t checksum2_bcd = 0x59629173;
};

/// One CT history entry (manual 7.6.17): the ratio in force before a change and the
/// part-2 energy at that moment. Entry 1 keeps counting at 5/5 (see `Meter::ct_history`).
struct CtHistoryEntry {
  CtRatio ratio{};
  std::int64_t forward_mwh = 0;
  std::int64_t reverse_mwh = 0;
  friend constexpr bool operator==(const CtHistoryEntry&, const CtHistoryEntry&) = default;
};
inline constexpr int kMaxCtChanges = 7;

/// Error bits of manual 8.1 (register 4015).
// A set of named values, spelled like enumerators (error_bit::name) rather than kCamel constants.
// NOLINTBEGIN(readability-identifier-naming)
namespace error_bit {
inline constexpr std::uint8_t both_copies_bad = 0x01;
inline constexpr std::uint8_t mantissa_unwritable = 0x02;
inline constexpr std::uint8_t backup_unwritable = 0x04;
inline constexpr std::uint8_t main_unwritable = 0x08;
inline constexpr std::uint8_t mantissa_corrupt = 0x10;
inline constexpr std::uint8_t backup_corrupt = 0x20;
inline constexpr std::uint8_t main_corrupt = 0x40;
inline constexpr std::uint8_t init_failed = 0x80;
}  // namespace error_bit
// NOLINTEND(readability-identifier-naming)

/// Bits of the active status word 401D (PRODUCT.md ruling; documented in docs/).
// A set of named values, spelled like enumerators (status_bit::name) rather than kCamel constants.
// NOLINTBEGIN(readability-identifier-naming)
namespace status_bit {
inline constexpr std::uint32_t communication_active = 1U << 0;
inline constexpr std::uint32_t bluetooth_active = 1U << 1;
inline constexpr std::uint32_t t3_t4_activated = 1U << 2;
inline constexpr std::uint32_t c05_locked = 1U << 3;
inline constexpr std::uint32_t storage_error = 1U << 4;
inline constexpr std::uint32_t tariff_input_energized = 1U << 5;
inline constexpr std::uint32_t powered = 1U << 6;
inline constexpr std::uint32_t ct_history_full = 1U << 7;
}  // namespace status_bit
// NOLINTEND(readability-identifier-naming)

/// What survives a power cycle: the content of the storage image.
struct PersistentState {
  Settings settings{};
  Registers registers{};
  std::uint8_t tariff = 1;       ///< 1-4
  bool t3_t4_activated = false;  ///< one-way (A1.2)
  CtRatio ct{};
  std::array<CtHistoryEntry, kMaxCtChanges> ct_history{};
  std::uint8_t ct_changes = 0;  ///< 0-7
  std::uint16_t power_down_counter = 0;
  std::uint32_t serial_bcd = 0x19020246;
  friend bool operator==(const PersistentState&, const PersistentState&) = default;
};

/// Options of a factory-new meter.
struct FactoryOptions {
  std::uint32_t serial_bcd = 0x19020246;
  bool ordered_c05 = false;  ///< "meters ordered as C-05" (7.6.15)
  /// Addresses set before delivery, as an installer orders a fleet (docs/fleet.md); the
  /// factory defaults (Modbus id 1, M-bus primary address 0) when none.
  std::optional<std::uint8_t> modbus_id{};  ///< 1-247
  std::optional<std::uint8_t> mbus_id{};    ///< 0-250
};

/// A signed register value in mWh as every interface shows it: rolled over at 999999.999 kWh
/// and cut toward zero to whole Wh (always a multiple of `kMwhPerWh`).
using Reading = std::int64_t;

class Meter {
 public:
  /// A factory-new meter, not yet powered (call `power_on`).
  explicit Meter(const FactoryOptions& options = {});
  /// A meter restored from storage; `error_code` carries the 8.1 bits found while loading.
  /// With `error_bit::both_copies_bad` the meter is stopped: it integrates nothing and
  /// refuses every command until storage is repaired.
  Meter(const PersistentState& state, std::uint8_t error_code);

  // ---- inputs ----------------------------------------------------------------------------
  /// Sets the load on the terminals; applies from the current simulated time.
  [[nodiscard]] Outcome<> set_load(const LoadInput& load);
  /// Sets an already checked and measured load (no trigonometry: the profile fast path,
  /// unless the meter is miswired).
  void set_load(const PreparedLoad& load);
  /// How the meter is connected (core/meter/wiring.hpp): a miswired meter measures what
  /// its terminals see of the grid's load, from now on. A phase whose voltage is lost may
  /// leave the meter without supply (`kSupplyVolts`).
  void set_wiring(const Wiring& wiring);
  /// Tariff input terminals 10/11: an edge selects T2 (energized) or T1 (de-energized). An
  /// edge while the meter has no supply goes unseen (a power-up is no edge, C18).
  void set_tariff_input(bool energized);
  /// The supply switched off (a power cut upstream of the meter).
  void power_off();
  /// The supply switched on again (or for the first time).
  void power_on();
  /// The meter has no auxiliary supply (manual 5.8): it runs while the supply is switched on
  /// and at least one phase carries `kSupplyVolts`. Each start counts one power-up on the
  /// power-down counter; without supply the meter measures nothing, integrates nothing,
  /// accepts no command and is silent on every interface. RAM state (the communication
  /// flag, Bluetooth, and through `power_ups()` the M-bus link state and the front panel)
  /// starts afresh at each power-up.
  static constexpr double kSupplyVolts = 184.0;  ///< 80 % of 230 V; an assumption (docs)
  /// Lets `dt_ms` of simulated time pass under the present load, integrating exactly.
  void advance(std::int64_t dt_ms);
  /// Simulated time jumps to `now_ms` (when later than the present) and nothing is counted
  /// for the gap: a meter restored while its twin was not running (a fleet that keeps its
  /// time base across restarts, docs/fleet.md).
  void skip_to(std::int64_t now_ms) { now_ms_ = std::max(now_ms_, now_ms); }
  /// Marks Modbus/M-bus/Bluetooth activity for the status word and the LCD icons; ignored
  /// without supply.
  void set_communication_active(bool active);
  void set_bluetooth_active(bool active);
  /// Records a storage write failure (bits 1-3 of 8.1) or clears them on success.
  void set_storage_write_error(std::uint8_t unwritable_bits);

  // ---- commands ---------------------------------------------------------------------------
  /// Applies one command; on refusal nothing changes.
  [[nodiscard]] Outcome<> apply(const Command& command, const Origin& origin);
  /// Applies all commands or none (the app's "save all").
  [[nodiscard]] Outcome<> apply_all(std::span<const Command> commands, const Origin& origin);

  // ---- outputs ----------------------------------------------------------------------------
  [[nodiscard]] const Measurement& measurement() const { return measurement_; }
  /// The load on the grid side, as set.
  [[nodiscard]] const LoadInput& load() const { return load_; }
  /// What the meter's inputs see of it through the wiring (the load itself when wired right).
  [[nodiscard]] const LoadInput& terminals() const { return terminals_; }
  [[nodiscard]] const Wiring& wiring() const { return wiring_; }
  [[nodiscard]] const PersistentState& state() const { return state_; }
  [[nodiscard]] const Settings& settings() const { return state_.settings; }
  [[nodiscard]] const Registers& registers() const { return state_.registers; }
  [[nodiscard]] const Identity& identity() const { return identity_; }
  [[nodiscard]] std::int64_t now_ms() const { return now_ms_; }
  /// True while the meter runs: supply switched on and voltage present (see `kSupplyVolts`).
  [[nodiscard]] bool powered() const { return powered_; }
  /// Whether the supply is switched on (`power_on` / `power_off`), voltage or not.
  [[nodiscard]] bool supply_switched_on() const { return supply_switch_; }
  /// Power-ups since this object was made (RAM, not stored): a change tells whoever keeps
  /// RAM state of the meter (the M-bus link, the front panel) to start afresh.
  [[nodiscard]] std::uint64_t power_ups() const { return power_ups_; }
  /// Whether a load keeps the meter supplied: at least one phase at `kSupplyVolts` or more.
  [[nodiscard]] static bool voltage_present(const LoadInput& load);
  [[nodiscard]] bool stopped() const { return (error_code_ & error_bit::both_copies_bad) != 0; }
  [[nodiscard]] bool tariff_input_energized() const { return tariff_input_; }
  [[nodiscard]] int tariff() const { return state_.tariff; }
  [[nodiscard]] std::uint8_t error_code() const { return error_code_; }
  [[nodiscard]] std::uint32_t status_word() const;
  [[nodiscard]] bool c05_locked() const;
  /// Increments whenever a setting or persistent flag changes (the app saves then).
  [[nodiscard]] std::uint64_t settings_revision() const { return settings_revision_; }

  /// Signed totals per the combination code, rolled over: total (6000), per tariff 1-4,
  /// per phase 0-2; for `Family::reactive` the kvarh equivalents (6024...). Each is combined
  /// from the shown (whole-Wh) forward and reverse readings, so that a total always equals
  /// what a reader computes from the two magnitudes it sees (manual 7.6.15).
  [[nodiscard]] Reading total(Family family) const;
  [[nodiscard]] Reading total_tariff(Family family, int tariff) const;
  [[nodiscard]] Reading total_phase(Family family, int phase) const;
  /// A magnitude register rolled over (forward/reverse/quadrant).
  [[nodiscard]] Reading counter(std::size_t index) const;
  /// Trip counter (resettable day counter 6049, per phase 608B-608F).
  [[nodiscard]] Reading trip_total() const;
  [[nodiscard]] Reading trip_phase(int phase) const;

  /// CT history entries in use (0-7), their energies shown as readings. Entry 1's energy
  /// keeps counting at 5/5.
  [[nodiscard]] std::vector<CtHistoryEntry> ct_history() const;

  [[nodiscard]] const S0Output& s0(int output) const {
    return s0_[static_cast<std::size_t>(output)];
  }

 private:
  struct Handlers;
  Outcome<> apply_one(const Command& command, const Origin& origin);
  void integrate(std::int64_t dt_ms);
  void remeasure();
  void update_secondary();
  void rebase_s0();
  /// The terminals after a change of the load, the wiring or the CT setting; true when
  /// the meter started or stopped.
  bool rewire();
  void settings_changed() { ++settings_revision_; }
  /// Follows the supply (switch and voltage) after a change of either; true when the meter
  /// started or stopped (the measurement is then new).
  bool follow_supply();
  [[nodiscard]] Reading shown_total(std::size_t forward, std::size_t reverse) const;

  Identity identity_{};
  PersistentState state_{};
  LoadInput load_{};
  LoadInput terminals_{};
  Wiring wiring_{};
  Measurement measurement_{};
  std::array<std::int64_t, kPhases> secondary_p_mw_{};  // CT history 1 (5/5) powers
  std::array<S0Output, 2> s0_{};
  std::int64_t now_ms_ = 0;
  bool powered_ = false;
  bool supply_switch_ = false;
  std::uint64_t power_ups_ = 0;
  bool tariff_input_ = false;
  bool communication_active_ = false;
  bool bluetooth_active_ = false;
  std::uint8_t error_code_ = 0;
  std::uint64_t settings_revision_ = 0;
};

}  // namespace ambi
