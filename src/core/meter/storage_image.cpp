#include "core/meter/storage_image.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>

#include "core/codec/byte_codec.hpp"
#include "core/meter/setting_table.hpp"

namespace ambi {
namespace {

// Area frame (all integers little-endian):
//   0  "AMB1"            4 bytes
//   4  area id           u8  (StorageArea)
//   5  format version    u8  (kFormatVersion)
//   6  sequence          u64
//  14  payload length    u32
//  18  payload           length bytes
//  ..  CRC-32            u32 over bytes 0 .. 18+length-1
constexpr std::array<std::byte, 4> kMagic{std::byte{'A'}, std::byte{'M'}, std::byte{'B'},
                                          std::byte{'1'}};
constexpr std::uint8_t kFormatVersion = 1;
constexpr std::size_t kHeaderSize = 18;
constexpr std::size_t kCrcSize = 4;
// Far beyond any reachable energy, far below overflow of the integrator's arithmetic.
constexpr std::int64_t kMaxStoredMwh = std::int64_t{1} << 60;

struct Frame {
  std::uint64_t sequence = 0;
  std::span<const std::byte> payload;
};

std::vector<std::byte> frame(StorageArea area, std::uint64_t sequence,
                             std::span<const std::byte> payload) {
  ByteWriter out;
  out.put_bytes(kMagic);
  out.put_u8(static_cast<std::uint8_t>(area));
  out.put_u8(kFormatVersion);
  out.put_u64(sequence);
  out.put_u32(static_cast<std::uint32_t>(payload.size()));
  out.put_bytes(payload);
  out.put_u32(crc32(out.bytes()));
  return out.take();
}

/// The frame of `area` when magic, id, version, length and CRC all hold.
std::optional<Frame> unframe(std::span<const std::byte> bytes, StorageArea area) {
  if (bytes.size() < kHeaderSize + kCrcSize) return std::nullopt;
  ByteReader in(bytes);
  for (std::byte m : kMagic) {
    if (in.get_u8() != static_cast<std::uint8_t>(m)) return std::nullopt;
  }
  if (in.get_u8() != static_cast<std::uint8_t>(area)) return std::nullopt;
  if (in.get_u8() != kFormatVersion) return std::nullopt;
  const std::uint64_t sequence = in.get_u64();
  const std::uint32_t length = in.get_u32();
  if (length != bytes.size() - kHeaderSize - kCrcSize) return std::nullopt;
  const auto covered = bytes.first(kHeaderSize + length);
  ByteReader crc_in(bytes.last(kCrcSize));
  if (crc_in.get_u32() != crc32(covered)) return std::nullopt;
  return Frame{sequence, bytes.subspan(kHeaderSize, length)};
}

bool in_range(int value, int lo, int hi) {
  return value >= lo && value <= hi;
}

void put_ct(ByteWriter& out, const CtRatio& ct) {
  out.put_u16(ct.primary);
  out.put_u8(ct.secondary);
}

CtRatio get_ct(ByteReader& in) {
  CtRatio ct;
  ct.primary = in.get_u16();
  ct.secondary = in.get_u8();
  return ct;
}

void put_settings(ByteWriter& out, const Settings& s) {
  out.put_u8(s.modbus_id);
  out.put_u8(s.modbus_baud_code);
  out.put_u8(static_cast<std::uint8_t>(s.parity));
  out.put_u8(s.mbus_id);
  out.put_u32(s.mbus_baud);
  out.put_u32(s.s0_rate_centi);
  out.put_u8(static_cast<std::uint8_t>(s.pulse_type));
  out.put_u8(s.pulse_width_ms);
  out.put_u8(static_cast<std::uint8_t>(s.combination));
  out.put_u8(s.lcd_cycle_s);
  out.put_u8(static_cast<std::uint8_t>(s.backlight));
  out.put_u8(s.screen_direction);
  out.put_u8(s.obis ? 1 : 0);
  out.put_u8(static_cast<std::uint8_t>(s.data_type));
  for (char c : s.password) out.put_u8(static_cast<std::uint8_t>(c));
  out.put_u32(s.mbus_secondary_id);
}

/// Reads settings; enum fields may hold any byte until `settings_valid` has checked them.
/// `obis` is returned separately so that a byte other than 0/1 is not lost in a bool.
Settings get_settings(ByteReader& in, std::uint8_t& obis) {
  Settings s;
  s.modbus_id = in.get_u8();
  s.modbus_baud_code = in.get_u8();
  s.parity = static_cast<Parity>(in.get_u8());
  s.mbus_id = in.get_u8();
  s.mbus_baud = in.get_u32();
  s.s0_rate_centi = in.get_u32();
  s.pulse_type = static_cast<PulseType>(in.get_u8());
  s.pulse_width_ms = in.get_u8();
  s.combination = static_cast<CombinationCode>(in.get_u8());
  s.lcd_cycle_s = in.get_u8();
  s.backlight = static_cast<Backlight>(in.get_u8());
  s.screen_direction = in.get_u8();
  obis = in.get_u8();
  s.obis = obis == 1;
  s.data_type = static_cast<DataType>(in.get_u8());
  for (char& c : s.password) c = static_cast<char>(in.get_u8());
  s.mbus_secondary_id = in.get_u32();
  return s;
}

/// Every setting of the table within its range or choices (the same rule every command
/// path checks), and the raw OBIS byte 0 or 1.
bool settings_valid(const PersistentState& state, std::uint8_t obis) {
  return in_range(obis, 0, 1) && std::ranges::all_of(setting_table(), [&](const SettingDef& def) {
           return check_setting(def, def.get(state)).has_value();
         });
}

bool is_bcd8(std::uint32_t value) {
  for (int shift = 0; shift < 32; shift += 4) {
    if (((value >> shift) & 0xFU) > 9) return false;
  }
  return true;
}

bool mwh_valid(std::int64_t mwh) {
  return mwh >= 0 && mwh < kMaxStoredMwh;
}

bool ct_valid(const CtRatio& ct) {
  return check_ct_ratio(ct.primary, ct.secondary).has_value();
}

bool history_valid(const std::array<CtHistoryEntry, kMaxCtChanges>& history) {
  for (const CtHistoryEntry& e : history) {
    if (!ct_valid(e.ratio) || !mwh_valid(e.forward_mwh) || !mwh_valid(e.reverse_mwh)) return false;
  }
  return true;
}

std::vector<std::byte> state_payload(const PersistentState& state) {
  ByteWriter out;
  put_settings(out, state.settings);
  out.put_u8(state.tariff);
  out.put_u8(state.t3_t4_activated ? 1 : 0);
  put_ct(out, state.ct);
  for (const CtHistoryEntry& e : state.ct_history) {
    put_ct(out, e.ratio);
    out.put_i64(e.forward_mwh);
    out.put_i64(e.reverse_mwh);
  }
  out.put_u8(state.ct_changes);
  out.put_u16(state.power_down_counter);
  out.put_u32(state.serial_bcd);
  for (const EnergyCounter& c : state.registers.counters) out.put_i64(c.mwh());
  return out.take();
}

/// The state of a main/backup payload with zero remainders, when every field is in range.
std::optional<PersistentState> parse_state(std::span<const std::byte> payload) {
  ByteReader in(payload);
  PersistentState state;
  std::uint8_t obis = 0;
  state.settings = get_settings(in, obis);
  state.tariff = in.get_u8();
  const std::uint8_t t3_t4 = in.get_u8();
  state.t3_t4_activated = t3_t4 == 1;
  state.ct = get_ct(in);
  for (CtHistoryEntry& e : state.ct_history) {
    e.ratio = get_ct(in);
    e.forward_mwh = in.get_i64();
    e.reverse_mwh = in.get_i64();
  }
  state.ct_changes = in.get_u8();
  state.power_down_counter = in.get_u16();
  state.serial_bcd = in.get_u32();
  bool counters_ok = true;
  for (EnergyCounter& c : state.registers.counters) {
    const std::int64_t mwh = in.get_i64();
    counters_ok = counters_ok && mwh_valid(mwh);
    c = EnergyCounter::from_parts(mwh, 0);
  }
  const bool valid = in.ok() && in.remaining() == 0 && counters_ok && settings_valid(state, obis) &&
                     in_range(t3_t4, 0, 1) && history_valid(state.ct_history) &&
                     in_range(state.ct_changes, 0, kMaxCtChanges) && is_bcd8(state.serial_bcd);
  if (!valid) return std::nullopt;
  return state;
}

std::vector<std::byte> mantissa_payload(const Registers& registers) {
  ByteWriter out;
  for (const EnergyCounter& c : registers.counters) {
    out.put_u32(static_cast<std::uint32_t>(c.remainder_mw_ms()));
  }
  return out.take();
}

using Remainders = std::array<std::int64_t, kCounterCount>;

std::optional<Remainders> parse_mantissa(std::span<const std::byte> payload) {
  ByteReader in(payload);
  Remainders remainders{};
  bool valid = true;
  for (std::int64_t& r : remainders) {
    r = in.get_u32();
    valid = valid && r < kMwMsPerMwh;
  }
  if (!valid || !in.ok() || in.remaining() != 0) return std::nullopt;
  return remainders;
}

struct Copy {
  PersistentState state;
  std::uint64_t sequence = 0;
};

std::optional<Copy> decode_copy(std::span<const std::byte> bytes, StorageArea area) {
  const auto f = unframe(bytes, area);
  if (!f) return std::nullopt;
  auto state = parse_state(f->payload);
  if (!state) return std::nullopt;
  return Copy{*state, f->sequence};
}

std::optional<Remainders> decode_mantissa(std::span<const std::byte> bytes) {
  const auto f = unframe(bytes, StorageArea::mantissa);
  if (!f) return std::nullopt;
  return parse_mantissa(f->payload);
}

/// Puts the stored remainders back under the chosen copy's whole mWh.
void restore_remainders(Registers& registers, const Remainders& remainders) {
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    registers.counters[i] = EnergyCounter::from_parts(registers.counters[i].mwh(), remainders[i]);
  }
}

}  // namespace

std::uint32_t crc32(std::span<const std::byte> bytes) {
  // zlib's (a save of a fleet pass computes it over every meter's three areas; zlib's is
  // several times faster than a byte-wise table). Areas are far below 4 GiB.
  return static_cast<std::uint32_t>(::crc32_z(
      ::crc32_z(0L, nullptr, 0), reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

StorageImage encode_storage(const PersistentState& state, std::uint64_t sequence) {
  const auto payload = state_payload(state);
  return StorageImage{frame(StorageArea::main, sequence, payload),
                      frame(StorageArea::backup, sequence, payload),
                      frame(StorageArea::mantissa, sequence, mantissa_payload(state.registers))};
}

LoadedStorage decode_storage(std::span<const std::byte> main, std::span<const std::byte> backup,
                             std::span<const std::byte> mantissa) {
  const auto main_copy = decode_copy(main, StorageArea::main);
  const auto backup_copy = decode_copy(backup, StorageArea::backup);
  LoadedStorage out;
  if (!main_copy) out.error_code |= error_bit::main_corrupt;
  if (!backup_copy) out.error_code |= error_bit::backup_corrupt;
  const auto remainders = decode_mantissa(mantissa);
  if (!remainders) out.error_code |= error_bit::mantissa_corrupt;
  if (!main_copy && !backup_copy) {
    out.error_code |= error_bit::both_copies_bad;
    return out;
  }
  // Both valid: the newer save wins (the backup is newer only when main could not be
  // written); equal sequences are the normal case and take main.
  const bool use_backup =
      !main_copy || (backup_copy && backup_copy->sequence > main_copy->sequence);
  const Copy& chosen = use_backup ? *backup_copy : *main_copy;
  out.state = chosen.state;
  out.sequence = chosen.sequence;
  // A mantissa from another save (a crash between its write and main's) is still used:
  // it moves each counter by less than 1 mWh.
  if (remainders) restore_remainders(out.state.registers, *remainders);
  return out;
}

}  // namespace ambi
