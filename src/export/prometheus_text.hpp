#pragma once
// The Prometheus text exposition format 0.0.4 (docs/prometheus.md) of meter readings and of
// the exporter's own health: every family once, with its # HELP and # TYPE, then all of its
// samples, whichever meter they belong to. Shared by `ambimeter run` (GET /metrics) and the
// bridge that publishes real meters.
//
// Pure: no I/O.

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "export/exported_values.hpp"
#include "export/meter_reading.hpp"

namespace ambi {

/// The Content-Type of `render_prometheus`'s text.
inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

/// The info family: one sample per meter, value 1, its identity as labels.
inline constexpr std::string_view kMeterInfoFamily = "ambimeter_meter_info";

/// One of the exporter's own metrics (the twin's or the bridge's): requests served, faults
/// active, saves...
struct HealthMetric {
  std::string family;  ///< "ambimeter_modbus_requests_total"
  std::string help;
  MetricKind kind;
  std::vector<std::pair<std::string, std::string>> labels;  ///< may be empty
  double value;
};

/// Text exposition format 0.0.4: every family once with # HELP and # TYPE, then its samples;
/// meter samples labelled serial="..." plus the value's own labels (phase, tariff,
/// direction, quadrant); an info family
/// ambimeter_meter_info{serial,meter_code,software_version,hardware_version} 1. Meter
/// families come first, in `exported_values()` order, then the info family, then the health
/// families in the order they first appear in `health`. A meter value is written as its
/// sample's `text` (the reader's decimals), a health value as the shortest decimal that reads
/// back as the same double (+Inf, -Inf, NaN as Prometheus spells them).
[[nodiscard]] std::string render_prometheus(std::span<const MeterReading> meters,
                                            std::span<const HealthMetric> health);

/// A label value as the format escapes it: backslash, double quote and line feed.
[[nodiscard]] std::string escape_label_value(std::string_view value);
/// HELP text as the format escapes it: backslash and line feed.
[[nodiscard]] std::string escape_help(std::string_view help);
/// A number as Prometheus parses it exactly: the shortest round-trip decimal, "+Inf",
/// "-Inf" or "NaN".
[[nodiscard]] std::string prometheus_number(double value);

}  // namespace ambi
