// `ambimeter map`: the register map and the record table, from the tables the twin serves
// from (tools/map_export.hpp). Needs no meter.
#include <fmt/format.h>

#include <cstdio>

#include "io/exit_codes.hpp"
#include "tools/map_export.hpp"
#include "tools/tool_cli.hpp"
#include "tools/tool_session.hpp"

namespace ambi {

int tool_map(const ToolOptions& options) {
  // The command line checks both words already; this keeps a bad default from passing.
  const auto format = parse_map_format(options.map_format);
  const auto tables = parse_map_tables(options.map_table);
  if (!format || !tables) {
    tool_error("map", "--format must be md, json or csv and --table modbus, mbus or all");
    return kExitUsage;
  }
  const std::string text = render_map(*format, *tables);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return kExitOk;
}

}  // namespace ambi
