// Twin::counts: what GET /metrics reports of a twin's health (spec decision C98): Modbus
// requests served, M-bus telegrams addressed to the meter, saves and failed saves.
#include <gtest/gtest.h>

#include <span>

#include "core/fault/fault.hpp"
#include "core/mbus/mbus_frame.hpp"
#include "core/mbus/mbus_slave.hpp"
#include "twin_fixture.hpp"

namespace ambi {
namespace {

using TwinCountsTest = TwinTest;

TEST_F(TwinCountsTest, EveryModbusRequestServedIsCountedByItsFraming) {
  const auto before = twin_->counts().modbus_requests;
  for (int i = 0; i < 3; ++i) twin_->serve_modbus(ModbusFraming::rtu, [](Meter&) {});
  twin_->serve_modbus(ModbusFraming::tcp, [](Meter&) {});
  EXPECT_EQ(twin_->counts().modbus_requests[0], before[0] + 1);
  EXPECT_EQ(twin_->counts().modbus_requests[1], before[1] + 3);
}

TEST_F(TwinCountsTest, OnlyTelegramsForTheMeterAreCounted) {
  MbusSlave slave;
  const std::uint64_t before = twin_->counts().mbus_telegrams;
  (void)twin_->serve_mbus(slave, mbus_short(c_field::req_ud2, 7));  // another address
  EXPECT_EQ(twin_->counts().mbus_telegrams, before);
  (void)twin_->serve_mbus(slave, mbus_short(c_field::req_ud2, 0));  // its primary address
  (void)twin_->serve_mbus(slave, mbus_short(c_field::snd_nke, 0xFF));
  EXPECT_EQ(twin_->counts().mbus_telegrams, before + 2);
}

TEST_F(TwinCountsTest, SavesAreCountedAndAFailedOneToo) {
  const TwinCounts before = twin_->counts();
  EXPECT_GE(before.saves, 1U) << "the power-up saved";
  twin_->save();
  EXPECT_EQ(twin_->counts().saves, before.saves + 1);
  EXPECT_EQ(twin_->counts().failed_saves, before.failed_saves);
  Fault f;
  f.kind = FaultKind::unwritable;
  f.area = StorageTarget::backup;
  f.start_ms = twin_->meter().now_ms();
  (void)twin_->add_fault(f);
  const TwinCounts faulted = twin_->counts();
  twin_->save();
  EXPECT_EQ(twin_->counts().saves, faulted.saves + 1);
  EXPECT_EQ(twin_->counts().failed_saves, faulted.failed_saves + 1);
  EXPECT_EQ(before.failed_saves, 0U);
}

}  // namespace
}  // namespace ambi
