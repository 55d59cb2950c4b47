#pragma once
// Bytes as the trace, the docs and the tools' messages write them: "10 5B 01 5C 16".

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>

namespace ambi {

/// Upper-case hex pairs separated by single spaces. With `at_most` below the byte count,
/// the first `at_most` bytes and " ... (N bytes)".
[[nodiscard]] std::string hex_bytes(std::span<const std::uint8_t> bytes,
                                    std::size_t at_most = std::numeric_limits<std::size_t>::max());

}  // namespace ambi
