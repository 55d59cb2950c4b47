#include "core/meter/settings.hpp"

#include <algorithm>

namespace ambi {
namespace {

template <std::size_t N>
std::string_view text_of(const std::array<SettingChoice, N>& choices, std::int64_t code) {
  const auto it = std::ranges::find(choices, code, &SettingChoice::code);
  return it == choices.end() ? std::string_view{} : it->text;
}

}  // namespace

std::uint32_t modbus_baud_rate(int code) {
  if (code < 1 || code > static_cast<int>(kModbusBauds.size())) return 0;
  return kModbusBauds[static_cast<std::size_t>(code - 1)];
}

std::optional<int> modbus_baud_code_of(long rate) {
  const auto it =
      std::ranges::find(kModbusBauds, rate, [](std::uint32_t b) { return static_cast<long>(b); });
  if (it == kModbusBauds.end()) return std::nullopt;
  return static_cast<int>(it - kModbusBauds.begin()) + 1;
}

std::string_view to_string(CombinationCode code) {
  return text_of(kCombinationChoices, static_cast<std::int64_t>(code));
}
std::string_view to_string(Parity parity) {
  return text_of(kParityChoices, static_cast<std::int64_t>(parity));
}
std::string_view to_string(PulseType type) {
  return text_of(kPulseTypeChoices, static_cast<std::int64_t>(type));
}
std::string_view to_string(Backlight mode) {
  return text_of(kBacklightChoices, static_cast<std::int64_t>(mode));
}
std::string_view to_string(DataType type) {
  return text_of(kDataTypeChoices, static_cast<std::int64_t>(type));
}

}  // namespace ambi
