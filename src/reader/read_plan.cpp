// Register groups, FC 03 block planning, and decoding and formatting of what a read returns.
#include "reader/read_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdlib>
#include <utility>

namespace ambi {
namespace {

// ---- groups -------------------------------------------------------------------------------

constexpr std::array kGroups{RegisterGroup::identity, RegisterGroup::settings,
                             RegisterGroup::status, RegisterGroup::instant, RegisterGroup::energy};

// ---- block planning -----------------------------------------------------------------------

/// The index of the contiguous run of mapped addresses each register of the map lies in.
const std::vector<std::size_t>& run_ids() {
  static const std::vector<std::size_t> kRuns = [] {
    const auto map = register_map();
    std::vector<std::size_t> runs(map.size(), 0);
    for (std::size_t i = 1; i < map.size(); ++i) {
      runs[i] = runs[i - 1] + (map[i].address == map[i - 1].end() ? 0 : 1);
    }
    return runs;
  }();
  return kRuns;
}

/// The run of the mapped register at `def`'s address; nullopt for an unmapped one.
std::optional<std::size_t> run_of(const RegisterDef& def) {
  const RegisterDef* mapped = find_register(def.address);
  if (mapped == nullptr || mapped->address != def.address) return std::nullopt;
  return run_ids()[static_cast<std::size_t>(mapped - register_map().data())];
}

/// The wanted registers that are mapped, sorted by address, without duplicates.
std::vector<const RegisterDef*> sorted_unique(std::span<const RegisterDef* const> wanted) {
  std::vector<const RegisterDef*> out;
  for (const RegisterDef* def : wanted) {
    if (def != nullptr && run_of(*def)) out.push_back(find_register(def->address));
  }
  std::ranges::sort(out, {}, &RegisterDef::address);
  const auto dup = std::ranges::unique(out, {}, &RegisterDef::address);
  out.erase(dup.begin(), dup.end());
  return out;
}

// ---- formatting ---------------------------------------------------------------------------

constexpr std::int64_t pow10(int n) {
  std::int64_t v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

/// Billionths written with `decimals` decimals, rounded half away from zero.
std::string fixed_from_nano(RegisterValue nano, int decimals, bool trim) {
  const std::int64_t scale = pow10(9 - decimals);
  std::int64_t q = nano / scale;
  if (std::abs(nano % scale) * 2 >= scale) q += nano < 0 ? -1 : 1;
  const auto magnitude = static_cast<std::uint64_t>(q < 0 ? -q : q);
  const auto unit = static_cast<std::uint64_t>(pow10(decimals));
  std::string out = fmt::format("{}{}", q < 0 ? "-" : "", magnitude / unit);
  if (decimals == 0) return out;
  std::string frac = fmt::format("{:0{}}", magnitude % unit, decimals);
  if (trim) frac.erase(frac.find_last_not_of('0') + 1);
  if (!frac.empty()) out += "." + frac;
  return out;
}

/// The float a value travelled as, written the shortest way that reads back the same.
std::string shortest_float(RegisterValue nano) {
  const auto f = static_cast<float>(static_cast<double>(nano) / static_cast<double>(kNanoPerUnit));
  std::string out = fmt::format("{}", f);
  if (out.find_first_of(".en") == std::string::npos) out += ".0";
  return out;
}

/// The name of a coded setting's value, as the settings table spells it ("even", "9600",
/// "on"); nullopt for a register that carries no coded setting.
std::optional<std::string> code_name(const RegisterDef& def, RegisterValue value) {
  if (!def.setting) return std::nullopt;
  const SettingDef& setting_def = setting(*def.setting);
  if (setting_def.kind != SettingKind::choice || setting_def.by_value) return std::nullopt;
  const SettingChoice* choice = choice_of_code(setting_def, value);
  if (choice == nullptr) return fmt::format("code {}", value);
  return std::string(choice->text);
}

std::string ascii_text(RegisterValue value) {
  if (value >= 0x20 && value <= 0x7E) return std::string(1, static_cast<char>(value));
  return fmt::format("0x{:02X}", value);
}

}  // namespace

std::optional<RegisterGroup> register_group(const RegisterDef& def) {
  if (def.group == RegisterGroup::none) return std::nullopt;
  return def.group;
}

std::optional<RegisterGroup> parse_register_group(std::string_view name) {
  const auto it = std::ranges::find(kGroups, name, [](RegisterGroup g) { return to_string(g); });
  if (it == kGroups.end()) return std::nullopt;
  return *it;
}

std::vector<const RegisterDef*> registers_in(RegisterGroup group) {
  std::vector<const RegisterDef*> out;
  for (const RegisterDef& def : register_map()) {
    if (register_group(def) == group) out.push_back(&def);
  }
  return out;
}

std::vector<const RegisterDef*> all_registers() {
  std::vector<const RegisterDef*> out;
  for (const RegisterDef& def : register_map()) {
    if (def.encoding != Encoding::reserved_zero) out.push_back(&def);
  }
  return out;
}

std::vector<BlockRead> plan_block_reads(std::span<const RegisterDef* const> wanted,
                                        std::uint16_t max_words) {
  std::vector<BlockRead> blocks;
  std::optional<std::size_t> open_run;
  for (const RegisterDef* def : sorted_unique(wanted)) {
    const std::optional<std::size_t> found = run_of(*def);
    if (!found) continue;  // not a register of the map: nothing to read
    const std::size_t run = *found;
    if (!blocks.empty() && open_run == run) {
      BlockRead& last = blocks.back();
      const std::uint32_t count = def->end() - last.start;
      if (count <= max_words) {
        last.count = static_cast<std::uint16_t>(count);
        continue;
      }
    }
    blocks.push_back({def->address, def->words});
    open_run = run;
  }
  return blocks;
}

std::vector<RegisterReading> decode_block_reads(std::span<const RegisterDef* const> wanted,
                                                std::span<const BlockRead> plan,
                                                std::span<const std::vector<std::uint16_t>> replies,
                                                DataType type) {
  std::vector<RegisterReading> out;
  out.reserve(wanted.size());
  for (const RegisterDef* def : wanted) {
    RegisterReading reading{def, {}, std::nullopt};
    for (std::size_t i = 0; def != nullptr && i < plan.size() && i < replies.size(); ++i) {
      const BlockRead& block = plan[i];
      const std::uint32_t offset = def->address - std::uint32_t{block.start};
      if (def->address < block.start || def->end() > block.start + std::uint32_t{block.count} ||
          offset + def->words > replies[i].size()) {
        continue;
      }
      const auto words = std::span(replies[i]).subspan(offset, def->words);
      reading.words.assign(words.begin(), words.end());
      reading.value = decode_register(*def, words, type);
      break;
    }
    out.push_back(std::move(reading));
  }
  return out;
}

std::string format_register(const RegisterDef& def, RegisterValue value) {
  if (auto name = code_name(def, value)) return *std::move(name);
  switch (def.encoding) {
    case Encoding::float_abcd: {
      const UnitFormat f = unit_format(def.unit);
      return f.shortest ? shortest_float(value) : fixed_from_nano(value, f.decimals, f.trim);
    }
    case Encoding::bcd:  // an identifier (meter code) keeps its 4 digits; a quantity does not
      return def.unit == Unit::none ? fmt::format("{:04}", value) : fmt::format("{}", value);
    case Encoding::bcd32:
      return fmt::format("{:08}", value);
    case Encoding::binary_u32:
      return fmt::format("0x{:08X}", value);
    case Encoding::ascii:
      return ascii_text(value);
    case Encoding::ct_ratio_bcd:
      return fmt::format("{}/{}", value / 10'000, value % 10'000);
    default:
      return fmt::format("{}", value);
  }
}

double register_number(const RegisterDef& def, RegisterValue value) {
  return in_unit(def, value);
}

}  // namespace ambi
