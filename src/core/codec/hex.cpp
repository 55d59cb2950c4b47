#include "core/codec/hex.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace ambi {

std::string hex_bytes(std::span<const std::uint8_t> bytes, std::size_t at_most) {
  const auto shown = bytes.first(std::min(bytes.size(), at_most));
  std::string out = fmt::format("{:02X}", fmt::join(shown, " "));
  if (shown.size() < bytes.size()) out += fmt::format(" ... ({} bytes)", bytes.size());
  return out;
}

}  // namespace ambi
