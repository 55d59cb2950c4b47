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

const LogMeter kMeter{.uri = "tcp://127.0.0.1:502?unit=1", .unit = 1, .serial = {}};

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
  auto store = open_sqlite_log(path);
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
            (Rows{"id", "unix_ms", "time", "meter", "ok", "error", "unit", "serial"}));
  EXPECT_EQ(query(db, "SELECT name FROM pragma_table_info('readings')"),
            (Rows{"poll_id", "name", "value", "text", "unit"}));
  EXPECT_EQ(query(db, "SELECT name FROM pragma_table_info('gaps')"),
            (Rows{"id", "start_ms", "end_ms", "polls", "error", "meter", "unit", "serial"}));
  EXPECT_EQ(query(db, "PRAGMA journal_mode"), (Rows{"wal"}));
}

TEST(SqliteLog, StoresAPollAndOneRowPerReading) {
  const TempDir dir;
  const std::string db = dir.file("log.sqlite");
  auto log = sqlite_log(db);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->add(kMeter, kT0, kReadings).has_value());
  ASSERT_TRUE(log->add(kMeter, kT0 + 1000, {kReadings[0]}).has_value());
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
  ASSERT_TRUE(log->add(kMeter, kT0, kReadings).has_value());
  ASSERT_TRUE(log->add_gap(kMeter, kT0 + 1000, "no answer from 127.0.0.1:502").has_value());
  EXPECT_EQ(query(db, "SELECT id, start_ms, end_ms, polls, error FROM gaps"),
            (Rows{"1|1795532646123|NULL|1|no answer from 127.0.0.1:502"}));
  ASSERT_TRUE(log->add_gap(kMeter, kT0 + 2000, "connection refused").has_value());
  ASSERT_TRUE(log->add(kMeter, kT0 + 3000, kReadings).has_value());
  ASSERT_TRUE(log->add_gap(kMeter, kT0 + 4000, "no answer").has_value());
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
    ASSERT_TRUE(log->add(kMeter, kT0, kReadings).has_value());
  }
  auto log = sqlite_log(db);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->add(kMeter, kT0 + 1000, kReadings).has_value());
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
  const auto stored = log->add(kMeter, kT0, {kReadings[0], kReadings[0]});
  ASSERT_FALSE(stored.has_value());
  EXPECT_EQ(stored.error(),
            "SQLite insert: UNIQUE constraint failed: readings.poll_id, readings.name");
  EXPECT_EQ(query(db, "SELECT COUNT(*) FROM polls"), (Rows{"0"}));
  EXPECT_EQ(query(db, "SELECT COUNT(*) FROM readings"), (Rows{"0"}));
  // The store stays usable.
  ASSERT_TRUE(log->add(kMeter, kT0 + 1000, kReadings).has_value());
  EXPECT_EQ(query(db, "SELECT COUNT(*) FROM readings"), (Rows{"3"}));
}

TEST(SqliteLog, RefusesAFileThatIsNotADatabase) {
  const TempDir dir;
  const std::string path = dir.file("notes.txt");
  std::ofstream{path} << "these are not the readings you are looking for\n";
  const auto store = open_sqlite_log(path);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error(), path + " is not a usable log database: file is not a database");
}

TEST(SqliteLog, RefusesAFileInADirectoryThatDoesNotExist) {
  const TempDir dir;
  const std::string path = dir.file("missing/log.sqlite");
  const auto store = open_sqlite_log(path);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error(), "cannot open " + path + " as SQLite: unable to open database file");
}

/// Runs `sql` on the database at `path` (created when missing).
void exec(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &error), SQLITE_OK)
      << (error == nullptr ? "" : error);
  sqlite3_free(error);
  sqlite3_close(db);
}

// Two meters behind one gateway, as a --units log names them.
const LogMeter kUnit1{.uri = "tcp://127.0.0.1:5020?unit=1", .unit = 1, .serial = "19020246"};
const LogMeter kUnit2{.uri = "tcp://127.0.0.1:5020?unit=2", .unit = 2, .serial = "19020247"};

TEST(SqliteLog, NamesEachPollsUnitAndSerialAndKeepsAGapPerMeter) {
  const TempDir dir;
  const std::string db = dir.file("log.sqlite");
  auto log = sqlite_log(db);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->add(kUnit1, kT0, {kReadings[0]}).has_value());
  ASSERT_TRUE(log->add(kUnit2, kT0 + 10, {kReadings[0]}).has_value());
  ASSERT_TRUE(log->add(kUnit1, kT0 + 1000, {kReadings[0]}).has_value());
  ASSERT_TRUE(log->add_gap(kUnit2, kT0 + 1010, "exception 0B").has_value());
  ASSERT_TRUE(log->add(kUnit1, kT0 + 2000, {kReadings[0]}).has_value());  // no gap of its own
  ASSERT_TRUE(log->add_gap(kUnit2, kT0 + 2010, "exception 0B").has_value());
  ASSERT_TRUE(log->add_gap(kUnit1, kT0 + 3000, "no answer").has_value());
  ASSERT_TRUE(log->add(kUnit2, kT0 + 3010, {kReadings[0]}).has_value());  // closes unit 2's gap
  EXPECT_EQ(query(db, "SELECT id, unit, serial, ok FROM polls ORDER BY id"),
            (Rows{"1|1|19020246|1", "2|2|19020247|1", "3|1|19020246|1", "4|2|19020247|0",
                  "5|1|19020246|1", "6|2|19020247|0", "7|1|19020246|0", "8|2|19020247|1"}));
  EXPECT_EQ(query(db, "SELECT DISTINCT meter FROM polls ORDER BY meter"),
            (Rows{"tcp://127.0.0.1:5020?unit=1", "tcp://127.0.0.1:5020?unit=2"}));
  EXPECT_EQ(query(db,
                  "SELECT start_ms - 1795532645123, end_ms - 1795532645123, polls, error, meter, "
                  "unit, serial FROM gaps ORDER BY id"),
            (Rows{"1010|3010|2|exception 0B|tcp://127.0.0.1:5020?unit=2|2|19020247",
                  "3000|NULL|1|no answer|tcp://127.0.0.1:5020?unit=1|1|19020246"}));
}

TEST(SqliteLog, AMeterWithoutUnitOrSerialStoresNulls) {
  const TempDir dir;
  const std::string db = dir.file("log.sqlite");
  auto log = sqlite_log(db);
  ASSERT_NE(log, nullptr);
  const LogMeter mbus{.uri = "mbus+tcp://127.0.0.1:5021?address=254", .unit = {}, .serial = {}};
  ASSERT_TRUE(log->add(mbus, kT0, {kReadings[0]}).has_value());
  ASSERT_TRUE(log->add(kMeter, kT0 + 1000, {kReadings[0]}).has_value());
  EXPECT_EQ(query(db, "SELECT unit, serial, typeof(serial) FROM polls ORDER BY id"),
            (Rows{"NULL|NULL|null", "1|NULL|null"}));
}

TEST(SqliteLog, AddsTheUnitAndSerialColumnsToALogOfTheFirstSchema) {
  const TempDir dir;
  const std::string db = dir.file("old.sqlite");
  exec(db,
       "CREATE TABLE polls(id INTEGER PRIMARY KEY, unix_ms INTEGER NOT NULL, time TEXT NOT NULL,"
       " meter TEXT NOT NULL, ok INTEGER NOT NULL, error TEXT);"
       "CREATE TABLE readings(poll_id INTEGER NOT NULL REFERENCES polls(id), name TEXT NOT NULL,"
       " value REAL, text TEXT NOT NULL, unit TEXT NOT NULL, PRIMARY KEY(poll_id, name));"
       "CREATE TABLE gaps(id INTEGER PRIMARY KEY, start_ms INTEGER NOT NULL, end_ms INTEGER,"
       " polls INTEGER NOT NULL, error TEXT NOT NULL);"
       "INSERT INTO polls VALUES(1, 1, '1970-01-01T00:00:00.001Z', 'tcp://h:1?unit=1', 0, 'x');"
       "INSERT INTO gaps VALUES(1, 1, NULL, 1, 'x');");
  auto log = sqlite_log(db);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(query(db, "SELECT name FROM pragma_table_info('polls')"),
            (Rows{"id", "unix_ms", "time", "meter", "ok", "error", "unit", "serial"}));
  EXPECT_EQ(query(db, "SELECT name FROM pragma_table_info('gaps')"),
            (Rows{"id", "start_ms", "end_ms", "polls", "error", "meter", "unit", "serial"}));
  ASSERT_TRUE(log->add(kUnit2, kT0, {kReadings[0]}).has_value());
  EXPECT_EQ(query(db, "SELECT id, meter, unit, serial FROM polls ORDER BY id"),
            (Rows{"1|tcp://h:1?unit=1|NULL|NULL", "2|tcp://127.0.0.1:5020?unit=2|2|19020247"}));
  log.reset();
  EXPECT_NE(sqlite_log(db), nullptr) << "opens again once migrated";
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
  ASSERT_TRUE(log->add(kMeter, kT0, kReadings).has_value());
  ASSERT_TRUE(log->add_gap(kMeter, kT0 + 1000, "no answer, twice").has_value());
  ASSERT_TRUE(log->add(kMeter, kT0 + 2000, kReadings).has_value());
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
  ASSERT_TRUE(log->add_gap(kMeter, kT0, "connection refused").has_value());
  EXPECT_EQ(contents(path), "");
  ASSERT_TRUE(log->add(kMeter, kT0 + 1000, {kReadings[0]}).has_value());
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
  ASSERT_TRUE(log->add_gap(kMeter, kT0, "no answer").has_value());
  ASSERT_TRUE(log->add_gap(kMeter, kT0 + 1000, "no answer").has_value());
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
  ASSERT_TRUE(log->add(kMeter, kT0, {kReadings[0]}).has_value());
  EXPECT_EQ(contents(path),
            "time,unix_ms,status,l1_voltage [V]\n"
            "2026-11-24T15:04:05.123Z,1795532645123,ok,230.01\n");
}

TEST(CsvLog, QuotesNamesAndValuesAsRfc4180Says) {
  const TempDir dir;
  const std::string path = dir.file("log.csv");
  auto log = csv_log(path);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->add(kMeter, kT0, {value("ct_ratio", std::nullopt, "500,5", "")}).has_value());
  EXPECT_EQ(contents(path),
            "time,unix_ms,status,ct_ratio\n"
            "2026-11-24T15:04:05.123Z,1795532645123,ok,\"500,5\"\n");
}

TEST(CsvLog, OfSeveralUnitsHasTheUnitAndSerialColumnsAfterTheStatus) {
  const TempDir dir;
  const std::string path = dir.file("gateway.csv");
  auto store = open_csv_log(path, CsvLayout::units);
  ASSERT_TRUE(store.has_value()) << store.error();
  auto& log = *store;
  const LogMeter never{.uri = "tcp://127.0.0.1:5020?unit=3", .unit = 3, .serial = {}};
  ASSERT_TRUE(log->add_gap(never, kT0, "exception 0B").has_value());
  ASSERT_TRUE(log->add(kUnit1, kT0 + 10, {kReadings[0], kReadings[1]}).has_value());
  ASSERT_TRUE(log->add_gap(kUnit2, kT0 + 20, "exception 0B").has_value());
  EXPECT_EQ(contents(path),
            "time,unix_ms,status,unit,serial,l1_voltage [V],total_active_kwh [kWh]\n"
            "2026-11-24T15:04:05.123Z,1795532645123,gap: exception 0B,3,,,\n"
            "2026-11-24T15:04:05.133Z,1795532645133,ok,1,19020246,230.01,1234.500\n"
            "2026-11-24T15:04:05.143Z,1795532645143,gap: exception 0B,2,19020247,,\n");
}

TEST(CsvLog, RefusesToMixTheLogsOfOneMeterAndOfSeveralUnitsInAFile) {
  const TempDir dir;
  const std::string one = dir.file("one.csv");
  const std::string many = dir.file("many.csv");
  std::ofstream{one} << "time,unix_ms,status,l1_voltage [V]\n";
  std::ofstream{many} << "time,unix_ms,status,unit,serial,l1_voltage [V]\n";
  auto refused = open_csv_log(one, CsvLayout::units);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error(), one +
                                 " holds the log of one meter (no unit,serial columns); log "
                                 "several units to another file");
  refused = open_csv_log(many, CsvLayout::one_meter);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error(), many +
                                 " holds the log of several units (unit,serial columns); log one "
                                 "meter to another file, or give --units");
  auto store = open_csv_log(many, CsvLayout::units);
  ASSERT_TRUE(store.has_value()) << store.error();
  ASSERT_TRUE((*store)->add_gap(kUnit2, kT0, "no answer").has_value());
  EXPECT_EQ(contents(many),
            "time,unix_ms,status,unit,serial,l1_voltage [V]\n"
            "2026-11-24T15:04:05.123Z,1795532645123,gap: no answer,2,19020247,\n");
}

TEST(CsvLog, AGapAppendedToAFileHasAnEmptyFieldPerColumnOfItsHeader) {
  const TempDir dir;
  const std::string path = dir.file("log.csv");
  std::ofstream{path} << "time,unix_ms,status,l1_voltage [V],\"a,b\"\n";
  auto log = csv_log(path);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->add_gap(kMeter, kT0, "no answer").has_value());
  EXPECT_EQ(contents(path),
            "time,unix_ms,status,l1_voltage [V],\"a,b\"\n"
            "2026-11-24T15:04:05.123Z,1795532645123,gap: no answer,,\n");
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
