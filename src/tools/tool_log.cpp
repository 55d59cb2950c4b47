// `ambimeter log`: polls a meter at an interval and stores what it reads; a meter that stops
// answering leaves a recorded gap, and polling goes on (reconnecting) until Ctrl-C or --count.
// With --units, every poll reads each unit of a gateway or bus in turn, each row named by its
// unit and serial number, and a unit that stops answering leaves a gap of its own.
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "io/exit_codes.hpp"
#include "io/utc_time.hpp"
#include "tools/log_store.hpp"
#include "tools/tool_cli.hpp"
#include "tools/tool_session.hpp"
#include "tools/units.hpp"

namespace ambi {
namespace {

struct Summary {
  int polls = 0;
  int stored = 0;
  int failed = 0;
  int gaps = 0;
  std::size_t values = 0;
  std::string last_error;
};

struct Poller {
  MeterUri uri;
  ReadSelection selection;
  std::optional<MeterSession> session;

  std::expected<std::vector<MeterValue>, std::string> poll() {
    if (!session) {
      auto opened = MeterSession::open(uri);
      if (!opened) return std::unexpected{opened.error()};
      session.emplace(std::move(*opened));
    }
    auto readings = session->read(selection);
    if (!readings) session.reset();  // reconnect on the next poll
    return readings;
  }
};

std::string summary_text(const Summary& s, const std::string& path) {
  return fmt::format("{} polls, {} stored ({} values), {} failed in {} gap{} -> {}{}", s.polls,
                     s.stored, s.values, s.failed, s.gaps, s.gaps == 1 ? "" : "s", path,
                     s.last_error.empty() ? "" : fmt::format("; last error: {}", s.last_error));
}

/// The next poll's time: one interval on, skipping the times a slow poll has already passed
/// (no catch-up bursts).
std::chrono::steady_clock::time_point next_poll(std::chrono::steady_clock::time_point next,
                                                std::chrono::milliseconds interval) {
  const auto now = std::chrono::steady_clock::now();
  next += interval;
  while (next < now) next += interval;
  return next;
}

int log_one_meter(const ToolOptions& o, const MeterUri& uri, const ReadSelection& selection,
                  LogStore& store, std::chrono::milliseconds interval) {
  Poller poller{.uri = uri, .selection = selection, .session = std::nullopt};
  const LogMeter meter{.uri = to_string(uri),
                       .unit = uri.is_mbus() ? std::nullopt : std::optional<int>{uri.unit},
                       .serial = {}};
  Summary summary;
  bool in_gap = false;
  auto next = std::chrono::steady_clock::now();
  while ((o.count == 0 || summary.polls < o.count) && !stop_requested()) {
    const std::int64_t now = unix_now_ms();
    auto readings = poller.poll();
    ++summary.polls;
    auto stored =
        readings ? store.add(meter, now, *readings) : store.add_gap(meter, now, readings.error());
    if (!stored) {
      tool_error("log", stored.error());
      tool_error("log", summary_text(summary, o.to));
      return kExitFailure;
    }
    if (readings) {
      ++summary.stored;
      summary.values += readings->size();
      in_gap = false;
    } else {
      summary.gaps += in_gap ? 0 : 1;
      in_gap = true;
      ++summary.failed;
      summary.last_error = readings.error();
      tool_error("log", fmt::format("{}: {} (will retry)", iso8601_utc(now), readings.error()));
    }
    next = next_poll(next, interval);
    if (o.count == 0 || summary.polls < o.count) sleep_until_or_stop(next);
  }
  tool_error("log", summary_text(summary, o.to));
  return summary.stored > 0 ? kExitOk : kExitFailure;
}

/// One unit of a --units log: how its rows name it, and whether it is in a gap.
struct UnitLog {
  std::uint8_t unit = 1;
  LogMeter meter;
  bool in_gap = false;
};

/// The polls of several units over one connection.
class UnitsPoller {
 public:
  UnitsPoller(MeterUri uri, std::vector<const RegisterDef*> wanted)
      : uri_(std::move(uri)), wanted_(std::move(wanted)) {
    const RegisterDef* serial = find_register("serial_number");
    keep_serial_ = std::ranges::find(wanted_, serial) != wanted_.end();
    // Read with 4026 in one request of the 0x4000 block: no extra request.
    if (!keep_serial_ && serial != nullptr) wanted_.push_back(serial);
  }

  /// Starts a round: a link that failed in the last one is tried again.
  void start_round() { link_error_.reset(); }

  /// Reads `unit`: the selection's values and its serial number. After a failure of the link
  /// (not of one meter) the rest of the round fails alike without a request.
  std::expected<std::vector<MeterValue>, std::string> poll(std::uint8_t unit, std::string& serial) {
    if (link_error_) return std::unexpected{*link_error_};
    if (!session_) {
      auto opened = MeterSession::open(uri_);
      if (!opened) {
        link_error_ = opened.error();
        return std::unexpected{opened.error()};
      }
      session_.emplace(std::move(*opened));
    }
    auto readings = read_modbus(*session_->modbus(), unit, wanted_);
    if (!readings) {
      using K = ModbusClientError::Kind;
      if (readings.error().kind == K::connect || readings.error().kind == K::io) {
        link_error_ = readings.error().message;
        session_.reset();  // reconnect at the next round
      }
      return std::unexpected{readings.error().message};
    }
    const auto it =
        std::ranges::find(*readings, std::string_view{"serial_number"},
                          [](const MeterValue& v) -> std::string_view { return v.name; });
    if (it != readings->end()) {
      serial = it->text;
      if (!keep_serial_) readings->erase(it);
    }
    return std::move(*readings);
  }

 private:
  MeterUri uri_;
  std::vector<const RegisterDef*> wanted_;
  bool keep_serial_ = false;
  std::optional<MeterSession> session_;
  std::optional<std::string> link_error_;
};

/// The units of `--units all`: those that answer a probe at the start.
std::expected<std::vector<std::uint8_t>, int> discover_units(const MeterUri& uri) {
  const MeterUri probe = probe_uri(uri);
  auto session = MeterSession::open(probe);
  if (!session) {
    tool_error("log", session.error());
    return std::unexpected{kExitFailure};
  }
  const std::vector<std::uint8_t> candidates = every_unit();
  auto found = find_units(*session->modbus(), candidates, probe.timeout, effective_timeout(uri));
  if (!found) {
    tool_error("log", found.error().message);
    return std::unexpected{kExitFailure};
  }
  if (found->empty()) {
    tool_error("log", fmt::format("no meter answers at units 1-247 of {}", uri.text));
    return std::unexpected{kExitFailure};
  }
  return std::move(*found);
}

/// Polls one unit and stores the poll; false when the store failed (its error on stderr).
bool poll_unit(UnitLog& u, UnitsPoller& poller, LogStore& store, Summary& summary) {
  const std::int64_t now = unix_now_ms();
  std::string serial;
  auto readings = poller.poll(u.unit, serial);
  ++summary.polls;
  if (readings && !u.meter.serial.empty() && serial != u.meter.serial) {
    tool_error("log", fmt::format("unit {}: serial {} -> {} (another meter answers there now)",
                                  u.unit, u.meter.serial, serial));
  }
  if (readings) u.meter.serial = serial;
  auto stored =
      readings ? store.add(u.meter, now, *readings) : store.add_gap(u.meter, now, readings.error());
  if (!stored) {
    tool_error("log", stored.error());
    return false;
  }
  if (readings) {
    ++summary.stored;
    summary.values += readings->size();
    if (u.in_gap) {
      tool_error("log", fmt::format("{}: unit {} ({}) answers again", iso8601_utc(now), u.unit,
                                    u.meter.serial));
    }
    u.in_gap = false;
    return true;
  }
  ++summary.failed;
  summary.last_error = readings.error();
  if (!u.in_gap) {
    ++summary.gaps;
    tool_error("log", fmt::format("{}: unit {}: {} (will retry)", iso8601_utc(now), u.unit,
                                  readings.error()));
  }
  u.in_gap = true;
  return true;
}

int log_units(const ToolOptions& o, const MeterUri& uri, const std::vector<std::uint8_t>& units,
              std::vector<const RegisterDef*> wanted, LogStore& store,
              std::chrono::milliseconds interval) {
  std::vector<UnitLog> logs;
  for (const std::uint8_t unit : units) {
    MeterUri one = uri;
    one.unit = unit;
    logs.push_back({.unit = unit,
                    .meter = {.uri = to_string(one), .unit = unit, .serial = {}},
                    .in_gap = false});
  }
  tool_error("log", fmt::format("{} unit{} ({}) of {}, every {} ms -> {}", units.size(),
                                units.size() == 1 ? "" : "s", units_text(units), uri.text,
                                interval.count(), o.to));
  UnitsPoller poller(uri, std::move(wanted));
  Summary summary;
  int rounds = 0;
  auto next = std::chrono::steady_clock::now();
  while ((o.count == 0 || rounds < o.count) && !stop_requested()) {
    poller.start_round();
    for (UnitLog& u : logs) {
      if (stop_requested()) break;
      if (!poll_unit(u, poller, store, summary)) {
        tool_error("log", summary_text(summary, o.to));
        return kExitFailure;
      }
    }
    ++rounds;
    next = next_poll(next, interval);
    if (o.count == 0 || rounds < o.count) sleep_until_or_stop(next);
  }
  tool_error("log", fmt::format("{} round{} of {} units: {}", rounds, rounds == 1 ? "" : "s",
                                logs.size(), summary_text(summary, o.to)));
  return summary.stored > 0 ? kExitOk : kExitFailure;
}

/// What --units asks for, checked against the URI: the units (nullopt without --units) and
/// the registers to read; the error is the exit code (the message is on stderr).
struct UnitsPlan {
  std::optional<UnitList> units;
  std::vector<const RegisterDef*> wanted;
};

std::expected<UnitsPlan, int> plan_units(const ToolOptions& o, const MeterUri& uri,
                                         const ReadSelection& selection) {
  if (o.units.empty()) return UnitsPlan{};
  const auto usage = [](std::string_view message) {
    tool_error("log", message);
    return std::unexpected{kExitUsage};
  };
  if (uri.is_mbus())
    return usage("--units takes Modbus unit ids; use a tcp://, rtu+tcp:// or serial:// URI");
  if (uri.unit_given)
    return usage("give the units either in the URI (unit=) or with --units, not both");
  auto list = parse_unit_list(o.units);
  if (!list) return usage(list.error());
  auto registers = select_registers(selection);
  if (!registers) return usage(registers.error());
  return UnitsPlan{.units = std::move(*list), .wanted = std::move(*registers)};
}

}  // namespace

int tool_log(const ToolOptions& o) {
  const auto interval = parse_interval(o.interval.empty() ? "10s" : o.interval);
  if (!interval) {
    tool_error("log", "--interval: " + interval.error());
    return kExitUsage;
  }
  auto uri = parse_meter_uri(o.uri);
  if (!uri) {
    tool_error("log", uri.error());
    return kExitUsage;
  }
  ReadSelection selection{.groups = o.groups, .names = {}};
  if (selection.groups.empty()) selection.groups = {"instant", "energy"};
  auto plan = plan_units(o, *uri, selection);
  if (!plan) return plan.error();
  const std::optional<UnitList>& units = plan->units;
  const bool csv = o.store == "csv" || (o.store.empty() && o.to.ends_with(".csv"));
  auto store = csv ? open_csv_log(o.to, units ? CsvLayout::units : CsvLayout::one_meter)
                   : open_sqlite_log(o.to);
  if (!store) {
    tool_error("log", store.error());
    return kExitUsage;
  }
  install_stop_handlers();
  if (!units) return log_one_meter(o, *uri, selection, **store, *interval);
  std::vector<std::uint8_t> ids = units->units;
  if (units->all) {
    auto found = discover_units(*uri);
    if (!found) return found.error();
    ids = std::move(*found);
  }
  return log_units(o, *uri, ids, std::move(plan->wanted), **store, *interval);
}

}  // namespace ambi
