#pragma once
// A fleet: many full meters in one process (docs/fleet.md). Each is a whole `Twin` — its
// own meter model, identity, settings, registers, front panel and state directory — and
// the only thing they share is the simulated clock (PRODUCT.md "A fleet's meters").
// Single-threaded like the twin: every method is called from the one io_context thread.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "audit/poll_audit.hpp"
#include "twin/service/fleet_journal.hpp"
#include "twin/service/twin.hpp"

namespace ambi {

/// Meters behind one Modbus TCP gateway: its unit ids 1-247.
inline constexpr std::size_t kMetersPerGateway = 247;
/// M-bus primary addresses 1-250 (manual A2.1).
inline constexpr std::size_t kMbusAddresses = 250;
/// The most meters `--meters` starts.
inline constexpr std::size_t kMaxFleetMeters = 100'000;

/// A generated identity (PRODUCT.md "Generated identities").
struct FleetIdentity {
  std::uint32_t serial_bcd = 0;  ///< 8 BCD digits; the M-bus secondary address too (A2.1)
  std::uint8_t modbus_id = 1;    ///< 1-247, in order per gateway
  std::uint8_t mbus_id = 1;      ///< 1-250, in order per line
  std::size_t gateway = 0;       ///< which gateway the meter sits behind
  friend bool operator==(const FleetIdentity&, const FleetIdentity&) = default;
};

/// The identities of `count` meters: serials counting up from `base_serial_bcd` as 8 BCD
/// digits, Modbus ids 1-247 per gateway of 247 meters, M-bus primary addresses 1-250 in turn.
/// Fails (one line) when the serials would pass 99999999 or `count` is 0 or too large.
[[nodiscard]] std::expected<std::vector<FleetIdentity>, std::string> fleet_identities(
    std::uint32_t base_serial_bcd, std::size_t count);

/// "19020246" → 0x19020246: exactly 8 decimal digits, as serials are written; none otherwise.
[[nodiscard]] std::optional<std::uint32_t> serial_from_text(std::string_view text);

/// `serial_bcd` + `n` as BCD ("19020246" + 1 = "19020247"); none past 99999999.
[[nodiscard]] std::optional<std::uint32_t> bcd_add(std::uint32_t serial_bcd, std::uint32_t n);

/// Where a meter of the fleet sits: its group (of the fleet file; "meters" for --meters)
/// and the endpoint that serves it (a gateway, or a port of its own).
struct FleetPlace {
  std::size_t group = 0;
  std::size_t endpoint = 0;
};

/// A fleet's groups and endpoints by name, and the address each endpoint listens on
/// ("127.0.0.1:5020"); set once the endpoints listen.
struct FleetLayout {
  std::vector<std::string> groups;
  std::vector<std::string> endpoint_names;
  std::vector<std::string> endpoint_addresses;
  std::vector<bool> endpoint_gateways;  ///< whether endpoint e is a gateway (else a meter's port)
  std::vector<std::string> bus_names;   ///< the RS485 buses, in order ("bus" for --meters N)
};

/// Many twins on one simulated clock.
class Fleet {
 public:
  Fleet(ClockMode mode, double speed, SteadyNow now = real_steady_now());
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;
  Fleet(Fleet&&) = delete;
  Fleet& operator=(Fleet&&) = delete;
  ~Fleet() = default;

  /// Adds a meter (constructed, powered on or not) with its open store, on the fleet's clock.
  Twin& add(Meter meter, StateStore store, FleetPlace place = {});

  [[nodiscard]] std::size_t size() const { return twins_.size(); }
  [[nodiscard]] Twin& at(std::size_t i) { return *twins_.at(i); }
  [[nodiscard]] const Twin& at(std::size_t i) const { return *twins_.at(i); }
  /// The meter with serial `serial_bcd`, if any (serials are fixed at the factory).
  [[nodiscard]] Twin* find(std::uint32_t serial_bcd);
  /// Where the meter with serial `serial_bcd` is in the fleet, if it is there.
  [[nodiscard]] std::optional<std::size_t> index_of(std::uint32_t serial_bcd) const;

  /// Starts simulated time from the earliest meter's present time, so that no meter is
  /// carried past a time it has not lived (a meter restored a little ahead waits until the
  /// clock reaches it).
  void restart_clock();
  /// Stops simulated time at 0 while the fleet starts (meters restored at later times are
  /// not moved by a sync); `restart_clock` or `start_clock` runs it again in its mode.
  void hold_clock();
  /// Starts simulated time at `origin_ms` now (a fleet file's epoch, docs/fleet.md).
  void start_clock(std::int64_t origin_ms);
  /// Every meter to the present simulated time.
  void sync();
  /// `Twin::save_if_changed` on every meter, then one sync of the slot file.
  void save_if_changed();
  /// The save pass of every persist interval (docs/storage.md "Replay"): every meter that
  /// may not skip it (`Twin::may_skip_pass`), and a slice of the others (each meter at least
  /// every `kCheckpointPasses` passes), is brought to now and saved if changed; then one
  /// sync of the slot file, and the journal records the simulated time the pass began at.
  /// Returns how many meters it saved.
  std::size_t persist();
  /// Every meter is saved at least once in this many passes.
  static constexpr std::size_t kCheckpointPasses = 60;
  /// `Twin::save` on every meter, then one sync of the slot file.
  void save();
  /// Stepped clock only: simulated time on by `dt_ms` > 0 for every meter.
  [[nodiscard]] TwinOutcome<> advance(std::int64_t dt_ms);
  /// Refuses `set_speed` from now on (a fleet file's epoch).
  void fix_speed() { speed_fixed_ = true; }
  /// Real clock only: the fleet's speed from now on (> 0).
  [[nodiscard]] TwinOutcome<> set_speed(double speed);

  [[nodiscard]] const SimClock& clock() const { return *clock_; }

  [[nodiscard]] const FleetPlace& place(std::size_t i) const { return places_.at(i); }
  /// The endpoint that serves meter i (without a layout, as for --meters: gateway i / 247).
  [[nodiscard]] std::size_t endpoint_of(std::size_t i) const;
  /// How many endpoints serve the fleet.
  [[nodiscard]] std::size_t endpoint_count() const;
  /// The group of meter i by name ("meters" without a layout).
  [[nodiscard]] std::string_view group_of(std::size_t i) const;
  [[nodiscard]] const FleetLayout& layout() const { return layout_; }
  /// Faults on endpoint e as a whole: its own TCP connections and every reply it sends (a
  /// gateway reset, stalled, slow or refusing; docs/faults.md "A gateway's faults"), in
  /// simulated time. Stable references: the transports keep them.
  [[nodiscard]] std::vector<Fault>& endpoint_faults(std::size_t e);
  void set_layout(FleetLayout layout) { layout_ = std::move(layout); }
  /// The poll audit of a gateway (endpoint e) or an RS485 bus (b) as a whole (docs/audit.md
  /// "A fleet"): every request through it, those no meter answers too. Null with the audit
  /// off (`set_audit`, before the transports open). Stable addresses: the transports keep them.
  [[nodiscard]] PollAudit* endpoint_audit(std::size_t e);
  [[nodiscard]] PollAudit* bus_audit(std::size_t b);
  [[nodiscard]] bool audit_on() const { return audit_on_; }
  void set_audit(bool on) { audit_on_ = on; }
  /// The fleet's one slot file, synced after every save pass (its meters write into it).
  void set_slots(std::shared_ptr<SlotFile> slots) { slots_ = std::move(slots); }
  /// The fleet's clock journal, written after every pass and every full save.
  void set_journal(FleetJournal journal) { journal_.emplace(std::move(journal)); }
  [[nodiscard]] const std::optional<FleetJournal>& journal() const { return journal_; }

 private:
  /// Syncs the slot file; true when it is on disk.
  bool sync_slots();
  /// Records `sim_ms` in the journal, when there is one and every save since the last
  /// record was written and synced.
  void write_journal(std::int64_t sim_ms, bool saves_ok);

  SteadyNow now_;
  std::shared_ptr<SimClock> clock_;
  std::vector<std::unique_ptr<Twin>> twins_;
  std::deque<SaveMark> marks_;                      ///< every meter's, in order (stable addresses)
  std::deque<std::vector<Fault>> endpoint_faults_;  ///< by endpoint (stable addresses)
  std::deque<PollAudit> endpoint_audits_;           ///< by endpoint (stable addresses)
  std::deque<PollAudit> bus_audits_;                ///< by bus (stable addresses)
  std::vector<FleetPlace> places_;
  FleetLayout layout_;
  std::shared_ptr<SlotFile> slots_;
  std::optional<FleetJournal> journal_;
  std::optional<std::pair<ClockMode, double>> held_;  ///< the mode and speed while held
  std::size_t passes_ = 0;
  bool sync_failed_ = false;
  bool journal_failed_ = false;
  bool speed_fixed_ = false;
  bool audit_on_ = true;
  std::unordered_map<std::uint32_t, std::size_t> by_serial_;
};

}  // namespace ambi
