// What the meter and storage faults active at a moment make of a meter (meter_fault.hpp).
#include "core/fault/meter_fault.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "core/meter/meter.hpp"

namespace ambi {
namespace {

Fault fault(FaultKind kind, std::int64_t start_ms, std::optional<std::int64_t> end_ms) {
  Fault f;
  f.kind = kind;
  f.start_ms = start_ms;
  f.end_ms = end_ms;
  return f;
}

TEST(MeterFault, KindsAreSortedIntoLinkMeterAndStorage) {
  EXPECT_EQ(fault_class(FaultKind::refuse), FaultClass::link);
  EXPECT_EQ(fault_class(FaultKind::supply_lost), FaultClass::meter);
  EXPECT_EQ(fault_class(FaultKind::wrong_ct_ratio), FaultClass::meter);
  EXPECT_EQ(fault_class(FaultKind::corrupt), FaultClass::storage);
  EXPECT_EQ(fault_class(FaultKind::torn_write), FaultClass::storage);
  EXPECT_EQ(fault_kind("phases-swapped"), FaultKind::phases_swapped);
  EXPECT_EQ(to_string(FaultKind::torn_write), "torn-write");
}

TEST(MeterFault, ActiveFaultsCombineIntoOneWiring) {
  std::vector<Fault> faults{fault(FaultKind::phase_lost, 0, 1000),
                            fault(FaultKind::ct_reversed, 500, std::nullopt),
                            fault(FaultKind::phases_swapped, 0, std::nullopt),
                            fault(FaultKind::wrong_ct_ratio, 0, std::nullopt)};
  faults[0].phase = 2;
  faults[1].phase = 0;
  faults[2].phase = 0;
  faults[2].other_phase = 1;
  faults[3].installed_ct = 400;
  const Wiring at_0 = wiring_at(faults, 0);
  EXPECT_TRUE(at_0.voltage_lost[2]);
  EXPECT_FALSE(at_0.ct_reversed[0]);  // not yet
  EXPECT_EQ(at_0.voltage_from[0], 1);
  EXPECT_EQ(at_0.voltage_from[1], 0);
  EXPECT_EQ(at_0.installed_ct_primary, 400);
  const Wiring at_1000 = wiring_at(faults, 1000);
  EXPECT_FALSE(at_1000.voltage_lost[2]);  // its window is over
  EXPECT_TRUE(at_1000.ct_reversed[0]);
  faults[2].ended = true;
  EXPECT_EQ(wiring_at(faults, 1000).voltage_from[0], 0);
}

TEST(MeterFault, LinkFaultsLeaveTheWiringAlone) {
  const std::vector<Fault> faults{fault(FaultKind::no_reply, 0, std::nullopt)};
  EXPECT_TRUE(wiring_at(faults, 0).normal());
  EXPECT_FALSE(supply_cut_at(faults, 0));
  EXPECT_EQ(unwritable_at(faults, 0), 0);
  EXPECT_FALSE(next_fault_change(faults, -1, 100).has_value());
}

TEST(MeterFault, SupplyAndUnwritableAreasFollowTheirWindows) {
  std::vector<Fault> faults{fault(FaultKind::supply_lost, 100, 200),
                            fault(FaultKind::unwritable, 0, 50),
                            fault(FaultKind::unwritable, 0, std::nullopt)};
  faults[1].area = StorageTarget::mantissa;
  faults[2].area = StorageTarget::both;
  EXPECT_FALSE(supply_cut_at(faults, 99));
  EXPECT_TRUE(supply_cut_at(faults, 100));
  EXPECT_FALSE(supply_cut_at(faults, 200));
  EXPECT_EQ(unwritable_at(faults, 10), error_bit::mantissa_unwritable | error_bit::main_unwritable |
                                           error_bit::backup_unwritable);
  EXPECT_EQ(unwritable_at(faults, 50), error_bit::main_unwritable | error_bit::backup_unwritable);
}

TEST(MeterFault, TheNextChangeIsTheEarliestStartOrEndInTheSpan) {
  const std::vector<Fault> faults{fault(FaultKind::supply_lost, 100, 200),
                                  fault(FaultKind::phase_lost, 150, std::nullopt)};
  EXPECT_EQ(next_fault_change(faults, 0, 1000), 100);
  EXPECT_EQ(next_fault_change(faults, 100, 1000), 150);
  EXPECT_EQ(next_fault_change(faults, 150, 1000), 200);
  EXPECT_FALSE(next_fault_change(faults, 200, 1000).has_value());
  EXPECT_FALSE(next_fault_change(faults, 0, 99).has_value());
  EXPECT_EQ(next_fault_change(faults, 0, 100), 100);  // the end of the span counts
}

TEST(MeterFault, AReplyIsNeverChangedByAMeterOrStorageFault) {
  std::vector<Fault> faults{fault(FaultKind::supply_lost, 0, std::nullopt),
                            fault(FaultKind::corrupt, 0, std::nullopt)};
  const std::vector<std::uint8_t> reply{0x01, 0x03, 0x02, 0x00, 0x01, 0x79, 0x84};
  const FaultedReply out = apply_link_faults(faults, 0, reply, ReplyFraming::rtu);
  EXPECT_FALSE(out.changed());
  EXPECT_EQ(out.bytes, reply);
  EXPECT_EQ(faults[0].seen, 0);
}

}  // namespace
}  // namespace ambi
