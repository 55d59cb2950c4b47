#pragma once
// AuditClient::note, for the audit's own sources (poll_audit.cpp, modbus_checks.cpp,
// mbus_checks.cpp): the detail text is made only for the first occurrence of a check.

#include "audit/poll_audit.hpp"
#include "core/codec/hex.hpp"

namespace ambi {

/// Evidence is at most this many bytes of the first offending frame.
inline constexpr std::size_t kAuditExampleBytes = 64;

template <class Detail>
void AuditClient::note(AuditCheck check, const AuditTime& time, std::span<const std::uint8_t> frame,
                       Detail detail) {
  auto& slot = findings_.at(static_cast<std::size_t>(check));
  if (!slot) {
    slot = AuditFinding{check, 0, time, time, hex_bytes(frame, kAuditExampleBytes), detail()};
  }
  ++slot->count;
  slot->last = time;
}

}  // namespace ambi
