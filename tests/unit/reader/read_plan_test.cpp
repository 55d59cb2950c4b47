// Register groups, FC 03 block plans, and decoding and formatting of what the reads return.
#include "reader/read_plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <random>

#include "core/meter/meter.hpp"
#include "modbus_test_support.hpp"

namespace ambi {
namespace {

using modbus_test::busy_meter;
using modbus_test::powered_meter;

const RegisterDef* reg(std::string_view name) {
  const RegisterDef* def = find_register(name);
  EXPECT_NE(def, nullptr) << name;
  return def;
}
std::vector<const RegisterDef*> regs(std::initializer_list<std::string_view> names) {
  std::vector<const RegisterDef*> out;
  for (const std::string_view name : names) out.push_back(reg(name));
  return out;
}
std::vector<std::string_view> names_of(const std::vector<const RegisterDef*>& defs) {
  std::vector<std::string_view> out;
  for (const RegisterDef* def : defs) out.push_back(def->name);
  return out;
}

// ---- groups -------------------------------------------------------------------------------

TEST(ReadPlanGroups, IdentityHoldsTheFixedFactsOfTheMeter) {
  EXPECT_EQ(names_of(registers_in(RegisterGroup::identity)),
            (std::vector<std::string_view>{"serial_number", "meter_code", "protocol_version",
                                           "software_version", "hardware_version", "checksum_1",
                                           "checksum_2"}));
}

TEST(ReadPlanGroups, SettingsHoldTheWritable4000RegistersTheCtAndTheTariff) {
  EXPECT_EQ(names_of(registers_in(RegisterGroup::settings)),
            (std::vector<std::string_view>{"modbus_id", "baud_rate", "meter_amps", "ct_primary",
                                           "s0_rate", "combination_code", "lcd_cycle_time",
                                           "parity", "ct_ratio", "pulse_width", "pulse_type",
                                           "data_type", "screen_direction", "obis", "tariff"}));
}

TEST(ReadPlanGroups, StatusHoldsErrorCounterQuadrantsDirectionsAndStatusWord) {
  EXPECT_EQ(names_of(registers_in(RegisterGroup::status)),
            (std::vector<std::string_view>{"l1_current_direction", "l2_current_direction",
                                           "l3_current_direction", "error_code",
                                           "power_down_counter", "quadrant", "l1_quadrant",
                                           "l2_quadrant", "l3_quadrant", "status_word"}));
}

TEST(ReadPlanGroups, InstantIsThe5000BlockAndEnergyThe6000BlockWithoutTheTariff) {
  const auto instant = registers_in(RegisterGroup::instant);
  ASSERT_EQ(instant.size(), 28U);
  EXPECT_EQ(instant.front()->address, 0x5000);
  EXPECT_EQ(instant.back()->address, 0x5036);
  const auto energy = registers_in(RegisterGroup::energy);
  ASSERT_EQ(energy.size(), 72U);
  EXPECT_EQ(energy.front()->name, "total_active_kwh");
  EXPECT_EQ(energy.back()->name, "trip_l3_kwh");
  EXPECT_EQ(std::ranges::count(energy, std::string_view{"tariff"}, &RegisterDef::name), 0);
  EXPECT_EQ(std::ranges::count(energy, std::string_view{"trip_kwh"}, &RegisterDef::name), 1);
}

TEST(ReadPlanGroups, ReservedSpansBelongToNoGroupAndEveryOtherRegisterToOne) {
  EXPECT_EQ(register_group(*reg("reserved_4025")), std::nullopt);
  EXPECT_EQ(register_group(*reg("reserved_4027")), std::nullopt);
  std::size_t grouped = 0;
  for (const auto group : {RegisterGroup::identity, RegisterGroup::settings, RegisterGroup::status,
                           RegisterGroup::instant, RegisterGroup::energy}) {
    grouped += registers_in(group).size();
  }
  EXPECT_EQ(all_registers().size(), register_map().size() - 2);
  EXPECT_EQ(grouped, all_registers().size());
  EXPECT_EQ(all_registers().size(), 132U);
}

TEST(ReadPlanGroups, NamesParseBackAndOthersDoNot) {
  for (const auto group : {RegisterGroup::identity, RegisterGroup::settings, RegisterGroup::status,
                           RegisterGroup::instant, RegisterGroup::energy}) {
    EXPECT_EQ(parse_register_group(to_string(group)), group);
  }
  EXPECT_EQ(to_string(RegisterGroup::instant), "instant");
  EXPECT_EQ(parse_register_group("all"), std::nullopt);
  EXPECT_EQ(parse_register_group("Energy"), std::nullopt);
  EXPECT_EQ(parse_register_group(""), std::nullopt);
}

// ---- block plans --------------------------------------------------------------------------

TEST(ReadPlanBlocks, EveryRegisterTakesFourReadsOf125WordsAtMost) {
  // 0x4000-0x4033 is 52 words, 0x5000-0x5037 56, 0x6000-0x6090 145: 125 end at 0x607D,
  // which is where q3_t3_kvarh starts.
  const auto all = all_registers();
  EXPECT_EQ(plan_block_reads(all),
            (std::vector<BlockRead>{{0x4000, 0x34}, {0x5000, 0x38}, {0x6000, 125}, {0x607D, 20}}));
}

TEST(ReadPlanBlocks, OneRegisterIsReadAloneWithExactlyItsWords) {
  EXPECT_EQ(plan_block_reads(regs({"ct_ratio"})), (std::vector<BlockRead>{{0x401F, 2}}));
  EXPECT_EQ(plan_block_reads(regs({"tariff"})), (std::vector<BlockRead>{{0x6048, 1}}));
  EXPECT_EQ(plan_block_reads(std::vector<const RegisterDef*>{}), std::vector<BlockRead>{});
}

TEST(ReadPlanBlocks, RegistersFarApartInOneBlockShareARead) {
  EXPECT_EQ(plan_block_reads(regs({"serial_number", "obis"})),
            (std::vector<BlockRead>{{0x4000, 0x34}}));
  EXPECT_EQ(plan_block_reads(regs({"total_active_kwh", "q3_t2_kvarh"})),
            (std::vector<BlockRead>{{0x6000, 125}}));
  EXPECT_EQ(plan_block_reads(regs({"total_active_kwh", "q3_t3_kvarh"})),
            (std::vector<BlockRead>{{0x6000, 2}, {0x607D, 2}}));
}

TEST(ReadPlanBlocks, ReservedSpansBetweenWantedRegistersAreReadThrough) {
  EXPECT_EQ(plan_block_reads(regs({"checksum_2", "screen_direction"})),
            (std::vector<BlockRead>{{0x4023, 16}}));
}

TEST(ReadPlanBlocks, BlocksNeverJoinAcrossAnUnmappedGap) {
  EXPECT_EQ(plan_block_reads(regs({"obis", "voltage"})),
            (std::vector<BlockRead>{{0x4033, 1}, {0x5000, 2}}));
  EXPECT_EQ(plan_block_reads(regs({"l2_l3_voltage", "total_active_kwh"})),
            (std::vector<BlockRead>{{0x5036, 2}, {0x6000, 2}}));
}

TEST(ReadPlanBlocks, SmallBlocksNeverCutATwoWordRegister) {
  EXPECT_EQ(plan_block_reads(regs({"voltage", "l1_voltage", "l2_voltage", "l3_voltage"}), 4),
            (std::vector<BlockRead>{{0x5000, 4}, {0x5004, 4}}));
  // 4003 + 4004 + 4005/6 fill 4 words; 4007/8 cannot join without a block of 6.
  EXPECT_EQ(
      plan_block_reads(regs({"modbus_id", "baud_rate", "protocol_version", "software_version"}), 4),
      (std::vector<BlockRead>{{0x4003, 4}, {0x4007, 2}}));
  // 4004 + 4005/6 fill 3 words; 4007/8 needs a block of its own.
  EXPECT_EQ(plan_block_reads(regs({"baud_rate", "protocol_version", "software_version"}), 3),
            (std::vector<BlockRead>{{0x4004, 3}, {0x4007, 2}}));
}

TEST(ReadPlanBlocks, DuplicatesAndAnyOrderGiveTheSamePlan) {
  EXPECT_EQ(plan_block_reads(regs(
                {"obis", "serial_number", "obis", "modbus_id", "l1_voltage", "serial_number"})),
            (std::vector<BlockRead>{{0x4000, 0x34}, {0x5002, 2}}));
}

/// The fewest blocks that can cover `wanted` (sorted, unique), by dynamic programming.
std::size_t optimal_blocks(const std::vector<const RegisterDef*>& wanted, std::uint16_t max_words) {
  std::vector<std::size_t> best(wanted.size() + 1, SIZE_MAX);
  best[0] = 0;
  for (std::size_t i = 1; i <= wanted.size(); ++i) {
    for (std::size_t j = i; j-- > 0;) {
      const std::uint32_t start = wanted[j]->address;
      const std::uint32_t end = wanted[i - 1]->end();
      if (end - start > max_words || (start >> 12) != (end - 1) >> 12) break;
      if (best[j] != SIZE_MAX) best[i] = std::min(best[i], best[j] + 1);
    }
  }
  return best.back();
}

TEST(ReadPlanBlocks, RandomSetsGetTheFewestValidBlocks) {
  const Meter meter = busy_meter();
  const auto all = all_registers();
  std::mt19937 rng(5);
  for (int round = 0; round < 300; ++round) {
    std::vector<const RegisterDef*> wanted;
    const int percent = static_cast<int>(rng() % 100);
    for (const RegisterDef* def : all) {
      if (static_cast<int>(rng() % 100) < percent) wanted.push_back(def);
    }
    const auto max_words = static_cast<std::uint16_t>(2 + rng() % 124);
    const auto plan = plan_block_reads(wanted, max_words);
    EXPECT_EQ(plan.size(), optimal_blocks(wanted, max_words)) << "round " << round;
    for (const BlockRead& block : plan) {
      EXPECT_LE(block.count, max_words);
      ASSERT_NE(find_register(block.start), nullptr);
      EXPECT_EQ(find_register(block.start)->address, block.start);
      EXPECT_EQ(find_register(static_cast<std::uint16_t>(block.start + block.count - 1))->end(),
                std::uint32_t{block.start} + block.count);
      EXPECT_TRUE(read_words(meter, block.start, block.count).has_value());
    }
    for (const RegisterDef* def : wanted) {
      EXPECT_EQ(std::ranges::count_if(plan,
                                      [def](const BlockRead& b) {
                                        return def->address >= b.start &&
                                               def->end() <= std::uint32_t{b.start} + b.count;
                                      }),
                1);
    }
  }
}

// ---- decoding -----------------------------------------------------------------------------

/// What the meter answers to each read of `plan`.
std::vector<std::vector<std::uint16_t>> replies_to(const Meter& meter,
                                                   const std::vector<BlockRead>& plan) {
  std::vector<std::vector<std::uint16_t>> replies;
  for (const BlockRead& block : plan) {
    replies.push_back(*read_words(meter, block.start, block.count));
  }
  return replies;
}

/// What a Float ABCD value becomes after one trip through a float (an energy is rounded
/// toward zero, any other value to nearest).
RegisterValue through_float(const RegisterDef& def, RegisterValue nano) {
  const bool counted = def.unit == Unit::kwh || def.unit == Unit::kvarh;
  const float f = counted ? modbus_test::counted_float(nano / 1000)  // billionths of kWh → mWh
                          : static_cast<float>(static_cast<double>(nano) / 1e9);
  return std::llround(static_cast<double>(f) * 1e9);
}

void expect_decodes_every_register(Meter meter, DataType type) {
  ASSERT_TRUE(
      meter.apply(SetDataType{static_cast<int>(type)}, Origin{Source::modbus, {}}).has_value());
  const auto all = all_registers();
  const auto plan = plan_block_reads(all);
  const auto readings = decode_block_reads(all, plan, replies_to(meter, plan), type);
  ASSERT_EQ(readings.size(), all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    const RegisterDef& def = *all[i];
    const RegisterValue source = def.source(meter);
    ASSERT_EQ(readings[i].def, &def);
    ASSERT_EQ(readings[i].words.size(), def.words) << def.name;
    ASSERT_TRUE(readings[i].value.has_value()) << def.name;
    const RegisterValue value = *readings[i].value;
    if (sent_as_integer(def, type)) {
      const std::int64_t lsb = integer_lsb_nano(def.unit);
      EXPECT_EQ(value, source / lsb * lsb) << def.name;
    } else if (def.encoding == Encoding::float_abcd) {
      EXPECT_EQ(value, through_float(def, source)) << def.name;
      EXPECT_LE(std::abs(static_cast<double>(value - source)),
                std::abs(static_cast<double>(source)) * 0x1p-23 + 1.0)
          << def.name;
    } else {
      EXPECT_EQ(value, source) << def.name;
    }
  }
}

TEST(ReadPlanDecode, EveryRegisterOfABusyMeterDecodesInStandardMode) {
  expect_decodes_every_register(busy_meter(), DataType::standard);
}

TEST(ReadPlanDecode, EveryRegisterOfABusyMeterDecodesInIntegerMode) {
  expect_decodes_every_register(busy_meter(), DataType::integer);
}

TEST(ReadPlanDecode, KeepsTheOrderAskedForAndTheRawWords) {
  const Meter meter = powered_meter();
  const auto wanted = regs({"obis", "serial_number", "ct_ratio"});
  const auto plan = plan_block_reads(wanted);
  const auto readings =
      decode_block_reads(wanted, plan, replies_to(meter, plan), DataType::standard);
  ASSERT_EQ(readings.size(), 3U);
  EXPECT_EQ(readings[0].words, (std::vector<std::uint16_t>{1}));
  EXPECT_EQ(readings[0].value, 1);
  EXPECT_EQ(readings[1].words, (std::vector<std::uint16_t>{0x1902, 0x0246}));
  EXPECT_EQ(readings[1].value, 19020246);
  EXPECT_EQ(readings[2].words, (std::vector<std::uint16_t>{0x0005, 0x0005}));
  EXPECT_EQ(readings[2].value, 50005);
}

TEST(ReadPlanDecode, ARegisterOutsideThePlanOrAShortReplyHasNoValue) {
  const auto wanted = regs({"modbus_id", "baud_rate", "l1_voltage"});
  const std::vector<BlockRead> plan{{0x4003, 2}};
  const std::vector<std::vector<std::uint16_t>> short_reply{{0x000A}};
  const auto readings = decode_block_reads(wanted, plan, short_reply, DataType::standard);
  ASSERT_EQ(readings.size(), 3U);
  EXPECT_EQ(readings[0].value, 10);
  EXPECT_EQ(readings[1].value, std::nullopt);
  EXPECT_TRUE(readings[1].words.empty());
  EXPECT_EQ(readings[2].value, std::nullopt);
}

TEST(ReadPlanDecode, AMalformedBcdWordKeepsItsWordsButHasNoValue) {
  const auto wanted = regs({"lcd_cycle_time"});
  const std::vector<BlockRead> plan{{0x4010, 1}};
  const std::vector<std::vector<std::uint16_t>> reply{{0x00A5}};
  const auto readings = decode_block_reads(wanted, plan, reply, DataType::standard);
  EXPECT_EQ(readings[0].words, (std::vector<std::uint16_t>{0x00A5}));
  EXPECT_EQ(readings[0].value, std::nullopt);
}

// ---- formatting ---------------------------------------------------------------------------

std::string formatted(const Meter& meter, std::string_view name) {
  const RegisterDef& def = *reg(name);
  std::vector<std::uint16_t> words(def.words);
  encode_register(def, def.source(meter), meter.settings().data_type, words);
  return format_register(def, *decode_register(def, words, meter.settings().data_type));
}

TEST(ReadPlanFormat, AFactoryMeterReadsAsTheControlApiSpellsIt) {
  Meter meter = powered_meter();
  ASSERT_EQ(meter.status_word(), status_bit::powered);
  const std::vector<std::pair<std::string_view, std::string_view>> expected{
      {"serial_number", "19020246"},
      {"meter_code", "1113"},
      {"modbus_id", "1"},
      {"baud_rate", "9600"},
      {"protocol_version", "1.0"},
      {"software_version", "1.02"},
      {"hardware_version", "1.0"},
      {"meter_amps", "5"},
      {"ct_primary", "5"},
      {"s0_rate", "1000"},
      {"combination_code", "C-04"},
      {"lcd_cycle_time", "5"},
      {"parity", "even"},
      {"l1_current_direction", "F"},
      {"error_code", "0"},
      {"power_down_counter", "1"},
      {"quadrant", "1"},
      {"checksum_1", "21001416"},
      {"status_word", "0x00000040"},
      {"ct_ratio", "5/5"},
      {"pulse_width", "30"},
      {"pulse_type", "active&reactive"},
      {"checksum_2", "59629173"},
      {"data_type", "standard"},
      {"screen_direction", "standard"},
      {"obis", "on"},
      {"tariff", "T1"},
      {"l1_voltage", "230.00"},
      {"frequency", "50.00"},
      {"total_active_kwh", "0.000"}};
  for (const auto& [name, text] : expected) EXPECT_EQ(formatted(meter, name), text) << name;
}

TEST(ReadPlanFormat, ChangedSettingsReadByName) {
  Meter meter = powered_meter();
  const Origin modbus{Source::modbus, {}};
  for (const Command& c :
       std::vector<Command>{SetModbusBaud{10}, SetParity{3}, SetCombination{2}, SetPulseType{2},
                            SetScreenDirection{1}, SetObis{false}, SetTariff{4},
                            SetCtRatio{9995, 5}, SetS0Rate{1}, SetDataType{2}}) {
    ASSERT_TRUE(meter.apply(c, modbus).has_value()) << command_name(c);
  }
  const std::vector<std::pair<std::string_view, std::string_view>> expected{
      {"baud_rate", "115200"},
      {"parity", "odd"},
      {"combination_code", "C-02"},
      {"pulse_type", "forward&reverse"},
      {"screen_direction", "turned"},
      {"obis", "off"},
      {"tariff", "T4"},
      {"ct_ratio", "9995/5"},
      {"s0_rate", "0.01"},
      {"data_type", "integer"},
      {"frequency", "50.00"},
      {"software_version", "1.02"}};
  for (const auto& [name, text] : expected) EXPECT_EQ(formatted(meter, name), text) << name;
}

TEST(ReadPlanFormat, FloatsRoundToTheirUnitsDecimals) {
  constexpr RegisterValue kNano = 1'000'000'000;
  EXPECT_EQ(format_register(*reg("l1_voltage"), 230'010'000'000), "230.01");
  EXPECT_EQ(format_register(*reg("l1_voltage"), 230'005'000'000), "230.01");
  EXPECT_EQ(format_register(*reg("l1_voltage"), 230'004'999'999), "230.00");
  EXPECT_EQ(format_register(*reg("l1_current"), 12'345'600'000), "12.346");
  EXPECT_EQ(format_register(*reg("frequency"), 49'970'000'000), "49.97");
  EXPECT_EQ(format_register(*reg("l3_active_power"), -1'234'500'000), "-1.235");
  EXPECT_EQ(format_register(*reg("l3_active_power"), -400'000), "0.000");
  EXPECT_EQ(format_register(*reg("total_reactive_power"), 7 * kNano), "7.000");
  EXPECT_EQ(format_register(*reg("total_apparent_power"), 1'500'000), "0.002");
  EXPECT_EQ(format_register(*reg("power_factor"), 999'999'000), "1.000");
  EXPECT_EQ(format_register(*reg("l2_power_factor"), -866'025'404), "-0.866");
  EXPECT_EQ(format_register(*reg("total_active_kwh"), 8760 * kNano), "8760.000");
  EXPECT_EQ(format_register(*reg("q4_t4_kvarh"), 999'999'999'000'000), "999999.999");
  EXPECT_EQ(format_register(*reg("s0_rate"), 10'000 * kNano), "10000");
  EXPECT_EQ(format_register(*reg("s0_rate"), kNano / 10), "0.1");
  EXPECT_EQ(format_register(*reg("s0_rate"), 9'999'999), "0.01");
  EXPECT_EQ(format_register(*reg("protocol_version"), 1'200'000'000), "1.2");
  EXPECT_EQ(format_register(*reg("software_version"), 1'019'999'981), "1.02");
}

TEST(ReadPlanFormat, OtherEncodingsReadAsTheirDigitsCharactersAndCodes) {
  EXPECT_EQ(format_register(*reg("serial_number"), 1'234), "00001234");
  EXPECT_EQ(format_register(*reg("meter_code"), 111), "0111");
  EXPECT_EQ(format_register(*reg("ct_primary"), 1500), "1500");
  EXPECT_EQ(format_register(*reg("status_word"), 0xA5), "0x000000A5");
  EXPECT_EQ(format_register(*reg("l2_current_direction"), 'R'), "R");
  EXPECT_EQ(format_register(*reg("l2_current_direction"), 0), "0x00");
  EXPECT_EQ(format_register(*reg("ct_ratio"), 10'001), "1/1");
  EXPECT_EQ(format_register(*reg("error_code"), 64), "64");
  EXPECT_EQ(format_register(*reg("baud_rate"), 11), "code 11");
  EXPECT_EQ(format_register(*reg("tariff"), 0), "code 0");
  EXPECT_EQ(format_register(*reg("obis"), 2), "code 2");
  EXPECT_EQ(format_register(*reg("reserved_4025"), 0), "0");
}

TEST(ReadPlanFormat, CodeNamesMatchTheSettingsNames) {
  for (int code = 1; code <= 10; ++code) {
    EXPECT_EQ(format_register(*reg("baud_rate"), code), std::to_string(modbus_baud_rate(code)));
  }
  for (int code = 1; code <= 3; ++code) {
    EXPECT_EQ(format_register(*reg("parity"), code), to_string(static_cast<Parity>(code)));
  }
  for (int code = 1; code <= 5; ++code) {
    EXPECT_EQ(format_register(*reg("combination_code"), code),
              to_string(static_cast<CombinationCode>(code)));
  }
  for (int code = 1; code <= 2; ++code) {
    EXPECT_EQ(format_register(*reg("pulse_type"), code), to_string(static_cast<PulseType>(code)));
    EXPECT_EQ(format_register(*reg("data_type"), code), to_string(static_cast<DataType>(code)));
  }
}

TEST(ReadPlanFormat, NumbersAreInTheRegistersUnit) {
  EXPECT_DOUBLE_EQ(register_number(*reg("l1_voltage"), 230'010'000'000), 230.01);
  EXPECT_DOUBLE_EQ(register_number(*reg("total_active_kwh"), 8'760'123'000'000), 8760.123);
  EXPECT_DOUBLE_EQ(register_number(*reg("serial_number"), 19'020'246), 19020246.0);
  EXPECT_DOUBLE_EQ(register_number(*reg("tariff"), 3), 3.0);
  EXPECT_DOUBLE_EQ(register_number(*reg("l1_current_direction"), 'F'), 70.0);
}

}  // namespace
}  // namespace ambi
