#include "export/mbus_reading.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/mbus/mbus_rsp_ud.hpp"
#include "core/meter/meter.hpp"
#include "modbus_test_support.hpp"

namespace ambi {
namespace {

TEST(MbusReading, EveryRecordButTheCtRatioCarriesARegister) {
  for (const MbusRecordDef& def : mbus_read_records()) {
    const std::string name = register_of_record(def);
    EXPECT_EQ(name.empty(), def.name == "ct_ratio") << def.name;
  }
  EXPECT_EQ(register_of_record(mbus_read_records()[0]), "forward_active_kwh");
}

TEST(MbusReading, AMeterReadOverMbusExportsWhatItsRegistersSay) {
  const Meter meter = modbus_test::busy_meter();
  const auto readout = decode_rsp_ud(encode_rsp_ud(meter, 7));
  ASSERT_TRUE(readout.has_value());
  const MeterReading over_mbus = reading_from_mbus(*readout);
  const MeterReading over_modbus = read_meter(meter);
  EXPECT_EQ(over_mbus.serial, over_modbus.serial);
  ASSERT_GE(over_mbus.samples.size(), 20U);
  for (const ExportSample& s : over_mbus.samples) {
    const ExportSample* m = find_sample(over_modbus, s.value->reg->name);
    ASSERT_NE(m, nullptr) << s.value->reg->name;
    // M-bus carries W, var, VA and Wh as integers, and the power factor with 2 decimals:
    // the same quantity within the coarser of the two resolutions.
    const double tolerance = s.value->unit.starts_with('k') ? 0.0015 : 0.011;
    EXPECT_NEAR(s.number, m->number, tolerance) << s.value->reg->name;
  }
  const ExportSample* tariff = find_sample(over_mbus, "tariff");
  ASSERT_NE(tariff, nullptr);
  EXPECT_EQ(tariff->text, find_sample(over_modbus, "tariff")->text);
}

}  // namespace
}  // namespace ambi
