#include "core/meter/settings.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace ambi {
namespace {

Outcome<> out_of_range(std::string message) {
  return std::unexpected(Rejection{Rejection::Kind::out_of_range, std::move(message)});
}

template <class T, std::size_t N>
bool contains(const std::array<T, N>& values, long v) {
  return std::any_of(values.begin(), values.end(), [v](T x) { return static_cast<long>(x) == v; });
}

}  // namespace

Outcome<> check_modbus_id(int id) {
  if (id < 1 || id > 247) return out_of_range(fmt::format("Modbus ID {} out of range 1-247", id));
  return {};
}

Outcome<> check_modbus_baud_code(int code) {
  if (code < 1 || code > 10) {
    return out_of_range(fmt::format(
        "baud code {} out of range 1-10 (1=300 2=600 3=1200 4=2400 5=4800 6=9600 7=19200 "
        "8=38400 9=57600 10=115200)",
        code));
  }
  return {};
}

Outcome<> check_parity(int code) {
  if (code < 1 || code > 3) {
    return out_of_range(fmt::format("parity code {} out of range (1=even 2=none 3=odd)", code));
  }
  return {};
}

Outcome<> check_mbus_id(int id) {
  if (id < 0 || id > 250) return out_of_range(fmt::format("M-bus ID {} out of range 0-250", id));
  return {};
}

Outcome<> check_mbus_baud(long baud) {
  if (!contains(kMbusBauds, baud)) {
    return out_of_range(
        fmt::format("M-bus baud rate {} not one of 300, 600, 1200, 2400, 4800, 9600", baud));
  }
  return {};
}

Outcome<> check_s0_rate_centi(long rate_centi) {
  if (!contains(kS0RatesCenti, rate_centi)) {
    return out_of_range(
        fmt::format("S0 rate {}.{:02} imp/kWh not one of 10000, 2000, 1000, 100, 10, 1, 0.1, 0.01",
                    rate_centi / 100, std::abs(rate_centi % 100)));
  }
  return {};
}

Outcome<> check_pulse_width(int ms) {
  if (ms < 2 || ms > 99)
    return out_of_range(fmt::format("pulse width {} ms out of range 2-99", ms));
  return {};
}

Outcome<> check_lcd_cycle(int seconds) {
  if (seconds < 1 || seconds > 30) {
    return out_of_range(fmt::format("LCD cycle time {} s out of range 1-30", seconds));
  }
  return {};
}

Outcome<> check_ct_ratio(long primary, long secondary) {
  if (secondary == 1 && primary >= 1 && primary <= 9999) return {};
  if (secondary == 5 && primary >= 5 && primary <= 9995) return {};
  if (secondary != 1 && secondary != 5) {
    return out_of_range(fmt::format("CT secondary current {} A must be 1 or 5", secondary));
  }
  return out_of_range(fmt::format("CT primary current {} A out of range {} for /{} A", primary,
                                  secondary == 1 ? "1-9999" : "5-9995", secondary));
}

Outcome<> check_password_text(std::string_view digits) {
  bool ok = digits.size() == 4 &&
            std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!ok) return out_of_range("password must be exactly 4 digits 0-9");
  return {};
}

Outcome<> check_bcd8(std::uint32_t value) {
  for (int shift = 0; shift < 32; shift += 4) {
    if (((value >> shift) & 0xFU) > 9) {
      return out_of_range(fmt::format("{:08X} is not 8 BCD digits", value));
    }
  }
  return {};
}

std::uint32_t modbus_baud_rate(int code) {
  if (code < 1 || code > 10) return 0;
  return kModbusBauds[static_cast<std::size_t>(code - 1)];
}

std::optional<int> modbus_baud_code_of(long rate) {
  for (std::size_t i = 0; i < kModbusBauds.size(); ++i) {
    if (static_cast<long>(kModbusBauds[i]) == rate) return static_cast<int>(i + 1);
  }
  return std::nullopt;
}

std::string_view to_string(CombinationCode code) {
  static constexpr std::array<std::string_view, 5> kNames{"C-01", "C-02", "C-03", "C-04", "C-05"};
  return kNames[static_cast<std::size_t>(code) - 1];
}

std::string_view to_string(Parity parity) {
  static constexpr std::array<std::string_view, 3> kNames{"even", "none", "odd"};
  return kNames[static_cast<std::size_t>(parity) - 1];
}

std::string_view to_string(PulseType type) {
  return type == PulseType::active_reactive ? "active&reactive" : "forward&reverse";
}

std::string_view to_string(Backlight mode) {
  static constexpr std::array<std::string_view, 3> kNames{"on", "off", "button"};
  return kNames[static_cast<std::size_t>(mode)];
}

std::string_view to_string(DataType type) {
  return type == DataType::standard ? "standard" : "integer";
}

}  // namespace ambi
