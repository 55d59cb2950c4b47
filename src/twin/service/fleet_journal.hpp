#pragma once
// The fleet's clock journal (docs/storage.md "Replay"): the simulated time of the fleet's
// last save pass, written and synced at the end of every pass. A meter whose load comes from
// a replayable source (`LoadSource`) is not rewritten every pass: after a crash it is
// brought from its last save to the journal's time by integrating that source again, which
// gives exactly what it had counted (the integration is deterministic).

#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>

#include "io/unique_fd.hpp"

namespace ambi {

class FleetJournal {
 public:
  static constexpr const char* kFileName = "clock.journal";

  /// Opens (or creates) `dir/clock.journal`; the caller holds the fleet's lock on `dir`.
  [[nodiscard]] static std::expected<FleetJournal, std::string> open(
      const std::filesystem::path& dir);

  /// The simulated time of the last pass written in full; none for a new fleet (or when
  /// both copies are damaged: no meter is then replayed).
  [[nodiscard]] std::optional<std::int64_t> last() const { return last_; }
  /// The run that wrote `last`: a meter is replayed only from a save of that same run (a
  /// meter left out of a later run has not lived through its time).
  [[nodiscard]] std::uint32_t last_generation() const { return last_generation_; }
  /// This run's generation: one more than that of the run found at open.
  [[nodiscard]] std::uint32_t generation() const { return run_generation_; }
  /// Records `sim_ms` for this run (into the older of two copies, each with its CRC) and
  /// syncs the file. False when it cannot be written or synced.
  [[nodiscard]] bool write(std::int64_t sim_ms);
  /// --factory-reset: forgets the time.
  void wipe();

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  FleetJournal(std::filesystem::path path, UniqueFd fd)
      : path_(std::move(path)), fd_(std::move(fd)) {}

  std::filesystem::path path_;
  UniqueFd fd_;
  std::optional<std::int64_t> last_;
  std::uint32_t last_generation_ = 0;
  std::uint32_t run_generation_ = 0;  ///< fixed at open: the generation this run writes
  std::uint64_t sequence_ = 0;
};

}  // namespace ambi
