// `ambimeter read` and `ambimeter watch`.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "io/exit_codes.hpp"
#include "io/utc_time.hpp"
#include "tools/output.hpp"
#include "tools/tool_cli.hpp"
#include "tools/tool_session.hpp"

namespace ambi {
namespace {

std::expected<MeterSession, int> open_session(std::string_view command, const ToolOptions& o) {
  auto uri = parse_meter_uri(o.uri);
  if (!uri) {
    tool_error(command, uri.error());
    return std::unexpected{kExitUsage};
  }
  auto session = MeterSession::open(*uri);
  if (!session) {
    tool_error(command, session.error());
    return std::unexpected{kExitFailure};
  }
  return std::move(*session);
}

}  // namespace

int tool_read(const ToolOptions& o) {
  auto session = open_session("read", o);
  if (!session) return session.error();
  const ReadSelection selection{.groups = o.groups, .names = o.args};
  if (session->modbus()) {
    if (auto wanted = select_registers(selection); !wanted) {
      tool_error("read", wanted.error());
      return kExitUsage;
    }
  }
  auto readings = session->read(selection);
  if (!readings) {
    tool_error("read", readings.error());
    return kExitFailure;
  }
  const auto format = parse_output_format(o.format).value_or(OutputFormat::table);
  const std::string text =
      render(format, *readings, to_string(session->uri()), iso8601_utc(unix_now_ms()));
  std::fwrite(text.data(), 1, text.size(), stdout);
  return kExitOk;
}

int tool_watch(const ToolOptions& o) {
  const auto interval = parse_interval(o.interval.empty() ? "2s" : o.interval);
  if (!interval) {
    tool_error("watch", "--interval: " + interval.error());
    return kExitUsage;
  }
  auto session = open_session("watch", o);
  if (!session) return session.error();
  ReadSelection selection{.groups = o.groups, .names = {}};
  if (selection.groups.empty()) selection.groups = {"instant", "energy"};
  install_stop_handlers();
  const bool tty = isatty(STDOUT_FILENO) != 0;
  auto next = std::chrono::steady_clock::now();
  int failures = 0;
  for (int n = 0; (o.count == 0 || n < o.count) && !stop_requested(); ++n) {
    auto readings = session->read(selection);
    const std::string stamp = iso8601_utc(unix_now_ms());
    std::string screen = tty ? "\x1b[H\x1b[2J" : (n > 0 ? "\n" : "");
    screen += fmt::format("{}  {}  (every {} ms, Ctrl-C to stop)\n\n", to_string(session->uri()),
                          stamp, interval->count());
    if (readings) {
      screen += render_table(*readings);
    } else {
      ++failures;
      screen += fmt::format("no reading: {}\n", readings.error());
    }
    std::fwrite(screen.data(), 1, screen.size(), stdout);
    std::fflush(stdout);
    next += *interval;
    if (o.count == 0 || n + 1 < o.count) sleep_until_or_stop(next);
  }
  return failures == 0 ? kExitOk : kExitFailure;
}

}  // namespace ambi
