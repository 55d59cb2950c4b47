#include "audit/audit_report.hpp"

#include <fmt/format.h>

#include <chrono>

namespace ambi {
namespace {

Json time_json(const AuditTime& time) {
  Json j{{"sim_ms", time.sim_ms}};
  if (time.wall_us) j["t"] = audit_utc(*time.wall_us);
  return j;
}

std::string time_text(const AuditTime& time) {
  if (time.wall_us) return audit_utc(*time.wall_us);
  return fmt::format("sim {} ms", time.sim_ms);
}

}  // namespace

std::string audit_utc(std::int64_t unix_us) {
  using namespace std::chrono;
  const sys_time<microseconds> t{microseconds{unix_us}};
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> hms{floor<milliseconds>(t - day)};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count(),
                     hms.subseconds().count());
}

Json client_json(const AuditClient& client) {
  Json findings = Json::array();
  for (std::size_t i = 0; i < kAuditChecks; ++i) {
    const AuditFinding* f = client.finding(static_cast<AuditCheck>(i));
    if (f == nullptr) continue;
    findings.push_back(Json{{"check", to_string(f->check)},
                            {"severity", severity(f->check)},
                            {"count", f->count},
                            {"first", time_json(f->first)},
                            {"last", time_json(f->last)},
                            {"example", f->example},
                            {"detail", f->detail}});
  }
  return Json{{"transport", to_string(client.transport())},
              {"peer", client.peer()},
              {"requests", client.requests()},
              {"first", time_json(client.first_seen())},
              {"last", time_json(client.last_seen())},
              {"findings", std::move(findings)}};
}

Json audit_json(const PollAudit& audit) {
  Json clients = Json::array();
  std::size_t findings = 0;
  for (const AuditClient& c : audit.clients()) {
    // A line opened (a pty, a serial port) that has heard nothing yet is no client yet.
    if (c.requests() == 0 && c.finding_count() == 0) continue;
    clients.push_back(client_json(c));
    findings += c.finding_count();
  }
  return Json{{"clients", std::move(clients)},
              {"findings", findings},
              {"merged_connections", audit.merged_connections()}};
}

std::string audit_table(const PollAudit& audit) {
  std::string out = fmt::format("{:<30} {:<29} {:<8} {:>7}  {:<24} {:<24} {}\n", "CLIENT", "CHECK",
                                "SEVERITY", "COUNT", "FIRST", "LAST", "EXAMPLE");
  std::size_t rows = 0;
  for (const AuditClient& c : audit.clients()) {
    const std::string who = fmt::format("{} {}", to_string(c.transport()), c.peer());
    for (std::size_t i = 0; i < kAuditChecks; ++i) {
      const AuditFinding* f = c.finding(static_cast<AuditCheck>(i));
      if (f == nullptr) continue;
      ++rows;
      out += fmt::format("{:<30} {:<29} {:<8} {:>7}  {:<24} {:<24} {}\n    {}\n", who,
                         to_string(f->check), severity(f->check), f->count, time_text(f->first),
                         time_text(f->last), f->example, f->detail);
    }
  }
  std::uint64_t requests = 0;
  for (const AuditClient& c : audit.clients()) requests += c.requests();
  out += fmt::format("{} finding(s), {} client(s), {} request(s)\n", rows, audit.clients().size(),
                     requests);
  return out;
}

}  // namespace ambi
