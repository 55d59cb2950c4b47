#include "twin/transport/modbus_link.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "twin/transport/audit_feed.hpp"
#include "twin/transport/rtu_bus.hpp"

namespace ambi {

RtuCore::RtuCore(ModbusContext& context, TraceSource source)
    : context_(context), source_(std::move(source)) {
  // On a bus this line's client is in the bus's audit; each meter's audit gets the frames
  // it took (audit_bus).
  const auto transport = audit_transport(source_.transport);
  if (!transport) return;
  if (context_.bus == nullptr) {
    audit_ = audit_client(context_.twin, *transport, source_.peer);
  } else if (context_.endpoint_audit != nullptr) {
    audit_ = &context_.endpoint_audit->client(*transport, source_.peer);
  }
}

std::int64_t RtuCore::sim_ms() const {
  return context_.twin.meter().now_ms();
}

std::uint32_t RtuCore::baud() const {
  if (context_.bus != nullptr) return context_.bus->line().baud;
  return modbus_baud_rate(context_.twin.meter().settings().modbus_baud_code);
}

void RtuCore::received(std::span<const std::uint8_t> bytes, std::deque<RtuFrame>& frames) {
  if (audit_ != nullptr) arrived_ = std::chrono::system_clock::now();
  if (skipping_) {
    if (context_.trace != nullptr) {
      context_.trace->error(source_, sim_ms(), TraceDirection::in, bytes,
                            "lost: the rest of a frame sent while a meter answered");
    }
    return;
  }
  if (context_.trace != nullptr || audit_ != nullptr)
    raw_.insert(raw_.end(), bytes.begin(), bytes.end());
  framer_.push(bytes);
  for (RtuEvent event = framer_.poll(); !std::holds_alternative<RtuNeedMore>(event);
       event = framer_.poll()) {
    handle(std::move(event), frames);
  }
}

void RtuCore::silence(std::deque<RtuFrame>& frames) {
  skipping_ = false;
  RtuEvent event = framer_.on_silence();
  if (std::holds_alternative<RtuNeedMore>(event)) {
    if (context_.trace != nullptr && !raw_.empty()) {
      context_.trace->error(source_, sim_ms(), TraceDirection::in, raw_, "skipped until silence");
    }
    raw_.clear();
    return;
  }
  handle(std::move(event), frames);
  raw_.clear();
}

void RtuCore::gap(std::deque<RtuFrame>& frames) {
  RtuEvent event = framer_.on_gap();
  if (!std::holds_alternative<RtuNeedMore>(event)) handle(std::move(event), frames);
}

void RtuCore::handle(RtuEvent event, std::deque<RtuFrame>& frames) {
  if (auto* frame = std::get_if<RtuFrame>(&event)) {
    const std::size_t length = std::min(raw_.size(), frame->adu.size());
    raw_.erase(raw_.begin(), raw_.begin() + static_cast<std::ptrdiff_t>(length));
    frames.push_back(std::move(*frame));
    return;
  }
  if (const auto* discard = std::get_if<RtuDiscard>(&event);
      discard != nullptr && (context_.trace != nullptr || audit_ != nullptr)) {
    const std::string reason =
        fmt::format("{}: {} bytes dropped", to_string(discard->reason), discard->bytes);
    if (context_.trace != nullptr) {
      context_.trace->error(source_, sim_ms(), TraceDirection::in, raw_, reason);
    }
    if (audit_ != nullptr) audit_->link_error({audit_time(context_.twin, arrived_), raw_, reason});
  }
  raw_.clear();
}

RtuExchange RtuCore::serve(const RtuFrame& frame) {
  if (context_.bus != nullptr) {
    const AuditTime at = audit_ != nullptr ? audit_time(context_.twin, arrived_) : AuditTime{};
    RtuExchange exchange = context_.bus->serve(frame, context_.quirks);
    if (audit_ != nullptr) audit_bus(frame, exchange, at);
    if (context_.trace != nullptr) {
      for (const std::string& cause : context_.bus->fault_causes()) {
        context_.trace->error(source_, sim_ms(), TraceDirection::out, exchange.reply, cause);
      }
      trace_request(frame, exchange);
      if (!exchange.reply.empty() && !exchange.response) {
        context_.trace->error(source_, sim_ms(), TraceDirection::out, exchange.reply,
                              "replies of meters with one id collided");
      } else if (!exchange.reply.empty()) {
        trace_reply(exchange);
      }
    }
    return exchange;
  }
  // The audit's time is the trace's: the request's, before serving brings the meter to now.
  const AuditTime at = audit_ != nullptr ? audit_time(context_.twin, arrived_) : AuditTime{};
  RtuExchange exchange = route_rtu(context_.twin.meter(), frame, context_.quirks);
  if (context_.trace != nullptr) trace_request(frame, exchange);
  if (exchange.route == Route::ignore) {
    // Another unit's frame is none of this meter's business; a read to unit 0 is the
    // client's mistake (broadcast-read).
    if (audit_ != nullptr && exchange.unit == 0) audit(frame, exchange, at);
    return exchange;
  }
  context_.twin.begin_modbus();
  context_.twin.serve_modbus(ModbusFraming::rtu,
                             [&](Meter& m) { serve_rtu(m, exchange, context_.quirks); });
  if (context_.trace != nullptr && !exchange.reply.empty()) trace_reply(exchange);
  if (audit_ != nullptr) audit(frame, exchange, at);
  fault_delay_ms_ = 0;
  if (context_.twin.has_link_faults() && !exchange.reply.empty()) apply_faults(exchange);
  return exchange;
}

void RtuCore::audit(const RtuFrame& frame, const RtuExchange& exchange, const AuditTime& at) {
  const std::uint32_t line_baud = source_.transport == "rtu" ? baud() : 0;
  audit_->modbus({at, frame.adu, exchange.unit, &exchange.request,
                  audit_reply(exchange.response, exchange.reply.size()), line_baud});
}

void RtuCore::audit_bus(const RtuFrame& frame, const RtuExchange& exchange, const AuditTime& at) {
  const std::vector<RtuBus::Heard>& heard = context_.bus->heard();
  // Each meter that took the frame: what it answered, without the line's timing (the pace
  // of a shared line is the bus's finding, where every frame on it counts).
  for (const RtuBus::Heard& h : heard) {
    auto [it, added] = meter_audits_.try_emplace(h.twin, nullptr);
    if (added) it->second = audit_client(*h.twin, audit_->transport(), source_.peer);
    if (it->second != nullptr) {
      it->second->modbus({at, frame.adu, exchange.unit, &exchange.request, h.reply, 0});
    }
  }
  // The bus: what the master read off the line (colliding replies are bytes, no response).
  std::optional<ModbusReplySeen> reply = audit_reply(exchange.response, exchange.reply.size());
  if (!reply && !exchange.reply.empty())
    reply = ModbusReplySeen{std::nullopt, exchange.reply.size()};
  const std::uint32_t line_baud = source_.transport == "rtu" ? baud() : 0;
  const AuditTarget target =
      heard.empty() && exchange.unit != 0 ? AuditTarget::no_meter : AuditTarget::meter;
  audit_->modbus({at, frame.adu, exchange.unit, &exchange.request, reply, line_baud, target});
}

void RtuCore::apply_faults(RtuExchange& exchange) {
  FaultedReply faulted = context_.twin.fault_reply(exchange.reply, ReplyFraming::rtu);
  if (!faulted.changed()) return;
  if (context_.trace != nullptr) {
    context_.trace->error(source_, sim_ms(), TraceDirection::out, faulted.bytes,
                          fmt::format("{}", fmt::join(faulted.causes, ", ")));
  }
  fault_delay_ms_ = faulted.delay_ms;
  if (faulted.dropped) {
    exchange.reply.clear();
  } else {
    exchange.reply = std::move(faulted.bytes);
  }
}

void RtuCore::trace_request(const RtuFrame& frame, const RtuExchange& exchange) {
  Json decoded{{"unit", exchange.unit}};
  decoded.update(request_json(exchange.request));
  if (exchange.route == Route::ignore) decoded["ignored"] = true;
  if (context_.bus != nullptr && context_.bus->heard().empty() && exchange.unit != 0) {
    decoded["target"] = to_string(AuditTarget::no_meter);
  }
  if (exchange.route == Route::execute_silently) decoded["broadcast"] = true;
  if (exchange.no_supply) decoded["no_supply"] = true;
  context_.trace->frame(source_, sim_ms(), TraceDirection::in, frame.adu, std::move(decoded));
}

void RtuCore::trace_reply(const RtuExchange& exchange) {
  if (!exchange.response) return;  // traced only when replied
  Json decoded{{"unit", exchange.reply_unit}};
  decoded.update(response_json(*exchange.response));
  context_.trace->frame(source_, sim_ms(), TraceDirection::out, exchange.reply, std::move(decoded));
}

void RtuCore::refused(const RtuFrame& frame, std::string_view reason) {
  if (context_.trace == nullptr) return;
  context_.trace->error(source_, sim_ms(), TraceDirection::in, frame.adu, reason);
}

std::optional<std::vector<std::uint8_t>> RtuCore::talked_over(
    std::span<const std::uint8_t> bytes, std::span<const std::uint8_t> unsent,
    std::chrono::microseconds master_after) {
  skipping_ = true;
  [[maybe_unused]] const RtuEvent dropped = framer_.on_silence();  // a half frame goes too
  raw_.clear();
  constexpr std::string_view kLost = "lost: sent while a meter answered (the reply is garbled)";
  if (context_.trace != nullptr)
    context_.trace->error(source_, sim_ms(), TraceDirection::in, bytes, kLost);
  if (audit_ != nullptr) audit_->link_error({audit_time(context_.twin), bytes, kLost});
  if (context_.bus == nullptr || unsent.empty()) return std::nullopt;
  return context_.bus->talk_over(unsent, bytes, master_after);
}

}  // namespace ambi
