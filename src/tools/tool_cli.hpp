#pragma once
// The reader tools on the command line (docs/tools.md): `ambimeter read | write | scan |
// watch | log URI ...`, for a real meter on an RS485/M-bus adapter or the twin alike, and
// `ambimeter map` and `ambimeter config home-assistant`, which need no meter.
// Exit codes: 0 done, 1 the meter or the line failed (one line on stderr says how),
// 2 a usage error (bad URI, option or NAME=VALUE).

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace ambi {

/// Everything the tool subcommands take, as typed.
struct ToolOptions {
  std::string uri;
  std::vector<std::string> args;    ///< read: register names; write: NAME=VALUE
  std::vector<std::string> groups;  ///< --group
  std::string format = "table";     ///< --format table|csv|json
  std::string interval;             ///< watch/log --interval (default 2s / 10s)
  std::string to;                   ///< log --to FILE
  std::string store;                ///< log --store sqlite|csv (default from the file name)
  int count = 0;                    ///< watch/log --count N: stop after N polls (0: until Ctrl-C)
  std::string units;                ///< log --units all|1-10,20: many meters of one gateway or bus
  std::string range;                ///< scan --range A-B
  bool secondary = false;           ///< scan --secondary (M-bus)
  bool quiet = false;               ///< no progress bar
  // map
  std::string map_format = "md";  ///< --format md|json|csv
  std::string map_table = "all";  ///< --table modbus|mbus|all
  // config home-assistant: empty (0) for an option not given, so that the command can tell
  // which transport the options ask for and refuse the ones that do not belong to it.
  struct HomeAssistant {
    std::string name = "Ambition";
    std::string transport;  ///< tcp|rtuovertcp|serial
    std::string host;
    int port = 0;
    std::string serial_port;
    int baudrate = 0;
    std::string parity;                  ///< even|none|odd
    std::vector<int> units{1};           ///< --unit 1,2,5: the meters of one gateway or bus
    std::string data_type = "standard";  ///< standard (float)|integer
    int scan_interval = 10;
    int energy_scan_interval = 60;
    std::vector<std::string> groups;  ///< instant,energy,status (default all three)
  } ha;
  std::string trace;          ///< audit: the trace file
  std::uint32_t baud = 9600;  ///< audit --baud: the meter's RTU baud rate in the trace
};

/// The subcommands, to see which one was parsed.
struct ToolCommands {
  CLI::App* read = nullptr;
  CLI::App* write = nullptr;
  CLI::App* scan = nullptr;
  CLI::App* watch = nullptr;
  CLI::App* log = nullptr;
  CLI::App* map = nullptr;
  CLI::App* config = nullptr;
  CLI::App* home_assistant = nullptr;  ///< config home-assistant
  CLI::App* audit = nullptr;
};

/// Declares the subcommands on `app`, filling `options`.
ToolCommands add_tool_commands(CLI::App& app, ToolOptions& options);

/// Runs whichever subcommand was parsed; -1 when none of them was.
[[nodiscard]] int run_tool(const ToolCommands& commands, const ToolOptions& options);

/// The commands, one per file (tool_read.cpp, tool_write.cpp, tool_scan.cpp, tool_log.cpp,
/// tool_map.cpp, tool_config.cpp).
[[nodiscard]] int tool_read(const ToolOptions& options);
[[nodiscard]] int tool_watch(const ToolOptions& options);
[[nodiscard]] int tool_write(const ToolOptions& options);
[[nodiscard]] int tool_scan(const ToolOptions& options);
[[nodiscard]] int tool_log(const ToolOptions& options);
/// tool_map.cpp: the register map and the record table (no meter needed).
[[nodiscard]] int tool_map(const ToolOptions& options);
/// tool_config.cpp: a client configuration for the meter (no meter needed). `config` is
/// the parsed `config` subcommand, to report a target that is not there.
[[nodiscard]] int tool_config(const CLI::App& config, const ToolOptions& options);
/// `ambimeter audit TRACE.jsonl`: the poll audit over a recorded trace (docs/audit.md).
[[nodiscard]] int tool_audit(const ToolOptions& options);

}  // namespace ambi
