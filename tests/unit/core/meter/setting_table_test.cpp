// The settings table: its defaults are the factory meter's, every value it allows is one a
// command applies and reads back, every value outside is refused with a message that names
// the setting and what is allowed, and the one rule for numbers becoming choices.
#include "core/meter/setting_table.hpp"

#include <gtest/gtest.h>

#include <set>

#include "core/meter/meter.hpp"

namespace ambi {
namespace {

const Origin kModbus{Source::modbus, {}};
const Origin kButtons{Source::buttons, {}};

Meter powered_meter() {
  Meter m;
  m.power_on();
  return m;
}

TEST(SettingTable, RowsFollowTheIdsAndNamesAreUnique) {
  std::set<std::string_view> keys, clis;
  for (std::size_t i = 0; i < setting_table().size(); ++i) {
    const SettingDef& def = setting_table()[i];
    EXPECT_EQ(static_cast<std::size_t>(def.id), i);
    EXPECT_EQ(&setting(def.id), &def);
    EXPECT_TRUE(keys.insert(def.key).second) << def.key;
    if (!def.cli.empty()) {
      EXPECT_TRUE(clis.insert(def.cli).second) << def.cli;
    }
    EXPECT_EQ(find_setting_by_key(def.key), &def);
    EXPECT_FALSE(def.section.empty()) << def.key;
    EXPECT_FALSE(def.name.empty()) << def.key;
  }
  EXPECT_EQ(find_setting_by_key("colour"), nullptr);
  EXPECT_EQ(find_setting_by_cli(""), nullptr);
}

TEST(SettingTable, TheDefaultsAreTheFactoryMetersValues) {
  const Meter m(FactoryOptions{.serial_bcd = 0x19020246});
  for (const SettingDef& def : setting_table()) {
    EXPECT_EQ(def.get(m.state()), def.default_value) << def.key;
    EXPECT_TRUE(check_setting(def, def.default_value).has_value()) << def.key;
  }
}

TEST(SettingTable, EveryAllowedValueIsAppliedAndReadBack) {
  for (const SettingDef& def : setting_table()) {
    std::vector<std::int64_t> values;
    if (def.kind == SettingKind::integer) values = {def.min, def.max};
    for (const SettingChoice& c : def.choices) values.push_back(c.code);
    for (const std::int64_t v : values) {
      Meter m = powered_meter();
      const Origin origin = def.id == SettingId::password ? kButtons : kModbus;
      if (def.id == SettingId::combination && m.c05_locked()) continue;
      ASSERT_TRUE(m.apply(def.command(v), origin).has_value()) << def.key << " " << v;
      EXPECT_EQ(def.get(m.state()), v) << def.key;
    }
  }
  Meter m = powered_meter();
  ASSERT_TRUE(m.apply(setting(SettingId::ct_ratio).command(pack_ct(9995, 5)), kModbus));
  EXPECT_EQ(m.state().ct, (CtRatio{9995, 5}));
  ASSERT_TRUE(m.apply(setting(SettingId::password).command(1234), kButtons));
  EXPECT_EQ(setting(SettingId::password).get(m.state()), 1234);
  ASSERT_TRUE(m.apply(setting(SettingId::mbus_secondary_id).command(0x45230115), kModbus));
  EXPECT_EQ(m.settings().mbus_secondary_id, 0x45230115U);
}

struct Refused {
  SettingId id;
  std::int64_t value;
  const char* message;
};

TEST(SettingTable, AValueOutsideIsRefusedNamingTheSettingAndWhatIsAllowed) {
  const Refused cases[] = {
      {SettingId::modbus_id, 248, "Modbus ID 248 out of range 1-247"},
      {SettingId::pulse_width, 100, "pulse width 100 ms out of range 2-99"},
      {SettingId::lcd_cycle, 0, "LCD cycle time 0 s out of range 1-30"},
      {SettingId::parity, 4, "parity code 4 out of range (1=even 2=none 3=odd)"},
      {SettingId::tariff, 5, "tariff code 5 out of range (1=T1 2=T2 3=T3 4=T4)"},
      {SettingId::mbus_baud, 19200,
       "M-bus baud rate 19200 bps not one of 300, 600, 1200, 2400, 4800, 9600"},
      {SettingId::s0_rate, 50'000,
       "S0 rate 500.00 imp/kWh not one of 10000, 2000, 1000, 100, 10, 1, 0.1, 0.01"},
      {SettingId::mbus_secondary_id, 0x1234567A,
       "M-bus secondary address 1234567A is not 8 BCD digits"},
      {SettingId::ct_ratio, pack_ct(9996, 5),
       "CT primary current 9996 A out of range 5-9995 for /5 A"},
      {SettingId::ct_ratio, pack_ct(100, 2), "CT secondary current 2 A must be 1 or 5"},
      {SettingId::password, 10'000, "password must be exactly 4 digits 0-9"},
  };
  for (const Refused& r : cases) {
    const auto refused = check_setting(r.id, r.value);
    ASSERT_FALSE(refused.has_value()) << r.message;
    EXPECT_EQ(refused.error().kind, Rejection::Kind::out_of_range);
    EXPECT_EQ(refused.error().message, r.message);
  }
}

TEST(SettingTable, ANumberBecomesAChoiceByItsValueInMillionths) {
  const SettingDef& s0 = setting(SettingId::s0_rate);
  EXPECT_EQ(choice_of_number(s0, 0.01)->code, 1);
  EXPECT_EQ(choice_of_number(s0, 0.0099999998)->code, 1);  // 0.01 as a float register carries it
  EXPECT_EQ(choice_of_number(s0, 10000.0)->code, 1'000'000);
  EXPECT_EQ(choice_of_number(s0, 0.015), nullptr);
  EXPECT_EQ(choice_of_number(setting(SettingId::modbus_baud), 57600)->code, 9);
  EXPECT_EQ(choice_of_number(setting(SettingId::modbus_baud), 56700), nullptr);
  EXPECT_EQ(decimal_millionths("1000.00"), 1'000'000'000);
  EXPECT_EQ(decimal_millionths("0.01"), 10'000);
  EXPECT_EQ(decimal_millionths("0.0000001"), std::nullopt);
  EXPECT_EQ(decimal_millionths("-1"), std::nullopt);
  EXPECT_EQ(decimal_millionths("1."), std::nullopt);
}

TEST(SettingTable, TextsAndAllowedValuesAreTheTablesOwn) {
  EXPECT_EQ(setting_text(setting(SettingId::modbus_baud), 6), "9600");
  EXPECT_EQ(setting_text(setting(SettingId::ct_ratio), pack_ct(500, 5)), "500/5");
  EXPECT_EQ(setting_text(setting(SettingId::mbus_secondary_id), 0x45230115), "45230115");
  EXPECT_EQ(allowed_text(setting(SettingId::pulse_type)), "active-reactive|forward-reverse");
  EXPECT_EQ(allowed_text(setting(SettingId::tariff)), "T1|T2|T3|T4 or 1-4");
  EXPECT_EQ(allowed_text(setting(SettingId::lcd_cycle)), "1-30 (s)");
  EXPECT_EQ(choice_of_text(setting(SettingId::pulse_type), "FORWARD-reverse", true)->code, 2);
  EXPECT_EQ(choice_of_text(setting(SettingId::pulse_type), "FORWARD-reverse", false), nullptr);
  EXPECT_EQ(to_string(Parity::odd), "odd");
  EXPECT_EQ(modbus_baud_rate(9), 57600U);
  EXPECT_EQ(kS0RatesCenti.front(), 1'000'000U);
}

}  // namespace
}  // namespace ambi
