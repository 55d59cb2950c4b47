#pragma once
// Terse log lines on stderr, for the twin ("ambimeter: ...") and the tools ("ambimeter read:
// ..."); stdout carries only machine-readable lines.

#include <fmt/format.h>

#include <cstdio>
#include <string_view>
#include <utility>

namespace ambi {

/// Writes one line to stderr and flushes it: "ambimeter: MESSAGE" when `command` is empty,
/// else "ambimeter COMMAND: MESSAGE".
void write_log_line(std::string_view command, std::string_view message);

/// Writes one line "ambimeter: MESSAGE" to stderr.
template <class... Args>
void log_line(fmt::format_string<Args...> format, Args&&... args) {
  write_log_line({}, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace ambi
