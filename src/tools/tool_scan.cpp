// `ambimeter scan`: the meters on a bus. Modbus: a read of the identity registers at every
// unit id of the range. M-bus: SND_NKE at every primary address, or the collision-driven
// secondary search.
#include <fmt/format.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/codec/line_timing.hpp"
#include "io/csv.hpp"
#include "io/exit_codes.hpp"
#include "tools/output.hpp"
#include "tools/tool_cli.hpp"
#include "tools/tool_session.hpp"

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

std::string render_rows(OutputFormat format, const std::vector<Row>& rows, std::string_view what) {
  if (format == OutputFormat::json) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const Row& row : rows) {
      nlohmann::ordered_json item;
      for (const auto& [k, v] : row) item[k] = v;
      list.push_back(std::move(item));
    }
    return nlohmann::ordered_json{{"meters", list}}.dump(2) + "\n";
  }
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

int scan_modbus(MeterSession& s, Range range, bool progress_on, std::vector<Row>& rows) {
  ModbusClient& client = *s.modbus();
  Progress progress(progress_on, range.last - range.first + 1);
  std::vector<const RegisterDef*> details;
  for (const char* n : {"serial_number", "meter_code", "software_version", "baud_rate", "parity",
                        "ct_ratio", "data_type"}) {
    details.push_back(find_register(n));
  }
  for (int id = range.first; id <= range.last && !stop_requested(); ++id) {
    const auto unit = static_cast<std::uint8_t>(id);
    progress.update(id - range.first, rows.size(), fmt::format("unit {}", id));
    auto probe = client.read(unit, 0x4000, 2);
    if (!probe) {
      using K = ModbusClientError::Kind;
      const auto& e = probe.error();
      if (e.kind == K::connect || e.kind == K::io) return fail(e.message);
      if (e.kind == K::exception && e.exception_code != 0x0A && e.exception_code != 0x0B) {
        rows.push_back(unreadable_row(
            id, fmt::format("(answers exception {:02X}: not an Ambition?)", e.exception_code)));
      } else if (e.kind == K::bad_reply) {
        rows.push_back(unreadable_row(id, "(garbled answer: two devices with this id?)"));
      }
      continue;
    }
    auto readings = read_modbus(client, unit, details);
    Row row{{"unit", std::to_string(id)}};
    for (const RegisterDef* d : details) {
      row.emplace_back(std::string{d->name}, readings ? value_of(*readings, d->name) : "?");
    }
    rows.push_back(std::move(row));
  }
  return kExitOk;
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
  if (uri->retries < 0) uri->retries = 0;  // a silent id is the common answer: do not ask twice
  if (uri->timeout.count() == 0) {
    // On a line, 40 characters of answer on top of the wait.
    const auto line = uri->is_serial() ? std::chrono::floor<std::chrono::milliseconds>(
                                             line_timing::character_time(uri->baud, 40))
                                       : std::chrono::milliseconds{0};
    uri->timeout = std::chrono::milliseconds{uri->is_serial() ? 150 : 300} + line;
  }
  auto session = MeterSession::open(*uri);
  if (!session) {
    tool_error("scan", session.error());
    return kExitFailure;
  }
  install_stop_handlers();
  const bool progress_on = !o.quiet && isatty(STDERR_FILENO) != 0;
  std::vector<Row> rows;
  const int rc = !uri->is_mbus() ? scan_modbus(*session, *range, progress_on, rows)
                 : o.secondary   ? scan_mbus_secondary(*session->mbus(), progress_on, rows)
                                 : scan_mbus_primary(*session->mbus(), *range, progress_on, rows);
  const auto format = parse_output_format(o.format).value_or(OutputFormat::table);
  const std::string what = o.secondary
                               ? std::string{"secondary search"}
                               : fmt::format("{} {}-{}", uri->is_mbus() ? "addresses" : "unit ids",
                                             range->first, range->last);
  const std::string text = render_rows(format, rows, what);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return rc;
}

}  // namespace ambi
