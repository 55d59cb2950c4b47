#pragma once
// Terse log lines on stderr ("ambimeter: ..."); stdout carries only machine-readable lines.

#include <fmt/format.h>

#include <cstdio>
#include <utility>

namespace ambi {

/// Writes one line "ambimeter: MESSAGE" to stderr.
template <class... Args>
void log_line(fmt::format_string<Args...> format, Args&&... args) {
  fmt::print(stderr, "ambimeter: {}\n", fmt::format(format, std::forward<Args>(args)...));
  std::fflush(stderr);
}

}  // namespace ambi
