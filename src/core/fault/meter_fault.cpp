#include "core/fault/meter_fault.hpp"

#include <algorithm>

#include "core/meter/meter.hpp"

namespace ambi {
namespace {

std::uint8_t unwritable_bits(StorageTarget area) {
  switch (area) {
    case StorageTarget::main:
      return error_bit::main_unwritable;
    case StorageTarget::backup:
      return error_bit::backup_unwritable;
    case StorageTarget::mantissa:
      return error_bit::mantissa_unwritable;
    case StorageTarget::both:
      return error_bit::main_unwritable | error_bit::backup_unwritable;
  }
  return 0;
}

void add_to(Wiring& w, const Fault& f) {
  const std::size_t a = f.phase % std::size_t{kPhases};
  switch (f.kind) {
    case FaultKind::phase_lost:
      w.voltage_lost.at(a) = true;
      break;
    case FaultKind::phases_swapped:
      std::swap(w.voltage_from.at(a), w.voltage_from.at(f.other_phase % std::size_t{kPhases}));
      break;
    case FaultKind::ct_reversed:
      w.ct_reversed.at(a) = true;
      break;
    case FaultKind::wrong_ct_ratio:
      w.installed_ct_primary = f.installed_ct;
      break;
    default:
      break;
  }
}

}  // namespace

Wiring wiring_at(const std::vector<Fault>& faults, std::int64_t now_ms) {
  Wiring w;
  for (const Fault& f : faults) {
    if (fault_class(f.kind) == FaultClass::meter && f.active_at(now_ms)) add_to(w, f);
  }
  return w;
}

bool supply_cut_at(const std::vector<Fault>& faults, std::int64_t now_ms) {
  return std::any_of(faults.begin(), faults.end(), [&](const Fault& f) {
    return f.kind == FaultKind::supply_lost && f.active_at(now_ms);
  });
}

std::uint8_t unwritable_at(const std::vector<Fault>& faults, std::int64_t now_ms) {
  std::uint8_t bits = 0;
  for (const Fault& f : faults) {
    if (f.kind == FaultKind::unwritable && f.active_at(now_ms)) bits |= unwritable_bits(f.area);
  }
  return bits;
}

std::optional<std::int64_t> next_fault_change(const std::vector<Fault>& faults,
                                              std::int64_t after_ms, std::int64_t until_ms) {
  std::optional<std::int64_t> next;
  const auto consider = [&](std::int64_t t) {
    if (t > after_ms && t <= until_ms && (!next || t < *next)) next = t;
  };
  for (const Fault& f : faults) {
    if (f.ended || fault_class(f.kind) == FaultClass::link) continue;
    consider(f.start_ms);
    if (f.end_ms) consider(*f.end_ms);
  }
  return next;
}

}  // namespace ambi
