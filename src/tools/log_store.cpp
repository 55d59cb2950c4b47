// SQLite and CSV stores of `ambimeter log`.
#include "tools/log_store.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
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

/// How long a write waits for another connection's lock (a reader holding the file).
constexpr int kBusyTimeoutMs = 2000;

/// Readies a prepared statement for its next run. sqlite3_reset repeats the error of a failed
/// last run, which was reported then: Statement::reset() would throw it again.
void rewind(SQLite::Statement& statement) {
  static_cast<void>(statement.tryReset());
}

class SqliteLog final : public LogStore {
 public:
  /// Prepares the inserts on `db`, which holds the schema; throws SQLite::Exception.
  SqliteLog(SQLite::Database db, std::string meter)
      : db_(std::move(db)),
        meter_(std::move(meter)),
        insert_poll_(db_, "INSERT INTO polls(unix_ms, time, meter, ok, error) VALUES(?,?,?,?,?)"),
        insert_reading_(db_,
                        "INSERT INTO readings(poll_id, name, value, text, unit) VALUES(?,?,?,?,?)"),
        open_gap_(db_, "INSERT INTO gaps(start_ms, end_ms, polls, error) VALUES(?, NULL, 1, ?)"),
        extend_gap_(db_, "UPDATE gaps SET polls = polls + 1 WHERE id = (SELECT MAX(id) FROM gaps)"),
        close_gap_(db_, "UPDATE gaps SET end_ms = ? WHERE id = (SELECT MAX(id) FROM gaps)") {}

  std::expected<void, std::string> add(std::int64_t unix_ms,
                                       const std::vector<MeterValue>& readings) override {
    auto stored = in_transaction([&] {
      const std::int64_t poll_id = insert_poll(unix_ms, nullptr);
      for (const MeterValue& r : readings) insert_reading(poll_id, r);
      if (in_gap_) {
        rewind(close_gap_);
        close_gap_.bind(1, unix_ms);
        close_gap_.exec();
      }
    });
    if (stored) in_gap_ = false;
    return stored;
  }

  std::expected<void, std::string> add_gap(std::int64_t unix_ms, std::string_view error) override {
    const std::string why{error};
    auto stored = in_transaction([&] {
      insert_poll(unix_ms, &why);
      if (in_gap_) {
        rewind(extend_gap_);
        extend_gap_.exec();
      } else {
        rewind(open_gap_);
        open_gap_.bind(1, unix_ms);
        open_gap_.bind(2, why);
        open_gap_.exec();
      }
    });
    if (stored) in_gap_ = true;
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

  /// Inserts a poll, failed when `error` is given; its row id.
  std::int64_t insert_poll(std::int64_t unix_ms, const std::string* error) {
    rewind(insert_poll_);
    insert_poll_.bind(1, unix_ms);
    insert_poll_.bind(2, iso8601_utc(unix_ms));
    insert_poll_.bind(3, meter_);
    insert_poll_.bind(4, error == nullptr ? 1 : 0);
    if (error == nullptr) {
      insert_poll_.bind(5);
    } else {
      insert_poll_.bind(5, *error);
    }
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
  std::string meter_;
  SQLite::Statement insert_poll_;
  SQLite::Statement insert_reading_;
  SQLite::Statement open_gap_;
  SQLite::Statement extend_gap_;
  SQLite::Statement close_gap_;
  bool in_gap_ = false;
};

class CsvLog final : public LogStore {
 public:
  CsvLog(std::ofstream out, bool has_header) : out_(std::move(out)), header_written_(has_header) {}

  std::expected<void, std::string> add(std::int64_t unix_ms,
                                       const std::vector<MeterValue>& readings) override {
    if (!header_written_) {
      std::string header = "time,unix_ms,status";
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
    std::string row = fmt::format("{},{},ok", iso8601_utc(unix_ms), unix_ms);
    for (const MeterValue& r : readings) {
      row += ',';
      row += csv_field(r.text);
    }
    out_ << row << '\n';
    return flush();
  }

  std::expected<void, std::string> add_gap(std::int64_t unix_ms, std::string_view error) override {
    const std::string row = fmt::format("{},{},{}", iso8601_utc(unix_ms), unix_ms,
                                        csv_field(fmt::format("gap: {}", error)));
    if (!header_written_) {
      pending_.push_back(row);
      return {};
    }
    out_ << row << std::string(columns_, ',') << '\n';
    return flush();
  }
  ~CsvLog() override {
    if (!header_written_) {
      out_ << "time,unix_ms,status\n";
      for (const std::string& row : pending_) out_ << row << '\n';
    }
  }
  CsvLog(const CsvLog&) = delete;
  CsvLog& operator=(const CsvLog&) = delete;

 private:
  std::expected<void, std::string> flush() {
    out_.flush();
    if (!out_) return std::unexpected{"cannot write the CSV log (disk full?)"};
    return {};
  }
  std::ofstream out_;
  bool header_written_;
  std::size_t columns_ = 0;
  std::vector<std::string> pending_;
};

}  // namespace

std::expected<std::unique_ptr<LogStore>, std::string> open_sqlite_log(const std::string& path,
                                                                      std::string meter) {
  std::optional<SQLite::Database> db;
  try {
    db.emplace(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, kBusyTimeoutMs);
  } catch (const SQLite::Exception& e) {
    return std::unexpected{fmt::format("cannot open {} as SQLite: {}", path, e.what())};
  }
  try {
    db->exec(kSchema);
    return std::make_unique<SqliteLog>(std::move(*db), std::move(meter));
  } catch (const SQLite::Exception& e) {
    return std::unexpected{fmt::format("{} is not a usable log database: {}", path, e.what())};
  }
}

std::expected<std::unique_ptr<LogStore>, std::string> open_csv_log(const std::string& path) {
  std::error_code ec;
  const bool has_content =
      std::filesystem::exists(path, ec) && std::filesystem::file_size(path, ec) > 0;
  std::ofstream out(path, std::ios::app);
  if (!out) return std::unexpected{fmt::format("cannot open {} for writing", path)};
  return std::make_unique<CsvLog>(std::move(out), has_content);
}

}  // namespace ambi
