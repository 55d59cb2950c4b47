#pragma once
// Where `ambimeter log` keeps its readings: SQLite (the default) or CSV (docs/tools.md).
//
// SQLite: table `polls` (one row per poll and meter: id, unix_ms, time, meter, ok, error,
// unit, serial), table `readings` (poll_id, name, value, text, unit) and table `gaps` (id,
// start_ms, end_ms, polls, error, meter, unit, serial): one row per run of failed polls of one
// meter, its end filled in when that meter answers again. A log written before the columns
// unit and serial existed gets them added (NULL in its old rows).
// CSV: one row per poll, columns time, unix_ms, status, then one column per value; a failed
// poll has status "gap: <error>" and empty values. A log of several units has the columns
// unit and serial after status.

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/readings.hpp"

namespace ambi {

/// The meter a poll is of, as the rows name it.
struct LogMeter {
  std::string uri;          ///< the meter's URI, unit included (column `meter`)
  std::optional<int> unit;  ///< the Modbus unit id; nullopt on M-bus
  std::string serial;       ///< the serial number read (last read, for a failed poll); "" unknown
};

/// A sink of polls.
class LogStore {
 public:
  virtual ~LogStore() = default;
  /// Stores a successful poll of `meter`. The error is one line (disk full, locked database...).
  [[nodiscard]] virtual std::expected<void, std::string> add(
      const LogMeter& meter, std::int64_t unix_ms, const std::vector<MeterValue>& readings) = 0;
  /// Stores a failed poll of `meter` (a gap in its readings).
  [[nodiscard]] virtual std::expected<void, std::string> add_gap(const LogMeter& meter,
                                                                 std::int64_t unix_ms,
                                                                 std::string_view error) = 0;
};

/// Opens (or creates) `path` as a SQLite log, adding the columns a log of an older version lacks.
[[nodiscard]] std::expected<std::unique_ptr<LogStore>, std::string> open_sqlite_log(
    const std::string& path);

/// The CSV columns before the values: one meter (time, unix_ms, status), or several units
/// (time, unix_ms, status, unit, serial).
enum class CsvLayout : std::uint8_t { one_meter, units };

/// Opens `path` as a CSV log (appended to when it exists; refused when its header has the
/// other layout).
[[nodiscard]] std::expected<std::unique_ptr<LogStore>, std::string> open_csv_log(
    const std::string& path, CsvLayout layout = CsvLayout::one_meter);

}  // namespace ambi
