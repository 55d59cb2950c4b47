#include "export/prometheus_text.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/meter/meter.hpp"
#include "export/meter_reading.hpp"
#include "modbus_test_support.hpp"

namespace ambi {
namespace {

// A small parser of the text exposition format 0.0.4, strict where the renderer must be:
// every family has # HELP then # TYPE before its samples, appears once, and its samples are
// together; label values are unescaped as Prometheus reads them.
struct Sample {
  std::string family;
  std::map<std::string, std::string> labels;
  std::string value;
};
struct Family {
  std::string help;
  std::string type;
  std::vector<Sample> samples;
};
struct Parsed {
  std::vector<std::string> order;
  std::map<std::string, Family> families;
};

std::string unescape(std::string_view s, bool quotes) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    const char next = s[++i];
    if (next == 'n') {
      out += '\n';
    } else if (next == '\\' || (quotes && next == '"')) {
      out += next;
    } else {
      ADD_FAILURE() << "bad escape \\" << next;
    }
  }
  return out;
}

/// `line` after the family name: {a="b",...} then ' ' and the value.
Sample parse_sample(std::string_view line) {
  Sample s;
  const std::size_t name_end = line.find_first_of("{ ");
  s.family = std::string(line.substr(0, name_end));
  std::size_t at = name_end;
  if (at < line.size() && line[at] == '{') {
    ++at;
    while (at < line.size() && line[at] != '}') {
      const std::size_t eq = line.find('=', at);
      EXPECT_EQ(line.at(eq + 1), '"') << line;
      std::size_t end = eq + 2;
      while (end < line.size() && line[end] != '"')
        end += line[end] == '\\' ? std::size_t{2} : std::size_t{1};
      s.labels[std::string(line.substr(at, eq - at))] =
          unescape(line.substr(eq + 2, end - eq - 2), true);
      at = end + 1;
      if (at < line.size() && line[at] == ',') ++at;
    }
    ++at;
  }
  EXPECT_EQ(line.at(at), ' ') << line;
  s.value = std::string(line.substr(at + 1));
  return s;
}

Parsed parse(std::string_view text) {
  Parsed p;
  std::string current;
  EXPECT_TRUE(text.empty() || text.ends_with('\n'));
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (line.starts_with("# HELP ")) {
      const std::string_view rest = line.substr(7);
      current = std::string(rest.substr(0, rest.find(' ')));
      EXPECT_FALSE(p.families.contains(current)) << "family twice: " << current;
      p.order.push_back(current);
      p.families[current].help = unescape(rest.substr(current.size() + 1), false);
    } else if (line.starts_with("# TYPE ")) {
      const std::string_view rest = line.substr(7);
      EXPECT_EQ(rest.substr(0, rest.find(' ')), current) << "TYPE without its HELP";
      Family& f = p.families[current];
      EXPECT_TRUE(f.samples.empty());
      f.type = std::string(rest.substr(rest.find(' ') + 1));
    } else {
      Sample s = parse_sample(line);
      EXPECT_EQ(s.family, current) << "a sample away from its family: " << line;
      EXPECT_FALSE(p.families[current].type.empty()) << line;
      p.families[current].samples.push_back(std::move(s));
    }
  }
  return p;
}

std::vector<const Sample*> samples_of(const Parsed& p, const std::string& family,
                                      const std::string& serial) {
  std::vector<const Sample*> out;
  const auto it = p.families.find(family);
  if (it == p.families.end()) return out;
  for (const Sample& s : it->second.samples) {
    if (s.labels.at("serial") == serial) out.push_back(&s);
  }
  return out;
}

/// The sample of `family` with exactly these labels (serial included); nullptr when none.
const Sample* find(const Parsed& p, const std::string& family,
                   const std::map<std::string, std::string>& labels) {
  const auto it = p.families.find(family);
  if (it == p.families.end()) return nullptr;
  for (const Sample& s : it->second.samples) {
    if (s.labels == labels) return &s;
  }
  return nullptr;
}

TEST(PrometheusText, EveryValueOfAReadingIsOneSampleWithItsTextAndLabels) {
  const Meter meter = modbus_test::busy_meter();
  const MeterReading reading = read_meter(meter);
  const Parsed p = parse(render_prometheus(std::span(&reading, 1), {}));
  std::size_t samples = 0;
  for (const auto& [name, f] : p.families) {
    if (name != kMeterInfoFamily) samples += f.samples.size();
  }
  EXPECT_EQ(samples, reading.samples.size());
  for (const ExportSample& s : reading.samples) {
    std::map<std::string, std::string> labels{{"serial", reading.serial}};
    if (!s.value->phase.empty()) labels["phase"] = std::string(s.value->phase);
    if (!s.value->tariff.empty()) labels["tariff"] = std::string(s.value->tariff);
    if (!s.value->direction.empty()) labels["direction"] = std::string(s.value->direction);
    if (!s.value->quadrant.empty()) labels["quadrant"] = std::string(s.value->quadrant);
    const Sample* found = find(p, std::string(s.value->family), labels);
    ASSERT_NE(found, nullptr) << s.value->reg->name;
    EXPECT_EQ(found->value, s.text) << s.value->reg->name;
    const Family& f = p.families.at(std::string(s.value->family));
    EXPECT_EQ(f.help, s.value->help);
    EXPECT_EQ(f.type, s.value->kind == MetricKind::counter ? "counter" : "gauge");
  }
  const ExportSample* kwh = find_sample(reading, "total_active_kwh");
  ASSERT_NE(kwh, nullptr);
  const Sample* total = find(p, "ambimeter_active_energy_combined_kilowatthours",
                             {{"serial", reading.serial}, {"phase", "all"}, {"tariff", "all"}});
  ASSERT_NE(total, nullptr);
  EXPECT_EQ(total->value, kwh->text);
  EXPECT_NE(total->value.find('.'), std::string::npos) << "the reader's decimals";
}

TEST(PrometheusText, TheInfoFamilyCarriesTheIdentity) {
  const Meter meter = modbus_test::busy_meter();
  const MeterReading reading = read_meter(meter);
  const Parsed p = parse(render_prometheus(std::span(&reading, 1), {}));
  const Family& info = p.families.at(std::string(kMeterInfoFamily));
  EXPECT_EQ(info.type, "gauge");
  ASSERT_EQ(info.samples.size(), 1U);
  const Sample& s = info.samples[0];
  EXPECT_EQ(s.value, "1");
  EXPECT_EQ(s.labels.at("serial"), reading.serial);
  EXPECT_EQ(s.labels.at("meter_code"), reading.meter_code);
  EXPECT_EQ(s.labels.at("software_version"), reading.software_version);
  EXPECT_EQ(s.labels.at("hardware_version"), reading.hardware_version);
  EXPECT_FALSE(reading.software_version.empty());
}

TEST(PrometheusText, AFamilysSamplesStayTogetherAcrossMeters) {
  const Meter a = modbus_test::busy_meter();
  std::vector<MeterReading> readings{read_meter(a), read_meter(a)};
  readings[1].serial = "19020247";
  // The second meter lost its voltages: they are left out, and nothing else moves.
  std::erase_if(readings[1].samples,
                [](const ExportSample& s) { return s.value->family == "ambimeter_voltage_volts"; });
  const std::string text = render_prometheus(readings, {});
  const Parsed p = parse(text);  // fails on a family seen twice or a stray sample
  const std::string first = readings[0].serial;
  ASSERT_NE(first, "19020247");
  EXPECT_EQ(samples_of(p, "ambimeter_voltage_volts", first).size(), 6U);
  EXPECT_TRUE(samples_of(p, "ambimeter_voltage_volts", "19020247").empty());
  EXPECT_EQ(samples_of(p, "ambimeter_current_amperes", "19020247").size(),
            samples_of(p, "ambimeter_current_amperes", first).size());
  EXPECT_EQ(p.families.at(std::string(kMeterInfoFamily)).samples.size(), 2U);
  // Meter families in exported_values() order, the info family after them.
  std::vector<std::string> expected;
  for (const ExportedValue& v : exported_values()) {
    if (std::ranges::find(expected, v.family) == expected.end()) expected.emplace_back(v.family);
  }
  expected.emplace_back(kMeterInfoFamily);
  EXPECT_EQ(p.order, expected);
}

TEST(PrometheusText, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)"
                               "\nd"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(escape_help("a\\b\"c\nd"), R"(a\\b"c\nd)");
  MeterReading odd;
  odd.serial = "1\"2\\3\n4";
  odd.meter_code = "x";
  const std::vector<HealthMetric> health{
      {"ambimeter_test_gauge", "Two\nlines \\ back", MetricKind::gauge, {{"what", "q\"uote"}}, 2}};
  const std::string text = render_prometheus(std::span(&odd, 1), health);
  EXPECT_NE(text.find(R"(serial="1\"2\\3\n4")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(# HELP ambimeter_test_gauge Two\nlines \\ back)"), std::string::npos);
  const Parsed p = parse(text);
  EXPECT_EQ(p.families.at("ambimeter_test_gauge").help, "Two\nlines \\ back");
  EXPECT_EQ(p.families.at("ambimeter_test_gauge").samples.at(0).labels.at("what"), "q\"uote");
  EXPECT_EQ(p.families.at(std::string(kMeterInfoFamily)).samples.at(0).labels.at("serial"),
            odd.serial);
}

TEST(PrometheusText, HealthFamiliesAreGroupedInTheOrderTheyFirstAppear) {
  const std::vector<HealthMetric> health{
      {"ambimeter_b_total", "B.", MetricKind::counter, {{"serial", "1"}}, 3},
      {"ambimeter_a", "A.", MetricKind::gauge, {}, 1},
      {"ambimeter_b_total", "B.", MetricKind::counter, {{"serial", "2"}}, 4},
  };
  const std::string text = render_prometheus({}, health);
  EXPECT_EQ(text,
            "# HELP ambimeter_b_total B.\n# TYPE ambimeter_b_total counter\n"
            "ambimeter_b_total{serial=\"1\"} 3\nambimeter_b_total{serial=\"2\"} 4\n"
            "# HELP ambimeter_a A.\n# TYPE ambimeter_a gauge\nambimeter_a 1\n");
}

TEST(PrometheusText, NumbersReadBackExactly) {
  EXPECT_EQ(prometheus_number(0), "0");
  EXPECT_EQ(prometheus_number(-0.0), "0");
  EXPECT_EQ(prometheus_number(12), "12");
  EXPECT_EQ(prometheus_number(200.105), "200.105");
  EXPECT_EQ(prometheus_number(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(prometheus_number(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(prometheus_number(std::numeric_limits<double>::quiet_NaN()), "NaN");
  for (const double v : {0.1, 1.0 / 3.0, 1e20, 123456789012345.0, -2.5e-7, 9007199254740993.0}) {
    EXPECT_EQ(std::strtod(prometheus_number(v).c_str(), nullptr), v) << prometheus_number(v);
  }
}

TEST(PrometheusText, AValueWhoseTextIsNoPlainDecimalIsWrittenFromItsNumber) {
  const Meter meter = modbus_test::busy_meter();
  MeterReading reading = read_meter(meter);
  ExportSample& s = reading.samples.front();
  s.text = "nan";
  s.number = std::numeric_limits<double>::quiet_NaN();
  const Parsed p = parse(render_prometheus(std::span(&reading, 1), {}));
  const auto samples = samples_of(p, std::string(s.value->family), reading.serial);
  ASSERT_FALSE(samples.empty());
  EXPECT_EQ(samples.front()->value, "NaN");
}

TEST(PrometheusText, NothingToSayIsAnEmptyText) {
  EXPECT_EQ(render_prometheus({}, {}), "");
}

}  // namespace
}  // namespace ambi
