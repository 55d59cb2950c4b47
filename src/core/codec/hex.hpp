#pragma once
// Bytes as the trace, the docs and the tools' messages write them: "10 5B 01 5C 16", and
// back from such text (the golden corpus, the tests' frames written as the manual writes them).

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ambi {

/// Upper-case hex pairs separated by single spaces. With `at_most` below the byte count,
/// the first `at_most` bytes and " ... (N bytes)".
[[nodiscard]] std::string hex_bytes(std::span<const std::uint8_t> bytes,
                                    std::size_t at_most = std::numeric_limits<std::size_t>::max());

/// The bytes of hex text: tokens separated by white space, each an even number of hex digits
/// of either case ("01 06 4003 000A"); nullopt when a token is not.
[[nodiscard]] std::optional<std::vector<std::uint8_t>> parse_hex(std::string_view text);

}  // namespace ambi
