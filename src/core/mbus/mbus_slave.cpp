// The M-bus slave: routing by address, one handler per function (C-field) and per CI of
// SND_UD, secondary-address selection with wildcards, FCB repeats.
#include "core/mbus/mbus_slave.hpp"

#include <algorithm>
#include <array>

#include "core/mbus/mbus_records.hpp"
#include "core/meter/meter.hpp"

namespace ambi {
namespace {

enum class Route : std::uint8_t { ignore, execute_silently, execute_and_reply };

constexpr std::size_t kSelectionSize = 8;  // ID (4 BCD) MAN (2) VER (1) MED (1)

MbusExchange ack() {
  return {{kMbusAck}, std::nullopt};
}

bool is_snd_ud(const MbusFrame& frame) {
  return (frame.c & ~c_field::fcb) == c_field::snd_ud;
}

/// The 8 bytes this meter answers a selection with: its secondary address as in the header.
std::array<std::uint8_t, kSelectionSize> own_selection(const Meter& meter) {
  const MbusDataHeader h = meter_data_header(meter, 0);
  return {static_cast<std::uint8_t>(h.id_bcd),
          static_cast<std::uint8_t>(h.id_bcd >> 8),
          static_cast<std::uint8_t>(h.id_bcd >> 16),
          static_cast<std::uint8_t>(h.id_bcd >> 24),
          static_cast<std::uint8_t>(h.manufacturer),
          static_cast<std::uint8_t>(h.manufacturer >> 8),
          h.version,
          h.medium};
}

/// EN 13757-3 11.4: an F nibble in the ID and an FF byte in manufacturer, version or medium
/// match anything.
bool selection_matches(std::span<const std::uint8_t> wanted,
                       const std::array<std::uint8_t, kSelectionSize>& own) {
  for (std::size_t i = 0; i < kSelectionSize; ++i) {
    if (i < 4) {
      for (const int shift : {0, 4}) {
        const int nibble = (wanted[i] >> shift) & 0xF;
        if (nibble != 0xF && nibble != ((own[i] >> shift) & 0xF)) return false;
      }
    } else if (wanted[i] != 0xFF && wanted[i] != own[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

/// The handlers, with access to the slave's state.
struct MbusSlave::Handlers {
  using Handler = MbusExchange (*)(MbusSlave&, Meter&, const MbusFrame&);

  /// One function of EN 13757-2 5.4: its C-field, whether it comes as a short frame
  /// (else a control or long frame), whether it is a request (not executed by broadcast).
  struct Function {
    std::uint8_t c;
    bool short_frame;
    bool request;
    Handler handler;
  };
  /// An SND_UD CI range and its handler.
  struct CiRule {
    std::uint8_t first;
    std::uint8_t last;
    Handler handler;
  };

  static MbusExchange snd_nke(MbusSlave& s, Meter&, const MbusFrame&) {
    s.selected_ = false;
    return ack();
  }

  static MbusExchange req_ud1(MbusSlave&, Meter&, const MbusFrame&) { return ack(); }

  static MbusExchange req_ud2(MbusSlave& s, Meter& meter, const MbusFrame& frame) {
    const bool repeat = (frame.c & c_field::fcv) != 0 && s.last_request_c_ == frame.c;
    if (repeat && s.quirks_.fcb_repeat) return {s.last_reply_, std::nullopt};
    ++s.access_number_;
    s.last_reply_ =
        encode_mbus(mbus_long(c_field::rsp_ud, meter.settings().mbus_id, ci_field::rsp_ud_variable,
                              encode_rsp_ud(meter, s.access_number_)));
    s.last_request_c_ = frame.c;
    return {s.last_reply_, std::nullopt};
  }

  static MbusExchange snd_ud(MbusSlave& s, Meter& meter, const MbusFrame& frame) {
    const auto rule = std::find_if(kCiRules.begin(), kCiRules.end(), [&](const CiRule& r) {
      return frame.ci >= r.first && frame.ci <= r.last;
    });
    return rule == kCiRules.end() ? MbusExchange{} : rule->handler(s, meter, frame);
  }

  static MbusExchange application_reset(MbusSlave&, Meter&, const MbusFrame& frame) {
    return frame.data.size() <= 1 ? ack() : MbusExchange{};
  }

  static MbusExchange data_send(MbusSlave&, Meter& meter, const MbusFrame& frame) {
    const auto commands = plan_mbus_write(frame.data);
    if (!commands || !meter.apply_all(*commands, Origin{Source::mbus, {}})) return {};
    return ack();
  }

  static MbusExchange select(MbusSlave& s, Meter& meter, const MbusFrame& frame) {
    if (frame.a != mbus_address::selected || frame.data.size() != kSelectionSize) return {};
    s.selected_ = selection_matches(frame.data, own_selection(meter));
    return s.selected_ ? ack() : MbusExchange{};
  }

  static MbusExchange set_baud(MbusSlave&, Meter& meter, const MbusFrame& frame) {
    if (frame.kind != MbusFrameKind::control) return {};
    const std::uint32_t old_baud = meter.settings().mbus_baud;
    const std::uint32_t baud = kMbusBauds[static_cast<std::size_t>(frame.ci - ci_field::baud_300)];
    if (!meter.apply(SetMbusBaud{static_cast<long>(baud)}, Origin{Source::mbus, {}})) return {};
    MbusExchange out = ack();
    if (baud != old_baud) out.baud = baud;
    return out;
  }

  static constexpr std::array<Function, 7> kFunctions{{
      {c_field::snd_nke, true, false, snd_nke},
      {c_field::req_ud1, true, true, req_ud1},
      {c_field::req_ud1 | c_field::fcb, true, true, req_ud1},
      {c_field::req_ud2, true, true, req_ud2},
      {c_field::req_ud2 | c_field::fcb, true, true, req_ud2},
      {c_field::snd_ud, false, false, snd_ud},
      {c_field::snd_ud | c_field::fcb, false, false, snd_ud},
  }};
  static constexpr std::array<CiRule, 4> kCiRules{{
      {ci_field::application_reset, ci_field::application_reset, application_reset},
      {ci_field::data_send, ci_field::data_send, data_send},
      {ci_field::select_slave, ci_field::select_slave, select},
      {ci_field::baud_300, ci_field::baud_9600, set_baud},
  }};

  static Route route(const MbusSlave& s, const Meter& meter, const MbusFrame& frame) {
    const std::uint8_t a = frame.a;
    if (a == meter.settings().mbus_id || a == mbus_address::test) return Route::execute_and_reply;
    if (a == mbus_address::broadcast) return Route::execute_silently;
    if (a != mbus_address::selected) return Route::ignore;
    const bool selection = is_snd_ud(frame) && frame.ci == ci_field::select_slave;
    return s.selected_ || selection ? Route::execute_and_reply : Route::ignore;
  }

  static const Function* function(const MbusFrame& frame) {
    if (frame.kind == MbusFrameKind::single) return nullptr;
    const bool is_short = frame.kind == MbusFrameKind::short_frame;
    const auto it = std::find_if(kFunctions.begin(), kFunctions.end(), [&](const Function& f) {
      return f.c == frame.c && f.short_frame == is_short;
    });
    return it == kFunctions.end() ? nullptr : &*it;
  }
};

void MbusSlave::follow_power(const Meter& meter) {
  if (meter.power_ups() == power_ups_) return;
  const MbusQuirks quirks = quirks_;
  *this = MbusSlave(quirks);
  power_ups_ = meter.power_ups();
}

MbusExchange MbusSlave::serve(Meter& meter, const MbusFrame& frame) {
  if (!meter.powered()) return {};  // no supply: the meter draws no current (manual 5.8)
  follow_power(meter);
  const Handlers::Function* function = Handlers::function(frame);
  if (function == nullptr) return {};
  const Route route = Handlers::route(*this, meter, frame);
  if (route == Route::ignore) return {};
  if (route == Route::execute_silently && function->request) return {};
  if (function->handler != &Handlers::req_ud2) last_request_c_.reset();
  MbusExchange out = function->handler(*this, meter, frame);
  if (route == Route::execute_silently) out.reply.clear();
  return out;
}

}  // namespace ambi
