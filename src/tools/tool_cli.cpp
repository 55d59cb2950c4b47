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

void add_map(ToolCommands& c, CLI::App& app, ToolOptions& o) {
  c.map = app.add_subcommand(
      "map", "Print the Modbus register map and the M-bus record table (markdown, JSON, CSV)");
  c.map->add_option("--format", o.map_format, "md (the docs' tables, default), json or csv")
      ->check(CLI::IsMember({"md", "json", "csv"}));
  c.map->add_option("--table", o.map_table, "modbus, mbus or all (default all)")
      ->check(CLI::IsMember({"modbus", "mbus", "all"}));
}

void add_home_assistant(CLI::App* ha, ToolOptions::HomeAssistant& o) {
  ha->add_option("--name", o.name, "the hub's name and the sensors' prefix (default Ambition)");
  ha->add_option("--transport", o.transport,
                 "tcp (default; a gateway or the twin), rtuovertcp, or serial (default when "
                 "--serial-port, --baudrate or --parity is given)")
      ->check(CLI::IsMember({"tcp", "rtuovertcp", "rtu-over-tcp", "serial"}));
  ha->add_option("--host", o.host, "TCP: the gateway's or twin's address (default 127.0.0.1)");
  ha->add_option("--port", o.port, "TCP: its port (default 502)")->check(CLI::Range(1, 65535));
  ha->add_option("--serial-port", o.serial_port,
                 "serial: the RS485 adapter (default /dev/ttyUSB0)");
  ha->add_option("--baudrate", o.baudrate, "serial: the meter's baud rate (default 9600)")
      ->check(CLI::IsMember({300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200}));
  ha->add_option("--parity", o.parity, "serial: even (default), none or odd")
      ->check(CLI::IsMember({"even", "none", "odd"}));
  ha->add_option("--unit", o.units,
                 "the meter's Modbus id, 1-247 (default 1); several, e.g. 1,2,5, for the "
                 "meters behind one gateway or on one bus (one hub)")
      ->delimiter(',')
      ->check(CLI::Range(1, 247));
  ha->add_option("--data-type", o.data_type,
                 "the meter's data type setting (4026): standard (Float ABCD, the factory "
                 "setting) or integer")
      ->check(CLI::IsMember({"standard", "float", "integer"}));
  ha->add_option("--scan-interval", o.scan_interval,
                 "seconds between reads of instantaneous values and status (default 10)")
      ->check(CLI::Range(1, 86400));
  ha->add_option("--energy-scan-interval", o.energy_scan_interval,
                 "seconds between reads of the energy registers (default 60)")
      ->check(CLI::Range(1, 86400));
  ha->add_option("--group", o.groups, "instant, energy, status or all (default all)")
      ->delimiter(',')
      ->check(CLI::IsMember({"instant", "energy", "status", "all"}));
}

void add_config(ToolCommands& c, CLI::App& app, ToolOptions& o) {
  c.config = app.add_subcommand("config", "Print a client's configuration for the meter");
  // A target that is not there is reported by tool_config, naming the ones there are.
  c.config->allow_extras();
  c.home_assistant = c.config->add_subcommand(
      "home-assistant", "Home Assistant: a modbus: hub with a sensor per useful register");
  add_home_assistant(c.home_assistant, o.ha);
}

void add_audit(ToolCommands& c, CLI::App& app, ToolOptions& o) {
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
  add_map(c, app, o);
  add_config(c, app, o);

  add_audit(c, app, o);
  return c;
}

int run_tool(const ToolCommands& c, const ToolOptions& o) {
  if (c.read->parsed()) return tool_read(o);
  if (c.write->parsed()) return tool_write(o);
  if (c.scan->parsed()) return tool_scan(o);
  if (c.watch->parsed()) return tool_watch(o);
  if (c.log->parsed()) return tool_log(o);
  if (c.map->parsed()) return tool_map(o);
  if (c.config->parsed()) return tool_config(*c.config, o);
  if (c.audit->parsed()) return tool_audit(o);
  return -1;
}

}  // namespace ambi
