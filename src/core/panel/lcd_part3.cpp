// LCD part 3 (manual 7.3): one table row per quantity, expanded to Total / L1 / L2 / L3 pages.
#include <fmt/format.h>

#include <array>
#include <cmath>
#include <string_view>

#include "core/panel/lcd_screen.hpp"

namespace ambi {
namespace {

namespace ci = counter_index;

/// Which pages a quantity has: Total and L1-L3, L1-L3 only, or one page without a label.
enum class Scope : std::uint8_t { total_and_phases, phases, single };

/// OBIS C of the combined total follows the combination code (`obis_c == kByCode`).
constexpr int kByCode = -1;

/// One quantity of part 3. `value(meter, phase)` gets phase 0-2, or -1 for the total.
struct Part3Row {
  std::string_view caption;  ///< empty: the combination code's name ("C-04")
  std::string_view unit;
  int obis_c;  ///< C of the total; L1/L2/L3 add 20/40/60; 0 = no OBIS code
  int obis_d;  ///< 7 instantaneous value, 8 energy
  Scope scope;
  std::string (*value)(const Meter&, int phase);
};

/// The index into kLabels of `phase` (-1, the total, is label 0).
std::size_t label_index(int phase) {
  const int index = phase + 1;
  return static_cast<std::size_t>(index);
}

const PhaseMeasurement& ph(const Meter& m, int phase) {
  return m.measurement().phases[static_cast<std::size_t>(phase)];
}

/// Rounded to `decimals`, never "-0.0".
std::string fixed(double v, int decimals) {
  const double scale = std::pow(10.0, decimals);
  if (std::round(v * scale) == 0.0) v = 0.0;
  return fmt::format("{:.{}f}", v, decimals);
}

std::string energy(const Meter& m, Family f, Dir d, int phase) {
  return format_kwh(m.counter(phase < 0 ? ci::total(f, d) : ci::phase(f, phase, d)));
}

std::string direction(const Meter& m, int p) {
  return std::string(1, ph(m, p).direction);
}
std::string trip(const Meter& m, int p) {
  return format_kwh(p < 0 ? m.trip_total() : m.trip_phase(p));
}
std::string reactive_fwd(const Meter& m, int p) {
  return energy(m, Family::reactive, Dir::forward, p);
}
std::string reactive_rev(const Meter& m, int p) {
  return energy(m, Family::reactive, Dir::reverse, p);
}
std::string power_factor(const Meter& m, int p) {
  return fixed(p < 0 ? m.measurement().power_factor : ph(m, p).power_factor, 3);
}
std::string quadrant(const Meter& m, int p) {
  return fmt::format("{}", p < 0 ? m.measurement().quadrant : ph(m, p).quadrant);
}
std::string frequency(const Meter& m, int) {
  return fixed(m.measurement().hz, 2);
}
std::string active_power(const Meter& m, int p) {
  return format_kilo(p < 0 ? m.measurement().p_mw : ph(m, p).p_mw);
}
std::string apparent_power(const Meter& m, int p) {
  return format_kilo(p < 0 ? m.measurement().s_mva : ph(m, p).s_mva);
}
std::string reactive_power(const Meter& m, int p) {
  return format_kilo(p < 0 ? m.measurement().q_mvar : ph(m, p).q_mvar);
}
std::string voltage(const Meter& m, int p) {
  return fixed(ph(m, p).volts, 1);
}
std::string current(const Meter& m, int p) {
  return fixed(ph(m, p).amps, 3);
}
std::string active_total(const Meter& m, int p) {
  return format_kwh(p < 0 ? m.total(Family::active) : m.total_phase(Family::active, p));
}

/// Part 3 in the order of 7.3, then the combined active energy (the "Total" reading of the
/// 7.6.15 table). Reactive power carries its sign under the +R codes (3, 23, 43, 63).
constexpr std::array<Part3Row, 13> kPart3{{
    {"Dir", "", 0, 0, Scope::phases, direction},
    {"Trip", "kWh", 0, 0, Scope::total_and_phases, trip},
    {"Fwd", "kvarh", 3, 8, Scope::total_and_phases, reactive_fwd},
    {"Rev", "kvarh", 4, 8, Scope::total_and_phases, reactive_rev},
    {"PF", "", 13, 7, Scope::total_and_phases, power_factor},
    {"Quad", "", 0, 0, Scope::total_and_phases, quadrant},
    {"Freq", "Hz", 14, 7, Scope::single, frequency},
    {"P", "kW", 16, 7, Scope::total_and_phases, active_power},
    {"S", "kVA", 9, 7, Scope::total_and_phases, apparent_power},
    {"Q", "kvar", 3, 7, Scope::total_and_phases, reactive_power},
    {"U", "V", 12, 7, Scope::phases, voltage},
    {"I", "A", 11, 7, Scope::phases, current},
    {"", "kWh", kByCode, 8, Scope::total_and_phases, active_total},
}};

/// OBIS C of the combined total per code (7.6.15): C-01 +A (1), C-02 −A (2), C-03 |A| (15),
/// C-04 and C-05 +A − −A (16).
int obis_c_of(CombinationCode code) {
  static constexpr std::array<int, 5> kC{1, 2, 15, 16, 16};
  return kC[static_cast<std::size_t>(code) - 1];
}

std::string obis_text(const Meter& m, const Part3Row& row, int phase) {
  if (!m.settings().obis || row.obis_c == 0) return {};
  const int c = row.obis_c == kByCode ? obis_c_of(m.settings().combination) : row.obis_c;
  return fmt::format("{}.{}.0", phase < 0 ? c : c + 20 * (phase + 1), row.obis_d);
}

LcdLine page(const Meter& m, const Part3Row& row, int phase) {
  static constexpr std::array<std::string_view, 4> kLabels{"Total", "L1", "L2", "L3"};
  const std::string caption = row.caption.empty() ? std::string(to_string(m.settings().combination))
                                                  : std::string(row.caption);
  return LcdLine{.caption = caption,
                 .label = row.scope == Scope::single ? std::string{}
                                                     : std::string(kLabels[label_index(phase)]),
                 .obis = obis_text(m, row, phase),
                 .value = row.value(m, phase),
                 .unit = std::string(row.unit),
                 .detail = {}};
}

/// Two pages per CT history entry (7.6.17): forward and reverse kWh with the entry's ratio.
void add_ct_history(const Meter& m, std::vector<LcdLine>& pages) {
  const std::vector<CtHistoryEntry> history = m.ct_history();
  for (std::size_t i = 0; i < history.size(); ++i) {
    for (const Dir d : {Dir::forward, Dir::reverse}) {
      const bool fwd = d == Dir::forward;
      pages.push_back(
          LcdLine{.caption = fmt::format("CT-H{}", i + 1),
                  .label = fwd ? "Fwd" : "Rev",
                  .obis = m.settings().obis ? (fwd ? "1.8.0" : "2.8.0") : "",
                  .value = format_kwh(fwd ? history[i].forward_mwh : history[i].reverse_mwh),
                  .unit = "kWh",
                  .detail = format_ct_ratio(history[i].ratio)});
    }
  }
}

}  // namespace

std::vector<LcdLine> lcd_part3_pages(const Meter& meter) {
  std::vector<LcdLine> pages;
  for (const Part3Row& row : kPart3) {
    const int first = row.scope == Scope::phases ? 0 : -1;
    const int last = row.scope == Scope::single ? -1 : 2;
    for (int phase = first; phase <= last; ++phase) pages.push_back(page(meter, row, phase));
  }
  add_ct_history(meter, pages);
  return pages;
}

}  // namespace ambi
