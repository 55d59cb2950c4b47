// The M-bus slave: routing by address, one handler per function (C-field) and per CI of
// SND_UD, secondary-address selection with wildcards, FCB repeats.
#include "core/mbus/mbus_slave.hpp"

#include <algorithm>
#include <array>

#include "core/mbus/mbus_records.hpp"
#include "core/mbus/mbus_selection.hpp"
#include "core/meter/meter.hpp"

namespace ambi {
namespace {

MbusExchange ack() {
  return {MbusRoute::ignored, {kMbusAck}, MbusAck{}, std::nullopt};
}

bool is_snd_ud(const MbusFrame& frame) {
  return (frame.c & ~c_field::fcb) == c_field::snd_ud;
}

bool is_selection(const MbusFrame& frame) {
  return frame.kind != MbusFrameKind::short_frame && is_snd_ud(frame) &&
         frame.ci == ci_field::select_slave;
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
    if (!repeat || !s.quirks_.fcb_repeat) {
      ++s.access_number_;
      s.last_rsp_ud_ = build_rsp_ud(meter, s.access_number_);
      s.last_reply_ = encode_rsp_ud_frame(s.last_rsp_ud_);
      s.last_request_c_ = frame.c;
    }
    return {MbusRoute::ignored, s.last_reply_, s.last_rsp_ud_, std::nullopt};
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
    if (frame.a != mbus_address::selected) return {};
    const auto wanted = MbusSelection::parse(frame.data);
    if (!wanted) return {};
    s.selected_ = wanted->matches(secondary_address(meter_data_header(meter, 0)));
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

  /// The route by address alone. A selection to 0xFD is taken as `selected` here; `serve`
  /// turns it into `ignored` when it did not select this meter (and it was not selected).
  static MbusRoute route(const MbusSlave& s, const Meter& meter, const MbusFrame& frame) {
    if (frame.kind == MbusFrameKind::single) return MbusRoute::ignored;
    const std::uint8_t a = frame.a;
    if (a == meter.settings().mbus_id) return MbusRoute::primary;
    if (a == mbus_address::test) return MbusRoute::test;
    if (a == mbus_address::broadcast) return MbusRoute::broadcast;
    if (a != mbus_address::selected) return MbusRoute::ignored;
    return s.selected_ || is_selection(frame) ? MbusRoute::selected : MbusRoute::ignored;
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
  const MbusRoute route = Handlers::route(*this, meter, frame);
  if (!addressed(route)) return {};
  const bool was_selected = selected_;
  MbusExchange out = execute(meter, frame, route == MbusRoute::broadcast);
  out.route = route;
  // A selection that neither selected this meter nor found it selected was for another one.
  if (route == MbusRoute::selected && !was_selected && !selected_) out.route = MbusRoute::ignored;
  return out;
}

MbusExchange MbusSlave::execute(Meter& meter, const MbusFrame& frame, bool broadcast) {
  const Handlers::Function* function = Handlers::function(frame);
  if (function == nullptr) return {};
  if (broadcast && function->request) return {};
  if (function->handler != &Handlers::req_ud2) last_request_c_.reset();
  MbusExchange out = function->handler(*this, meter, frame);
  if (broadcast) {
    out.reply.clear();
    out.answer = std::monostate{};
  }
  return out;
}

}  // namespace ambi
