// ambimeter: a software twin of the Inepro Ambition 2PU CT energy meter.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "tools/tool_bridge.hpp"
#include "tools/tool_cli.hpp"
#include "twin/run/run_command.hpp"

#ifndef AMBI_VERSION
#define AMBI_VERSION "0.1.0"
#endif

namespace {

int ambimeter_main(int argc, char** argv) {
  CLI::App app{
      "ambimeter: a software twin of the Inepro Ambition 2PU CT three-phase energy meter, and the "
      "tools to read, write, scan, watch and log such meters, print their register map and "
      "write a client's configuration"};
  app.set_version_flag("--version", "ambimeter " AMBI_VERSION);
  app.require_subcommand(1);
  ambi::RunOptions run_options;
  CLI::App* run = ambi::add_run_command(app, run_options);
  ambi::ToolOptions tool_options;
  const ambi::ToolCommands tools = ambi::add_tool_commands(app, tool_options);
  ambi::BridgeOptions bridge_options;
  CLI::App* bridge = ambi::add_bridge_command(app, bridge_options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "ambimeter: {}; see ambimeter --help\n", e.what());
    return ambi::kExitUsage;
  }
  if (run->parsed()) return ambi::run_meter(run_options);
  if (bridge->parsed()) return ambi::run_bridge(bridge_options);
  if (const int rc = ambi::run_tool(tools, tool_options); rc >= 0) return rc;
  return ambi::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  // Every error a user can cause has its own message and exit code below this; what escapes
  // is a bug (or memory exhausted) and still gets one line instead of std::terminate.
  try {
    return ambimeter_main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ambimeter: internal error: %s\n", e.what());
    return ambi::kExitFailure;
  }
}
