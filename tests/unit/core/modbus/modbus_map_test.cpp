// The register table: coverage of A3.2, the Write table, lookups, and a round trip of every
// entry (meter → words → decoded value = the value source) in both data types.
#include "core/modbus/modbus_map.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/meter/meter.hpp"
#include "modbus_test_support.hpp"

namespace ambi {
namespace {

using namespace modbus_test;
const Origin kModbus{Source::modbus, {}};

std::size_t block_words(std::uint16_t block) {
  std::size_t words = 0;
  for (const RegisterDef& def : register_map()) {
    if ((def.address & 0xF000) == block) words += def.words;
  }
  return words;
}

TEST(ModbusMap, CoversTheThreeBlocksOfA32WithoutGaps) {
  EXPECT_EQ(block_words(0x4000), 0x34U);  // 4000-4033
  EXPECT_EQ(block_words(0x5000), 0x38U);  // 5000-5037
  EXPECT_EQ(block_words(0x6000), 0x91U);  // 6000-6090
  EXPECT_EQ(register_map().size(), 134U);
}

TEST(ModbusMap, WritableRegistersAreExactlyTheWriteTable) {
  std::set<std::uint16_t> writable;
  for (const RegisterDef& def : register_map()) {
    if (def.access() == Access::read_write) writable.insert(def.address);
  }
  EXPECT_EQ(writable,
            (std::set<std::uint16_t>{0x4003, 0x4004, 0x400D, 0x400F, 0x4010, 0x4011, 0x4016, 0x401F,
                                     0x4021, 0x4022, 0x4026, 0x4032, 0x4033, 0x6048, 0x6049}));
}

TEST(ModbusMap, FindsARegisterByAnyOfItsWordsAndByName) {
  EXPECT_EQ(find_register(0x4001)->name, "serial_number");
  EXPECT_EQ(find_register(0x402C)->name, "reserved_4027");
  EXPECT_EQ(find_register(0x6090)->name, "trip_l3_kwh");
  EXPECT_EQ(find_register(0x4034), nullptr);
  EXPECT_EQ(find_register(0x3FFF), nullptr);
  EXPECT_EQ(find_register(0x6091), nullptr);
  EXPECT_EQ(find_register("l1_voltage")->address, 0x5002);
  EXPECT_EQ(find_register("q4_t4_kvarh")->address, 0x6089);
  EXPECT_EQ(find_register("no_such_register"), nullptr);
}

TEST(ModbusMap, FindsEveryAddressInTheRowThatCoversIt) {
  for (std::uint32_t address = 0; address <= 0xFFFF; ++address) {
    const RegisterDef* expected = nullptr;
    for (const RegisterDef& def : register_map()) {
      if (address >= def.address && address < def.end()) expected = &def;
    }
    ASSERT_EQ(find_register(static_cast<std::uint16_t>(address)), expected) << address;
  }
}

TEST(ModbusMap, OnlyMeasurementAndEnergyFloatsHaveAnIntegerForm) {
  EXPECT_TRUE(sent_as_integer(*find_register("l1_voltage"), DataType::integer));
  EXPECT_TRUE(sent_as_integer(*find_register("trip_kwh"), DataType::integer));
  EXPECT_FALSE(sent_as_integer(*find_register("l1_voltage"), DataType::standard));
  EXPECT_FALSE(sent_as_integer(*find_register("s0_rate"), DataType::integer));
  EXPECT_FALSE(sent_as_integer(*find_register("software_version"), DataType::integer));
  EXPECT_FALSE(sent_as_integer(*find_register("tariff"), DataType::integer));
}

/// The float's own rounding (half an ULP, 2^-24 relative) plus half a billionth.
double float_tolerance(RegisterValue v) {
  return std::abs(static_cast<double>(v)) * 6e-8 + 1.0;
}

TEST(ModbusMap, EveryEntryRoundTripsToItsValueSource) {
  for (const DataType type : {DataType::standard, DataType::integer}) {
    Meter m = busy_meter();
    ASSERT_TRUE(m.apply(SetDataType{static_cast<int>(type)}, kModbus).has_value());
    for (const RegisterDef& def : register_map()) {
      SCOPED_TRACE(std::string(def.name) + (type == DataType::integer ? " (integer)" : ""));
      const RegisterValue source = def.source(m);
      std::vector<std::uint16_t> words(def.words);
      encode_register(def, source, type, words);
      EXPECT_EQ(read_words(m, def.address, def.words), words);
      const auto decoded = decode_register(def, words, type);
      ASSERT_TRUE(decoded.has_value());
      if (sent_as_integer(def, type)) {
        const std::int64_t lsb = integer_lsb_nano(def.unit);
        EXPECT_EQ(*decoded, source / lsb * lsb);
      } else if (def.encoding == Encoding::float_abcd &&
                 (def.unit == Unit::kwh || def.unit == Unit::kvarh)) {
        // Counted: rounded toward zero, so within one ULP and never above what was counted.
        EXPECT_LE(std::abs(*decoded), std::abs(source));
        EXPECT_NEAR(static_cast<double>(*decoded), static_cast<double>(source),
                    2 * float_tolerance(source));
      } else if (def.encoding == Encoding::float_abcd) {
        EXPECT_NEAR(static_cast<double>(*decoded), static_cast<double>(source),
                    float_tolerance(source));
      } else {
        EXPECT_EQ(*decoded, source);
      }
    }
  }
}

TEST(ModbusMap, TheBusyMeterGivesEveryValueRegisterANonZeroValue) {
  const Meter m = busy_meter();
  const std::set<std::string_view> zero_by_rule{"voltage", "current", "error_code",
                                                "screen_direction"};
  for (const RegisterDef& def : register_map()) {
    if (def.encoding == Encoding::reserved_zero || zero_by_rule.contains(def.name)) continue;
    EXPECT_NE(def.source(m), 0) << def.name;
  }
}

TEST(ModbusMap, KnownValuesEncodeAsTheManualShows) {
  const Meter m = busy_meter();
  std::vector<std::uint16_t> w(2);
  encode_register(*find_register("ct_ratio"), find_register("ct_ratio")->source(m),
                  DataType::standard, w);
  EXPECT_EQ(w, (std::vector<std::uint16_t>{0x1500, 0x0005}));
  w.resize(1);
  encode_register(*find_register("l3_current_direction"), 'R', DataType::standard, w);
  EXPECT_EQ(w[0], 0x0052);
  encode_register(*find_register("lcd_cycle_time"), 25, DataType::standard, w);
  EXPECT_EQ(w[0], 0x0025);
}

TEST(ModbusMap, MalformedWordsDoNotDecode) {
  const std::vector<std::uint16_t> not_bcd{0x001A};
  const std::vector<std::uint16_t> nan{0x7FC0, 0x0000};
  const std::vector<std::uint16_t> huge{0x7F00, 0x0000};
  const std::vector<std::uint16_t> wide_char{0x4146};
  EXPECT_FALSE(decode_register(*find_register("pulse_width"), not_bcd, DataType::standard));
  EXPECT_FALSE(decode_register(*find_register("s0_rate"), nan, DataType::standard));
  EXPECT_FALSE(decode_register(*find_register("s0_rate"), huge, DataType::standard));
  EXPECT_FALSE(
      decode_register(*find_register("l1_current_direction"), wide_char, DataType::standard));
}

TEST(ModbusMap, InUnitGivesKilowattHoursAndPlainNumbers) {
  EXPECT_DOUBLE_EQ(in_unit(*find_register("total_active_kwh"), 1'234'567'000), 1.234567);
  EXPECT_DOUBLE_EQ(in_unit(*find_register("serial_number"), 19'020'246), 19'020'246.0);
}

}  // namespace
}  // namespace ambi
