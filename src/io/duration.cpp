#include "io/duration.hpp"

#include <array>
#include <charconv>

namespace ambi {
namespace {

struct Unit {
  std::string_view suffix;
  std::chrono::milliseconds length;
  bool long_unit;  // minutes and hours
};
// "ms" before "m" and "s": the longest suffix that matches wins.
constexpr std::array kUnits{
    Unit{"ms", std::chrono::milliseconds{1}, false},
    Unit{"s", std::chrono::seconds{1}, false},
    Unit{"m", std::chrono::minutes{1}, true},
    Unit{"h", std::chrono::hours{1}, true},
};

template <class T>
std::optional<T> whole_number(std::string_view text) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                        const DurationSyntax& syntax) {
  std::string_view digits = text;
  auto unit = syntax.bare_unit;
  for (const Unit& u : kUnits) {
    if (digits.ends_with(u.suffix)) {
      if (u.long_unit && !syntax.minutes_and_hours) return std::nullopt;
      digits.remove_suffix(u.suffix.size());
      unit = u.length;
      break;
    }
  }
  const auto scale = static_cast<double>(unit.count());
  const auto longest = static_cast<double>(syntax.longest.count());
  if (syntax.fractions) {
    const auto value = whole_number<double>(digits);
    if (!value || !(*value > 0) || *value * scale > longest) return std::nullopt;
    return std::chrono::milliseconds{static_cast<long>(*value * scale)};
  }
  const auto value = whole_number<long>(digits);
  if (!value || *value <= 0 || static_cast<double>(*value) * scale > longest) return std::nullopt;
  return std::chrono::milliseconds{*value * unit.count()};
}

}  // namespace ambi
