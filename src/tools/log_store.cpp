// SQLite and CSV stores of `ambimeter log`.
#include "tools/log_store.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <utility>

#include "io/csv.hpp"
#include "io/utc_time.hpp"

namespace ambi {
namespace {

constexpr const char* kSchema = R"sql(
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE IF NOT EXISTS polls(
  id INTEGER PRIMARY KEY, unix_ms INTEGER NOT NULL, time TEXT NOT NULL,
  meter TEXT NOT NULL, ok INTEGER NOT NULL, error TEXT);
CREATE TABLE IF NOT EXISTS readings(
  poll_id INTEGER NOT NULL REFERENCES polls(id), name TEXT NOT NULL,
  value REAL, text TEXT NOT NULL, unit TEXT NOT NULL, PRIMARY KEY(poll_id, name));
CREATE TABLE IF NOT EXISTS gaps(
  id INTEGER PRIMARY KEY, start_ms INTEGER NOT NULL, end_ms INTEGER,
  polls INTEGER NOT NULL, error TEXT NOT NULL);
)sql";

/// Columns added since the first schema: a log written before them gets them (NULL in its
/// old rows), so one file can hold the logs of both versions.
struct AddedColumn {
  const char* table;
  const char* name;
  const char* type;
};
constexpr std::array kAddedColumns{
    AddedColumn{"polls", "unit", "INTEGER"}, AddedColumn{"polls", "serial", "TEXT"},
    AddedColumn{"gaps", "meter", "TEXT"},    AddedColumn{"gaps", "unit", "INTEGER"},
    AddedColumn{"gaps", "serial", "TEXT"},
};

/// The readings of one meter over time: a gateway's log holds many meters.
constexpr const char* kIndexes =
    "CREATE INDEX IF NOT EXISTS polls_by_unit ON polls(unit, unix_ms);";

/// Adds the columns of kAddedColumns that `db` lacks; throws SQLite::Exception.
void add_missing_columns(SQLite::Database& db) {
  for (const AddedColumn& c : kAddedColumns) {
    SQLite::Statement has(db, "SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?");
    has.bind(1, c.table);
    has.bind(2, c.name);
    if (has.executeStep() && has.getColumn(0).getInt() == 0) {
      db.exec(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", c.table, c.name, c.type));
    }
  }
}

/// How long a write waits for another connection's lock (a reader holding the file).
constexpr int kBusyTimeoutMs = 2000;

/// Readies a prepared statement for its next run. sqlite3_reset repeats the error of a failed
/// last run, which was reported then: Statement::reset() would throw it again.
void rewind(SQLite::Statement& statement) {
  static_cast<void>(statement.tryReset());
}

/// Binds `text` to parameter `index`, NULL when empty.
void bind_text_or_null(SQLite::Statement& statement, int index, const std::string& text) {
  if (text.empty()) {
    statement.bind(index);
  } else {
    statement.bind(index, text);
  }
}

void bind_unit(SQLite::Statement& statement, int index, const LogMeter& meter) {
  if (meter.unit) {
    statement.bind(index, *meter.unit);
  } else {
    statement.bind(index);
  }
}

class SqliteLog final : public LogStore {
 public:
  /// Prepares the inserts on `db`, which holds the schema; throws SQLite::Exception.
  explicit SqliteLog(SQLite::Database db)
      : db_(std::move(db)),
        insert_poll_(db_,
                     "INSERT INTO polls(unix_ms, time, meter, ok, error, unit, serial) "
                     "VALUES(?,?,?,?,?,?,?)"),
        insert_reading_(db_,
                        "INSERT INTO readings(poll_id, name, value, text, unit) VALUES(?,?,?,?,?)"),
        open_gap_(db_,
                  "INSERT INTO gaps(start_ms, end_ms, polls, error, meter, unit, serial) "
                  "VALUES(?, NULL, 1, ?, ?, ?, ?)"),
        extend_gap_(db_, "UPDATE gaps SET polls = polls + 1 WHERE id = ?"),
        close_gap_(db_, "UPDATE gaps SET end_ms = ? WHERE id = ?") {}

  std::expected<void, std::string> add(const LogMeter& meter, std::int64_t unix_ms,
                                       const std::vector<MeterValue>& readings) override {
    const auto gap = open_gaps_.find(meter.uri);
    auto stored = in_transaction([&] {
      const std::int64_t poll_id = insert_poll(meter, unix_ms, nullptr);
      for (const MeterValue& r : readings) insert_reading(poll_id, r);
      if (gap != open_gaps_.end()) {
        rewind(close_gap_);
        close_gap_.bind(1, unix_ms);
        close_gap_.bind(2, gap->second);
        close_gap_.exec();
      }
    });
    if (stored && gap != open_gaps_.end()) open_gaps_.erase(gap);
    return stored;
  }

  std::expected<void, std::string> add_gap(const LogMeter& meter, std::int64_t unix_ms,
                                           std::string_view error) override {
    const std::string why{error};
    const auto gap = open_gaps_.find(meter.uri);
    std::int64_t opened = 0;
    auto stored = in_transaction([&] {
      insert_poll(meter, unix_ms, &why);
      if (gap != open_gaps_.end()) {
        rewind(extend_gap_);
        extend_gap_.bind(1, gap->second);
        extend_gap_.exec();
      } else {
        rewind(open_gap_);
        open_gap_.bind(1, unix_ms);
        open_gap_.bind(2, why);
        open_gap_.bind(3, meter.uri);
        bind_unit(open_gap_, 4, meter);
        bind_text_or_null(open_gap_, 5, meter.serial);
        open_gap_.exec();
        opened = db_.getLastInsertRowid();
      }
    });
    if (stored && gap == open_gaps_.end()) open_gaps_.emplace(meter.uri, opened);
    return stored;
  }

 private:
  /// Runs `body` in one transaction, rolled back when it throws. The error names the step
  /// that failed ("SQLite insert: database or disk is full").
  template <class Body>
  std::expected<void, std::string> in_transaction(Body&& body) {
    const char* step = "BEGIN";
    try {
      SQLite::Transaction transaction{db_};
      step = "insert";
      body();
      step = "COMMIT";
      transaction.commit();
      return {};
    } catch (const SQLite::Exception& e) {
      return std::unexpected{fmt::format("SQLite {}: {}", step, e.what())};
    }
  }

  /// Inserts a poll of `meter`, failed when `error` is given; its row id.
  std::int64_t insert_poll(const LogMeter& meter, std::int64_t unix_ms, const std::string* error) {
    rewind(insert_poll_);
    insert_poll_.bind(1, unix_ms);
    insert_poll_.bind(2, iso8601_utc(unix_ms));
    insert_poll_.bind(3, meter.uri);
    insert_poll_.bind(4, error == nullptr ? 1 : 0);
    if (error == nullptr) {
      insert_poll_.bind(5);
    } else {
      insert_poll_.bind(5, *error);
    }
    bind_unit(insert_poll_, 6, meter);
    bind_text_or_null(insert_poll_, 7, meter.serial);
    insert_poll_.exec();
    return db_.getLastInsertRowid();
  }

  void insert_reading(std::int64_t poll_id, const MeterValue& r) {
    rewind(insert_reading_);
    insert_reading_.bind(1, poll_id);
    insert_reading_.bind(2, r.name);
    if (r.number) {
      insert_reading_.bind(3, *r.number);
    } else {
      insert_reading_.bind(3);
    }
    insert_reading_.bind(4, r.text);
    insert_reading_.bind(5, r.unit);
    insert_reading_.exec();
  }

  SQLite::Database db_;  // first: the statements below need it until they are gone
  SQLite::Statement insert_poll_;
  SQLite::Statement insert_reading_;
  SQLite::Statement open_gap_;
  SQLite::Statement extend_gap_;
  SQLite::Statement close_gap_;
  std::map<std::string, std::int64_t> open_gaps_;  ///< meter URI -> the row of its open gap
};

/// The number of fields of a CSV line (commas outside quotes, plus one).
std::size_t csv_field_count(std::string_view line) {
  std::size_t fields = 1;
  bool quoted = false;
  for (const char c : line) {
    if (c == '"') quoted = !quoted;
    if (c == ',' && !quoted) ++fields;
  }
  return fields;
}

constexpr std::string_view kOneMeterColumns = "time,unix_ms,status";
constexpr std::string_view kUnitsColumns = "time,unix_ms,status,unit,serial";

std::string_view fixed_columns(CsvLayout layout) {
  return layout == CsvLayout::units ? kUnitsColumns : kOneMeterColumns;
}

class CsvLog final : public LogStore {
 public:
  /// `has_header`: appending to a file whose first line is `header`.
  CsvLog(std::ofstream out, CsvLayout layout, bool has_header, std::string_view header)
      : out_(std::move(out)), layout_(layout), header_written_(has_header) {
    if (header_written_) {
      const std::size_t fixed = csv_field_count(fixed_columns(layout));
      const std::size_t fields = csv_field_count(header);
      columns_ = fields > fixed ? fields - fixed : 0;
    }
  }

  std::expected<void, std::string> add(const LogMeter& meter, std::int64_t unix_ms,
                                       const std::vector<MeterValue>& readings) override {
    if (!header_written_) {
      std::string header{fixed_columns(layout_)};
      for (const MeterValue& r : readings) {
        header += ',';
        header += csv_field(r.unit.empty() ? r.name : fmt::format("{} [{}]", r.name, r.unit));
      }
      out_ << header << '\n';
      columns_ = readings.size();
      header_written_ = true;
      for (const std::string& row : pending_) out_ << row << std::string(columns_, ',') << '\n';
      pending_.clear();
    }
    std::string row = start_of_row(meter, unix_ms, "ok");
    for (const MeterValue& r : readings) {
      row += ',';
      row += csv_field(r.text);
    }
    out_ << row << '\n';
    return flush();
  }

  std::expected<void, std::string> add_gap(const LogMeter& meter, std::int64_t unix_ms,
                                           std::string_view error) override {
    const std::string row = start_of_row(meter, unix_ms, fmt::format("gap: {}", error));
    if (!header_written_) {
      pending_.push_back(row);
      return {};
    }
    out_ << row << std::string(columns_, ',') << '\n';
    return flush();
  }
  ~CsvLog() override {
    if (!header_written_) {
      out_ << fixed_columns(layout_) << '\n';
      for (const std::string& row : pending_) out_ << row << '\n';
    }
  }
  CsvLog(const CsvLog&) = delete;
  CsvLog& operator=(const CsvLog&) = delete;

 private:
  /// time, unix_ms, status (and unit, serial).
  std::string start_of_row(const LogMeter& meter, std::int64_t unix_ms,
                           std::string_view status) const {
    std::string row = fmt::format("{},{},{}", iso8601_utc(unix_ms), unix_ms, csv_field(status));
    if (layout_ == CsvLayout::units) {
      row += fmt::format(",{},{}", meter.unit ? std::to_string(*meter.unit) : std::string{},
                         csv_field(meter.serial));
    }
    return row;
  }

  std::expected<void, std::string> flush() {
    out_.flush();
    if (!out_) return std::unexpected{"cannot write the CSV log (disk full?)"};
    return {};
  }
  std::ofstream out_;
  CsvLayout layout_;
  bool header_written_;
  std::size_t columns_ = 0;
  std::vector<std::string> pending_;
};

/// The first line of `path`; empty when the file does not exist or is empty.
std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (in) std::getline(in, line);
  if (line.ends_with('\r')) line.pop_back();
  return line;
}

}  // namespace

std::expected<std::unique_ptr<LogStore>, std::string> open_sqlite_log(const std::string& path) {
  std::optional<SQLite::Database> db;
  try {
    db.emplace(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, kBusyTimeoutMs);
  } catch (const SQLite::Exception& e) {
    return std::unexpected{fmt::format("cannot open {} as SQLite: {}", path, e.what())};
  }
  try {
    db->exec(kSchema);
    add_missing_columns(*db);
    db->exec(kIndexes);
    return std::make_unique<SqliteLog>(std::move(*db));
  } catch (const SQLite::Exception& e) {
    return std::unexpected{fmt::format("{} is not a usable log database: {}", path, e.what())};
  }
}

std::expected<std::unique_ptr<LogStore>, std::string> open_csv_log(const std::string& path,
                                                                   CsvLayout layout) {
  std::error_code ec;
  const bool has_content =
      std::filesystem::exists(path, ec) && std::filesystem::file_size(path, ec) > 0;
  const std::string header = has_content ? first_line(path) : std::string{};
  if (has_content) {
    const bool has_units = header.starts_with(kUnitsColumns);
    if (layout == CsvLayout::units && !has_units) {
      return std::unexpected{fmt::format(
          "{} holds the log of one meter (no unit,serial columns); log several units to "
          "another file",
          path)};
    }
    if (layout == CsvLayout::one_meter && has_units) {
      return std::unexpected{fmt::format(
          "{} holds the log of several units (unit,serial columns); log one meter to another "
          "file, or give --units",
          path)};
    }
  }
  std::ofstream out(path, std::ios::app);
  if (!out) return std::unexpected{fmt::format("cannot open {} for writing", path)};
  return std::make_unique<CsvLog>(std::move(out), layout, has_content, header);
}

}  // namespace ambi
