// Selection by secondary address (EN 13757-3 11.4): the 8-byte layout both sides use, the
// wildcard rules, and the slave answering exactly the masks the layout says match it.
#include "core/mbus/mbus_selection.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

#include "core/mbus/mbus_data_header.hpp"
#include "mbus_test_support.hpp"

namespace ambi {
namespace {

using namespace mbus_test;

// The manual's selection of 13070001 (A2.2):
// | ID 01 00 07 13 | MAN CD 25 | VER 01 | MED 02 |
TEST(MbusSelection, IsTheIdLeastSignificantByteFirstThenManufacturerVersionMedium) {
  const MbusSelection address{
      .id = 0x13070001, .manufacturer = 0x25CD, .version = 0x01, .medium = 0x02};
  EXPECT_EQ(address.bytes(),
            (std::array<std::uint8_t, 8>{0x01, 0x00, 0x07, 0x13, 0xCD, 0x25, 0x01, 0x02}));
  EXPECT_EQ(MbusSelection::parse(address.bytes()), address);
}

TEST(MbusSelection, ByDefaultIsAllWildcards) {
  EXPECT_EQ(MbusSelection{}.bytes(),
            (std::array<std::uint8_t, 8>{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}));
  EXPECT_TRUE(MbusSelection{}.matches(MbusSelection{.id = 0x12345678,
                                                    .manufacturer = kManufacturerInepro,
                                                    .version = 1,
                                                    .medium = kMediumElectricity}));
}

TEST(MbusSelection, ParsesExactlyEightBytes) {
  EXPECT_EQ(MbusSelection::parse(hex("01 00 07 13 CD 25 01")), std::nullopt);
  EXPECT_EQ(MbusSelection::parse(hex("01 00 07 13 CD 25 01 02 00")), std::nullopt);
}

TEST(MbusSelection, AnFDigitOfTheIdMatchesAnyDigitInItsPlace) {
  const MbusSelection own{.id = 0x13070001, .manufacturer = 0x25CD, .version = 1, .medium = 2};
  for (const std::uint32_t id : {0x13070001U, 0xF3070001U, 0x1F070001U, 0x130700F1U, 0x1307000FU,
                                 0xFFFFFFFFU, 0x13FFFFFFU}) {
    EXPECT_TRUE(MbusSelection{.id = id}.matches(own)) << std::hex << id;
  }
  for (const std::uint32_t id : {0x13070002U, 0xF3070002U, 0x2FFFFFFFU, 0xFFFFFFF2U}) {
    EXPECT_FALSE(MbusSelection{.id = id}.matches(own)) << std::hex << id;
  }
}

TEST(MbusSelection, AnFfByteMatchesAnyManufacturerByteVersionOrMedium) {
  const MbusSelection own{.id = 0x13070001, .manufacturer = 0x25CD, .version = 1, .medium = 2};
  const MbusSelection id_only{.id = 0x13070001};
  EXPECT_TRUE((MbusSelection{.id = 0x13070001, .manufacturer = 0x25FF}).matches(own));
  EXPECT_TRUE((MbusSelection{.id = 0x13070001, .manufacturer = 0xFFCD}).matches(own));
  EXPECT_FALSE((MbusSelection{.id = 0x13070001, .manufacturer = 0x24FF}).matches(own));
  EXPECT_TRUE((MbusSelection{.id = 0x13070001, .version = 1, .medium = 2}).matches(own));
  EXPECT_FALSE((MbusSelection{.id = 0x13070001, .version = 2}).matches(own));
  EXPECT_FALSE((MbusSelection{.id = 0x13070001, .medium = 3}).matches(own));
  EXPECT_TRUE(id_only.matches(own));
}

TEST(MbusSelection, IsTheSecondaryAddressOfADataHeader) {
  const MbusDataHeader header{0x13070001, kManufacturerInepro, 1, kMediumElectricity, 9, 0, 0};
  EXPECT_EQ(secondary_address(header),
            (MbusSelection{.id = 0x13070001, .manufacturer = 0x25CD, .version = 1, .medium = 2}));
}

/// Every mask a wildcard search sends on its way down to `id` (most significant digits first,
/// the rest F), and the same masks with one digit wrong.
std::vector<std::uint32_t> search_masks(std::uint32_t id) {
  std::vector<std::uint32_t> masks;
  for (int known = 0; known <= 8; ++known) {
    const int shift = 4 * (8 - known);
    const std::uint32_t wild = shift >= 32 ? 0xFFFFFFFFU : (1U << shift) - 1;
    const std::uint32_t mask = (id & ~wild) | wild;
    masks.push_back(mask);
    if (known > 0) masks.push_back(mask ^ (0x1U << shift));  // its last known digit wrong
  }
  return masks;
}

// The reader's masks (MbusSelection::bytes, as the master sends them) against the meter's
// slave: it answers E5 exactly to the masks the shared match rule says name it.
TEST(MbusSelection, TheSlaveAnswersExactlyTheMasksThatMatchItsAddress) {
  Bus bus = Bus::at(1);
  ASSERT_TRUE(bus.meter.apply(SetMbusSecondaryId{0x13070001}, kMbus).has_value());
  const MbusSelection own{.id = 0x13070001, .manufacturer = 0x25CD, .version = 1, .medium = 2};
  for (const std::uint32_t id : search_masks(0x13070001)) {
    for (const std::uint16_t manufacturer :
         {std::uint16_t{0xFFFF}, std::uint16_t{0x25CD}, std::uint16_t{0x1234}}) {
      const MbusSelection mask{.id = id, .manufacturer = manufacturer};
      const auto data = mask.bytes();
      const MbusExchange out = bus.send(encode_mbus(
          mbus_long(c_field::snd_ud, mbus_address::selected, ci_field::select_slave, data)));
      EXPECT_EQ(out.reply == kAck, mask.matches(own)) << std::hex << id << " " << manufacturer;
      EXPECT_EQ(bus.slave.selected(), mask.matches(own));
    }
  }
}

}  // namespace
}  // namespace ambi
