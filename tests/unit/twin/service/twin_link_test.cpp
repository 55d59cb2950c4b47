// The twin announces every change of the meter's link settings (Modbus baud rate, parity
// and address, M-bus baud rate and address) to its subscribers, whichever path made it:
// the control API, a Modbus write, an M-bus write, the front-panel buttons. Paths that
// change no link setting announce nothing.
#include <gtest/gtest.h>

#include <vector>

#include "mbus_test_support.hpp"
#include "modbus_test_support.hpp"
#include "twin/service/twin.hpp"
#include "twin_fixture.hpp"

namespace ambi {
namespace {

class TwinLinkTest : public TwinTest {
 protected:
  TwinLinkTest() {
    subscription_ = twin_->on_link_change([this](const LinkSettings& s) { heard_.push_back(s); });
  }
  std::vector<LinkSettings> heard_;
  LinkSubscription subscription_;
};

TEST_F(TwinLinkTest, ASettingsChangeThroughTheApiIsAnnouncedOnce) {
  const Command command = SetModbusBaud{8};  // 19200
  ASSERT_TRUE(twin_->apply(std::span(&command, 1), Origin{Source::app, {{'0', '0', '0', '0'}}})
                  .has_value());
  ASSERT_EQ(heard_.size(), 1U);
  EXPECT_EQ(heard_[0].modbus_baud_code, 8);
  EXPECT_EQ(heard_[0], link_settings_of(twin_->meter().settings()));
}

TEST_F(TwinLinkTest, AModbusWriteOfTheParityIsAnnounced) {
  // | 01 | 06 | 40 11 | 00 03 | : write single register 4011 (parity) = 3 (odd)
  twin_->serve_modbus(ModbusFraming::rtu,
                      [](Meter& m) { (void)modbus_test::send_rtu(m, "01 06 40 11 00 03"); });
  ASSERT_EQ(heard_.size(), 1U);
  EXPECT_EQ(heard_[0].parity, Parity::odd);
}

TEST_F(TwinLinkTest, AnMbusBaudSwitchIsAnnounced) {
  // | 68 03 03 68 | SND_UD 53 | A 00 | CI BD (9600 baud) | CS 16 |
  MbusFramer framer;
  framer.push(mbus_test::telegram("68 03 03 68 53 00 BD"));
  const MbusEvent event = framer.poll();
  ASSERT_TRUE(std::holds_alternative<MbusFrame>(event));
  MbusSlave slave;
  const MbusExchange exchange = twin_->serve_mbus(slave, std::get<MbusFrame>(event));
  EXPECT_EQ(exchange.baud, 9600U);
  ASSERT_EQ(heard_.size(), 1U);
  EXPECT_EQ(heard_[0].mbus_baud, 9600U);
}

TEST_F(TwinLinkTest, AModbusAddressSetWithTheButtonsIsAnnounced) {
  open_modbus_id();
  for (int i = 0; i < 3; ++i) twin_->press(Button::star, PressLength::short_press);
  twin_->press(Button::right, PressLength::short_press);
  ASSERT_TRUE(heard_.empty()) << "nothing is set before the last press";
  twin_->press(Button::star, PressLength::short_press);
  ASSERT_EQ(heard_.size(), 1U);
  EXPECT_EQ(heard_[0].modbus_id, 2);
}

TEST_F(TwinLinkTest, ChangesOfOtherSettingsAndPowerCyclesAnnounceNothing) {
  const Command command = SetLcdCycle{25};
  ASSERT_TRUE(twin_->apply(std::span(&command, 1), Origin{Source::modbus, {}}).has_value());
  ASSERT_TRUE(twin_->power_cycle(0).has_value());
  twin_->set_power(false);
  twin_->set_power(true);
  EXPECT_TRUE(heard_.empty());
}

TEST_F(TwinLinkTest, ADroppedSubscriptionHearsNoMore) {
  subscription_.reset();
  const Command command = SetMbusId{7};
  ASSERT_TRUE(twin_->apply(std::span(&command, 1), Origin{Source::modbus, {}}).has_value());
  EXPECT_TRUE(heard_.empty());
}

}  // namespace
}  // namespace ambi
