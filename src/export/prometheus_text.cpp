#include "export/prometheus_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <unordered_map>

namespace ambi {
namespace {

/// The meter families in `exported_values()` order, each with the values it holds and each
/// value's labels after serial (",phase=\"l1\"...}"), computed once.
struct MeterFamily {
  const ExportedValue* first = nullptr;  ///< its name, help and kind
  std::vector<std::size_t> values;       ///< indices into `exported_values()`
};
struct MeterFamilies {
  std::vector<MeterFamily> families;
  std::vector<std::string> label_tails;  ///< by value index
};

std::string label_tail(const ExportedValue& v) {
  std::string tail;
  const std::pair<std::string_view, std::string_view> labels[] = {{"phase", v.phase},
                                                                  {"tariff", v.tariff},
                                                                  {"direction", v.direction},
                                                                  {"quadrant", v.quadrant}};
  for (const auto& [name, value] : labels) {
    if (!value.empty()) tail += fmt::format(",{}=\"{}\"", name, escape_label_value(value));
  }
  tail += "} ";
  return tail;
}

MeterFamilies build_families() {
  MeterFamilies out;
  const auto values = exported_values();
  for (std::size_t i = 0; i < values.size(); ++i) {
    const ExportedValue& v = values[i];
    out.label_tails.push_back(label_tail(v));
    const auto it = std::ranges::find_if(
        out.families, [&](const MeterFamily& f) { return f.first->family == v.family; });
    if (it != out.families.end()) {
      it->values.push_back(i);
    } else {
      out.families.push_back(MeterFamily{&v, {i}});
    }
  }
  return out;
}

const MeterFamilies& meter_families() {
  static const MeterFamilies kFamilies = build_families();
  return kFamilies;
}

std::string_view type_name(MetricKind kind) {
  return kind == MetricKind::counter ? "counter" : "gauge";
}

void write_head(std::string& out, std::string_view family, std::string_view help, MetricKind kind) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", family, escape_help(help),
                 family, type_name(kind));
}

/// Whether `text` is a plain decimal ("-12", "230.01"), which Prometheus reads exactly.
bool plain_decimal(std::string_view text) {
  if (text.starts_with('-')) text.remove_prefix(1);
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  const auto digits = [](std::string_view s) {
    return std::ranges::all_of(s, [](char c) { return c >= '0' && c <= '9'; });
  };
  return !whole.empty() && digits(whole) && digits(fraction) &&
         (dot == std::string_view::npos || !fraction.empty());
}

/// Each meter's samples by value index (nullptr where the meter has none).
std::vector<std::vector<const ExportSample*>> index_samples(std::span<const MeterReading> meters) {
  const ExportedValue* base = exported_values().data();
  const std::size_t count = exported_values().size();
  std::vector<std::vector<const ExportSample*>> out(meters.size());
  for (std::size_t m = 0; m < meters.size(); ++m) {
    out[m].assign(count, nullptr);
    for (const ExportSample& s : meters[m].samples) {
      const auto at = s.value - base;
      if (at >= 0 && static_cast<std::size_t>(at) < count) {
        out[m][static_cast<std::size_t>(at)] = &s;
      }
    }
  }
  return out;
}

void write_meter_families(std::string& out, std::span<const MeterReading> meters) {
  const MeterFamilies& table = meter_families();
  const auto samples = index_samples(meters);
  std::vector<std::string> serials;
  serials.reserve(meters.size());
  for (const MeterReading& m : meters) serials.push_back(escape_label_value(m.serial));
  for (const MeterFamily& family : table.families) {
    write_head(out, family.first->family, family.first->help, family.first->kind);
    for (std::size_t m = 0; m < meters.size(); ++m) {
      for (const std::size_t i : family.values) {
        const ExportSample* s = samples[m][i];
        if (s == nullptr) continue;
        out += family.first->family;
        out += "{serial=\"";
        out += serials[m];
        out += '"';
        out += table.label_tails[i];
        out += plain_decimal(s->text) ? s->text : prometheus_number(s->number);
        out += '\n';
      }
    }
  }
}

void write_info(std::string& out, std::span<const MeterReading> meters) {
  write_head(out, kMeterInfoFamily,
             "The meter's identity: serial number (0x4000), meter code (0x4002), software and "
             "hardware versions (0x4007, 0x4009).",
             MetricKind::gauge);
  for (const MeterReading& m : meters) {
    fmt::format_to(std::back_inserter(out),
                   "{}{{serial=\"{}\",meter_code=\"{}\",software_version=\"{}\","
                   "hardware_version=\"{}\"}} 1\n",
                   kMeterInfoFamily, escape_label_value(m.serial), escape_label_value(m.meter_code),
                   escape_label_value(m.software_version), escape_label_value(m.hardware_version));
  }
}

void write_health_sample(std::string& out, const HealthMetric& h) {
  out += h.family;
  if (!h.labels.empty()) {
    out += '{';
    for (std::size_t l = 0; l < h.labels.size(); ++l) {
      fmt::format_to(std::back_inserter(out), "{}{}=\"{}\"", l == 0 ? "" : ",", h.labels[l].first,
                     escape_label_value(h.labels[l].second));
    }
    out += '}';
  }
  out += ' ';
  out += prometheus_number(h.value);
  out += '\n';
}

/// The health families in the order they first appear, each with its samples in order.
void write_health(std::string& out, std::span<const HealthMetric> health) {
  std::unordered_map<std::string_view, std::size_t> group_of;
  std::vector<std::vector<const HealthMetric*>> groups;
  for (const HealthMetric& h : health) {
    const auto [it, fresh] = group_of.try_emplace(h.family, groups.size());
    if (fresh) groups.emplace_back();
    groups[it->second].push_back(&h);
  }
  for (const auto& group : groups) {
    write_head(out, group.front()->family, group.front()->help, group.front()->kind);
    for (const HealthMetric* h : group) write_health_sample(out, *h);
  }
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string prometheus_number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == 0) return "0";  // no "-0"
  return fmt::format("{}", value);
}

std::string render_prometheus(std::span<const MeterReading> meters,
                              std::span<const HealthMetric> health) {
  std::string out;
  // About 80 bytes a sample: one allocation for the whole text in the common case.
  std::size_t samples = health.size();
  for (const MeterReading& m : meters) samples += m.samples.size() + 1;
  out.reserve(samples * 96 + 16384);
  if (!meters.empty()) {
    write_meter_families(out, meters);
    write_info(out, meters);
  }
  write_health(out, health);
  return out;
}

}  // namespace ambi
