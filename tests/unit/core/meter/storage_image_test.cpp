#include "core/meter/storage_image.hpp"

#include <gtest/gtest.h>

#include <string_view>

#include "storage_test_state.hpp"

namespace ambi {
namespace {

using test::rich_state;

constexpr std::uint64_t kSeq = 42;
// Area: "AMB1" id ver sequence(8) length(4) | payload | crc(4)
constexpr std::size_t kHeader = 18;
// Main/backup payload offsets (docs/storage.md):
//   0 modbus_id  1 baud code  2 parity  3 mbus_id  4 mbus_baud(4)  8 s0 rate(4)
//  12 pulse type 13 width 14 combination 15 lcd cycle 16 backlight 17 direction 18 obis
//  19 data type 20 password(4) 24 mbus secondary id(4) 28 tariff 29 t3/t4 30 ct(3)
//  33 ct history 7 x (ratio(3) fwd(8) rev(8)) 166 ct_changes 167 power downs(2)
// 169 serial(4) 173 counters 62 x i64 mWh; 669 bytes in all.
constexpr std::size_t kStatePayload = 669;
constexpr std::size_t kMantissaPayload = 62 * 4;

std::vector<std::byte> le(std::uint64_t value, std::size_t width) {
  std::vector<std::byte> out;
  for (std::size_t i = 0; i < width; ++i) out.push_back(static_cast<std::byte>(value >> (8 * i)));
  return out;
}

/// Overwrites payload bytes at `offset` and recomputes the CRC, so only validation can refuse.
std::vector<std::byte> patch_and_reseal(std::vector<std::byte> area, std::size_t offset,
                                        const std::vector<std::byte>& value) {
  std::copy(value.begin(), value.end(),
            area.begin() + static_cast<std::ptrdiff_t>(kHeader + offset));
  const auto crc = crc32(std::span(area).first(area.size() - 4));
  const auto crc_bytes = le(crc, 4);
  std::copy(crc_bytes.begin(), crc_bytes.end(), area.end() - 4);
  return area;
}

PersistentState without_remainders(PersistentState s) {
  for (auto& c : s.registers.counters) c = EnergyCounter::from_parts(c.mwh(), 0);
  return s;
}

TEST(Crc32, MatchesTheIeeeCheckValue) {
  constexpr std::string_view kText = "123456789";
  const auto bytes = std::as_bytes(std::span(kText.data(), kText.size()));
  EXPECT_EQ(crc32(bytes), 0xCBF43926U);
  EXPECT_EQ(crc32({}), 0U);
}

TEST(StorageImage, AreasCarryMagicIdVersionSequenceLengthAndCrc) {
  const StorageImage image = encode_storage(rich_state(), 0x0102030405060708);
  ASSERT_EQ(image.main.size(), kHeader + kStatePayload + 4);
  ASSERT_EQ(image.mantissa.size(), kHeader + kMantissaPayload + 4);
  const std::vector<std::byte> head(image.main.begin(), image.main.begin() + kHeader);
  const std::vector<std::byte> expected{
      std::byte{'A'}, std::byte{'M'}, std::byte{'B'},  std::byte{'1'}, std::byte{1}, std::byte{1},
      std::byte{8},   std::byte{7},   std::byte{6},    std::byte{5},   std::byte{4}, std::byte{3},
      std::byte{2},   std::byte{1},   std::byte{0x9D}, std::byte{2},   std::byte{0}, std::byte{0}};
  EXPECT_EQ(head, expected);
  EXPECT_EQ(image.backup[4], std::byte{2});
  EXPECT_EQ(image.mantissa[4], std::byte{3});
  EXPECT_TRUE(std::equal(image.main.begin() + 5, image.main.end() - 4, image.backup.begin() + 5));
  const auto crc = le(crc32(std::span(image.main).first(image.main.size() - 4)), 4);
  EXPECT_TRUE(std::equal(crc.begin(), crc.end(), image.main.end() - 4));
}

TEST(StorageImage, RoundTripOfARichStateIsExact) {
  const PersistentState state = rich_state();
  ASSERT_NE(state, PersistentState{});
  const StorageImage image = encode_storage(state, kSeq);
  const LoadedStorage loaded = decode_storage(image.main, image.backup, image.mantissa);
  EXPECT_EQ(loaded.error_code, 0);
  EXPECT_EQ(loaded.sequence, kSeq);
  EXPECT_EQ(loaded.state, state);
  EXPECT_EQ(loaded.state.registers.at(61).remainder_mw_ms(),
            state.registers.at(61).remainder_mw_ms());
}

TEST(StorageImage, RoundTripOfTheFactoryStateIsExact) {
  const StorageImage image = encode_storage(PersistentState{}, 1);
  const LoadedStorage loaded = decode_storage(image.main, image.backup, image.mantissa);
  EXPECT_EQ(loaded.error_code, 0);
  EXPECT_EQ(loaded.state, PersistentState{});
}

TEST(StorageImage, AnyByteFlipInMainLoadsTheBackupWithBit6) {
  const PersistentState state = rich_state();
  const StorageImage image = encode_storage(state, kSeq);
  for (std::size_t i = 0; i < image.main.size(); ++i) {
    for (std::byte mask : {std::byte{0x01}, std::byte{0x80}, std::byte{0xFF}}) {
      auto main = image.main;
      main[i] ^= mask;
      const LoadedStorage loaded = decode_storage(main, image.backup, image.mantissa);
      ASSERT_EQ(loaded.error_code, error_bit::main_corrupt) << "byte " << i;
      ASSERT_EQ(loaded.state, state) << "byte " << i;
      ASSERT_EQ(loaded.sequence, kSeq);
    }
  }
}

TEST(StorageImage, AnyByteFlipInBackupSetsBit5AndKeepsMain) {
  const PersistentState state = rich_state();
  const StorageImage image = encode_storage(state, kSeq);
  for (std::size_t i = 0; i < image.backup.size(); ++i) {
    auto backup = image.backup;
    backup[i] ^= std::byte{0x10};
    const LoadedStorage loaded = decode_storage(image.main, backup, image.mantissa);
    ASSERT_EQ(loaded.error_code, error_bit::backup_corrupt) << "byte " << i;
    ASSERT_EQ(loaded.state, state) << "byte " << i;
  }
}

TEST(StorageImage, BothCopiesBadSetsBits0And5And6AndReturnsTheDefaultState) {
  const StorageImage image = encode_storage(rich_state(), kSeq);
  auto main = image.main;
  auto backup = image.backup;
  main[100] ^= std::byte{0x04};
  backup[7] ^= std::byte{0x40};
  const LoadedStorage loaded = decode_storage(main, backup, image.mantissa);
  EXPECT_EQ(loaded.error_code, 0x61);
  EXPECT_EQ(loaded.state, PersistentState{});
  EXPECT_EQ(loaded.sequence, 0U);
}

TEST(StorageImage, AnyByteFlipInMantissaSetsBit4AndZeroesOnlyTheRemainders) {
  const PersistentState state = rich_state();
  const StorageImage image = encode_storage(state, kSeq);
  for (std::size_t i = 0; i < image.mantissa.size(); ++i) {
    auto mantissa = image.mantissa;
    mantissa[i] ^= std::byte{0x02};
    const LoadedStorage loaded = decode_storage(image.main, image.backup, mantissa);
    ASSERT_EQ(loaded.error_code, error_bit::mantissa_corrupt) << "byte " << i;
    ASSERT_EQ(loaded.state, without_remainders(state)) << "byte " << i;
  }
  const LoadedStorage missing = decode_storage(image.main, image.backup, {});
  EXPECT_EQ(missing.error_code, error_bit::mantissa_corrupt);
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    EXPECT_EQ(missing.state.registers.mwh(i), state.registers.mwh(i));
    EXPECT_EQ(missing.state.registers.at(i).remainder_mw_ms(), 0);
  }
}

TEST(StorageImage, EveryTruncationOrExtensionOfAnAreaIsCorrupt) {
  const PersistentState state = rich_state();
  const StorageImage image = encode_storage(state, kSeq);
  for (std::size_t n = 0; n < image.main.size(); ++n) {
    const auto cut = std::span(image.main).first(n);
    ASSERT_EQ(decode_storage(cut, image.backup, image.mantissa).error_code, error_bit::main_corrupt)
        << n;
  }
  for (std::size_t n = 0; n < image.mantissa.size(); ++n) {
    const auto cut = std::span(image.mantissa).first(n);
    ASSERT_EQ(decode_storage(image.main, image.backup, cut).error_code, error_bit::mantissa_corrupt)
        << n;
  }
  auto longer = image.backup;
  longer.push_back(std::byte{0});
  EXPECT_EQ(decode_storage(image.main, longer, image.mantissa).error_code,
            error_bit::backup_corrupt);
}

TEST(StorageImage, AllAreasEmptyMeansBothCopiesAndMantissaBad) {
  const LoadedStorage loaded = decode_storage({}, {}, {});
  EXPECT_EQ(loaded.error_code, 0x71);
  EXPECT_EQ(loaded.state, PersistentState{});
}

TEST(StorageImage, AnAreaInTheWrongSlotIsCorrupt) {
  const PersistentState state = rich_state();
  const StorageImage image = encode_storage(state, kSeq);
  const LoadedStorage backup_as_main = decode_storage(image.backup, image.backup, image.mantissa);
  EXPECT_EQ(backup_as_main.error_code, error_bit::main_corrupt);
  EXPECT_EQ(backup_as_main.state, state);
  const LoadedStorage swapped = decode_storage(image.backup, image.main, image.mantissa);
  EXPECT_EQ(swapped.error_code, 0x61);
  const LoadedStorage mantissa_as_main = decode_storage(image.mantissa, image.backup, image.main);
  EXPECT_EQ(mantissa_as_main.error_code, error_bit::main_corrupt | error_bit::mantissa_corrupt);
  EXPECT_EQ(mantissa_as_main.state, without_remainders(state));
}

struct Patch {
  std::size_t offset;
  std::uint64_t value;
  std::size_t width;
};

// Each patch puts one field out of its range; the CRC is recomputed so it matches.
constexpr std::array<Patch, 30> kImpossibleFields{{
    {0, 0, 1},    {0, 248, 1},         {1, 0, 1},      {1, 11, 1},  {2, 0, 1},
    {2, 4, 1},    {3, 251, 1},         {4, 1234, 4},   {8, 5, 4},   {12, 3, 1},
    {13, 1, 1},   {13, 100, 1},        {14, 0, 1},     {14, 6, 1},  {15, 31, 1},
    {16, 3, 1},   {17, 2, 1},          {18, 2, 1},     {19, 0, 1},  {20, 'A', 1},
    {24, 0xA, 4}, {28, 0, 1},          {28, 5, 1},     {29, 2, 1},  {30, 4, 2},
    {32, 2, 1},   {33 + 19 * 6, 0, 2}, {36, ~0ULL, 8}, {166, 8, 1}, {173 + 8 * 61, ~0ULL, 8},
}};

TEST(StorageImage, AValidCrcOverAnImpossibleFieldIsCorrupt) {
  const PersistentState state = rich_state();
  const StorageImage image = encode_storage(state, kSeq);
  for (const Patch& p : kImpossibleFields) {
    const auto bad_main = patch_and_reseal(image.main, p.offset, le(p.value, p.width));
    const LoadedStorage loaded = decode_storage(bad_main, image.backup, image.mantissa);
    EXPECT_EQ(loaded.error_code, error_bit::main_corrupt) << "offset " << p.offset;
    EXPECT_EQ(loaded.state, state) << "offset " << p.offset;
    const auto bad_backup = patch_and_reseal(image.backup, p.offset, le(p.value, p.width));
    EXPECT_EQ(decode_storage(bad_main, bad_backup, image.mantissa).error_code, 0x61)
        << "offset " << p.offset;
  }
}

TEST(StorageImage, AResealedPatchWithinRangeStillLoads) {
  const StorageImage image = encode_storage(rich_state(), kSeq);
  const auto main = patch_and_reseal(image.main, 0, le(247, 1));
  const LoadedStorage loaded = decode_storage(main, image.backup, image.mantissa);
  EXPECT_EQ(loaded.error_code, 0);
  EXPECT_EQ(loaded.state.settings.modbus_id, 247);
}

TEST(StorageImage, AValidCrcOverABadHeaderOrRemainderIsCorrupt) {
  const StorageImage image = encode_storage(rich_state(), kSeq);
  auto version = image.main;
  version[5] = std::byte{2};
  version = patch_and_reseal(version, 0, le(17, 1));
  EXPECT_EQ(decode_storage(version, image.backup, image.mantissa).error_code,
            error_bit::main_corrupt);
  const auto remainder = patch_and_reseal(image.mantissa, 4, le(3'600'000, 4));
  EXPECT_EQ(decode_storage(image.main, image.backup, remainder).error_code,
            error_bit::mantissa_corrupt);
}

TEST(StorageImage, ABytePaddedBeforeAMatchingCrcIsCorrupt) {
  const StorageImage image = encode_storage(rich_state(), kSeq);
  // header | payload | 0x00 | crc(header | payload): the length field no longer fits.
  auto padded = std::vector<std::byte>(image.main.begin(), image.main.end() - 4);
  const auto crc = le(crc32(padded), 4);
  padded.push_back(std::byte{0});
  padded.insert(padded.end(), crc.begin(), crc.end());
  EXPECT_EQ(decode_storage(padded, image.backup, image.mantissa).error_code,
            error_bit::main_corrupt);
}

TEST(StorageImage, TheNewerOfTwoValidCopiesWins) {
  PersistentState older = rich_state();
  PersistentState newer = rich_state();
  newer.registers.at(0) = EnergyCounter::from_parts(older.registers.mwh(0) + 5, 0);
  newer.power_down_counter = 4322;
  const StorageImage old_image = encode_storage(older, 6);
  const StorageImage new_image = encode_storage(newer, 7);
  const LoadedStorage stale_main =
      decode_storage(old_image.main, new_image.backup, new_image.mantissa);
  EXPECT_EQ(stale_main.error_code, 0);
  EXPECT_EQ(stale_main.sequence, 7U);
  EXPECT_EQ(stale_main.state, newer);
  const LoadedStorage stale_backup =
      decode_storage(new_image.main, old_image.backup, new_image.mantissa);
  EXPECT_EQ(stale_backup.sequence, 7U);
  EXPECT_EQ(stale_backup.state, newer);
}

TEST(StorageImage, AMantissaFromAnotherSaveIsStillApplied) {
  const PersistentState state = rich_state();
  PersistentState later = state;
  later.registers.at(3) = EnergyCounter::from_parts(state.registers.mwh(3), 1'234'567);
  const StorageImage image = encode_storage(state, 9);
  const StorageImage next = encode_storage(later, 10);
  const LoadedStorage loaded = decode_storage(image.main, image.backup, next.mantissa);
  EXPECT_EQ(loaded.error_code, 0);
  EXPECT_EQ(loaded.sequence, 9U);
  EXPECT_EQ(loaded.state, later);
}

TEST(StorageImage, ARunningMetersStateRoundTripsExactly) {
  Meter meter;
  meter.power_on();
  ASSERT_TRUE(meter.apply(SetCtRatio{1500, 5}, Origin{}));
  ASSERT_TRUE(meter.apply(SetTariff{3}, Origin{}));
  LoadInput load;
  for (auto& phase : load.phases) phase = PhaseInput{231.7, 4.3, 37.0};
  load.phases[1].phi_deg = 200.0;
  ASSERT_TRUE(meter.set_load(load));
  meter.advance(3'600'000 * 5 + 1'234);
  const PersistentState state = meter.state();
  ASSERT_NE(state.registers, Registers{});
  const StorageImage image = encode_storage(state, 3);
  const LoadedStorage loaded = decode_storage(image.main, image.backup, image.mantissa);
  ASSERT_EQ(loaded.error_code, 0);
  EXPECT_EQ(loaded.state, state);
  const Meter restored(loaded.state, loaded.error_code);
  EXPECT_EQ(restored.state(), state);
  EXPECT_FALSE(restored.stopped());
}

TEST(StorageImage, BothCopiesBadStopsTheMeter) {
  const LoadedStorage loaded = decode_storage({}, {}, {});
  const Meter meter(loaded.state, loaded.error_code);
  EXPECT_TRUE(meter.stopped());
  EXPECT_EQ(meter.error_code() & 0x61, 0x61);
}

}  // namespace
}  // namespace ambi
