#pragma once
// Durations as a user types them ("500ms", "2s", "5m", "1h"), for every option and URI
// parameter that takes one.

#include <chrono>
#include <optional>
#include <string_view>

namespace ambi {

/// What a duration may look like where it is typed.
struct DurationSyntax {
  std::chrono::milliseconds bare_unit;  ///< what a number without a unit counts
  std::chrono::milliseconds longest;    ///< the longest duration accepted
  bool minutes_and_hours = true;        ///< "m" and "h" besides "ms" and "s"
  bool fractions = true;                ///< "1.5s", cut toward zero to whole milliseconds
};

/// The tools' --interval: ms, s, m or h, fractions allowed, a bare number in seconds, up to
/// a day.
inline constexpr DurationSyntax kIntervalSyntax{std::chrono::seconds{1}, std::chrono::hours{24},
                                                true, true};
/// A meter URI's timeout=: whole ms or s, a bare number in milliseconds, up to 10 minutes.
inline constexpr DurationSyntax kTimeoutSyntax{std::chrono::milliseconds{1},
                                               std::chrono::minutes{10}, false, false};

/// Parses `text` as `syntax` allows: a number above 0, then optionally a unit. nullopt for
/// anything else (the caller names the form in its message).
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                                      const DurationSyntax& syntax);

}  // namespace ambi
