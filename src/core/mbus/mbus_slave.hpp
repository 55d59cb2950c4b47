#pragma once
// The meter's M-bus slave (EN 13757-2/-3, manual A2): a pure state machine. Feed it each
// telegram the framer finds; it answers with the bytes to send (or silence) and the baud
// rate to switch to once they are sent. No sockets, no timers.
//
// Addressing (EN 13757-2 5.5): the meter's primary address (0-250) and the test address
// 0xFE are executed and answered; the broadcast address 0xFF is executed without an answer
// (requests to it are ignored); 0xFD reaches the meter while it is selected by secondary
// address (SND_UD with CI 52 to 0xFD, EN 13757-3 11.4). Any other address is ignored.
//
// Functions: SND_NKE → E5 (clears the FCB state and the selection); REQ_UD2 → a fresh
// RSP_UD with the next access number (the previous one again on an untoggled FCB only
// with the `fcb_repeat` quirk); REQ_UD1 → E5 (no alarm data);
// SND_UD with CI 50 (application reset) → E5, CI 51 (the manual's Write table) → E5 when
// every record is valid and accepted, else silence; CI B8-BD in a control frame → E5, then
// the baud rate changes.
//
// The slave decides once who a telegram is for (`MbusRoute`) and returns it with its answer,
// both as bytes and typed (the RSP_UD's values as it built them), so that a transport's
// trace and the twin's communication flag read what the slave decided instead of working
// it out again.

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "core/mbus/mbus_frame.hpp"
#include "core/mbus/mbus_rsp_ud.hpp"

namespace ambi {

class Meter;

/// Field behaviours the manual does not describe; off by default.
struct MbusQuirks {
  /// Answer a REQ_UD2 whose FCB did not toggle (FCV set, same C field as the REQ_UD2
  /// answered just before) with the previous RSP_UD again, as EN 13757-2 allows and some
  /// meters do. Off: every REQ_UD2 gets a fresh telegram (A2.2, PRODUCT.md).
  bool fcb_repeat = false;
  friend bool operator==(const MbusQuirks&, const MbusQuirks&) = default;
};

/// Who a telegram is for, from its A-field (EN 13757-2 5.5), as the slave decided it.
enum class MbusRoute : std::uint8_t {
  ignored,    ///< not this meter: another address, 0xFD while not selected (and not selected
              ///< by it), a single character; or a meter without supply, which hears nothing
  broadcast,  ///< 0xFF: executed without an answer; a request (REQ_UD1/2) is not executed
  primary,    ///< the meter's primary address: executed and answered
  test,       ///< 0xFE: executed and answered
  selected,   ///< 0xFD while selected by secondary address, or the selection that selects
              ///< it (or, while selected, deselects it): executed and answered
};
/// True when the telegram was for this meter (it marks communication active), whether or
/// not its function was known and answered.
[[nodiscard]] constexpr bool addressed(MbusRoute route) {
  return route != MbusRoute::ignored;
}

/// The single character E5.
struct MbusAck {
  friend bool operator==(const MbusAck&, const MbusAck&) = default;
};
/// What the slave answered, typed: nothing (`std::monostate`), E5, or an RSP_UD.
using MbusAnswer = std::variant<std::monostate, MbusAck, MbusRspUd>;

/// The result of serving one telegram.
struct MbusExchange {
  MbusRoute route = MbusRoute::ignored;
  std::vector<std::uint8_t> reply;    ///< bytes to send; empty: stay silent
  MbusAnswer answer;                  ///< `reply` as the slave built it
  std::optional<std::uint32_t> baud;  ///< switch to this rate once `reply` is sent
  friend bool operator==(const MbusExchange&, const MbusExchange&) = default;
};

/// One meter's link and network layer state: the selection, the frame count bit and the
/// access number. Settings (primary address, secondary address, baud rate) live in the meter.
/// This state is the meter's RAM: it starts afresh whenever the meter powers up
/// (`Meter::power_ups`), and a meter without supply is silent.
class MbusSlave {
 public:
  explicit MbusSlave(MbusQuirks quirks = {}) : quirks_(quirks) {}

  /// Serves one telegram received from the master; changes the meter through
  /// `Meter::apply` with `Origin{Source::mbus}`.
  [[nodiscard]] MbusExchange serve(Meter& meter, const MbusFrame& frame);

  /// True while selected by secondary address (reachable at 0xFD).
  [[nodiscard]] bool selected() const { return selected_; }
  /// The access number of the last fresh RSP_UD (0 before the first; 1, 2 ... 255, 0 ...).
  [[nodiscard]] std::uint8_t access_number() const { return access_number_; }
  [[nodiscard]] const MbusQuirks& quirks() const { return quirks_; }

 private:
  struct Handlers;
  /// Forgets the link state when the meter powered up since the last telegram.
  void follow_power(const Meter& meter);
  /// Runs the telegram's function (an addressed one); a broadcast gets no answer.
  MbusExchange execute(Meter& meter, const MbusFrame& frame, bool broadcast);
  MbusQuirks quirks_;
  std::uint64_t power_ups_ = 0;  ///< the meter's power-ups when last served
  bool selected_ = false;
  std::optional<std::uint8_t> last_request_c_;  ///< C-field of the REQ_UD2 last answered
  std::vector<std::uint8_t> last_reply_;        ///< the RSP_UD sent for it
  MbusRspUd last_rsp_ud_;                       ///< the same, typed
  std::uint8_t access_number_ = 0;
};

}  // namespace ambi
