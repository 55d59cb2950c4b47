#include "twin/http/request_json.hpp"

#include <gtest/gtest.h>

#include "twin/http/settings_json.hpp"
#include "twin/http/state_json.hpp"

namespace ambi {
namespace {

TEST(EnergyRegisters, CoverTheManualsEnergyBlockAtItsAddresses) {
  const Json addresses = energy_addresses_json();
  ASSERT_EQ(addresses.size(), 72U);
  EXPECT_EQ(addresses.begin().key(), "total_active_kwh");
  EXPECT_EQ(addresses["total_active_kwh"], "0x6000");
  EXPECT_EQ(addresses["l1_forward_active_kwh"], "0x6012");
  EXPECT_EQ(addresses["l3_reverse_reactive_kvarh"], "0x6046");
  EXPECT_EQ(addresses["trip_kwh"], "0x6049");
  EXPECT_EQ(addresses["t4_reverse_reactive_kvarh"], "0x6061");
  EXPECT_EQ(addresses["q1_total_kvarh"], "0x6063");
  EXPECT_EQ(addresses["q4_t4_kvarh"], "0x6089");
  EXPECT_EQ(addresses["trip_l3_kwh"], "0x608F");
}

TEST(EnergyJson, ReadsEveryRegisterFromTheMeterInWholeWattHours) {
  Meter meter;
  meter.power_on();
  ASSERT_TRUE(
      meter.set_load(LoadInput{{{{230, 10, 0}, {230, 0, 0}, {230, 0, 0}}}, 50}).has_value());
  meter.advance(1'800'500);  // 2.3 kW for 1800.5 s = 1150.319 Wh
  const Json energy = energy_to_json(meter);
  EXPECT_EQ(energy["l1_forward_active_kwh"], 1.150);
  EXPECT_EQ(energy["total_active_kwh"], 1.150);
  EXPECT_EQ(energy["reverse_active_kwh"], 0.0);
}

TEST(EnergyJson, ShowsWholeWattHoursInKilowattHours) {
  EXPECT_EQ(to_kwh(2'300'999), 2.3);
  EXPECT_EQ(to_kwh(-1'500), -0.001);
  EXPECT_EQ(to_kwh(8'760'000'000), 8760.0);
}

TEST(SettingsCommands, TranslateReadableValuesToRegisterCodes) {
  const auto commands = settings_commands(Json::parse(
      R"({"modbus_baud":19200,"parity":"none","combination":"C-03","s0_rate":0.01,
          "ct_ratio":"500/5","mbus_secondary_id":"45230115","obis":false})"));
  ASSERT_TRUE(commands.has_value());
  ASSERT_EQ(commands->size(), 7U);
  EXPECT_EQ(std::get<SetModbusBaud>((*commands)[0]).code, 7);
  EXPECT_EQ(std::get<SetParity>((*commands)[1]).code, 2);
  EXPECT_EQ(std::get<SetCombination>((*commands)[2]).code, 3);
  EXPECT_EQ(std::get<SetS0Rate>((*commands)[3]).rate_centi, 1);
  EXPECT_EQ(std::get<SetCtRatio>((*commands)[4]).primary, 500);
  EXPECT_EQ(std::get<SetCtRatio>((*commands)[4]).secondary, 5);
  EXPECT_EQ(std::get<SetMbusSecondaryId>((*commands)[5]).bcd, 0x45230115U);
  EXPECT_FALSE(std::get<SetObis>((*commands)[6]).on);
}

TEST(SettingsCommands, NameAnUnknownSettingAndListTheValidOnes) {
  const auto commands = settings_commands(Json::parse(R"({"colour":1})"));
  ASSERT_FALSE(commands.has_value());
  EXPECT_EQ(commands.error().status, 422U);
  EXPECT_NE(commands.error().message.find("\"colour\""), std::string::npos);
  EXPECT_NE(commands.error().message.find("modbus_id"), std::string::npos);
}

TEST(SettingsCommands, RefuseABaudRateOutsideRegister4004) {
  const auto commands = settings_commands(Json::parse(R"({"modbus_baud":56700})"));
  ASSERT_FALSE(commands.has_value());
  EXPECT_NE(commands.error().message.find("57600"), std::string::npos);
}

TEST(LoadJson, KeepsWhatIsNotGiven) {
  LoadInput base;
  base.phases[1].amps = 7;
  const auto load = load_from_json(Json::parse(R"({"L1":{"i":10,"phi":25},"f":60})"), base);
  ASSERT_TRUE(load.has_value());
  EXPECT_EQ(load->phases[0].volts, 230.0);
  EXPECT_EQ(load->phases[0].amps, 10.0);
  EXPECT_EQ(load->phases[0].phi_deg, 25.0);
  EXPECT_EQ(load->phases[1].amps, 7.0);
  EXPECT_EQ(load->hz, 60.0);
}

TEST(LoadJson, RefusesUnknownMembersAndWrongTypes) {
  EXPECT_FALSE(load_from_json(Json::parse(R"({"L4":{}})"), {}).has_value());
  EXPECT_FALSE(load_from_json(Json::parse(R"({"L1":{"v":"high"}})"), {}).has_value());
  EXPECT_FALSE(load_from_json(Json::parse(R"({"L1":{"volts":230}})"), {}).has_value());
}

}  // namespace
}  // namespace ambi
