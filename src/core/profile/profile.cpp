// The text formats of load profiles: the `--load` spec and CSV scenarios (docs/scenarios.md).
#include "core/profile/profile.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>

namespace ambi {
namespace {

using Error = std::unexpected<std::string>;

constexpr std::string_view kLoadExample = "e.g. L1=230V,10A,25deg";
constexpr std::string_view kTimeForms = "seconds like 90 or 1.5, or hh:mm[:ss]";
/// Latest accepted time: about 31 700 years, far from int64 overflow.
constexpr double kMaxSeconds = 1e12;

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (std::size_t start = 0;;) {
    const auto end = s.find(sep, start);
    out.push_back(trim(s.substr(start, end == std::string_view::npos ? end : end - start)));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

/// A whole string as a finite decimal number ("230", "-25", "+0.5", "1e3").
std::optional<double> parse_number(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> parse_digits(std::string_view s) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || value < 0)
    return std::nullopt;
  return value;
}

std::string seconds_text(std::int64_t ms) {
  if (ms % 1000 == 0) return fmt::format("{} s", ms / 1000);
  return fmt::format("{}.{:03} s", ms / 1000, ms % 1000);
}

/// Seconds (decimals allowed, rounded to the ms) or hh:mm[:ss], as ms.
std::expected<std::int64_t, std::string> parse_time(std::string_view text) {
  const auto bad = [&] { return Error(fmt::format("time \"{}\" is not {}", text, kTimeForms)); };
  if (text.find(':') == std::string_view::npos) {
    const auto seconds = parse_number(text);
    if (!seconds || *seconds < 0 || *seconds > kMaxSeconds) return bad();
    return std::llround(*seconds * 1000.0);
  }
  const auto parts = split(text, ':');
  if (parts.size() > 3) return bad();
  std::int64_t seconds = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto value = parse_digits(parts[i]);
    if (!value || (i > 0 && *value > 59) || *value > 1'000'000'000) return bad();
    seconds = seconds * 60 + *value;
  }
  if (parts.size() == 2) seconds *= 60;
  return seconds * 1000;
}

// ---- --load ------------------------------------------------------------------------------

struct UnitField {
  std::string_view unit;
  double PhaseInput::* field;
};
constexpr std::array<UnitField, 3> kUnits{
    {{"deg", &PhaseInput::phi_deg}, {"V", &PhaseInput::volts}, {"A", &PhaseInput::amps}}};

struct PhaseName {
  std::string_view name;
  std::size_t first;
  std::size_t count;
};
constexpr std::array<PhaseName, 4> kPhaseNames{
    {{"L1", 0, 1}, {"L2", 1, 1}, {"L3", 2, 1}, {"all", 0, 3}}};

/// Splits "50Hz" / "50 hz" into the number and its trailing unit letters.
std::pair<std::string_view, std::string_view> number_and_unit(std::string_view value) {
  std::size_t cut = value.size();
  while (cut > 0 && std::isalpha(static_cast<unsigned char>(value[cut - 1])) != 0) --cut;
  return {value.substr(0, cut), value.substr(cut)};
}

std::expected<void, std::string> apply_frequency(std::string_view values, LoadInput& load) {
  auto [number, unit] = number_and_unit(values);
  const auto hz = parse_number(number);
  if (!hz || (!unit.empty() && !iequals(unit, "Hz"))) {
    return Error("frequency must be a number of Hz (e.g. f=50Hz)");
  }
  load.hz = *hz;
  return {};
}

std::expected<void, std::string> apply_phase_value(std::string_view value, const PhaseName& phases,
                                                   LoadInput& load) {
  if (value.empty()) return Error(fmt::format("empty value ({})", kLoadExample));
  const auto it = std::ranges::find_if(kUnits, [&](const UnitField& u) {
    return value.size() >= u.unit.size() &&
           iequals(value.substr(value.size() - u.unit.size()), u.unit);
  });
  if (it == kUnits.end()) {
    return Error(fmt::format("\"{}\" needs a unit V, A or deg ({})", value, kLoadExample));
  }
  const auto number = value.substr(0, value.size() - it->unit.size());
  const auto x = parse_number(number);
  if (!x) return Error(fmt::format("\"{}\" is not a number ({})", trim(number), kLoadExample));
  for (std::size_t i = phases.first; i < phases.first + phases.count; ++i)
    load.phases[i].*(it->field) = *x;
  return {};
}

std::expected<void, std::string> apply_load_part(std::string_view part, LoadInput& load) {
  const auto eq = part.find('=');
  if (eq == std::string_view::npos) {
    return Error(fmt::format("expected PHASE=VALUES or f=HZ ({} or f=50Hz)", kLoadExample));
  }
  const auto name = trim(part.substr(0, eq));
  const auto values = trim(part.substr(eq + 1));
  if (iequals(name, "f")) return apply_frequency(values, load);
  const auto phase =
      std::ranges::find_if(kPhaseNames, [&](const PhaseName& p) { return iequals(p.name, name); });
  if (phase == kPhaseNames.end()) {
    return Error(fmt::format("phase must be L1, L2, L3 or all ({})", kLoadExample));
  }
  for (const auto value : split(values, ',')) {
    if (auto ok = apply_phase_value(value, *phase, load); !ok) return ok;
  }
  return {};
}

// ---- CSV scenarios ------------------------------------------------------------------------

enum class ColumnKind : std::uint8_t { time, phase_value, hz, tariff_input };

struct Column {
  std::string_view name;
  ColumnKind kind;
  std::size_t phase = 0;
  double PhaseInput::* field = nullptr;
};

constexpr std::array<Column, 12> kColumns{{
    {"t", ColumnKind::time},
    {"L1_v", ColumnKind::phase_value, 0, &PhaseInput::volts},
    {"L1_i", ColumnKind::phase_value, 0, &PhaseInput::amps},
    {"L1_phi", ColumnKind::phase_value, 0, &PhaseInput::phi_deg},
    {"L2_v", ColumnKind::phase_value, 1, &PhaseInput::volts},
    {"L2_i", ColumnKind::phase_value, 1, &PhaseInput::amps},
    {"L2_phi", ColumnKind::phase_value, 1, &PhaseInput::phi_deg},
    {"L3_v", ColumnKind::phase_value, 2, &PhaseInput::volts},
    {"L3_i", ColumnKind::phase_value, 2, &PhaseInput::amps},
    {"L3_phi", ColumnKind::phase_value, 2, &PhaseInput::phi_deg},
    {"f", ColumnKind::hz},
    {"tariff_input", ColumnKind::tariff_input},
}};

using Header = std::vector<const Column*>;

std::expected<Header, std::string> parse_header(std::string_view line) {
  Header header;
  for (const auto name : split(line, ',')) {
    const auto it =
        std::ranges::find_if(kColumns, [&](const Column& c) { return iequals(c.name, name); });
    if (it == kColumns.end()) {
      return Error(
          fmt::format("unknown column \"{}\" (known: t, L1_v, L1_i, L1_phi, L2_v, L2_i, "
                      "L2_phi, L3_v, L3_i, L3_phi, f, tariff_input)",
                      name));
    }
    if (std::ranges::find(header, &*it) != header.end()) {
      return Error(fmt::format("column \"{}\" appears twice", it->name));
    }
    header.push_back(&*it);
  }
  if (std::ranges::none_of(header, [](const Column* c) { return c->kind == ColumnKind::time; })) {
    return Error("the header has no t column (e.g. t,L1_v,L1_i,L1_phi)");
  }
  return header;
}

std::expected<std::optional<bool>, std::string> parse_tariff_input(std::string_view cell) {
  static constexpr std::array<std::pair<std::string_view, bool>, 4> kLevels{
      {{"0", false}, {"1", true}, {"false", false}, {"true", true}}};
  for (const auto& [text, level] : kLevels) {
    if (iequals(cell, text)) return level;
  }
  return Error(fmt::format("tariff_input \"{}\" must be 0, 1, true or false", cell));
}

/// One cell into the row under construction; empty cells keep the previous value.
std::expected<void, std::string> apply_cell(const Column& column, std::string_view cell,
                                            ProfileStep& step, LoadInput& load) {
  if (column.kind == ColumnKind::time) {
    if (cell.empty()) return Error("every row needs a time t");
    auto t = parse_time(cell);
    if (!t) return Error(t.error());
    step.t_ms = *t;
    return {};
  }
  if (cell.empty()) return {};
  if (column.kind == ColumnKind::tariff_input) {
    auto level = parse_tariff_input(cell);
    if (!level) return Error(level.error());
    step.tariff_input = *level;
    return {};
  }
  const auto x = parse_number(cell);
  if (!x) return Error(fmt::format("{} \"{}\" is not a number", column.name, cell));
  if (column.kind == ColumnKind::hz) {
    load.hz = *x;
  } else {
    load.phases[column.phase].*(column.field) = *x;
  }
  return {};
}

std::expected<ProfileStep, std::string> parse_row(std::string_view line, const Header& header,
                                                  LoadInput& load) {
  const auto cells = split(line, ',');
  if (cells.size() > header.size()) {
    return Error(
        fmt::format("{} cells but the header has {} columns", cells.size(), header.size()));
  }
  ProfileStep step;
  for (std::size_t i = 0; i < header.size(); ++i) {
    const std::string_view cell = i < cells.size() ? cells[i] : std::string_view{};
    if (auto ok = apply_cell(*header[i], cell, step, load); !ok) return std::unexpected(ok.error());
  }
  auto prepared = prepare_load(load);
  if (!prepared) return Error(prepared.error().message);
  step.load = *prepared;
  return step;
}

/// "repeat: SECONDS" in a comment; nullopt for any other comment.
std::optional<std::expected<std::int64_t, std::string>> parse_directive(std::string_view comment) {
  comment = trim(comment);
  constexpr std::string_view kRepeat = "repeat:";
  if (comment.size() < kRepeat.size() || !iequals(comment.substr(0, kRepeat.size()), kRepeat)) {
    return std::nullopt;
  }
  return parse_time(trim(comment.substr(kRepeat.size())));
}

/// Checks a parsed row against the rows before it.
std::expected<void, std::string> check_order(const LoadProfile& profile, const ProfileStep& step) {
  if (profile.steps.empty()) {
    if (step.t_ms != 0)
      return Error(fmt::format("the first row must be at t = 0, not {}", seconds_text(step.t_ms)));
    return {};
  }
  const std::int64_t previous = profile.steps.back().t_ms;
  if (step.t_ms <= previous) {
    return Error(fmt::format("t = {} is not after the previous row's {}", seconds_text(step.t_ms),
                             seconds_text(previous)));
  }
  return {};
}

struct CsvReader {
  LoadProfile profile;
  std::optional<Header> header;
  LoadInput load{};
  std::size_t repeat_line = 0;

  std::expected<void, std::string> line(std::string_view text, std::size_t number) {
    if (text.empty()) return {};
    if (text.front() == '#') {
      auto repeat = parse_directive(text.substr(1));
      if (!repeat) return {};
      if (!*repeat) return Error(fmt::format("repeat: {}", repeat->error()));
      profile.repeat_ms = **repeat;
      repeat_line = number;
      return {};
    }
    if (!header) {
      auto parsed = parse_header(text);
      if (!parsed) return Error(parsed.error());
      header = std::move(*parsed);
      return {};
    }
    auto step = parse_row(text, *header, load);
    if (!step) return Error(step.error());
    if (auto ok = check_order(profile, *step); !ok) return ok;
    profile.steps.push_back(*step);
    return {};
  }

  std::expected<void, std::string> finish() const {
    if (!header) return Error("no header line (e.g. t,L1_v,L1_i,L1_phi)");
    if (profile.steps.empty()) return Error("no rows after the header");
    const std::int64_t last = profile.steps.back().t_ms;
    if (profile.repeat_ms && *profile.repeat_ms <= last) {
      return Error(fmt::format("line {}: repeat {} must be after the last row (t = {})",
                               repeat_line, seconds_text(*profile.repeat_ms), seconds_text(last)));
    }
    return {};
  }
};

}  // namespace

std::expected<LoadInput, std::string> parse_load_spec(std::string_view spec,
                                                      const LoadInput& base) {
  LoadInput load = base;
  bool any = false;
  for (const auto part : split(spec, ';')) {
    if (part.empty()) continue;
    if (auto ok = apply_load_part(part, load); !ok) {
      return Error(fmt::format("bad --load part \"{}\": {}", part, ok.error()));
    }
    if (auto ok = check_load(load); !ok) {
      return Error(fmt::format("bad --load part \"{}\": {}", part, ok.error().message));
    }
    any = true;
  }
  if (!any)
    return Error(fmt::format("empty --load ({};L2=230V,5A;f=50Hz or all=230V,16A)", kLoadExample));
  return load;
}

std::expected<LoadProfile, std::string> parse_scenario_csv(std::string_view text,
                                                           std::string name) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.starts_with(kBom)) text.remove_prefix(kBom.size());
  CsvReader reader;
  reader.profile.name = std::move(name);
  reader.profile.steps.reserve(static_cast<std::size_t>(std::ranges::count(text, '\n')) + 1);
  std::size_t number = 1;
  for (const auto line : split(text, '\n')) {
    if (auto ok = reader.line(line, number); !ok) {
      return Error(fmt::format("line {}: {}", number, ok.error()));
    }
    ++number;
  }
  if (auto ok = reader.finish(); !ok) return Error(ok.error());
  return std::move(reader.profile);
}

}  // namespace ambi
