// `ambimeter scan`: the meters on a bus. Modbus: a read of the identity registers at every
// unit id of the range. M-bus: SND_NKE at every primary address, or the collision-driven
// secondary search. Over Modbus TCP, unit 255 is asked whether it is a gateway (device type 330).
#include <fmt/format.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "io/csv.hpp"
#include "io/exit_codes.hpp"
#include "tools/output.hpp"
#include "tools/tool_cli.hpp"
#include "tools/tool_session.hpp"
#include "tools/units.hpp"

namespace ambi {
namespace {

int fail(std::string_view message) {
  tool_error("scan", message);
  return kExitFailure;
}

/// One meter found: column name → text, in column order.
using Row = std::vector<std::pair<std::string, std::string>>;

struct Range {
  int first;
  int last;
};

std::expected<Range, std::string> parse_range(std::string_view text, Range fallback, int max) {
  if (text.empty()) return fallback;
  const auto dash = text.find('-');
  const std::string_view a = text.substr(0, dash);
  const std::string_view b = dash == std::string_view::npos ? a : text.substr(dash + 1);
  Range r{-1, -1};
  const auto ra = std::from_chars(a.data(), a.data() + a.size(), r.first);
  const auto rb = std::from_chars(b.data(), b.data() + b.size(), r.last);
  if (ra.ec != std::errc{} || rb.ec != std::errc{} || ra.ptr != a.data() + a.size() ||
      rb.ptr != b.data() + b.size() || r.first < fallback.first || r.last > max ||
      r.first > r.last) {
    return std::unexpected{
        fmt::format("--range must be A-B within {}-{}, not \"{}\"", fallback.first, max, text)};
  }
  return r;
}

class Progress {
 public:
  Progress(bool enabled, int total) : enabled_(enabled), total_(total) {}
  void update(int done, std::size_t found, std::string_view what) {
    if (!enabled_) return;
    constexpr int kWidth = 30;
    const int filled = total_ > 0 ? done * kWidth / total_ : kWidth;
    fmt::print(stderr, "\r[{:#<{}}{: <{}}] {}/{} {} found {}\x1b[K", "", filled, "",
               kWidth - filled, done, total_, what, found);
    std::fflush(stderr);
  }
  ~Progress() {
    if (enabled_) fmt::print(stderr, "\r\x1b[K");
  }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

 private:
  bool enabled_;
  int total_;
};

/// The rows as a table (for people) or CSV (a header row, then one row per meter).
std::string render_list(OutputFormat format, const std::vector<Row>& rows, std::string_view what) {
  if (rows.empty())
    return format == OutputFormat::csv ? "" : fmt::format("no meter found ({})\n", what);
  std::vector<std::size_t> widths;
  for (const auto& [k, v] : rows.front()) widths.push_back(k.size());
  for (const Row& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i)
      widths[i] = std::max(widths[i], row[i].second.size());
  }
  const std::string_view sep = format == OutputFormat::csv ? "," : "  ";
  auto line = [&](auto&& cell) {
    std::string out;
    for (std::size_t i = 0; i < widths.size(); ++i) {
      if (i > 0) out += sep;
      if (format == OutputFormat::csv) {
        out += csv_field(cell(i));
      } else {
        out += i + 1 == widths.size() ? cell(i) : fmt::format("{:<{}}", cell(i), widths[i]);
      }
    }
    return out + "\n";
  };
  std::string out = line([&](std::size_t i) { return rows.front()[i].first; });
  for (const Row& row : rows) out += line([&](std::size_t i) { return row[i].second; });
  return out;
}

/// The note on a gateway that answered at unit 255 (the table's last line; on stderr with csv).
std::string gateway_note(const GatewayIdentity& g) {
  return fmt::format(
      "unit 255: a gateway (device type {}, Inepro 0330), serial {}, {} meter{} at units {}-{}",
      g.device_type, g.serial_number, g.meters, g.meters == 1 ? "" : "s", g.first_unit,
      g.last_unit);
}

nlohmann::ordered_json gateway_json(const GatewayIdentity& g) {
  return {{"unit", kGatewayUnit},
          {"device_type", g.device_type},
          {"hardware_version", fmt::format("0x{:04X}", g.hardware_version)},
          {"firmware_version", fmt::format("0x{:04X}", g.firmware_version)},
          {"serial_number", g.serial_number},
          {"meters", g.meters},
          {"units", {g.first_unit, g.last_unit}}};
}

std::string render_rows(OutputFormat format, const std::vector<Row>& rows, std::string_view what,
                        const std::optional<GatewayIdentity>& gateway) {
  if (format == OutputFormat::json) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const Row& row : rows) {
      nlohmann::ordered_json item;
      for (const auto& [k, v] : row) item[k] = v;
      list.push_back(std::move(item));
    }
    nlohmann::ordered_json out{{"meters", list}};
    if (gateway) out["gateway"] = gateway_json(*gateway);
    return out.dump(2) + "\n";
  }
  std::string out = render_list(format, rows, what);
  if (gateway && format == OutputFormat::table) out += gateway_note(*gateway) + "\n";
  return out;
}

std::string value_of(const std::vector<MeterValue>& readings, std::string_view name) {
  for (const MeterValue& r : readings) {
    if (r.name == name) return r.text;
  }
  return "?";
}

/// The row of a unit that answered but not as an Ambition does: every detail "?", `why` in
/// the last column.
Row unreadable_row(int id, std::string why) {
  return {{"unit", std::to_string(id)},
          {"serial_number", "?"},
          {"meter_code", "?"},
          {"software_version", "?"},
          {"baud_rate", "?"},
          {"parity", "?"},
          {"ct_ratio", "?"},
          {"data_type", std::move(why)}};
}

/// The row of a unit that answered the probe with data: its identity and line settings.
Row meter_row(ModbusClient& client, std::uint8_t unit,
              const std::vector<const RegisterDef*>& details) {
  auto readings = read_modbus(client, unit, details);
  Row row{{"unit", std::to_string(unit)}};
  for (const RegisterDef* d : details) {
    row.emplace_back(std::string{d->name}, readings ? value_of(*readings, d->name) : "?");
  }
  return row;
}

/// Probes the range (a second, longer try for the units a gateway left silent), then reads
/// the details of each device found.
int scan_modbus(MeterSession& s, Range range, bool progress_on, const MeterUri& uri,
                std::vector<Row>& rows) {
  ModbusClient& client = *s.modbus();
  Progress progress(progress_on, range.last - range.first + 1);
  std::vector<std::uint8_t> candidates;
  for (int id = range.first; id <= range.last; ++id)
    candidates.push_back(static_cast<std::uint8_t>(id));
  auto probes =
      probe_units(client, candidates, s.uri().timeout, effective_timeout(uri),
                  [&](std::size_t done, std::size_t found) {
                    progress.update(static_cast<int>(done), found,
                                    fmt::format("unit {}", range.first + static_cast<int>(done)));
                    return !stop_requested();
                  });
  if (!probes) return fail(probes.error().message);
  std::vector<const RegisterDef*> details;
  for (const char* n : {"serial_number", "meter_code", "software_version", "baud_rate", "parity",
                        "ct_ratio", "data_type"}) {
    details.push_back(find_register(n));
  }
  for (const UnitProbe& p : *probes) {
    switch (p.answer) {
      case ProbeAnswer::empty:
      case ProbeAnswer::silent:
        break;
      case ProbeAnswer::exception:
        rows.push_back(unreadable_row(
            p.unit, fmt::format("(answers exception {:02X}: not an Ambition?)", p.exception_code)));
        break;
      case ProbeAnswer::garbled:
        rows.push_back(unreadable_row(p.unit, "(garbled answer: two devices with this id?)"));
        break;
      case ProbeAnswer::data:
        rows.push_back(meter_row(client, p.unit, details));
        break;
    }
  }
  return kExitOk;
}

/// Over Modbus TCP, whether unit 255 is an Inepro gateway (one request after the units).
std::optional<GatewayIdentity> scan_gateway(MeterSession& s) {
  if (s.uri().scheme != UriScheme::modbus_tcp || stop_requested()) return std::nullopt;
  return probe_gateway(*s.modbus());
}

Row mbus_row(std::string_view key, std::string value, const MbusReadout& readout) {
  const MbusDataHeader& h = readout.header;
  return {{std::string{key}, std::move(value)},
          {"secondary_address", fmt::format("{:08X}", h.id_bcd)},
          {"manufacturer", manufacturer_letters(h.manufacturer)},
          {"version", std::to_string(h.version)},
          {"medium", fmt::format("0x{:02X}", h.medium)}};
}

int scan_mbus_primary(MbusMaster& m, Range range, bool progress_on, std::vector<Row>& rows) {
  Progress progress(progress_on, range.last - range.first + 1);
  for (int a = range.first; a <= range.last && !stop_requested(); ++a) {
    const auto address = static_cast<std::uint8_t>(a);
    progress.update(a - range.first, rows.size(), fmt::format("address {}", a));
    auto probe = m.probe(address);
    if (!probe) return fail(probe.error().message);
    if (*probe == MbusProbe::none) continue;
    if (*probe == MbusProbe::collision) {
      rows.push_back({{"address", std::to_string(a)},
                      {"secondary_address", "?"},
                      {"manufacturer", "?"},
                      {"version", "?"},
                      {"medium", "(collision: several meters at this address)"}});
      continue;
    }
    auto readout = m.read(address);
    if (readout) {
      rows.push_back(mbus_row("address", std::to_string(a), *readout));
    } else {
      rows.push_back({{"address", std::to_string(a)},
                      {"secondary_address", "?"},
                      {"manufacturer", "?"},
                      {"version", "?"},
                      {"medium", "(acknowledges but no data: " + readout.error().message + ")"}});
    }
  }
  return kExitOk;
}

int scan_mbus_secondary(MbusMaster& m, bool progress_on, std::vector<Row>& rows) {
  int probes = 0;
  auto on_probe = [&](std::uint32_t mask, MbusProbe) {
    ++probes;
    if (progress_on) {
      fmt::print(stderr, "\rsecondary search: {} selections, mask {:08X}\x1b[K", probes, mask);
      std::fflush(stderr);
    }
  };
  auto ids = secondary_search(m, on_probe);
  if (progress_on) fmt::print(stderr, "\r\x1b[K");
  if (!ids) return fail(ids.error().message);
  for (const std::uint32_t id : *ids) {
    MbusSelection mask;
    mask.id = id;
    auto probe = m.select(mask);
    auto readout =
        probe && *probe == MbusProbe::single
            ? m.read(mbus_address::selected)
            : std::expected<MbusReadout, MbusMasterError>{std::unexpected{MbusMasterError{}}};
    if (readout) {
      Row row = mbus_row("", "", *readout);
      row.erase(row.begin());
      rows.push_back(std::move(row));
    } else {
      rows.push_back({{"secondary_address", fmt::format("{:08X}", id)},
                      {"manufacturer", "?"},
                      {"version", "?"},
                      {"medium", "?"}});
    }
  }
  return kExitOk;
}

}  // namespace

int tool_scan(const ToolOptions& o) {
  auto uri = parse_meter_uri(o.uri);
  if (!uri) {
    tool_error("scan", uri.error());
    return kExitUsage;
  }
  if (o.secondary && !uri->is_mbus()) {
    tool_error("scan", "--secondary is an M-bus search; use an mbus+tcp:// or mbus+serial:// URI");
    return kExitUsage;
  }
  const Range fallback = uri->is_mbus() ? Range{0, 250} : Range{1, 247};
  auto range = parse_range(o.range, fallback, fallback.last);
  if (!range) {
    tool_error("scan", range.error());
    return kExitUsage;
  }
  // A short wait without retries: silence is the common answer on a line.
  auto session = MeterSession::open(probe_uri(*uri));
  if (!session) {
    tool_error("scan", session.error());
    return kExitFailure;
  }
  install_stop_handlers();
  const bool progress_on = !o.quiet && isatty(STDERR_FILENO) != 0;
  std::vector<Row> rows;
  const int rc = !uri->is_mbus() ? scan_modbus(*session, *range, progress_on, *uri, rows)
                 : o.secondary   ? scan_mbus_secondary(*session->mbus(), progress_on, rows)
                                 : scan_mbus_primary(*session->mbus(), *range, progress_on, rows);
  const auto format = parse_output_format(o.format).value_or(OutputFormat::table);
  const std::string what = o.secondary
                               ? std::string{"secondary search"}
                               : fmt::format("{} {}-{}", uri->is_mbus() ? "addresses" : "unit ids",
                                             range->first, range->last);
  const std::optional<GatewayIdentity> gateway =
      rc == kExitOk && !uri->is_mbus() ? scan_gateway(*session) : std::nullopt;
  if (gateway && format == OutputFormat::csv) tool_error("scan", gateway_note(*gateway));
  const std::string text = render_rows(format, rows, what, gateway);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return rc;
}

}  // namespace ambi
