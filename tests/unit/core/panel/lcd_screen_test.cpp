// What the LCD shows (manual 7.1-7.3, 7.6.14, 7.6.15, 7.6.17): exact texts of every page.
#include "core/panel/lcd_screen.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ambi {
namespace {

namespace ci = counter_index;
constexpr std::int64_t kHourMs = 3'600'000;
const Origin kModbus{Source::modbus, {}};

/// L1 imports 1 kW (250 V, 4 A, φ 0), L2 exports 1 kW (200 V, 5 A, φ 180°),
/// L3 draws 230 W and 398.372 var (230 V, 2 A, φ 60°).
LoadInput mixed_load() {
  LoadInput load;
  load.phases = {PhaseInput{250.0, 4.0, 0.0}, PhaseInput{200.0, 5.0, 180.0},
                 PhaseInput{230.0, 2.0, 60.0}};
  load.hz = 50.0;
  return load;
}

/// A powered meter after one hour of the mixed load.
Meter loaded_meter() {
  Meter m;
  m.power_on();
  EXPECT_TRUE(m.set_load(mixed_load()).has_value());
  m.advance(kHourMs);
  return m;
}

/// caption | label | obis | value | unit
using Row = std::array<std::string, 5>;

Row row_of(const LcdLine& line) {
  return {line.caption, line.label, line.obis, line.value, line.unit};
}

TEST(LcdScreen, FormatsKwhAs6Plus3DigitsCutToWholeWh) {
  EXPECT_EQ(format_kwh(0), "000000.000");
  EXPECT_EQ(format_kwh(123'456'789), "000123.456");
  EXPECT_EQ(format_kwh(123'456), "000000.123");
  EXPECT_EQ(format_kwh(999), "000000.000");
  EXPECT_EQ(format_kwh(-1'500'000), "-000001.500");
  EXPECT_EQ(format_kwh(-1'500), "-000000.001");
  EXPECT_EQ(format_kwh(-999), "000000.000");
  EXPECT_EQ(format_kwh(kRolloverMwh - 1), "999999.999");
  EXPECT_EQ(format_kwh(kRolloverMwh), "000000.000");
  EXPECT_EQ(format_kwh(kRolloverMwh + 2'000), "000000.002");
}

TEST(LcdScreen, FormatsPowersInKiloUnitsAndCtRatiosWithFourDigits) {
  EXPECT_EQ(format_kilo(1'234'567), "1.234");
  EXPECT_EQ(format_kilo(-230'000), "-0.230");
  EXPECT_EQ(format_kilo(-999), "0.000");
  EXPECT_EQ(format_kilo(300'000'000'000), "300000.000");
  EXPECT_EQ(format_ct_ratio(CtRatio{5, 5}), "0005/5");
  EXPECT_EQ(format_ct_ratio(CtRatio{500, 5}), "0500/5");
  EXPECT_EQ(format_ct_ratio(CtRatio{9999, 1}), "9999/1");
}

TEST(LcdScreen, Part1AlternatesSerialNumberAndCrcEvery10Seconds) {
  const Meter m = loaded_meter();
  const Row serial{"SN", "", "", "19020246", ""};
  const Row crc{"CRC", "", "", "21001416", ""};
  EXPECT_EQ(row_of(lcd_part1(m, 0)), serial);
  EXPECT_EQ(row_of(lcd_part1(m, 9'999)), serial);
  EXPECT_EQ(row_of(lcd_part1(m, 10'000)), crc);
  EXPECT_EQ(row_of(lcd_part1(m, 19'999)), crc);
  EXPECT_EQ(row_of(lcd_part1(m, 20'000)), serial);
}

TEST(LcdScreen, Part2ScrollsTheT1AndT2RegistersEvery10Seconds) {
  const Meter m = loaded_meter();
  const std::vector<Row> expected{
      {"Fwd", "T1", "1.8.1", "000001.230", "kWh"},
      {"Fwd", "T2", "1.8.2", "000000.000", "kWh"},
      {"Rev", "T1", "2.8.1", "000001.000", "kWh"},
      {"Rev", "T2", "2.8.2", "000000.000", "kWh"},
  };
  for (std::size_t i = 0; i < 8; ++i) {
    const auto t = static_cast<std::int64_t>(i) * 10'000;
    EXPECT_EQ(row_of(lcd_part2(m, t)), expected[i % 4]) << "at " << t;
    EXPECT_EQ(row_of(lcd_part2(m, t + 9'999)), expected[i % 4]) << "at " << t + 9'999;
  }
}

std::vector<std::string> part2_obis(const Meter& m) {
  std::vector<std::string> out;
  for (const LcdLine& line : lcd_part2_pages(m)) out.push_back(line.obis);
  return out;
}

TEST(LcdScreen, Part2ShowsT3AndT4OnlyOnceT3WasActiveAndForEverAfter) {
  Meter m = loaded_meter();
  const std::vector<std::string> two{"1.8.1", "1.8.2", "2.8.1", "2.8.2"};
  const std::vector<std::string> four{"1.8.1", "1.8.2", "1.8.3", "1.8.4",
                                      "2.8.1", "2.8.2", "2.8.3", "2.8.4"};
  EXPECT_EQ(part2_obis(m), two);
  ASSERT_TRUE(m.apply(SetTariff{2}, kModbus).has_value());
  EXPECT_EQ(part2_obis(m), two);
  ASSERT_TRUE(m.apply(SetTariff{3}, kModbus).has_value());
  m.advance(kHourMs);
  EXPECT_EQ(part2_obis(m), four);
  ASSERT_TRUE(m.apply(SetTariff{1}, kModbus).has_value());
  EXPECT_EQ(part2_obis(m), four);
  EXPECT_EQ(lcd_part2_pages(m)[2].value, "000001.230");  // 1.8.3: one hour in T3
  EXPECT_EQ(row_of(lcd_part2(m, 70'000)), (Row{"Rev", "T4", "2.8.4", "000000.000", "kWh"}));
}

TEST(LcdScreen, Part2RollsOverFrom999999999To000000000) {
  PersistentState s;
  s.registers.counters[ci::tariff(Family::active, 1, Dir::forward)] =
      EnergyCounter::from_parts(kRolloverMwh - 500, 0);
  Meter m(s, 0);
  m.power_on();
  LoadInput load;
  load.phases[0] = PhaseInput{250.0, 4.0, 0.0};  // 1 kW
  ASSERT_TRUE(m.set_load(load).has_value());
  EXPECT_EQ(lcd_part2(m, 0).value, "999999.999");
  m.advance(1'800);  // + 500 mWh
  EXPECT_EQ(lcd_part2(m, 0).value, "000000.000");
  m.advance(3'600);  // + 1 Wh
  EXPECT_EQ(lcd_part2(m, 0).value, "000000.001");
}

TEST(LcdScreen, Part3ShowsEveryQuantityOf73ForTotalAndEachPhase) {
  const Meter m = loaded_meter();
  const std::vector<Row> expected{
      {"Dir", "L1", "", "F", ""},
      {"Dir", "L2", "", "R", ""},
      {"Dir", "L3", "", "F", ""},
      {"Trip", "Total", "", "000000.230", "kWh"},
      {"Trip", "L1", "", "000001.000", "kWh"},
      {"Trip", "L2", "", "-000001.000", "kWh"},
      {"Trip", "L3", "", "000000.230", "kWh"},
      {"Fwd", "Total", "3.8.0", "000000.398", "kvarh"},
      {"Fwd", "L1", "23.8.0", "000000.000", "kvarh"},
      {"Fwd", "L2", "43.8.0", "000000.000", "kvarh"},
      {"Fwd", "L3", "63.8.0", "000000.398", "kvarh"},
      {"Rev", "Total", "4.8.0", "000000.000", "kvarh"},
      {"Rev", "L1", "24.8.0", "000000.000", "kvarh"},
      {"Rev", "L2", "44.8.0", "000000.000", "kvarh"},
      {"Rev", "L3", "64.8.0", "000000.000", "kvarh"},
      {"PF", "Total", "13.7.0", "0.093", ""},
      {"PF", "L1", "33.7.0", "1.000", ""},
      {"PF", "L2", "53.7.0", "-1.000", ""},
      {"PF", "L3", "73.7.0", "0.500", ""},
      {"Quad", "Total", "", "1", ""},
      {"Quad", "L1", "", "1", ""},
      {"Quad", "L2", "", "2", ""},
      {"Quad", "L3", "", "1", ""},
      {"Freq", "", "14.7.0", "50.00", "Hz"},
      {"P", "Total", "16.7.0", "0.230", "kW"},
      {"P", "L1", "36.7.0", "1.000", "kW"},
      {"P", "L2", "56.7.0", "-1.000", "kW"},
      {"P", "L3", "76.7.0", "0.230", "kW"},
      {"S", "Total", "9.7.0", "2.460", "kVA"},
      {"S", "L1", "29.7.0", "1.000", "kVA"},
      {"S", "L2", "49.7.0", "1.000", "kVA"},
      {"S", "L3", "69.7.0", "0.460", "kVA"},
      {"Q", "Total", "3.7.0", "0.398", "kvar"},
      {"Q", "L1", "23.7.0", "0.000", "kvar"},
      {"Q", "L2", "43.7.0", "0.000", "kvar"},
      {"Q", "L3", "63.7.0", "0.398", "kvar"},
      {"U", "L1", "32.7.0", "250.0", "V"},
      {"U", "L2", "52.7.0", "200.0", "V"},
      {"U", "L3", "72.7.0", "230.0", "V"},
      {"I", "L1", "31.7.0", "4.000", "A"},
      {"I", "L2", "51.7.0", "5.000", "A"},
      {"I", "L3", "71.7.0", "2.000", "A"},
      {"C-04", "Total", "16.8.0", "000000.230", "kWh"},
      {"C-04", "L1", "36.8.0", "000001.000", "kWh"},
      {"C-04", "L2", "56.8.0", "-000001.000", "kWh"},
      {"C-04", "L3", "76.8.0", "000000.230", "kWh"},
  };
  const std::vector<LcdLine> pages = lcd_part3_pages(m);
  ASSERT_EQ(pages.size(), expected.size());
  for (std::size_t i = 0; i < pages.size(); ++i) {
    EXPECT_EQ(row_of(pages[i]), expected[i]) << "page " << i;
    EXPECT_EQ(pages[i].detail, "") << "page " << i;
  }
}

TEST(LcdScreen, TheCombinedTotalFollowsTheCombinationCodeAndItsObis) {
  struct Case {
    int code;
    Row total;
  };
  const Case cases[] = {
      {1, {"C-01", "Total", "1.8.0", "000001.230", "kWh"}},
      {2, {"C-02", "Total", "2.8.0", "-000001.000", "kWh"}},
      {3, {"C-03", "Total", "15.8.0", "000002.230", "kWh"}},
      {4, {"C-04", "Total", "16.8.0", "000000.230", "kWh"}},
  };
  for (const Case& c : cases) {
    Meter m = loaded_meter();
    ASSERT_TRUE(m.apply(SetCombination{c.code}, kModbus).has_value());
    EXPECT_EQ(row_of(lcd_part3_pages(m)[42]), c.total) << "C-0" << c.code;
  }
}

TEST(LcdScreen, ObisOffHidesThePart3CodesButNeverThePart2Codes) {
  Meter m = loaded_meter();
  ASSERT_TRUE(m.apply(SetObis{false}, kModbus).has_value());
  for (const LcdLine& line : lcd_part3_pages(m)) EXPECT_EQ(line.obis, "") << line.caption;
  EXPECT_EQ(row_of(lcd_part3_pages(m)[24]), (Row{"P", "Total", "", "0.230", "kW"}));
  EXPECT_EQ(lcd_part2(m, 0).obis, "1.8.1");
}

TEST(LcdScreen, CtHistoryPagesAppearAfterACtRatioChange) {
  Meter m = loaded_meter();
  EXPECT_EQ(lcd_part3_pages(m).size(), 46U);
  ASSERT_TRUE(m.apply(SetCtRatio{500, 5}, kModbus).has_value());
  m.advance(kHourMs);  // history 1 keeps counting at 5/5: + 1/100 of the primary energy
  const std::vector<LcdLine> pages = lcd_part3_pages(m);
  ASSERT_EQ(pages.size(), 48U);
  EXPECT_EQ(row_of(pages[46]), (Row{"CT-H1", "Fwd", "1.8.0", "000001.242", "kWh"}));
  EXPECT_EQ(row_of(pages[47]), (Row{"CT-H1", "Rev", "2.8.0", "000001.010", "kWh"}));
  EXPECT_EQ(pages[46].detail, "0005/5");
  ASSERT_TRUE(m.apply(SetCtRatio{1000, 1}, kModbus).has_value());
  const std::vector<LcdLine> more = lcd_part3_pages(m);
  ASSERT_EQ(more.size(), 50U);
  EXPECT_EQ(row_of(more[48]), (Row{"CT-H2", "Fwd", "1.8.0", "000002.460", "kWh"}));
  EXPECT_EQ(more[48].detail, "0500/5");
  EXPECT_EQ(row_of(more[49]), (Row{"CT-H2", "Rev", "2.8.0", "000002.000", "kWh"}));
}

TEST(LcdScreen, IconsShowTariffLinksCtRatioAndEnergyDirection) {
  Meter m = loaded_meter();
  LcdIcons icons = lcd_icons(m);
  EXPECT_EQ(icons, (LcdIcons{1, false, false, "0005/5", true, false}));
  m.set_communication_active(true);
  m.set_bluetooth_active(true);
  m.set_tariff_input(true);
  ASSERT_TRUE(m.apply(SetCtRatio{500, 5}, kModbus).has_value());
  LoadInput load = mixed_load();
  load.phases[0].amps = 0.0;  // only the export of L2 and the 230 W of L3 remain
  ASSERT_TRUE(m.set_load(load).has_value());
  EXPECT_EQ(lcd_icons(m), (LcdIcons{2, true, true, "0500/5", false, true}));
  m.set_communication_active(false);
  ASSERT_TRUE(m.set_load(LoadInput{}).has_value());
  EXPECT_EQ(lcd_icons(m), (LcdIcons{2, true, false, "0500/5", false, false}));
}

}  // namespace
}  // namespace ambi
