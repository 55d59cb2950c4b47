// The stores of `ambimeter log` (docs/tools.md "log", spec decision C54): the SQLite tables
// polls, readings and gaps, read back with sqlite3, and the CSV file, byte for byte.
#include "tools/log_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace ambi {
namespace {

namespace fs = std::filesystem;

/// A fresh directory of this test's own, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* test = testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() / (std::string{"ambi-log-store-"} + test->test_suite_name() +
                                         "-" + test->name() + "-" + std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  [[nodiscard]] std::string file(const char* name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

MeterValue value(std::string name, std::optional<double> number, std::string text,
                 std::string unit) {
  return MeterValue{.name = std::move(name),
                    .description = {},
                    .group = "instant",
                    .where = "0x5002",
                    .number = number,
                    .text = std::move(text),
                    .unit = std::move(unit)};
}

const std::vector<MeterValue> kReadings{value("l1_voltage", 230.01, "230.01", "V"),
                                        value("total_active_kwh", 1234.5, "1234.500", "kWh"),
                                        value("meter_code", std::nullopt, "0x0E1F", "")};

// 2026-11-24T15:04:05.123Z and the polls after it, one a second.
constexpr std::int64_t kT0 = 1'795'532'645'123;

/// Every row of `sql` as text, columns separated by '|', NULL as "NULL" (the sqlite3 shell's
/// list mode).
std::vector<std::string> query(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  std::vector<std::string> rows;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db);
    sqlite3_close(db);
    return rows;
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  }
  while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
    std::string row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      if (i > 0) row += '|';
      const auto* text = sqlite3_column_text(stmt, i);
      row += text == nullptr ? std::string{"NULL"} : reinterpret_cast<const char*>(text);
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

std::unique_ptr<LogStore> sqlite_log(const std::string& path) {
  auto store = open_sqlite_log(path, "tcp://127.0.0.1:502?unit=1");
  EXPECT_TRUE(store.has_value()) << store.error();
  return store ? std::move(*store) : nullptr;
}

std::string contents(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

using Rows = std::vector<std::string>;

TEST(SqliteLog, CreatesTheThreeTablesOfTheDocsInWalMode) {
  const TempDir dir;
  const std::string db = dir.file("log.sqlite");
  ASSERT_NE(sqlite_log(db), nullptr);
  EXPECT_EQ(query(db, "SELECT name FROM pragma_table_info('polls')"),
            (Rows{"id", "unix_ms", "time", "meter", "ok", "error"}));
  EXPECT_EQ(query(db, "SELECT name FROM pragma_table_info('readings')"),
            (Rows{"poll_id", "name", "value", "text", "unit"}));
  EXPECT_EQ(query(db, "SELECT name FROM pragma_table_info('gaps')"),
            (Rows{"id", "start_ms", "end_ms", "polls", "error"}));
  EXPECT_EQ(query(db, "PRAGMA journal_mode"), (Rows{"wal"}));
}

TEST(SqliteLog, StoresAPollAndOneRowPerReading) {
  const TempDir dir;
  const std::string db = dir.file("log.sqlite");
  auto log = sqlite_log(db);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->add(kT0, kReadings).has_value());
  ASSERT_TRUE(log->add(kT0 + 1000, {kReadings[0]}).has_value());
  EXPECT_EQ(query(db, "SELECT id, unix_ms, time, meter, ok, error FROM polls ORDER BY id"),
            (Rows{"1|1795532645123|2026-11-24T15:04:05.123Z|tcp://127.0.0.1:502?unit=1|1|NULL",
                  "2|1795532646123|2026-11-24T15:04:06.123Z|tcp://127.0.0.1:502?unit=1|1|NULL"}));
  EXPECT_EQ(
      query(db,
            "SELECT poll_id, name, value, typeof(value), text, unit FROM readings "
            "ORDER BY poll_id, rowid"),
      (Rows{"1|l1_voltage|230.01|real|230.01|V", "1|total_active_kwh|1234.5|real|1234.500|kWh",
            "1|meter_code|NULL|null|0x0E1F|", "2|l1_voltage|230.01|real|230.01|V"}));
  EXPECT_EQ(query(db, "SELECT COUNT(*) FROM gaps"), (Rows{"0"}));
}

TEST(SqliteLog, OpensAGapAtTheFirstFailedPollAndClosesItAtTheNextGoodOne) {
  const TempDir dir;
  const std::string db = dir.file("log.sqlite");
  auto log = sqlite_log(db);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->add(kT0, kReadings).has_value());
  ASSERT_TRUE(log->add_gap(kT0 + 1000, "no answer from 127.0.0.1:502").has_value());
  EXPECT_EQ(query(db, "SELECT id, start_ms, end_ms, polls, error FROM gaps"),
            (Rows{"1|1795532646123|NULL|1|no answer from 127.0.0.1:502"}));
  ASSERT_TRUE(log->add_gap(kT0 + 2000, "connection refused").has_value());
  ASSERT_TRUE(log->add(kT0 + 3000, kReadings).has_value());
  ASSERT_TRUE(log->add_gap(kT0 + 4000, "no answer").has_value());
  EXPECT_EQ(query(db, "SELECT id, start_ms, end_ms, polls, error FROM gaps ORDER BY id"),
            (Rows{"1|1795532646123|1795532648123|2|no answer from 127.0.0.1:502",
                  "2|1795532649123|NULL|1|no answer"}));
  EXPECT_EQ(query(db, "SELECT id, ok, error FROM polls ORDER BY id"),
            (Rows{"1|1|NULL", "2|0|no answer from 127.0.0.1:502", "3|0|connection refused",
                  "4|1|NULL", "5|0|no answer"}));
  EXPECT_EQ(query(db, "SELECT DISTINCT poll_id FROM readings ORDER BY poll_id"), (Rows{"1", "4"}));
}

TEST(SqliteLog, AppendsToAnExistingLog) {
  const TempDir dir;
  const std::string db = dir.file("log.sqlite");
  {
    auto log = sqlite_log(db);
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(log->add(kT0, kReadings).has_value());
  }
  auto log = sqlite_log(db);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->add(kT0 + 1000, kReadings).has_value());
  EXPECT_EQ(query(db, "SELECT id, unix_ms FROM polls ORDER BY id"),
            (Rows{"1|1795532645123", "2|1795532646123"}));
  EXPECT_EQ(query(db, "SELECT COUNT(*) FROM readings"), (Rows{"6"}));
}

TEST(SqliteLog, RollsBackAPollWhoseReadingsCannotAllBeStored) {
  const TempDir dir;
  const std::string db = dir.file("log.sqlite");
  auto log = sqlite_log(db);
  ASSERT_NE(log, nullptr);
  // The same name twice breaks the primary key (poll_id, name) at the second row.
  const auto stored = log->add(kT0, {kReadings[0], kReadings[0]});
  ASSERT_FALSE(stored.has_value());
  EXPECT_EQ(stored.error(),
            "SQLite insert: UNIQUE constraint failed: readings.poll_id, readings.name");
  EXPECT_EQ(query(db, "SELECT COUNT(*) FROM polls"), (Rows{"0"}));
  EXPECT_EQ(query(db, "SELECT COUNT(*) FROM readings"), (Rows{"0"}));
  // The store stays usable.
  ASSERT_TRUE(log->add(kT0 + 1000, kReadings).has_value());
  EXPECT_EQ(query(db, "SELECT COUNT(*) FROM readings"), (Rows{"3"}));
}

TEST(SqliteLog, RefusesAFileThatIsNotADatabase) {
  const TempDir dir;
  const std::string path = dir.file("notes.txt");
  std::ofstream{path} << "these are not the readings you are looking for\n";
  const auto store = open_sqlite_log(path, "tcp://h:1?unit=1");
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error(), path + " is not a usable log database: file is not a database");
}

TEST(SqliteLog, RefusesAFileInADirectoryThatDoesNotExist) {
  const TempDir dir;
  const std::string path = dir.file("missing/log.sqlite");
  const auto store = open_sqlite_log(path, "tcp://h:1?unit=1");
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error(), "cannot open " + path + " as SQLite: unable to open database file");
}

std::unique_ptr<LogStore> csv_log(const std::string& path) {
  auto store = open_csv_log(path);
  EXPECT_TRUE(store.has_value()) << store.error();
  return store ? std::move(*store) : nullptr;
}

TEST(CsvLog, WritesAHeaderOfNamesAndUnitsThenARowPerPoll) {
  const TempDir dir;
  const std::string path = dir.file("log.csv");
  auto log = csv_log(path);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->add(kT0, kReadings).has_value());
  ASSERT_TRUE(log->add_gap(kT0 + 1000, "no answer, twice").has_value());
  ASSERT_TRUE(log->add(kT0 + 2000, kReadings).has_value());
  EXPECT_EQ(contents(path),
            "time,unix_ms,status,l1_voltage [V],total_active_kwh [kWh],meter_code\n"
            "2026-11-24T15:04:05.123Z,1795532645123,ok,230.01,1234.500,0x0E1F\n"
            "2026-11-24T15:04:06.123Z,1795532646123,\"gap: no answer, twice\",,,\n"
            "2026-11-24T15:04:07.123Z,1795532647123,ok,230.01,1234.500,0x0E1F\n");
}

TEST(CsvLog, HoldsGapsBeforeTheFirstGoodPollUntilItsColumnsAreKnown) {
  const TempDir dir;
  const std::string path = dir.file("log.csv");
  auto log = csv_log(path);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->add_gap(kT0, "connection refused").has_value());
  EXPECT_EQ(contents(path), "");
  ASSERT_TRUE(log->add(kT0 + 1000, {kReadings[0]}).has_value());
  EXPECT_EQ(contents(path),
            "time,unix_ms,status,l1_voltage [V]\n"
            "2026-11-24T15:04:05.123Z,1795532645123,gap: connection refused,\n"
            "2026-11-24T15:04:06.123Z,1795532646123,ok,230.01\n");
}

TEST(CsvLog, OfOnlyGapsWritesTheFixedColumnsWhenClosed) {
  const TempDir dir;
  const std::string path = dir.file("log.csv");
  auto log = csv_log(path);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->add_gap(kT0, "no answer").has_value());
  ASSERT_TRUE(log->add_gap(kT0 + 1000, "no answer").has_value());
  log.reset();
  EXPECT_EQ(contents(path),
            "time,unix_ms,status\n"
            "2026-11-24T15:04:05.123Z,1795532645123,gap: no answer\n"
            "2026-11-24T15:04:06.123Z,1795532646123,gap: no answer\n");
}

TEST(CsvLog, AppendsToAFileThatHasContentWithoutASecondHeader) {
  const TempDir dir;
  const std::string path = dir.file("log.csv");
  std::ofstream{path} << "time,unix_ms,status,l1_voltage [V]\n";
  auto log = csv_log(path);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->add(kT0, {kReadings[0]}).has_value());
  EXPECT_EQ(contents(path),
            "time,unix_ms,status,l1_voltage [V]\n"
            "2026-11-24T15:04:05.123Z,1795532645123,ok,230.01\n");
}

TEST(CsvLog, QuotesNamesAndValuesAsRfc4180Says) {
  const TempDir dir;
  const std::string path = dir.file("log.csv");
  auto log = csv_log(path);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->add(kT0, {value("ct_ratio", std::nullopt, "500,5", "")}).has_value());
  EXPECT_EQ(contents(path),
            "time,unix_ms,status,ct_ratio\n"
            "2026-11-24T15:04:05.123Z,1795532645123,ok,\"500,5\"\n");
}

TEST(CsvLog, RefusesAFileInADirectoryThatDoesNotExist) {
  const TempDir dir;
  const std::string path = dir.file("missing/log.csv");
  const auto store = open_csv_log(path);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error(), "cannot open " + path + " for writing");
}

}  // namespace
}  // namespace ambi
