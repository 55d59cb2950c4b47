#include "core/codec/hex.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace ambi {

std::string hex_bytes(std::span<const std::uint8_t> bytes, std::size_t at_most) {
  const auto shown = bytes.first(std::min(bytes.size(), at_most));
  std::string out = fmt::format("{:02X}", fmt::join(shown, " "));
  if (shown.size() < bytes.size()) out += fmt::format(" ... ({} bytes)", bytes.size());
  return out;
}

namespace {

int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

}  // namespace

std::optional<std::vector<std::uint8_t>> parse_hex(std::string_view text) {
  std::vector<std::uint8_t> out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (is_space(text[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && !is_space(text[end])) ++end;
    if ((end - i) % 2 != 0) return std::nullopt;
    for (; i < end; i += 2) {
      const int high = nibble(text[i]);
      const int low = nibble(text[i + 1]);
      if (high < 0 || low < 0) return std::nullopt;
      out.push_back(static_cast<std::uint8_t>(high * 16 + low));
    }
  }
  return out;
}

}  // namespace ambi
