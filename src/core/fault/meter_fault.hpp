#pragma once
// What the meter and storage faults active at a moment make of a meter (docs/faults.md
// "Meter faults", "Storage faults"): its wiring, whether its supply is cut, which storage
// areas cannot be written, and when that changes next. The twin applies them at exactly
// those simulated instants, so a fault's effect on the registers does not depend on how
// often anybody looks. Pure.

#include <cstdint>
#include <optional>
#include <vector>

#include "core/fault/fault.hpp"
#include "core/meter/wiring.hpp"

namespace ambi {

/// The wiring the active meter faults give (several combine: two phases lost, a swap and a
/// reversed CT...); normal when none is active.
[[nodiscard]] Wiring wiring_at(const std::vector<Fault>& faults, std::int64_t now_ms);

/// Whether an active `supply-lost` fault holds the supply off.
[[nodiscard]] bool supply_cut_at(const std::vector<Fault>& faults, std::int64_t now_ms);

/// The 8.1 bits (`error_bit::*_unwritable`) of the areas active `unwritable` faults hold.
[[nodiscard]] std::uint8_t unwritable_at(const std::vector<Fault>& faults, std::int64_t now_ms);

/// The first instant in (after_ms, until_ms] at which a meter or storage fault starts or
/// ends; none when nothing changes in that span.
[[nodiscard]] std::optional<std::int64_t> next_fault_change(const std::vector<Fault>& faults,
                                                            std::int64_t after_ms,
                                                            std::int64_t until_ms);

}  // namespace ambi
