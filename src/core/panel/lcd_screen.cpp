#include "core/panel/lcd_screen.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdlib>

namespace ambi {
namespace {

/// Index of the page shown at `now_ms` when `count` pages take `period_ms` each from time 0.
std::size_t scroll_index(std::int64_t now_ms, std::int64_t period_ms, std::size_t count) {
  if (count == 0 || now_ms < 0) return 0;
  return static_cast<std::size_t>(now_ms / period_ms) % count;
}

/// One part-2 register: forward (1.8.t) or reverse (2.8.t) active energy of tariff t.
LcdLine part2_page(const Meter& meter, Dir dir, int tariff) {
  const bool fwd = dir == Dir::forward;
  return LcdLine{
      .caption = fwd ? "Fwd" : "Rev",
      .label = fmt::format("T{}", tariff),
      .obis = fmt::format("{}.8.{}", fwd ? 1 : 2, tariff),
      .value = format_kwh(meter.counter(counter_index::tariff(Family::active, tariff, dir))),
      .unit = "kWh",
      .detail = {}};
}

}  // namespace

std::string format_kwh(std::int64_t mwh) {
  const std::int64_t wh = rolled_over(mwh) / 1000;
  const std::int64_t a = std::abs(wh);
  return fmt::format("{}{:06}.{:03}", wh < 0 ? "-" : "", a / 1000, a % 1000);
}

std::string format_kilo(std::int64_t milli) {
  const std::int64_t units = milli / 1000;
  const std::int64_t a = std::abs(units);
  return fmt::format("{}{}.{:03}", units < 0 ? "-" : "", a / 1000, a % 1000);
}

std::string format_ct_ratio(CtRatio ratio) {
  return fmt::format("{:04}/{}", ratio.primary, ratio.secondary);
}

LcdIcons lcd_icons(const Meter& meter) {
  const std::uint32_t status = meter.status_word();
  const std::int64_t p = meter.measurement().p_mw;
  return LcdIcons{.tariff = meter.tariff(),
                  .bluetooth = (status & status_bit::bluetooth_active) != 0,
                  .communication = (status & status_bit::communication_active) != 0,
                  .ct_ratio = format_ct_ratio(meter.state().ct),
                  .import_arrow = p > 0,
                  .export_arrow = p < 0};
}

LcdLine lcd_part1(const Meter& meter, std::int64_t now_ms) {
  const bool serial = scroll_index(now_ms, kLcdFixedScrollMs, 2) == 0;
  const Identity& id = meter.identity();
  LcdLine line;
  line.caption = serial ? "SN" : "CRC";
  line.value = fmt::format("{:08X}", serial ? id.serial_bcd : id.checksum1_bcd);
  return line;
}

std::vector<LcdLine> lcd_part2_pages(const Meter& meter) {
  const int tariffs = meter.state().t3_t4_activated ? 4 : 2;
  std::vector<LcdLine> pages;
  for (const Dir dir : {Dir::forward, Dir::reverse}) {
    for (int t = 1; t <= tariffs; ++t) pages.push_back(part2_page(meter, dir, t));
  }
  return pages;
}

LcdLine lcd_part2(const Meter& meter, std::int64_t now_ms) {
  const std::vector<LcdLine> pages = lcd_part2_pages(meter);
  return pages[scroll_index(now_ms, kLcdFixedScrollMs, pages.size())];
}

}  // namespace ambi
