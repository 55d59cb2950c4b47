// `ambimeter audit TRACE.jsonl [--format table|json] [--baud N]` (docs/audit.md).
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "audit/audit_report.hpp"
#include "audit/trace_audit.hpp"
#include "io/errno_text.hpp"
#include "io/exit_codes.hpp"
#include "tools/tool_cli.hpp"

namespace ambi {

int tool_audit(const ToolOptions& o) {
  std::error_code ec;
  if (std::filesystem::is_directory(o.trace, ec)) {
    fmt::print(stderr,
               "ambimeter: {} is a directory; give the trace file written by `ambimeter run "
               "--trace FILE`\n",
               o.trace);
    return kExitUsage;
  }
  std::ifstream file(o.trace);
  if (!file) {
    fmt::print(stderr,
               "ambimeter: cannot open trace {}: {}; give a file written by `ambimeter run "
               "--trace FILE`\n",
               o.trace, errno_text(errno));
    return kExitUsage;
  }
  PollAudit audit;
  TraceAuditor reader(audit, o.baud);
  std::string line;
  std::size_t number = 0;
  while (std::getline(file, line)) {
    ++number;
    if (auto ok = reader.line(line, number); !ok) {
      fmt::print(stderr,
                 "ambimeter: {}: {}; give a file written by `ambimeter run --trace FILE` (JSON "
                 "lines, docs/modbus-transports.md)\n",
                 o.trace, ok.error());
      return kExitUsage;
    }
  }
  reader.finish();
  if (o.format == "json") {
    fmt::print("{}\n", audit_json(audit).dump());
  } else {
    fmt::print("{}", audit_table(audit));
  }
  return kExitOk;
}

}  // namespace ambi
