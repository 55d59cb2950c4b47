// The tool subcommands on the command line.
#include "tools/tool_cli.hpp"

#include "reader/setting_args.hpp"

namespace ambi {
namespace {

constexpr const char* kUriHelp =
    "the meter: tcp://HOST:PORT?unit=N, rtu+tcp://HOST:PORT, "
    "serial:///dev/ttyUSB0?baud=9600&parity=even&unit=N, "
    "mbus+tcp://HOST:PORT?address=A|secondary=ID, mbus+serial:///dev/ttyUSB0?baud=2400 (see "
    "docs/tools.md)";

void add_uri(CLI::App* command, ToolOptions& o) {
  command->add_option("uri", o.uri, kUriHelp)->required();
}

void add_format(CLI::App* command, ToolOptions& o) {
  command->add_option("--format", o.format, "table (for people), csv or json (for scripts)")
      ->check(CLI::IsMember({"table", "csv", "json"}));
}

void add_groups(CLI::App* command, ToolOptions& o, const char* help) {
  command->add_option("--group", o.groups, help)
      ->delimiter(',')
      ->check(CLI::IsMember({"identity", "settings", "status", "instant", "energy", "all"}));
}

std::string write_help() {
  std::string help = "settings to change, NAME=VALUE:";
  for (const SettingArgDef& d : setting_arg_defs()) {
    help += "\n  ";
    help += d.name;
    help += "=";
    help += d.values;
  }
  return help;
}

}  // namespace

ToolCommands add_tool_commands(CLI::App& app, ToolOptions& o) {
  ToolCommands c;
  c.read = app.add_subcommand("read",
                              "Read every value of a meter (or a group, or named values), decoded");
  add_uri(c.read, o);
  c.read->add_option("names", o.args, "register (Modbus) or record (M-bus) names, e.g. l1_voltage");
  add_groups(c.read, o, "identity, settings, status, instant, energy or all (default all)");
  add_format(c.read, o);

  c.write = app.add_subcommand("write",
                               "Change settings of a meter by name, with the meter's validation");
  add_uri(c.write, o);
  c.write->add_option("settings", o.args, write_help())->required();

  c.scan = app.add_subcommand(
      "scan", "Find the meters on a bus: Modbus unit ids, M-bus primary or secondary addresses");
  add_uri(c.scan, o);
  c.scan->add_option("--range", o.range, "ids to probe, A-B (Modbus default 1-247, M-bus 0-250)");
  c.scan->add_flag("--secondary", o.secondary,
                   "M-bus: the collision-driven secondary address search");
  c.scan->add_flag("--quiet", o.quiet, "no progress bar");
  add_format(c.scan, o);

  c.watch = app.add_subcommand("watch", "A live table of instantaneous values and energy");
  add_uri(c.watch, o);
  c.watch->add_option("--interval", o.interval, "time between refreshes (default 2s)");
  c.watch->add_option("--count", o.count, "stop after N refreshes (default: until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  add_groups(c.watch, o, "groups to show (default instant,energy)");

  c.log = app.add_subcommand("log", "Poll a meter and store timestamped readings in SQLite or CSV");
  add_uri(c.log, o);
  c.log->add_option("--to", o.to, "the file: SQLite, or CSV when it ends in .csv")->required();
  c.log->add_option("--store", o.store, "sqlite or csv (default from the file name)")
      ->check(CLI::IsMember({"sqlite", "csv"}));
  c.log->add_option("--interval", o.interval, "time between polls (default 10s)");
  c.log
      ->add_option("--count", o.count,
                   "stop after N polls, with --units N rounds (default: until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  c.log->add_option("--units", o.units,
                    "Modbus: log many meters of one gateway or bus, e.g. 1-10,20, or all (the "
                    "units that answer at the start)");
  add_groups(c.log, o, "groups to store (default instant,energy)");

  c.audit = app.add_subcommand(
      "audit",
      "The poll audit over a trace of `run --trace`: what each client did that a real "
      "meter would punish (docs/audit.md)");
  c.audit->add_option("trace", o.trace, "the trace file (JSON lines of `ambimeter run --trace`)")
      ->required();
  c.audit
      ->add_option("--format", o.format, "table (for people) or json (GET /api/v1/audit's shape)")
      ->check(CLI::IsMember({"table", "json"}));
  c.audit
      ->add_option("--baud", o.baud,
                   "the meter's Modbus baud rate while the trace was written, for the timing "
                   "check of rtu lines (default 9600, the factory setting)")
      ->check(CLI::IsMember({300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200}));
  return c;
}

int run_tool(const ToolCommands& c, const ToolOptions& o) {
  if (c.read->parsed()) return tool_read(o);
  if (c.write->parsed()) return tool_write(o);
  if (c.scan->parsed()) return tool_scan(o);
  if (c.watch->parsed()) return tool_watch(o);
  if (c.log->parsed()) return tool_log(o);
  if (c.audit->parsed()) return tool_audit(o);
  return -1;
}

}  // namespace ambi
