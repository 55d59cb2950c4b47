// NAME=VALUE setting arguments and the Modbus and M-bus writes that carry them.
#include "reader/setting_args.hpp"

#include <gtest/gtest.h>

#include <tuple>

#include "core/mbus/mbus_records.hpp"
#include "core/meter/meter.hpp"
#include "core/modbus/modbus_map.hpp"
#include "modbus_test_support.hpp"

namespace ambi {
namespace {

using modbus_test::hex;
using modbus_test::powered_meter;

// The command structs have no ==: compare their fields.
auto fields(const SetModbusId& c) {
  return std::tuple{c.id};
}
auto fields(const SetModbusBaud& c) {
  return std::tuple{c.code};
}
auto fields(const SetParity& c) {
  return std::tuple{c.code};
}
auto fields(const SetMbusId& c) {
  return std::tuple{c.id};
}
auto fields(const SetMbusBaud& c) {
  return std::tuple{c.baud};
}
auto fields(const SetMbusSecondaryId& c) {
  return std::tuple{c.bcd};
}
auto fields(const SetS0Rate& c) {
  return std::tuple{c.rate_centi};
}
auto fields(const SetPulseType& c) {
  return std::tuple{c.code};
}
auto fields(const SetPulseWidth& c) {
  return std::tuple{c.ms};
}
auto fields(const SetCombination& c) {
  return std::tuple{c.code};
}
auto fields(const SetLcdCycle& c) {
  return std::tuple{c.seconds};
}
auto fields(const SetBacklight& c) {
  return std::tuple{c.mode};
}
auto fields(const SetScreenDirection& c) {
  return std::tuple{c.direction};
}
auto fields(const SetObis& c) {
  return std::tuple{c.on};
}
auto fields(const SetDataType& c) {
  return std::tuple{c.code};
}
auto fields(const SetPassword& c) {
  return std::tuple{c.digits};
}
auto fields(const SetTariff& c) {
  return std::tuple{c.tariff};
}
auto fields(const SetCtRatio& c) {
  return std::tuple{c.primary, c.secondary};
}
auto fields(const ResetPowerDownCounter&) {
  return std::tuple{};
}
auto fields(const ResetTripCounter&) {
  return std::tuple{};
}

bool same(const Command& a, const Command& b) {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&b](const auto& x) { return fields(x) == fields(std::get<std::decay_t<decltype(x)>>(b)); },
      a);
}

Command parsed(std::string_view arg) {
  const auto command = parse_setting_arg(arg);
  EXPECT_TRUE(command.has_value()) << arg << ": " << (command ? "" : command.error());
  return command ? *command : Command{ResetTripCounter{}};
}

std::string refusal(std::string_view arg) {
  const auto command = parse_setting_arg(arg);
  EXPECT_FALSE(command.has_value()) << arg << " was accepted";
  return command ? std::string() : command.error();
}

// ---- parsing ------------------------------------------------------------------------------

TEST(SettingArgParse, EveryExampleParsesAndNamesAreUnique) {
  const auto defs = setting_arg_defs();
  ASSERT_EQ(defs.size(), 18U);
  for (std::size_t i = 0; i < defs.size(); ++i) {
    EXPECT_TRUE(defs[i].example.starts_with(std::string(defs[i].name) + "=")) << defs[i].name;
    EXPECT_TRUE(parse_setting_arg(defs[i].example).has_value()) << defs[i].example;
    for (std::size_t j = i + 1; j < defs.size(); ++j) EXPECT_NE(defs[i].name, defs[j].name);
  }
}

TEST(SettingArgParse, EachNameBecomesItsCommand) {
  const std::vector<std::pair<std::string_view, Command>> cases{
      {"modbus-id=10", SetModbusId{10}},
      {"baud=19200", SetModbusBaud{7}},
      {"baud=115200", SetModbusBaud{10}},
      {"parity=none", SetParity{2}},
      {"parity=ODD", SetParity{3}},
      {"mbus-id=0", SetMbusId{0}},
      {"mbus-baud=9600", SetMbusBaud{9600}},
      {"secondary-address=45230115", SetMbusSecondaryId{0x45230115}},
      {"s0-rate=100", SetS0Rate{10'000}},
      {"s0-rate=10000", SetS0Rate{1'000'000}},
      {"s0-rate=0.1", SetS0Rate{10}},
      {"s0-rate=0.01", SetS0Rate{1}},
      {"s0-rate=2000.00", SetS0Rate{200'000}},
      {"pulse-type=forward-reverse", SetPulseType{2}},
      {"pulse-type=active&reactive", SetPulseType{1}},
      {"pulse-width=2", SetPulseWidth{2}},
      {"combination=C-03", SetCombination{3}},
      {"combination=5", SetCombination{5}},
      {"lcd-cycle=30", SetLcdCycle{30}},
      {"backlight=button", SetBacklight{2}},
      {"screen-direction=turned", SetScreenDirection{1}},
      {"obis=off", SetObis{false}},
      {"data-type=integer", SetDataType{2}},
      {"tariff=T2", SetTariff{2}},
      {"tariff=4", SetTariff{4}},
      {"ct-ratio=500/5", SetCtRatio{500, 5}},
      {"ct-ratio=9999/1", SetCtRatio{9999, 1}},
      {"reset=trip-counter", ResetTripCounter{}},
      {"reset=power-down-counter", ResetPowerDownCounter{}},
  };
  for (const auto& [arg, command] : cases) EXPECT_TRUE(same(parsed(arg), command)) << arg;
}

TEST(SettingArgParse, BadValuesAreRefusedWithTheAllowedValues) {
  const std::vector<std::pair<std::string_view, std::string_view>> cases{
      {"modbus-id=300", "modbus-id: Modbus ID 300 out of range 1-247"},
      {"modbus-id=0", "modbus-id: Modbus ID 0 out of range 1-247"},
      {"modbus-id=ten", "modbus-id: 'ten' is not a whole number; allowed 1-247"},
      {"modbus-id=1.5", "modbus-id: '1.5' is not a whole number; allowed 1-247"},
      {"modbus-id=99999999999", "modbus-id: 99999999999 out of range 1-247"},
      {"baud=56700",
       "baud: '56700' is not one of 300|600|1200|2400|4800|9600|19200|38400|57600|115200"},
      {"parity=mark", "parity: 'mark' is not one of even|none|odd"},
      {"mbus-id=251", "mbus-id: M-bus ID 251 out of range 0-250"},
      {"mbus-baud=19200",
       "mbus-baud: M-bus baud rate 19200 bps not one of 300, 600, 1200, 2400, 4800, 9600"},
      {"secondary-address=1234567", "secondary-address: '1234567' is not 8 decimal digits"},
      {"secondary-address=1234567A", "secondary-address: '1234567A' is not 8 decimal digits"},
      {"s0-rate=500",
       "s0-rate: S0 rate 500.00 imp/kWh not one of 10000, 2000, 1000, 100, 10, 1, 0.1, 0.01"},
      {"s0-rate=0.001",
       "s0-rate: '0.001' is not a number of imp/kWh; allowed 10000|2000|1000|100|10|1|0.1|0.01"},
      {"s0-rate=-1",
       "s0-rate: '-1' is not a number of imp/kWh; allowed 10000|2000|1000|100|10|1|0.1|0.01"},
      {"s0-rate=1.",
       "s0-rate: '1.' is not a number of imp/kWh; allowed 10000|2000|1000|100|10|1|0.1|0.01"},
      {"pulse-type=active", "pulse-type: 'active' is not one of active-reactive|forward-reverse"},
      {"pulse-width=100", "pulse-width: pulse width 100 ms out of range 2-99"},
      {"pulse-width=1", "pulse-width: pulse width 1 ms out of range 2-99"},
      {"combination=C-06", "combination: 'C-06' is not one of C-01|C-02|C-03|C-04|C-05 or 1-5"},
      {"combination=0", "combination: '0' is not one of C-01|C-02|C-03|C-04|C-05 or 1-5"},
      {"lcd-cycle=31", "lcd-cycle: LCD cycle time 31 s out of range 1-30"},
      {"backlight=dim", "backlight: 'dim' is not one of on|off|button"},
      {"screen-direction=180", "screen-direction: '180' is not one of standard|turned"},
      {"obis=yes", "obis: 'yes' is not one of off|on"},
      {"data-type=float", "data-type: 'float' is not one of standard|integer"},
      {"tariff=T5", "tariff: 'T5' is not one of T1|T2|T3|T4 or 1-4"},
      {"ct-ratio=500",
       "ct-ratio: '500' is not PRIMARY/SECONDARY like 500/5; allowed P/1 with P 1-9999, P/5 with P "
       "5-9995"},
      {"ct-ratio=9999/5", "ct-ratio: CT primary current 9999 A out of range 5-9995 for /5 A"},
      {"ct-ratio=100/2", "ct-ratio: CT secondary current 2 A must be 1 or 5"},
      {"reset=energy", "reset: 'energy' is not one of trip-counter|power-down-counter"},
      {"tariff=", "tariff: no value; allowed T1|T2|T3|T4 or 1-4 (e.g. tariff=T2)"},
  };
  for (const auto& [arg, message] : cases) EXPECT_EQ(refusal(arg), message) << arg;
}

TEST(SettingArgParse, ArgumentsThatAreNotNameEqualsValueSayHowToWriteOne) {
  EXPECT_EQ(refusal("tariff"), "'tariff' is not NAME=VALUE; write e.g. tariff=T2");
  EXPECT_EQ(refusal("T2"), "'T2' is not NAME=VALUE; write e.g. ct-ratio=500/5");
  EXPECT_EQ(refusal(""), "'' is not NAME=VALUE; write e.g. ct-ratio=500/5");
  EXPECT_EQ(refusal("password=1234"),
            "password: the password can only be changed with the meter's buttons (manual 7.6.1)");
  const std::string unknown = refusal("modbus_id=5");
  EXPECT_TRUE(
      unknown.starts_with("unknown setting 'modbus_id'; valid names: modbus-id, baud, parity, "))
      << unknown;
  EXPECT_TRUE(unknown.ends_with("ct-ratio, reset")) << unknown;
  EXPECT_EQ(unknown.find('\n'), std::string::npos);
}

// ---- Modbus -------------------------------------------------------------------------------

/// Every command the Modbus Write table (A3.2) carries, with an in-range value.
std::vector<Command> modbus_commands() {
  return {SetModbusId{10},      SetModbusBaud{7},      SetParity{2},      SetS0Rate{1},
          SetS0Rate{1'000'000}, SetPulseType{2},       SetPulseWidth{45}, SetCombination{3},
          SetLcdCycle{25},      SetScreenDirection{1}, SetObis{false},    SetDataType{2},
          SetTariff{3},         SetCtRatio{9995, 5},   SetCtRatio{1, 1},  ResetPowerDownCounter{},
          ResetTripCounter{}};
}

TEST(SettingArgModbus, EveryCarriedCommandRoundTripsThroughPlanWrite) {
  for (const DataType type : {DataType::standard, DataType::integer}) {
    for (const Command& command : modbus_commands()) {
      const auto write = modbus_write_for(command, type);
      ASSERT_TRUE(write.has_value()) << command_name(command) << ": " << write.error();
      ASSERT_NE(write->def, nullptr) << command_name(command);
      EXPECT_EQ(write->def, find_register(write->start)) << command_name(command);
      EXPECT_EQ(write->def->words, write->words.size()) << command_name(command);
      const auto back = plan_write(write->start, write->words, type);
      ASSERT_TRUE(back.has_value()) << command_name(command);
      ASSERT_EQ(back->size(), 1U);
      EXPECT_TRUE(same(back->front(), command)) << command_name(command);
    }
  }
}

// 0.1 imp/kWh travels as 0x3DCCCCCD = 0.100000001490116; the twin's 400D write (set_s0_rate
// in modbus_map_table.cpp) asks for an exact multiple of 0.01 and answers exception 03.
// Enable once 400D takes the float nearest a rate in hundredths.
TEST(SettingArgModbus, AnS0RateOfATenthRoundTrips) {
  const auto write = modbus_write_for(SetS0Rate{10}, DataType::standard);
  ASSERT_EQ(write, (ModbusWrite{0x400D, {0x3DCC, 0xCCCD}}));
  const auto back = plan_write(write->start, write->words, DataType::standard);
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(same(back->front(), SetS0Rate{10}));
}

TEST(SettingArgModbus, WritesAreTheManualsCommandLines) {
  // A3.2 Write: "01 06 4003 000A", "01 10 400D 0002 04 41 20 00 00", "01 10 401F 0002 04 9995
  // 0005", "01 06 4010 0025", "01 10 6049 0002 04 0000 0000".
  EXPECT_EQ(modbus_write_for(SetModbusId{10}, DataType::standard), (ModbusWrite{0x4003, {0x000A}}));
  EXPECT_EQ(modbus_write_for(SetS0Rate{1000}, DataType::standard),
            (ModbusWrite{0x400D, {0x4120, 0x0000}}));
  EXPECT_EQ(modbus_write_for(SetS0Rate{1000}, DataType::integer),
            (ModbusWrite{0x400D, {0x4120, 0x0000}}));
  EXPECT_EQ(modbus_write_for(SetCtRatio{9995, 5}, DataType::standard),
            (ModbusWrite{0x401F, {0x9995, 0x0005}}));
  EXPECT_EQ(modbus_write_for(SetLcdCycle{25}, DataType::standard), (ModbusWrite{0x4010, {0x0025}}));
  EXPECT_EQ(modbus_write_for(ResetTripCounter{}, DataType::standard),
            (ModbusWrite{0x6049, {0, 0}}));
  EXPECT_EQ(modbus_write_for(SetTariff{2}, DataType::integer), (ModbusWrite{0x6048, {0x0002}}));
  EXPECT_EQ(modbus_write_for(ResetPowerDownCounter{}, DataType::standard),
            (ModbusWrite{0x4016, {0}}));
}

TEST(SettingArgModbus, CommandsOutsideTheWriteTableAreRefusedWithTheReason) {
  const auto message = [](const Command& c) {
    const auto write = modbus_write_for(c, DataType::standard);
    return write ? std::string("accepted") : write.error();
  };
  EXPECT_EQ(message(SetPassword{{'1', '2', '3', '4'}}),
            "the password can only be changed with the meter's buttons (manual 7.6.1)");
  EXPECT_EQ(
      message(SetMbusId{5}),
      "Modbus cannot set M-bus ID: it is not in the Modbus Write table (manual A3.2); use M-bus");
  EXPECT_EQ(message(SetMbusBaud{9600}),
            "Modbus cannot set M-bus baud rate: it is not in the Modbus Write table (manual A3.2); "
            "use M-bus");
  EXPECT_EQ(message(SetMbusSecondaryId{0x12345678}),
            "Modbus cannot set M-bus secondary address: it is not in the Modbus Write table "
            "(manual A3.2); "
            "use M-bus");
  EXPECT_EQ(
      message(SetBacklight{1}),
      "Modbus cannot set backlight: neither Modbus nor M-bus carries the backlight mode; use the "
      "buttons or the app (manual 7.6.11)");
  EXPECT_EQ(message(SetCtRatio{10'000, 5}),
            "set CT ratio: 100000005 cannot be carried by register 0x401F (ct_ratio)");
  EXPECT_EQ(message(SetS0Rate{200'000'000'000}),
            "set S0 rate: 2000000000000000000 cannot be carried by register 0x400D (s0_rate)");
}

TEST(SettingArgModbus, AppliedWritesChangeTheMeter) {
  Meter meter = powered_meter();
  const Origin modbus{Source::modbus, {}};
  for (const std::string_view arg : {"parity=odd", "s0-rate=0.01", "ct-ratio=500/5", "lcd-cycle=12",
                                     "data-type=integer", "tariff=T3", "obis=off"}) {
    const auto write = modbus_write_for(parsed(arg), meter.settings().data_type);
    ASSERT_TRUE(write.has_value()) << arg;
    const auto commands = plan_write(write->start, write->words, meter.settings().data_type);
    ASSERT_TRUE(commands.has_value()) << arg;
    ASSERT_TRUE(meter.apply_all(*commands, modbus).has_value()) << arg;
  }
  EXPECT_EQ(meter.settings().parity, Parity::odd);
  EXPECT_EQ(meter.settings().s0_rate_centi, 1U);
  EXPECT_EQ(meter.state().ct, (CtRatio{500, 5}));
  EXPECT_EQ(meter.settings().lcd_cycle_s, 12);
  EXPECT_EQ(meter.settings().data_type, DataType::integer);
  EXPECT_EQ(meter.tariff(), 3);
  EXPECT_FALSE(meter.settings().obis);
}

// ---- M-bus --------------------------------------------------------------------------------

std::vector<Command> mbus_commands() {
  return {SetMbusId{0},           SetMbusId{250},       SetMbusSecondaryId{0x45230115},
          SetTariff{1},           SetTariff{4},         SetCombination{5},
          SetS0Rate{1},           SetS0Rate{1'000'000}, ResetTripCounter{},
          ResetPowerDownCounter{}};
}

TEST(SettingArgMbus, EveryCarriedCommandRoundTripsThroughPlanMbusWrite) {
  for (const Command& command : mbus_commands()) {
    const auto block = mbus_write_for(command);
    ASSERT_TRUE(block.has_value()) << command_name(command) << ": " << block.error();
    const auto back = plan_mbus_write(*block);
    ASSERT_TRUE(back.has_value()) << command_name(command);
    ASSERT_EQ(back->size(), 1U);
    EXPECT_TRUE(same(back->front(), command)) << command_name(command);
  }
}

TEST(SettingArgMbus, RecordsAreTheManualsWriteTable) {
  // A2.2 Write, after "51": the record of each example telegram.
  EXPECT_EQ(mbus_write_for(SetMbusId{1}), hex("01 7A 01"));
  EXPECT_EQ(mbus_write_for(SetMbusSecondaryId{0x45230115}), hex("0C 79 15 01 23 45"));
  EXPECT_EQ(mbus_write_for(SetTariff{2}), hex("09 7C 01 54 02"));
  EXPECT_EQ(mbus_write_for(SetCombination{5}), hex("09 FD 3A 05"));
  EXPECT_EQ(mbus_write_for(SetS0Rate{10'000}), hex("0C FD 3A 00 00 01 00"));
  EXPECT_EQ(mbus_write_for(ResetTripCounter{}), hex("0C 04 00 00 00 00"));
  EXPECT_EQ(mbus_write_for(ResetPowerDownCounter{}), hex("0A FD 60 00 00"));
}

TEST(SettingArgMbus, CommandsOutsideTheWriteTableAreRefusedWithTheReason) {
  const auto message = [](const Command& c) {
    const auto block = mbus_write_for(c);
    return block ? std::string("accepted") : block.error();
  };
  EXPECT_EQ(
      message(SetModbusId{3}),
      "M-bus cannot set Modbus ID: it is not in the M-bus Write table (manual A2.2); use Modbus");
  EXPECT_EQ(
      message(SetCtRatio{500, 5}),
      "M-bus cannot set CT ratio: it is not in the M-bus Write table (manual A2.2); use Modbus");
  EXPECT_EQ(
      message(SetMbusBaud{9600}),
      "M-bus cannot set M-bus baud rate: the baud rate changes with a control frame (CI B8-BD, "
      "manual A2.2), not a data record");
  EXPECT_EQ(message(SetPassword{{'0', '0', '0', '0'}}),
            "the password can only be changed with the meter's buttons (manual 7.6.1)");
  EXPECT_TRUE(message(SetBacklight{0}).starts_with("M-bus cannot set backlight: neither"));
  EXPECT_EQ(message(SetMbusId{256}),
            "set M-bus ID: 256 does not fit the 1-byte field of M-bus record mbus_id");
  EXPECT_EQ(message(SetTariff{100}),
            "set tariff: 100 does not fit the 1-byte field of M-bus record tariff");
  EXPECT_EQ(message(SetS0Rate{-1}),
            "set S0 rate: -1 does not fit the 4-byte field of M-bus record s0_rate");
}

TEST(SettingArgMbus, AppliedWritesChangeTheMeter) {
  Meter meter = powered_meter();
  const Origin mbus{Source::mbus, {}};
  for (const std::string_view arg : {"mbus-id=17", "secondary-address=12345678", "tariff=T4",
                                     "combination=C-03", "s0-rate=10"}) {
    const auto block = mbus_write_for(parsed(arg));
    ASSERT_TRUE(block.has_value()) << arg;
    const auto commands = plan_mbus_write(*block);
    ASSERT_TRUE(commands.has_value()) << arg;
    ASSERT_TRUE(meter.apply_all(*commands, mbus).has_value()) << arg;
  }
  EXPECT_EQ(meter.settings().mbus_id, 17);
  EXPECT_EQ(meter.settings().mbus_secondary_id, 0x12345678U);
  EXPECT_EQ(meter.tariff(), 4);
  EXPECT_EQ(meter.settings().combination, CombinationCode::forward_plus_reverse);
  EXPECT_EQ(meter.settings().s0_rate_centi, 1'000U);
}

}  // namespace
}  // namespace ambi
