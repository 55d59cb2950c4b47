// Twin::serve_mbus: the communication flag follows the route the slave decided (spec
// decision C45): on for a telegram to the meter, off for one that was not for it.
#include <gtest/gtest.h>

#include <span>
#include <vector>

#include "core/mbus/mbus_frame.hpp"
#include "core/mbus/mbus_slave.hpp"
#include "twin_fixture.hpp"

namespace ambi {
namespace {

bool communication_active(const Twin& twin) {
  return (twin.meter().status_word() & status_bit::communication_active) != 0;
}

/// The manual's selection of 13070001 (A2.2), with `first` as its first ID byte.
MbusFrame selection(std::uint8_t first) {
  const std::vector<std::uint8_t> data{first, 0x00, 0x07, 0x13, 0xCD, 0x25, 0x01, 0x02};
  return mbus_long(c_field::snd_ud, mbus_address::selected, ci_field::select_slave, data);
}

class TwinMbusTest : public TwinTest {
 protected:
  TwinMbusTest() {
    const Command secondary = SetMbusSecondaryId{0x13070001};
    EXPECT_TRUE(twin_->apply(std::span(&secondary, 1), Origin{Source::mbus, {}}).has_value());
  }
  MbusExchange serve(const MbusFrame& frame) { return twin_->serve_mbus(slave_, frame); }
  MbusSlave slave_;
};

TEST_F(TwinMbusTest, ATelegramToAnotherAddressLeavesTheFlagOff) {
  EXPECT_EQ(serve(mbus_short(c_field::req_ud2, 7)).route, MbusRoute::ignored);
  EXPECT_EQ(serve(mbus_short(c_field::req_ud2, mbus_address::selected)).route, MbusRoute::ignored);
  EXPECT_EQ(serve(selection(0x02)).route, MbusRoute::ignored);
  EXPECT_FALSE(communication_active(*twin_));
}

TEST_F(TwinMbusTest, ATelegramToThePrimaryAddressSetsTheFlag) {
  EXPECT_EQ(serve(mbus_short(c_field::req_ud2, 0)).route, MbusRoute::primary);
  EXPECT_TRUE(communication_active(*twin_));
}

TEST_F(TwinMbusTest, ABroadcastSetsTheFlagThoughNothingAnswers) {
  const MbusExchange out = serve(mbus_short(c_field::snd_nke, mbus_address::broadcast));
  EXPECT_TRUE(out.reply.empty());
  EXPECT_TRUE(communication_active(*twin_));
}

TEST_F(TwinMbusTest, AMatchingSelectionSetsTheFlag) {
  EXPECT_EQ(serve(selection(0x01)).route, MbusRoute::selected);
  EXPECT_TRUE(communication_active(*twin_));
}

}  // namespace
}  // namespace ambi
