// SQLite and CSV stores of `ambimeter log`.
#include "tools/log_store.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

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

struct Statement {
  sqlite3_stmt* stmt = nullptr;
  ~Statement() { sqlite3_finalize(stmt); }
};

class SqliteLog final : public LogStore {
 public:
  SqliteLog(sqlite3* db, std::string meter) : db_(db), meter_(std::move(meter)) {}
  ~SqliteLog() override { sqlite3_close(db_); }
  SqliteLog(const SqliteLog&) = delete;
  SqliteLog& operator=(const SqliteLog&) = delete;

  std::expected<void, std::string> add(std::int64_t unix_ms,
                                       const std::vector<MeterValue>& readings) override {
    if (auto ok = exec("BEGIN"); !ok) return ok;
    auto ok = insert_poll(unix_ms, {});
    for (const MeterValue& r : readings) {
      if (ok) ok = insert_reading(r);
    }
    if (ok && in_gap_) ok = close_gap(unix_ms);
    if (!ok) {
      (void)exec("ROLLBACK");
      return ok;
    }
    return exec("COMMIT");
  }

  std::expected<void, std::string> add_gap(std::int64_t unix_ms, std::string_view error) override {
    if (auto ok = exec("BEGIN"); !ok) return ok;
    auto ok = insert_poll(unix_ms, std::string{error});
    if (ok) {
      ok = in_gap_
               ? run("UPDATE gaps SET polls = polls + 1 WHERE id = (SELECT MAX(id) FROM gaps)", {})
               : run("INSERT INTO gaps(start_ms, end_ms, polls, error) VALUES(?, NULL, 1, ?)",
                     {std::to_string(unix_ms), std::string{error}});
    }
    if (!ok) {
      (void)exec("ROLLBACK");
      return ok;
    }
    in_gap_ = true;
    return exec("COMMIT");
  }

 private:
  std::expected<void, std::string> fail(std::string_view what) const {
    return std::unexpected{fmt::format("SQLite {}: {}", what, sqlite3_errmsg(db_))};
  }
  std::expected<void, std::string> exec(const char* sql) const {
    return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK
               ? std::expected<void, std::string>{}
               : fail(sql);
  }
  /// Runs `sql` with text parameters (SQLite converts them by column affinity).
  std::expected<void, std::string> run(const char* sql,
                                       const std::vector<std::string>& params) const {
    Statement s;
    if (sqlite3_prepare_v2(db_, sql, -1, &s.stmt, nullptr) != SQLITE_OK) return fail("prepare");
    for (std::size_t i = 0; i < params.size(); ++i) {
      sqlite3_bind_text(s.stmt, static_cast<int>(i + 1), params[i].c_str(), -1, SQLITE_TRANSIENT);
    }
    return sqlite3_step(s.stmt) == SQLITE_DONE ? std::expected<void, std::string>{}
                                               : fail("insert");
  }
  std::expected<void, std::string> insert_poll(std::int64_t unix_ms,
                                               const std::optional<std::string>& error) {
    Statement s;
    if (sqlite3_prepare_v2(db_,
                           "INSERT INTO polls(unix_ms, time, meter, ok, error) VALUES(?,?,?,?,?)",
                           -1, &s.stmt, nullptr) != SQLITE_OK) {
      return fail("prepare");
    }
    const std::string time = iso8601_utc(unix_ms);
    sqlite3_bind_int64(s.stmt, 1, unix_ms);
    sqlite3_bind_text(s.stmt, 2, time.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s.stmt, 3, meter_.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s.stmt, 4, error ? 0 : 1);
    if (error) sqlite3_bind_text(s.stmt, 5, error->c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s.stmt) != SQLITE_DONE) return fail("insert");
    poll_id_ = sqlite3_last_insert_rowid(db_);
    return {};
  }
  std::expected<void, std::string> insert_reading(const MeterValue& r) {
    Statement s;
    if (sqlite3_prepare_v2(
            db_, "INSERT INTO readings(poll_id, name, value, text, unit) VALUES(?,?,?,?,?)", -1,
            &s.stmt, nullptr) != SQLITE_OK) {
      return fail("prepare");
    }
    sqlite3_bind_int64(s.stmt, 1, poll_id_);
    sqlite3_bind_text(s.stmt, 2, r.name.c_str(), -1, SQLITE_TRANSIENT);
    if (r.number) sqlite3_bind_double(s.stmt, 3, *r.number);
    sqlite3_bind_text(s.stmt, 4, r.text.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s.stmt, 5, r.unit.c_str(), -1, SQLITE_TRANSIENT);
    return sqlite3_step(s.stmt) == SQLITE_DONE ? std::expected<void, std::string>{}
                                               : fail("insert");
  }
  std::expected<void, std::string> close_gap(std::int64_t unix_ms) {
    in_gap_ = false;
    return run("UPDATE gaps SET end_ms = ? WHERE id = (SELECT MAX(id) FROM gaps)",
               {std::to_string(unix_ms)});
  }

  sqlite3* db_;
  std::string meter_;
  sqlite3_int64 poll_id_ = 0;
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
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string message = fmt::format("cannot open {} as SQLite: {}", path,
                                      db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return std::unexpected{message};
  }
  sqlite3_busy_timeout(db, 2000);
  if (sqlite3_exec(db, kSchema, nullptr, nullptr, nullptr) != SQLITE_OK) {
    std::string message =
        fmt::format("{} is not a usable log database: {}", path, sqlite3_errmsg(db));
    sqlite3_close(db);
    return std::unexpected{message};
  }
  return std::make_unique<SqliteLog>(db, std::move(meter));
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
