#pragma once
// Where `ambimeter log` keeps its readings: SQLite (the default) or CSV (docs/tools.md).
//
// SQLite: table `polls` (one row per poll: id, unix_ms, time, meter, ok, error), table
// `readings` (poll_id, name, value, text, unit) and table `gaps` (start_ms, end_ms, polls,
// error): one row per run of failed polls, its end filled in when polling resumes.
// CSV: one row per poll, columns time, unix_ms, status, then one column per value; a failed
// poll has status "gap: <error>" and empty values.

#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tools/readings.hpp"

namespace ambi {

/// A sink of polls.
class LogStore {
 public:
  virtual ~LogStore() = default;
  /// Stores a successful poll. The error is one line (disk full, locked database...).
  [[nodiscard]] virtual std::expected<void, std::string> add(
      std::int64_t unix_ms, const std::vector<MeterValue>& readings) = 0;
  /// Stores a failed poll (a gap in the readings).
  [[nodiscard]] virtual std::expected<void, std::string> add_gap(std::int64_t unix_ms,
                                                                 std::string_view error) = 0;
};

/// Opens (or creates) `path` as a SQLite log for meter `meter`.
[[nodiscard]] std::expected<std::unique_ptr<LogStore>, std::string> open_sqlite_log(
    const std::string& path, std::string meter);
/// Opens `path` as a CSV log (appended to when it exists).
[[nodiscard]] std::expected<std::unique_ptr<LogStore>, std::string> open_csv_log(
    const std::string& path);

}  // namespace ambi
