// `ambimeter config home-assistant` (docs/tools.md "config"): which registers become
// sensors, with which classes, data types, scales and precisions, and the YAML text.
#include "tools/ha_config.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "export/exported_values.hpp"
#include "reader/read_plan.hpp"

namespace ambi {
namespace {

const RegisterDef& reg(std::string_view name) {
  const RegisterDef* def = find_register(name);
  EXPECT_NE(def, nullptr) << name;
  return *def;
}

HaClasses classes(std::string_view name) {
  const auto c = ha_classes(reg(name));
  EXPECT_TRUE(c.has_value()) << name;
  return c.value_or(HaClasses{});
}

const HaSensor* sensor(const std::vector<HaSensor>& sensors, std::string_view name) {
  for (const HaSensor& s : sensors) {
    if (s.reg->name == name) return &s;
  }
  return nullptr;
}

TEST(HaClasses, AreTheExportersSharedClasses) {
  std::size_t sensors = 0;
  for (const ExportedValue& v : exported_values()) {
    const auto c = ha_classes(*v.reg);
    if (v.transform != ExportTransform::number) {
      EXPECT_FALSE(c.has_value()) << v.reg->name;
      continue;
    }
    ASSERT_TRUE(c.has_value()) << v.reg->name;
    EXPECT_EQ(c->device_class, v.device_class) << v.reg->name;
    EXPECT_EQ(c->state_class, v.state_class) << v.reg->name;
    EXPECT_EQ(c->unit, v.unit) << v.reg->name;
    ++sensors;
  }
  EXPECT_EQ(ha_sensors(HaConfigOptions{}).size(), sensors);
}

TEST(HaClasses, InstantValuesAreMeasurementsInTheirUnits) {
  const HaClasses v = classes("l1_voltage");
  EXPECT_EQ(v.device_class, "voltage");
  EXPECT_EQ(v.state_class, "measurement");
  EXPECT_EQ(v.unit, "V");
  EXPECT_EQ(v.decimals, 2);
  EXPECT_EQ(classes("frequency").device_class, "frequency");
  EXPECT_EQ(classes("l3_current").unit, "A");
  EXPECT_EQ(classes("l3_current").decimals, 3);
  EXPECT_EQ(classes("total_active_power").device_class, "power");
  EXPECT_EQ(classes("l2_reactive_power").unit, "kvar");
  EXPECT_EQ(classes("power_factor").device_class, "power_factor");
  EXPECT_EQ(classes("power_factor").unit, "");
  EXPECT_EQ(classes("total_apparent_power").device_class, "apparent_power");
  EXPECT_EQ(classes("total_apparent_power").unit, "kVA");
}

TEST(HaClasses, EnergyCountersAndTheResettableTripCounters) {
  EXPECT_EQ(classes("forward_active_kwh").state_class, "total_increasing");
  EXPECT_EQ(classes("q2_t1_kvarh").state_class, "total_increasing");
  EXPECT_EQ(classes("trip_kwh").state_class, "total");
  EXPECT_EQ(classes("trip_l2_kwh").state_class, "total");
  EXPECT_EQ(classes("forward_active_kwh").device_class, "energy");
  EXPECT_EQ(classes("forward_active_kwh").decimals, 3);
  EXPECT_EQ(classes("q1_total_kvarh").device_class, "reactive_energy");
  EXPECT_EQ(classes("q1_total_kvarh").unit, "kvarh");
}

TEST(HaClasses, IdentitySettingsDirectionsAndTheZeroAveragesAreNoSensors) {
  for (const std::string_view name :
       {"serial_number", "software_version", "modbus_id", "parity", "ct_ratio", "data_type",
        "l1_current_direction", "reserved_4025", "voltage", "current"}) {
    EXPECT_FALSE(ha_classes(reg(name)).has_value()) << name;
  }
  EXPECT_EQ(classes("error_code").device_class, "");
  EXPECT_EQ(classes("error_code").state_class, "");
  EXPECT_EQ(classes("power_down_counter").state_class, "total");
  EXPECT_TRUE(ha_classes(reg("tariff")).has_value());
}

TEST(HaSensors, CoverEveryEnergyRegisterAndEveryInstantValueButTheAverages) {
  const std::vector<HaSensor> sensors = ha_sensors(HaConfigOptions{});
  std::set<std::string> ids;
  for (const HaSensor& s : sensors) ids.insert(s.unique_id);
  EXPECT_EQ(ids.size(), sensors.size()) << "unique ids";
  for (const RegisterDef* def : registers_in(RegisterGroup::energy)) {
    EXPECT_NE(sensor(sensors, def->name), nullptr) << def->name;
  }
  EXPECT_EQ(sensors.size(), registers_in(RegisterGroup::energy).size() +
                                registers_in(RegisterGroup::instant).size() - 2 + 8);
}

TEST(HaSensors, FloatModeReadsFloat32AndIntegerModeScaledInt32) {
  HaConfigOptions o;
  const auto floats = ha_sensors(o);
  const HaSensor* v = sensor(floats, "l1_voltage");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->data_type, "float32");
  EXPECT_EQ(v->scale, 1.0);
  EXPECT_EQ(v->precision, 2);
  EXPECT_EQ(v->name, "Ambition L1 Voltage");
  EXPECT_EQ(v->unique_id, "ambition_l1_voltage");
  EXPECT_EQ(v->scan_interval, 10);
  EXPECT_EQ(sensor(floats, "total_apparent_power")->scale, 1.0);
  EXPECT_EQ(sensor(floats, "total_apparent_power")->precision, 3);
  EXPECT_EQ(sensor(floats, "t1_total_active_kwh")->scan_interval, 60);
  EXPECT_EQ(sensor(floats, "status_word")->data_type, "uint32");
  EXPECT_EQ(sensor(floats, "power_down_counter")->data_type, "uint16");
  EXPECT_EQ(sensor(floats, "error_code")->data_type, "int16");

  o.data_type = DataType::integer;
  const auto ints = ha_sensors(o);
  const HaSensor* kwh = sensor(ints, "total_active_kwh");
  EXPECT_EQ(kwh->data_type, "int32");
  EXPECT_DOUBLE_EQ(kwh->scale, 0.01);
  EXPECT_EQ(kwh->precision, 2);
  EXPECT_DOUBLE_EQ(sensor(ints, "l1_current")->scale, 0.001);
  EXPECT_EQ(sensor(ints, "l1_current")->precision, 3);
  EXPECT_DOUBLE_EQ(sensor(ints, "l1_apparent_power")->scale, 0.001);
  EXPECT_EQ(sensor(ints, "l1_apparent_power")->precision, 3);
  EXPECT_EQ(sensor(ints, "tariff")->data_type, "int16");
}

TEST(HaSensors, GroupsChooseTheRegisters) {
  HaConfigOptions o;
  o.groups = {RegisterGroup::status};
  const auto sensors = ha_sensors(o);
  EXPECT_EQ(sensors.size(), 8U);
  EXPECT_NE(sensor(sensors, "tariff"), nullptr);
  EXPECT_EQ(sensor(sensors, "l1_voltage"), nullptr);
}

TEST(HaYaml, TcpHubAndOneSensorAsHomeAssistantReadsThem) {
  HaConfigOptions o;
  o.name = "Meter \"A\"";
  o.host = "192.0.2.7";
  o.port = 5020;
  o.units = {7};
  const std::string yaml = render_home_assistant(o);
  EXPECT_NE(yaml.find("modbus:\n"
                      "  - name: \"Meter \\\"A\\\"\"\n"
                      "    type: tcp\n"
                      "    host: \"192.0.2.7\"\n"
                      "    port: 5020\n"
                      "    timeout: 3\n"
                      "    sensors:\n"),
            std::string::npos)
      << yaml.substr(0, 800);
  EXPECT_NE(yaml.find("      - name: \"Meter \\\"A\\\" L1 Apparent power\"\n"
                      "        unique_id: \"meter_a_l1_apparent_power\"\n"
                      "        slave: 7\n"
                      "        address: 20516  # 0x5024\n"
                      "        input_type: holding\n"
                      "        data_type: float32\n"
                      "        precision: 3\n"
                      "        unit_of_measurement: \"kVA\"\n"
                      "        device_class: apparent_power\n"
                      "        state_class: measurement\n"
                      "        scan_interval: 10\n"),
            std::string::npos);
  EXPECT_NE(yaml.find("Float ABCD"), std::string::npos) << "says which data type it assumes";
}

TEST(HaSensors, SeveralUnitsShareOneHubWithTheUnitInNamesAndIds) {
  HaConfigOptions o;
  o.units = {3, 1};
  const auto sensors = ha_sensors(o);
  const std::size_t one = ha_sensors(HaConfigOptions{}).size();
  ASSERT_EQ(sensors.size(), 2 * one);
  EXPECT_EQ(sensors.front().unit, 3);
  EXPECT_EQ(sensors.back().unit, 1);
  const HaSensor& v = sensors[one + 7];
  EXPECT_EQ(v.reg->name, "l1_voltage");
  EXPECT_EQ(v.name, "Ambition 1 L1 Voltage");
  EXPECT_EQ(v.unique_id, "ambition_1_l1_voltage");
  std::set<std::string> ids;
  for (const HaSensor& s : sensors) ids.insert(s.unique_id);
  EXPECT_EQ(ids.size(), sensors.size());
  const std::string yaml = render_home_assistant(o);
  EXPECT_EQ(yaml.find("\n  - name:", yaml.find("\n  - name:") + 1), std::string::npos) << "one hub";
  EXPECT_NE(yaml.find("\"ambition_3_l1_voltage\"\n        slave: 3\n"), std::string::npos);
}

TEST(HaYaml, SerialHubCarriesTheLineSettings) {
  HaConfigOptions o;
  o.transport = HaTransport::serial;
  o.serial_port = "/dev/ttyUSB1";
  o.baudrate = 19200;
  o.parity = 'N';
  o.data_type = DataType::integer;
  const std::string yaml = render_home_assistant(o);
  EXPECT_NE(yaml.find("    type: serial\n"
                      "    method: rtu\n"
                      "    port: \"/dev/ttyUSB1\"\n"
                      "    baudrate: 19200\n"
                      "    bytesize: 8\n"
                      "    parity: \"N\"\n"
                      "    stopbits: 1\n"),
            std::string::npos);
  EXPECT_NE(yaml.find("        data_type: int32\n"
                      "        scale: 0.01\n"
                      "        precision: 2\n"
                      "        unit_of_measurement: \"kWh\"\n"),
            std::string::npos);
  EXPECT_NE(yaml.find("integer (2)"), std::string::npos);
}

TEST(HaSlug, KeepsLettersAndDigitsInLowerCase) {
  EXPECT_EQ(ha_slug("Ambition 2PU CT"), "ambition_2pu_ct");
  EXPECT_EQ(ha_slug("  --Hall/Meter #3-- "), "hall_meter_3");
  EXPECT_EQ(ha_slug("***"), "");
  EXPECT_EQ(parse_ha_transport("rtu-over-tcp"), HaTransport::rtuovertcp);
  EXPECT_EQ(parse_ha_transport("udp"), std::nullopt);
}

}  // namespace
}  // namespace ambi
