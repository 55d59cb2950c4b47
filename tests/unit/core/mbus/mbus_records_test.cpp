// The M-bus data records (EN 13757-3, manual A2.2): the record codec, every record of the
// manual's Read tables with its example bytes, the meter's RSP_UD byte for byte, and a
// round trip of every record through the reader's decoder.
#include "core/mbus/mbus_records.hpp"

#include <gtest/gtest.h>

#include <string_view>

#include "core/mbus/mbus_readout.hpp"
#include "core/mbus/mbus_rsp_ud.hpp"
#include "mbus_test_support.hpp"
#include "modbus_test_support.hpp"

namespace ambi {
namespace {

using namespace mbus_test;

/// A record of the manual's Read tables as printed: header (DIF... VIF...) and example data.
struct ManualRecord {
  std::string_view name;
  std::string_view header;
  std::string_view data;
};
// The "Read" and "Read (2)" rows, in order. CT rate: DIF 0B per ruling R18 (not 0A).
constexpr ManualRecord kManualRecords[] = {
    {"forward_active_wh", "04 03", "15 CD 5B 07"},
    {"t1_forward_active_wh", "84 10 03", "15 CD 5B 07"},
    {"t2_forward_active_wh", "84 20 03", "15 CD 5B 07"},
    {"t3_forward_active_wh", "84 30 03", "15 CD 5B 07"},
    {"t4_forward_active_wh", "84 80 10 03", "15 CD 5B 07"},
    {"reverse_active_wh", "04 83 3C", "15 CD 5B 07"},
    {"t1_reverse_active_wh", "84 10 83 3C", "15 CD 5B 07"},
    {"t2_reverse_active_wh", "84 20 83 3C", "15 CD 5B 07"},
    {"t3_reverse_active_wh", "84 30 83 3C", "15 CD 5B 07"},
    {"t4_reverse_active_wh", "84 80 10 83 3C", "15 CD 5B 07"},
    {"trip_wh", "04 83 FC 10", "15 CD 5B 07"},
    {"forward_reactive_varh", "04 FB 82 73", "15 CD 5B 07"},
    {"reverse_reactive_varh", "04 FB 82 F3 3C", "15 CD 5B 07"},
    {"l1_voltage", "02 FD C7 FC 01", "E4 59"},
    {"l2_voltage", "02 FD C7 FC 02", "E4 59"},
    {"l3_voltage", "02 FD C7 FC 03", "E4 59"},
    {"l1_current", "03 FD D9 FC 01", "1B 87 01"},
    {"l2_current", "03 FD D9 FC 02", "1B 87 01"},
    {"l3_current", "03 FD D9 FC 03", "1B 87 01"},
    {"total_active_power", "03 2B", "87 D6 12"},
    {"l1_active_power", "03 AB FC 01", "87 D6 12"},
    {"l2_active_power", "03 AB FC 02", "87 D6 12"},
    {"l3_active_power", "03 AB FC 03", "79 29 ED"},
    {"total_reactive_power", "03 FB 14", "87 D6 12"},
    {"l1_reactive_power", "03 FB 94 FC 01", "87 D6 12"},
    {"l2_reactive_power", "03 FB 94 FC 02", "87 D6 12"},
    {"l3_reactive_power", "03 FB 94 FC 03", "87 D6 12"},
    {"total_apparent_power", "03 FB 34", "87 D6 12"},
    {"power_factor", "0A FD 3A", "00 01"},
    {"frequency", "03 FB 2C", "37 C7 00"},
    {"tariff", "09 7C 01 54", "01"},
    {"ct_ratio", "0B FD 3A", "05 95 99"},
};

TEST(MbusRecords, TableHoldsTheManualsRecordsInOrder) {
  const auto defs = mbus_read_records();
  ASSERT_EQ(defs.size(), std::size(kManualRecords));
  for (std::size_t i = 0; i < defs.size(); ++i) {
    EXPECT_EQ(defs[i].name, kManualRecords[i].name);
    EXPECT_EQ(Bytes(defs[i].header.view().begin(), defs[i].header.view().end()),
              hex(kManualRecords[i].header))
        << defs[i].name;
  }
}

TEST(MbusRecords, EncodesEachManualExampleAsPrinted) {
  for (const ManualRecord& row : kManualRecords) {
    const MbusRecordDef* def = find_mbus_record(row.name);
    ASSERT_NE(def, nullptr) << row.name;
    EXPECT_EQ(encode_value(def->header.dif(), def->example), hex(row.data)) << row.name;
    EXPECT_EQ(decode_value(def->header.dif(), hex(row.data)), def->example) << row.name;
  }
}

TEST(MbusRecords, ExampleValuesReadInTheirUnits) {
  EXPECT_DOUBLE_EQ(in_unit(*find_mbus_record("l1_voltage"), 23'012), 230.12);
  EXPECT_DOUBLE_EQ(in_unit(*find_mbus_record("l1_current"), 100'123), 100.123);
  EXPECT_DOUBLE_EQ(in_unit(*find_mbus_record("power_factor"), 100), 1.0);
  EXPECT_DOUBLE_EQ(in_unit(*find_mbus_record("frequency"), 50'999), 50.999);
}

TEST(MbusRecords, NamesAreUniqueAndFindable) {
  for (const MbusRecordDef& def : mbus_read_records()) {
    EXPECT_EQ(find_mbus_record(def.name), &def);
    EXPECT_EQ(find_mbus_record(def.header.view()), &def);
  }
  EXPECT_EQ(find_mbus_record("nothing"), nullptr);
}

// Header: | ID 19020246 | INM   | v1 | elec. | access | status | signature |
//           46 02 02 19   CD 25   01   02      04       00       00 00
TEST(MbusRecords, EncodesTheManualsHeaderAndEnergyBlocks) {
  PersistentState state;
  state.settings.mbus_secondary_id = 0x19020246;
  for (std::size_t i = 0; i < 16; ++i)
    state.registers.at(i) = EnergyCounter::from_parts(123'456'789'000, 0);
  state.registers.at(counter_index::total(Family::reactive, Dir::forward)) =
      EnergyCounter::from_parts(123'456'789'000, 0);
  state.registers.at(counter_index::total(Family::reactive, Dir::reverse)) =
      EnergyCounter::from_parts(123'456'789'999, 0);
  state.registers.at(counter_index::trip_total(Dir::forward)) =
      EnergyCounter::from_parts(123'456'789'000, 0);
  Meter meter(state, 0);
  meter.power_on();
  const Bytes expected_start =
      hex("46 02 02 19 CD 25 01 02 04 00 00 00"
          "04 03 15 CD 5B 07  84 10 03 15 CD 5B 07  84 20 03 15 CD 5B 07  84 30 03 15 CD 5B 07"
          "84 80 10 03 15 CD 5B 07  04 83 3C 15 CD 5B 07  84 10 83 3C 15 CD 5B 07"
          "84 20 83 3C 15 CD 5B 07  84 30 83 3C 15 CD 5B 07  84 80 10 83 3C 15 CD 5B 07"
          "04 83 FC 10 15 CD 5B 07  04 FB 82 73 15 CD 5B 07  04 FB 82 F3 3C 15 CD 5B 07");
  const Bytes user_data = encode_rsp_ud(meter, 4);
  ASSERT_GE(user_data.size(), expected_start.size());
  EXPECT_EQ(Bytes(user_data.begin(),
                  user_data.begin() + static_cast<std::ptrdiff_t>(expected_start.size())),
            expected_start);
}

// The first answer of a factory-new meter at address 0, no load (230.00 V, 50.000 Hz):
// | 68 F4 F4 68 | 08 | 00 | 72 | header, access 01 | 32 records | CS | 16 |
TEST(MbusRecords, FactoryMeterAnswersByteForByte) {
  Bus bus;
  const Bytes expected = telegram(
      "68 F4 F4 68 08 00 72  46 02 02 19 CD 25 01 02 01 00 00 00"
      "04 03 00000000  84 10 03 00000000  84 20 03 00000000  84 30 03 00000000"
      "84 80 10 03 00000000  04 83 3C 00000000  84 10 83 3C 00000000  84 20 83 3C 00000000"
      "84 30 83 3C 00000000  84 80 10 83 3C 00000000  04 83 FC 10 00000000"
      "04 FB 82 73 00000000  04 FB 82 F3 3C 00000000"
      "02 FD C7 FC 01 D8 59  02 FD C7 FC 02 D8 59  02 FD C7 FC 03 D8 59"
      "03 FD D9 FC 01 000000  03 FD D9 FC 02 000000  03 FD D9 FC 03 000000"
      "03 2B 000000  03 AB FC 01 000000  03 AB FC 02 000000  03 AB FC 03 000000"
      "03 FB 14 000000  03 FB 94 FC 01 000000  03 FB 94 FC 02 000000  03 FB 94 FC 03 000000"
      "03 FB 34 000000  0A FD 3A 00 01  03 FB 2C 50 C3 00  09 7C 01 54 01  0B FD 3A 05 05 00");
  EXPECT_EQ(bus.send("10 5B 00").reply, expected);
}

TEST(MbusRecords, ValuesFollowTheMeasurement) {
  Meter meter = powered_meter();
  LoadInput load;
  load.phases = {PhaseInput{230.12, 100.123, 0}, PhaseInput{230, 10, 90}, PhaseInput{229, 7, 180}};
  load.hz = 50.999;
  ASSERT_TRUE(meter.set_load(load).has_value());
  const auto value = [&](std::string_view name) { return find_mbus_record(name)->source(meter); };
  EXPECT_EQ(value("l1_voltage"), 23'012);
  EXPECT_EQ(value("l1_current"), 100'123);
  EXPECT_EQ(value("l1_active_power"), 23'040);   // 230.12 V × 100.123 A
  EXPECT_EQ(value("l2_reactive_power"), 2'300);  // inductive
  EXPECT_EQ(value("l3_active_power"), -1'603);   // export
  EXPECT_EQ(value("total_active_power"), 23'040 + 0 - 1'603);
  EXPECT_EQ(value("frequency"), 50'999);
}

TEST(MbusRecords, SaturatesValuesBeyondTheFieldsRange) {
  Meter meter = powered_meter();
  ASSERT_TRUE(meter.apply(SetCtRatio{9995, 5}, kMbus).has_value());
  LoadInput load;
  load.phases = {PhaseInput{400, 30'000, 0}, PhaseInput{230, 0, 0}, PhaseInput{230, 0, 0}};
  ASSERT_TRUE(meter.set_load(load).has_value());
  const MbusRecordDef& current = *find_mbus_record("l1_current");
  const MbusRecordDef& voltage = *find_mbus_record("l1_voltage");
  const MbusRecordDef& power = *find_mbus_record("l1_active_power");
  EXPECT_EQ(encode_value(current.header.dif(), current.source(meter)),
            hex("FF FF 7F"));                                                          // 8388.607 A
  EXPECT_EQ(encode_value(voltage.header.dif(), voltage.source(meter)), hex("FF 7F"));  // 327.67 V
  EXPECT_EQ(encode_value(power.header.dif(), power.source(meter)), hex("FF FF 7F"));   // 8388607 W
}

TEST(MbusRecords, EveryRecordRoundTripsThroughTheDecoder) {
  Meter meter = modbus_test::busy_meter();
  LoadInput load;
  load.phases = {PhaseInput{231.5, 12.25, 30}, PhaseInput{228.4, 3.5, -60},
                 PhaseInput{229.9, 40, 200}};
  load.hz = 49.987;
  ASSERT_TRUE(meter.set_load(load).has_value());
  const auto readout = decode_rsp_ud(encode_rsp_ud(meter, 200));
  ASSERT_TRUE(readout.has_value());
  EXPECT_EQ(readout->header, meter_data_header(meter, 200));
  const auto defs = mbus_read_records();
  ASSERT_EQ(readout->values.size(), defs.size());
  for (std::size_t i = 0; i < defs.size(); ++i) {
    const MbusValue& v = readout->values[i];
    ASSERT_EQ(v.def, &defs[i]);
    EXPECT_EQ(v.value, clamp_to_field(defs[i].header.dif(), defs[i].source(meter))) << defs[i].name;
  }
  EXPECT_EQ(readout->values.back().value, 150'005);  // CT 1500/5
  const auto pf_at = static_cast<std::size_t>(find_mbus_record("power_factor") - defs.data());
  EXPECT_LT(*readout->values[pf_at].value, 0);
}

TEST(MbusRecords, StatusShowsAnApplicationErrorWhenTheMeterReportsOne) {
  PersistentState state;
  const Meter meter(state, error_bit::backup_corrupt);
  EXPECT_EQ(meter_data_header(meter, 0).status, kStatusApplicationError);
  EXPECT_EQ(meter_data_header(powered_meter(), 0).status, 0);
}

TEST(MbusRecords, VersionIsTheMajorSoftwareVersion) {
  EXPECT_EQ(meter_data_header(powered_meter(), 0).version, 1);
}

TEST(MbusRecords, PacksManufacturerLetters) {
  EXPECT_EQ(manufacturer_id("INM"), kManufacturerInepro);
  EXPECT_EQ(manufacturer_letters(0x25CD), "INM");
  EXPECT_EQ(manufacturer_id("inm"), 0);
  EXPECT_EQ(manufacturer_id("INMX"), 0);
}

TEST(MbusRecords, DecodesIntegersAsTwosComplement) {
  EXPECT_EQ(decode_value(0x01, hex("FF")), -1);
  EXPECT_EQ(decode_value(0x02, hex("E4 59")), 23'012);
  EXPECT_EQ(decode_value(0x03, hex("79 29 ED")), -1'234'567);
  EXPECT_EQ(decode_value(0x04, hex("15 CD 5B 07")), 123'456'789);
  EXPECT_EQ(decode_value(0x06, hex("FE FF FF FF FF FF")), -2);
  EXPECT_EQ(decode_value(0x07, hex("01 00 00 00 00 00 00 80")), INT64_MIN + 1);
  EXPECT_EQ(decode_unsigned(hex("FA")), 250U);
}

TEST(MbusRecords, DecodesBcdWithAnFSign) {
  EXPECT_EQ(decode_value(0x0B, hex("05 95 99")), 999'505);
  EXPECT_EQ(decode_value(0x0A, hex("85 F0")), -85);
  EXPECT_EQ(decode_value(0x0C, hex("15 01 23 45")), 45'230'115);
  EXPECT_EQ(decode_value(0x09, hex("1A")), std::nullopt);
  EXPECT_EQ(decode_value(0x0A, hex("F0 00")), std::nullopt);  // F only as the top nibble
}

TEST(MbusRecords, RefusesDataOfTheWrongLengthOrCoding) {
  EXPECT_EQ(decode_value(0x04, hex("15 CD 5B")), std::nullopt);
  EXPECT_EQ(decode_value(0x05, hex("00 00 80 3F")), std::nullopt);  // real: not used by the meter
  EXPECT_EQ(decode_value(0x00, {}), std::nullopt);
}

TEST(MbusRecords, ClampsToTheField) {
  EXPECT_EQ(clamp_to_field(0x03, 100'000'000), 8'388'607);
  EXPECT_EQ(clamp_to_field(0x03, -100'000'000), -8'388'608);
  EXPECT_EQ(clamp_to_field(0x0A, 12'345), 9'999);
  EXPECT_EQ(clamp_to_field(0x0A, -5'000), -999);
  EXPECT_EQ(encode_value(0x0A, -85), hex("85 F0"));
  EXPECT_EQ(encode_value(0x02, -1), hex("FF FF"));
}

TEST(MbusRecords, SplitsABlockIntoRecords) {
  // | filler | DIF VIF data          | DIF VIF len "T" data | manufacturer data |
  //   2F 2F    04  03  15 CD 5B 07     09  7C  01  54  02     0F 01 02
  const auto records = parse_records(hex("2F 2F 04 03 15 CD 5B 07 09 7C 01 54 02 0F 01 02"));
  ASSERT_TRUE(records.has_value());
  const std::vector<MbusRecord> expected{{hex("04 03"), hex("15 CD 5B 07")},
                                         {hex("09 7C 01 54"), hex("02")},
                                         {hex("0F"), hex("01 02")}};
  EXPECT_EQ(*records, expected);
}

TEST(MbusRecords, KeepsTheLvarOfAVariableLengthField) {
  const auto records = parse_records(hex("0D FD 11 03 41 42 43 01 FD 1B 00"));
  ASSERT_TRUE(records.has_value());
  ASSERT_EQ(records->size(), 2U);
  EXPECT_EQ((*records)[0].data, hex("03 41 42 43"));
}

TEST(MbusRecords, ReportsTruncatedAndMalformedBlocks) {
  using K = MbusParseError::Kind;
  EXPECT_EQ(parse_records(hex("04 03 15 CD")).error(), (MbusParseError{K::truncated, 0}));
  EXPECT_EQ(parse_records(hex("04 03 15 CD 5B 07 84")).error().kind, K::truncated);
  EXPECT_EQ(parse_records(hex("04")).error().kind, K::truncated);
  EXPECT_EQ(parse_records(hex("09 7C 02 54")).error().kind, K::truncated);
  EXPECT_EQ(parse_records(hex("84 80 80 80 80 80 80 80 80 80 80 80 00 03")).error().kind,
            K::too_many_extensions);
  EXPECT_EQ(parse_records(hex("0D 03 F5 00")).error().kind, K::bad_length);
  EXPECT_EQ(decode_rsp_ud(hex("46 02 02 19")).error().kind, K::short_header);
}

TEST(MbusRecords, DecoderKeepsRecordsItDoesNotKnow) {
  const auto readout =
      decode_rsp_ud(hex("01 00 00 00 CD 25 01 02 07 00 00 00 01 FD 1B 05 04 03 01 00 00 00"));
  ASSERT_TRUE(readout.has_value());
  EXPECT_EQ(readout->header.id_bcd, 1U);
  EXPECT_EQ(readout->header.access_number, 7);
  ASSERT_EQ(readout->values.size(), 2U);
  EXPECT_EQ(readout->values[0].def, nullptr);
  EXPECT_EQ(readout->values[0].value, 5);
  EXPECT_EQ(readout->values[1].def, find_mbus_record("forward_active_wh"));
  EXPECT_EQ(readout->values[1].value, 1);
}

// ---- the group and format columns -----------------------------------------------------------

TEST(MbusRecordTable, FilesEnergiesUnderEnergyTariffAndCtRatioUnderSettingsTheRestInstant) {
  for (const MbusRecordDef& def : mbus_read_records()) {
    const bool energy = def.unit == "Wh" || def.unit == "varh";
    const bool setting = def.name == "tariff" || def.name == "ct_ratio";
    const MbusGroup want = energy    ? MbusGroup::energy
                           : setting ? MbusGroup::settings
                                     : MbusGroup::instant;
    EXPECT_EQ(def.group, want) << def.name;
  }
  EXPECT_EQ(to_string(MbusGroup::energy), "energy");
  EXPECT_EQ(to_string(MbusGroup::settings), "settings");
  EXPECT_EQ(to_string(MbusGroup::instant), "instant");
}

TEST(MbusRecordTable, GivesEveryRecordADescription) {
  for (const MbusRecordDef& def : mbus_read_records()) EXPECT_FALSE(def.description.empty());
}

TEST(MbusRecordFormat, ShowsScaledValuesWithTheDecimalsOfTheirResolution) {
  EXPECT_EQ(format_mbus_value(*find_mbus_record("l1_voltage"), 23012), "230.12");
  EXPECT_EQ(format_mbus_value(*find_mbus_record("l1_current"), 100123), "100.123");
  EXPECT_EQ(format_mbus_value(*find_mbus_record("power_factor"), -100), "-1.00");
  EXPECT_EQ(format_mbus_value(*find_mbus_record("forward_active_wh"), 123456789), "123456789");
  EXPECT_EQ(mbus_number(*find_mbus_record("l1_voltage"), 23012), 230.12);
}

TEST(MbusRecordFormat, ShowsTheTariffWithItsLetterAndTheCtRatioAsARatioWithoutANumber) {
  const MbusRecordDef& tariff = *find_mbus_record("tariff");
  const MbusRecordDef& ct = *find_mbus_record("ct_ratio");
  EXPECT_EQ(tariff.format, MbusFormat::tariff);
  EXPECT_EQ(format_mbus_value(tariff, 2), "T2");
  EXPECT_EQ(mbus_number(tariff, 2), 2.0);
  EXPECT_EQ(ct.format, MbusFormat::ct_ratio);
  EXPECT_EQ(format_mbus_value(ct, 100005), "1000/5");
  EXPECT_EQ(format_mbus_value(ct, 999505), "9995/5");
  EXPECT_EQ(mbus_number(ct, 100005), std::nullopt);
}

}  // namespace
}  // namespace ambi
