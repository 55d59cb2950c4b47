// `ambimeter log`: polls a meter at an interval and stores what it reads; a meter that stops
// answering leaves a recorded gap, and polling goes on (reconnecting) until Ctrl-C or --count.
#include <fmt/format.h>

#include <optional>

#include "io/exit_codes.hpp"
#include "io/utc_time.hpp"
#include "tools/log_store.hpp"
#include "tools/tool_cli.hpp"
#include "tools/tool_session.hpp"

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

void print_summary(const Summary& s, const std::string& path) {
  tool_error("log", fmt::format(
                        "{} polls, {} stored ({} values), {} failed in {} gap{} -> {}{}", s.polls,
                        s.stored, s.values, s.failed, s.gaps, s.gaps == 1 ? "" : "s", path,
                        s.last_error.empty() ? "" : fmt::format("; last error: {}", s.last_error)));
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
  Poller poller{
      .uri = *uri, .selection = {.groups = o.groups, .names = {}}, .session = std::nullopt};
  if (poller.selection.groups.empty()) poller.selection.groups = {"instant", "energy"};
  const bool csv = o.store == "csv" || (o.store.empty() && o.to.ends_with(".csv"));
  auto store = csv ? open_csv_log(o.to) : open_sqlite_log(o.to, to_string(*uri));
  if (!store) {
    tool_error("log", store.error());
    return kExitUsage;
  }
  install_stop_handlers();
  Summary summary;
  bool in_gap = false;
  auto next = std::chrono::steady_clock::now();
  while ((o.count == 0 || summary.polls < o.count) && !stop_requested()) {
    const std::int64_t now = unix_now_ms();
    auto readings = poller.poll();
    ++summary.polls;
    auto stored =
        readings ? (*store)->add(now, *readings) : (*store)->add_gap(now, readings.error());
    if (!stored) {
      tool_error("log", stored.error());
      print_summary(summary, o.to);
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
    next += *interval;
    if (o.count == 0 || summary.polls < o.count) sleep_until_or_stop(next);
  }
  print_summary(summary, o.to);
  return summary.stored > 0 ? kExitOk : kExitFailure;
}

}  // namespace ambi
