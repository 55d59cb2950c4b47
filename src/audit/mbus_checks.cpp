// The M-bus checks of the poll audit (docs/audit.md): the frame count bit of EN 13757-2 5.4
// and secondary addressing after a collision (EN 13757-3 11.4; manual A2.1, A2.2).
#include <fmt/format.h>

#include "audit/audit_note.hpp"

namespace ambi {
namespace {

constexpr std::uint8_t kSelectSlave = 0x52;

[[nodiscard]] std::uint8_t function_bits(std::uint8_t c) {
  return static_cast<std::uint8_t>(c & ~c_field::fcb);
}
[[nodiscard]] bool is_req_ud2(const MbusFrame& f) {
  return f.kind == MbusFrameKind::short_frame &&
         (function_bits(f.c) == c_field::req_ud2 ||
          function_bits(f.c) == (c_field::req_ud2 & ~c_field::fcv));
}
/// SND_UD with CI 52 to FD: a selection by secondary address.
[[nodiscard]] bool is_selection(const MbusFrame& f) {
  return f.kind == MbusFrameKind::long_frame && function_bits(f.c) == c_field::snd_ud &&
         f.a == mbus_address::selected && f.ci == kSelectSlave;
}

}  // namespace

void AuditClient::mbus(const MbusSeen& seen) {
  seen_at(seen.time);
  const MbusFrame& f = *seen.frame;
  if (f.kind == MbusFrameKind::short_frame && f.c == c_field::snd_nke) {
    if (f.a == mbus_address::broadcast) {
      last_fcb_.fill(-1);
    } else {
      last_fcb_.at(f.a) = -1;
    }
    return;
  }
  if (is_selection(f)) {
    collision_.reset();
    last_fcb_.at(mbus_address::selected) = -1;
    return;
  }
  if (!is_req_ud2(f)) return;
  check_fcb(seen);
  check_after_collision(seen);
}

void AuditClient::check_fcb(const MbusSeen& seen) {
  const MbusFrame& f = *seen.frame;
  if ((f.c & c_field::fcv) == 0) return;
  const auto fcb = static_cast<std::int8_t>((f.c & c_field::fcb) != 0 ? 1 : 0);
  std::int8_t& last = last_fcb_.at(f.a);
  if (last == fcb) {
    note(AuditCheck::fcb_not_toggled, seen.time, seen.bytes, [&] {
      return fmt::format(
          "REQ_UD2 to address {} with FCV set and FCB {}, as the REQ_UD2 before it: a meter "
          "that honours the FCB (EN 13757-2) answers it with its previous RSP_UD again (stale "
          "data; this twin only with --mbus-quirk fcb-repeat); toggle the FCB on every read, or "
          "send SND_NKE first",
          f.a, fcb);
    });
  }
  last = fcb;
}

void AuditClient::check_after_collision(const MbusSeen& seen) {
  const MbusFrame& f = *seen.frame;
  if (!collision_ || f.a > mbus_address::max_primary) return;
  note(AuditCheck::no_secondary_read, seen.time, seen.bytes, [&] {
    return fmt::format(
        "REQ_UD2 by primary address {} after the answers collided (at {} ms simulated): two "
        "meters share the address; select each by its secondary address (SND_UD CI 52 to FD) "
        "and read it at FD",
        f.a, collision_->sim_ms);
  });
}

}  // namespace ambi
