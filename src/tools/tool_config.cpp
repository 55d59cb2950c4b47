// `ambimeter config home-assistant`: a Home Assistant modbus: YAML for the meter
// (tools/ha_config.hpp). Needs no meter: the options say how HA reaches it.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <expected>
#include <string>
#include <vector>

#include "io/exit_codes.hpp"
#include "tools/ha_config.hpp"
#include "tools/tool_cli.hpp"
#include "tools/tool_session.hpp"

namespace ambi {
namespace {

constexpr std::string_view kTargets = "home-assistant";

/// The transport the options ask for, and what does not belong to it.
std::expected<HaTransport, std::string> resolve_transport(const ToolOptions::HomeAssistant& o) {
  const bool serial_given = !o.serial_port.empty() || o.baudrate != 0 || !o.parity.empty();
  const bool tcp_given = !o.host.empty() || o.port != 0;
  if (o.transport.empty() && serial_given && tcp_given) {
    return std::unexpected{
        std::string("--host/--port (TCP) and --serial-port/--baudrate/--parity (serial) do not go "
                    "together; choose one hub with --transport tcp, rtuovertcp or serial")};
  }
  HaTransport transport = serial_given ? HaTransport::serial : HaTransport::tcp;
  if (!o.transport.empty()) {
    const auto named = parse_ha_transport(o.transport);
    if (!named) {
      return std::unexpected{
          fmt::format("--transport {}: choose tcp, rtuovertcp or serial", o.transport)};
    }
    transport = *named;
  }
  if (transport == HaTransport::serial && tcp_given) {
    return std::unexpected{std::string(
        "--host and --port are for --transport tcp or rtuovertcp; drop them for a serial hub")};
  }
  if (transport != HaTransport::serial && serial_given) {
    return std::unexpected{std::string(
        "--serial-port, --baudrate and --parity are for --transport serial; drop them for a "
        "TCP hub")};
  }
  return transport;
}

std::vector<RegisterGroup> resolve_groups(const std::vector<std::string>& names) {
  std::vector<RegisterGroup> out;
  const bool all = names.empty() || std::ranges::find(names, "all") != names.end();
  if (all || std::ranges::find(names, "instant") != names.end()) {
    out.push_back(RegisterGroup::instant);
  }
  if (all || std::ranges::find(names, "energy") != names.end()) {
    out.push_back(RegisterGroup::energy);
  }
  if (all || std::ranges::find(names, "status") != names.end()) {
    out.push_back(RegisterGroup::status);
  }
  return out;
}

std::expected<HaConfigOptions, std::string> resolve(const ToolOptions::HomeAssistant& o) {
  const auto transport = resolve_transport(o);
  if (!transport) return std::unexpected{transport.error()};
  if (ha_slug(o.name).empty()) {
    return std::unexpected{fmt::format(
        "--name \"{}\" needs a letter or a digit (it prefixes every sensor's id)", o.name)};
  }
  HaConfigOptions c;
  c.name = o.name;
  c.transport = *transport;
  if (!o.host.empty()) c.host = o.host;
  if (o.port != 0) c.port = o.port;
  if (!o.serial_port.empty()) c.serial_port = o.serial_port;
  if (o.baudrate != 0) c.baudrate = o.baudrate;
  if (!o.parity.empty()) c.parity = o.parity == "none" ? 'N' : o.parity == "odd" ? 'O' : 'E';
  for (std::size_t i = 0; i < o.units.size(); ++i) {
    if (std::find(o.units.begin(), o.units.begin() + static_cast<std::ptrdiff_t>(i), o.units[i]) !=
        o.units.begin() + static_cast<std::ptrdiff_t>(i)) {
      return std::unexpected{fmt::format("--unit {} is given twice", o.units[i])};
    }
  }
  c.units = o.units;
  c.data_type = o.data_type == "integer" ? DataType::integer : DataType::standard;
  c.scan_interval = o.scan_interval;
  c.energy_scan_interval = o.energy_scan_interval;
  c.groups = resolve_groups(o.groups);
  return c;
}

}  // namespace

int tool_config(const CLI::App& config, const ToolOptions& options) {
  // The subcommands inherit `config`'s allow_extras, so their strays are collected too.
  const std::vector<std::string> extras = config.remaining(true);
  if (config.get_subcommands().empty()) {
    const std::string problem = extras.empty() ? std::string("name a target")
                                               : fmt::format("unknown target \"{}\"", extras[0]);
    tool_error("config", fmt::format("{}; the targets: {} (see ambimeter config {} --help)",
                                     problem, kTargets, kTargets));
    return kExitUsage;
  }
  if (!extras.empty()) {
    tool_error("config home-assistant",
               fmt::format("unknown option or argument \"{}\"; see ambimeter config "
                           "home-assistant --help",
                           extras[0]));
    return kExitUsage;
  }
  const auto resolved = resolve(options.ha);
  if (!resolved) {
    tool_error("config home-assistant", resolved.error());
    return kExitUsage;
  }
  const std::string text = render_home_assistant(*resolved);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return kExitOk;
}

}  // namespace ambi
