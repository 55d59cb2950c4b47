#pragma once
// What the LCD shows (manual 7.1-7.6), as text a web page can draw: three areas shown at once
// (part 1 identity and tariff, part 2 the MID energy registers, part 3 everything else), the
// icons, and in settings mode one menu page. Pure: the meter and the time come in.

#include <cstdint>
#include <string>
#include <vector>

#include "core/meter/meter.hpp"

namespace ambi {

/// One area of the LCD (one page of part 1, 2 or 3).
struct LcdLine {
  std::string caption;  ///< the quantity: "Fwd", "Rev", "PF", "Trip", "SN", "CRC", "CT-H1"...
  std::string label;    ///< which one: "Total", "L1"-"L3", "T1"-"T4"; empty when none applies
  std::string obis;     ///< IEC 62056-61 code ("1.8.1"); empty when none or OBIS off (7.6.14)
  std::string value;    ///< the digits as drawn: "000123.456", "230.0", "F"
  std::string unit;     ///< "kWh", "kvarh", "kW", "kvar", "kVA", "V", "A", "Hz" or empty
  std::string detail;   ///< extra text: the CT ratio of a CT history page ("0005/5")
  friend bool operator==(const LcdLine&, const LcdLine&) = default;
};

/// The icons and fixed segments (7.1).
struct LcdIcons {
  int tariff = 1;              ///< the active tariff, always shown in part 1 (7.1, 7.6.2)
  bool bluetooth = false;      ///< "icon 1": Bluetooth activated (7.1, 7.5)
  bool communication = false;  ///< the telephone hook: Modbus or M-bus active (7.1)
  std::string ct_ratio;        ///< the present CT ratio, "0005/5" (7.1, 7.6.17)
  bool import_arrow = false;   ///< total active power > 0
  bool export_arrow = false;   ///< total active power < 0
  friend bool operator==(const LcdIcons&, const LcdIcons&) = default;
};

/// One settings-mode page (7.4-7.6).
struct LcdMenu {
  std::string section;   ///< the manual section of the page: "7.4", "7.5", "7.6", "7.6.6"
  std::string title;     ///< "Modbus ID"
  std::string value;     ///< "001", "T1", "Err"
  std::string unit;      ///< "ms", "s", "imp/kWh", "kWh" or empty
  int cursor = -1;       ///< index in `value` of the character being edited; -1 none
  bool editing = false;  ///< the value blinks: << and >> change it, * confirms
  std::string message;   ///< on an "Err" page: why (the meter's rejection message)
  std::string qr;        ///< on the Bluetooth page (7.5): the QR code's payload
  friend bool operator==(const LcdMenu&, const LcdMenu&) = default;
};

/// off: no supply, the LCD is dark. normal: parts 1-3. menu: part 1 and a settings page.
enum class LcdMode : std::uint8_t { off, normal, menu };

/// Everything the LCD shows at one instant.
struct LcdScreen {
  LcdMode mode = LcdMode::off;
  bool backlight = false;        ///< 7.6.11
  bool turned = false;           ///< screen direction turned 180° (A4 settings)
  std::string software_version;  ///< "1.02" (7.1)
  LcdIcons icons;
  LcdLine part1;  ///< serial number / CRC code (7.1)
  LcdLine part2;  ///< a 1.8.x / 2.8.x register (7.2); caption "Err" on a stopped meter (8.1)
  LcdLine part3;  ///< one page of part 3 (7.3)
  LcdMenu menu;   ///< in menu mode (parts 2 and 3 are then empty)
  friend bool operator==(const LcdScreen&, const LcdScreen&) = default;
};

/// Part 1 serial number and CRC code each stay 10 s (7.1); part 2 pages too (7.2).
inline constexpr std::int64_t kLcdFixedScrollMs = 10'000;

/// A register in kWh as the 6+3 digit display shows it (7.2): rolled over at 999999.999,
/// whole Wh cut toward zero, zero-padded, '-' before a negative total: "000123.456".
[[nodiscard]] std::string format_kwh(std::int64_t mwh);
/// A milli-unit value in kilo-units with 3 decimals (whole units, cut toward zero):
/// 1234567 mW → "1.234" kW, -230000 mW → "-0.230".
[[nodiscard]] std::string format_kilo(std::int64_t milli);
/// A CT ratio as the 7.6.17 page writes it: 4-digit primary, '/', secondary: "0500/5".
[[nodiscard]] std::string format_ct_ratio(CtRatio ratio);

/// The icons for the meter's present state (7.1).
[[nodiscard]] LcdIcons lcd_icons(const Meter& meter);
/// Part 1 at `now_ms`: serial number, then CRC code (checksum 1), 10 s each (7.1).
[[nodiscard]] LcdLine lcd_part1(const Meter& meter, std::int64_t now_ms);
/// The pages of part 2 in scroll order (7.2): 1.8.1, 1.8.2, (1.8.3, 1.8.4), 2.8.1, 2.8.2,
/// (2.8.3, 2.8.4); the T3/T4 pages once T3 or T4 was ever active (7.6.2, A1.2).
[[nodiscard]] std::vector<LcdLine> lcd_part2_pages(const Meter& meter);
/// Part 2 at `now_ms`: its pages scroll every 10 s (7.2).
[[nodiscard]] LcdLine lcd_part2(const Meter& meter, std::int64_t now_ms);
/// The pages of part 3 in scroll order (7.3): see lcd_part3.cpp for the list; CT history
/// pages last once the CT ratio has been changed (7.6.17); OBIS per the setting (7.6.14).
[[nodiscard]] std::vector<LcdLine> lcd_part3_pages(const Meter& meter);

}  // namespace ambi
