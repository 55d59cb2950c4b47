// How to store a fleet's state (docs/performance.md "A fleet's store"): one save pass of N
// changed meters, side by side, through
//   files   — a folder per meter, three area files each replaced atomically (write, fsync,
//             rename, fsync the folder), as a single meter does;
//   slots   — the fleet's one slot file (twin/service/slot_file), the areas overwritten in
//             place and one fdatasync per pass;
//   sqlite  — SQLite in WAL mode, one transaction per pass (synchronous=NORMAL and FULL).
// Usage: fleet_store_bench [METERS=2000] [PASSES=3] [DIR=/tmp]
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/meter/storage_image.hpp"
#include "twin/service/fleet.hpp"
#include "twin/service/slot_file.hpp"
#include "twin/service/state_store.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

ambi::PersistentState state_of(std::uint32_t serial, int pass) {
  ambi::PersistentState s;
  s.serial_bcd = serial;
  s.settings.mbus_secondary_id = serial;
  s.registers.counters[0] = ambi::EnergyCounter::from_parts(std::int64_t{1000} * (pass + 1), 0);
  return s;
}

struct Result {
  std::string name;
  std::vector<double> pass_ms;
};

/// Times `passes` calls of `pass(p)`.
Result measure(std::string name, int passes, const std::function<void(int)>& pass) {
  Result r{std::move(name), {}};
  for (int p = 0; p < passes; ++p) {
    const auto t0 = Clock::now();
    pass(p);
    r.pass_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  return r;
}

Result bench_files(const fs::path& dir, const std::vector<std::uint32_t>& serials, int passes) {
  std::vector<ambi::StateStore> stores;
  for (const auto serial : serials) {
    auto store = ambi::StateStore::open_member(dir / fmt::format("{:08X}", serial));
    if (!store) throw std::runtime_error(store.error());
    static_cast<void>(store->load());
    stores.push_back(std::move(*store));
  }
  return measure("files (3 fsynced files per meter)", passes, [&](int p) {
    for (std::size_t i = 0; i < stores.size(); ++i) {
      static_cast<void>(stores[i].save(state_of(serials[i], p)));
    }
  });
}

Result bench_slots(const fs::path& dir, const std::vector<std::uint32_t>& serials, int passes) {
  auto slots = ambi::SlotFile::open(dir);
  if (!slots) throw std::runtime_error(slots.error());
  std::vector<ambi::StateStore> stores;
  for (const auto serial : serials) {
    auto store = ambi::StateStore::open_slot(*slots, serial, dir / "none");
    if (!store) throw std::runtime_error(store.error());
    static_cast<void>(store->load());
    stores.push_back(std::move(*store));
  }
  return measure("slots (one file, one fdatasync per pass)", passes, [&](int p) {
    for (std::size_t i = 0; i < stores.size(); ++i) {
      static_cast<void>(stores[i].save(state_of(serials[i], p)));
    }
    static_cast<void>((*slots)->sync());
  });
}

Result bench_sqlite(const fs::path& dir, const std::vector<std::uint32_t>& serials, int passes,
                    const char* synchronous) {
  SQLite::Database db((dir / "fleet.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec("PRAGMA journal_mode=WAL");
  db.exec(fmt::format("PRAGMA synchronous={}", synchronous));
  db.exec(
      "CREATE TABLE IF NOT EXISTS meters (serial INTEGER PRIMARY KEY, main BLOB, backup BLOB, "
      "mantissa BLOB)");
  SQLite::Statement upsert(db, "INSERT OR REPLACE INTO meters VALUES (?, ?, ?, ?)");
  return measure(fmt::format("sqlite WAL, synchronous={}, one transaction", synchronous), passes,
                 [&](int p) {
                   SQLite::Transaction tx(db);
                   for (const auto serial : serials) {
                     const ambi::StorageImage image =
                         ambi::encode_storage(state_of(serial, p), static_cast<std::uint64_t>(p));
                     upsert.bind(1, static_cast<std::int64_t>(serial));
                     upsert.bind(2, image.main.data(), static_cast<int>(image.main.size()));
                     upsert.bind(3, image.backup.data(), static_cast<int>(image.backup.size()));
                     upsert.bind(4, image.mantissa.data(), static_cast<int>(image.mantissa.size()));
                     upsert.exec();
                     upsert.reset();
                   }
                   tx.commit();
                 });
}

fs::path fresh_dir(const fs::path& base, const std::string& name) {
  std::string templ = (base / ("ambi-store-bench-" + name + "-XXXXXX")).string();
  if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed in " + templ);
  return templ;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t meters = argc > 1 ? std::stoul(argv[1]) : 2000;
  const int passes = argc > 2 ? std::stoi(argv[2]) : 3;
  const fs::path base = argc > 3 ? fs::path(argv[3]) : fs::path("/tmp");
  std::vector<std::uint32_t> serials;
  serials.reserve(meters);
  for (std::size_t i = 0; i < meters; ++i) {
    serials.push_back(ambi::bcd_add(0x19020246, static_cast<std::uint32_t>(i)).value_or(0));
  }
  std::vector<Result> results;
  std::vector<fs::path> dirs;
  try {
    dirs.push_back(fresh_dir(base, "slots"));
    results.push_back(bench_slots(dirs.back(), serials, passes));
    dirs.push_back(fresh_dir(base, "sqlite-normal"));
    results.push_back(bench_sqlite(dirs.back(), serials, passes, "NORMAL"));
    dirs.push_back(fresh_dir(base, "sqlite-full"));
    results.push_back(bench_sqlite(dirs.back(), serials, passes, "FULL"));
    dirs.push_back(fresh_dir(base, "files"));
    results.push_back(bench_files(dirs.back(), serials, passes));
  } catch (const std::exception& e) {
    fmt::print(stderr, "fleet_store_bench: {}\n", e.what());
    for (const auto& d : dirs) fs::remove_all(d);
    return 1;
  }
  for (const auto& d : dirs) fs::remove_all(d);
  fmt::print("one save pass of {} changed meters, {} passes each, in {}\n", meters, passes,
             base.string());
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double files_ms = median(results.back().pass_ms);
  for (const Result& r : results) {
    const double m = median(r.pass_ms);
    fmt::print(
        "  {:<45} median {:9.1f} ms/pass ({:7.1f} us/meter), range {:.1f}-{:.1f} ms, "
        "{:6.1f}x faster than files\n",
        r.name, m, m * 1000 / static_cast<double>(meters),
        *std::min_element(r.pass_ms.begin(), r.pass_ms.end()),
        *std::max_element(r.pass_ms.begin(), r.pass_ms.end()), files_ms / m);
  }
  return 0;
}
