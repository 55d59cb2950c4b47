// The Home Assistant `modbus:` YAML of `ambimeter config home-assistant` (docs/tools.md).
#include "tools/ha_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iterator>

#include "export/exported_values.hpp"

namespace ambi {
namespace {

bool wanted(const RegisterDef& def, const HaConfigOptions& o) {
  const RegisterGroup group = def.name == "tariff" ? RegisterGroup::status : def.group;
  return std::ranges::find(o.groups, group) != o.groups.end();
}

std::string_view data_type_of(const RegisterDef& def, DataType type) {
  switch (def.encoding) {
    case Encoding::float_abcd:
      return sent_as_integer(def, type) ? "int32" : "float32";
    case Encoding::binary_u16:
      return "uint16";
    case Encoding::binary_u32:
      return "uint32";
    default:
      return "int16";
  }
}

/// The description as a name: "Voltage*" → "Voltage".
std::string_view plain(std::string_view description) {
  while (description.ends_with('*')) description.remove_suffix(1);
  return description;
}

HaSensor sensor_of(const RegisterDef& def, const HaClasses& c, const HaConfigOptions& o, int unit) {
  HaSensor s{.reg = &def, .classes = c, .unit = unit};
  const std::string prefix = o.units.size() > 1 ? fmt::format("{} {}", o.name, unit) : o.name;
  s.name = fmt::format("{} {}", prefix, plain(def.description));
  s.unique_id = ha_slug(fmt::format("{} {}", prefix, def.name));
  s.data_type = data_type_of(def, o.data_type);
  s.precision = c.decimals;
  if (s.data_type == "int32") {
    // Integer data mode: the value counts least significant bits (0.01 V, 0.001 kW...).
    const double lsb =
        static_cast<double>(integer_lsb_nano(def.unit)) / static_cast<double>(kNanoPerUnit);
    s.scale = lsb;
    s.precision = std::max(0, static_cast<int>(std::lround(-std::log10(lsb))));
  }
  s.scan_interval = def.group == RegisterGroup::energy ? o.energy_scan_interval : o.scan_interval;
  return s;
}

/// A YAML double-quoted scalar: quotes and backslashes escaped, control characters as \xHH.
std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (const char ch : text) {
    if (static_cast<unsigned char>(ch) < 0x20) {
      fmt::format_to(std::back_inserter(out), "\\x{:02X}", static_cast<unsigned char>(ch));
      continue;
    }
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

void append_hub(std::string& out, const HaConfigOptions& o) {
  auto line = [&out](std::string_view key, const auto& value) {
    fmt::format_to(std::back_inserter(out), "    {}: {}\n", key, value);
  };
  fmt::format_to(std::back_inserter(out), "  - name: {}\n", quoted(o.name));
  switch (o.transport) {
    case HaTransport::serial:
      line("type", "serial");
      line("method", "rtu");
      line("port", quoted(o.serial_port));
      line("baudrate", o.baudrate);
      line("bytesize", 8);
      line("parity", quoted(std::string(1, o.parity)));
      line("stopbits", 1);
      break;
    case HaTransport::tcp:
    case HaTransport::rtuovertcp:
      line("type", o.transport == HaTransport::tcp ? "tcp" : "rtuovertcp");
      line("host", quoted(o.host));
      line("port", o.port);
      break;
  }
  line("timeout", 3);
}

void append_sensor(std::string& out, const HaSensor& s) {
  auto line = [&out](std::string_view key, const auto& value) {
    fmt::format_to(std::back_inserter(out), "        {}: {}\n", key, value);
  };
  fmt::format_to(std::back_inserter(out), "      - name: {}\n", quoted(s.name));
  line("unique_id", quoted(s.unique_id));
  line("slave", s.unit);
  fmt::format_to(std::back_inserter(out), "        address: {}  # 0x{:04X}\n", s.reg->address,
                 s.reg->address);
  line("input_type", "holding");
  line("data_type", s.data_type);
  if (s.scale != 1.0) line("scale", fmt::format("{:g}", s.scale));
  line("precision", s.precision);
  if (!s.classes.unit.empty()) line("unit_of_measurement", quoted(s.classes.unit));
  if (!s.classes.device_class.empty()) line("device_class", s.classes.device_class);
  if (!s.classes.state_class.empty()) line("state_class", s.classes.state_class);
  line("scan_interval", s.scan_interval);
}

std::string header_comment(const HaConfigOptions& o) {
  std::string out =
      "# Home Assistant Modbus configuration for an Inepro Ambition 2PU CT (manual A3.2),\n"
      "# written by `ambimeter config home-assistant`. Put the hub under the `modbus:` key of\n"
      "# configuration.yaml (HA takes one `modbus:` list with every hub).\n";
  if (o.data_type == DataType::standard) {
    out +=
        "# It assumes the meter's data type setting (register 0x4026) is standard (1, the\n"
        "# factory setting): values are Float ABCD, high word first. For a meter in integer\n"
        "# mode (4026 = 2) run it again with --data-type integer.\n";
  } else {
    out +=
        "# It assumes the meter's data type setting (register 0x4026) is integer (2): values\n"
        "# are int32, high word first, in 0.01 V, Hz, kWh, kvarh, 0.001 A, kW, kvar, kVA, PF.\n";
  }
  return out;
}

}  // namespace

std::optional<HaTransport> parse_ha_transport(std::string_view text) {
  if (text == "tcp") return HaTransport::tcp;
  if (text == "rtuovertcp" || text == "rtu-over-tcp") return HaTransport::rtuovertcp;
  if (text == "serial") return HaTransport::serial;
  return std::nullopt;
}

std::optional<HaClasses> ha_classes(const RegisterDef& def) {
  const ExportedValue* v = find_exported(def.name);
  // A Modbus sensor shows the register's number as it is: an 'F'/'R' needs a template.
  if (v == nullptr || v->transform != ExportTransform::number) return std::nullopt;
  return HaClasses{.device_class = v->device_class,
                   .state_class = v->state_class,
                   .unit = v->unit,
                   .decimals = unit_format(def.unit).decimals};
}

std::vector<HaSensor> ha_sensors(const HaConfigOptions& options) {
  std::vector<HaSensor> out;
  for (const int unit : options.units) {
    for (const RegisterDef& def : register_map()) {
      if (!wanted(def, options)) continue;
      if (const auto classes = ha_classes(def)) {
        out.push_back(sensor_of(def, *classes, options, unit));
      }
    }
  }
  return out;
}

std::string render_home_assistant(const HaConfigOptions& options) {
  std::string out = header_comment(options);
  out += "modbus:\n";
  append_hub(out, options);
  out += "    sensors:\n";
  for (const HaSensor& s : ha_sensors(options)) append_sensor(out, s);
  return out;
}

std::string ha_slug(std::string_view text) {
  std::string out;
  bool gap = false;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool keep = std::isalnum(c) != 0 && c < 0x80;
    if (!keep) {
      gap = !out.empty();
      continue;
    }
    if (gap) out += '_';
    gap = false;
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

}  // namespace ambi
