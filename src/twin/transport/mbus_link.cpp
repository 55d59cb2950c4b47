#include "twin/transport/mbus_link.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "core/codec/hex.hpp"
#include "core/mbus/mbus_readout.hpp"
#include "core/mbus/mbus_records.hpp"
#include "twin/transport/audit_feed.hpp"
#include "twin/transport/mbus_line.hpp"

namespace ambi {
namespace {

/// The function of a C-field, with the FCB masked (EN 13757-2 5.4).
struct FunctionName {
  std::uint8_t c;
  std::string_view name;
};
constexpr std::array<FunctionName, 5> kFunctionNames{{{c_field::snd_nke, "SND_NKE"},
                                                      {c_field::snd_ud, "SND_UD"},
                                                      {c_field::req_ud1, "REQ_UD1"},
                                                      {c_field::req_ud2, "REQ_UD2"},
                                                      {c_field::rsp_ud, "RSP_UD"}}};

constexpr std::array<std::string_view, 4> kFormatNames{"single", "short", "control", "long"};

std::string_view function_name(std::uint8_t c) {
  const auto masked = static_cast<std::uint8_t>(c & ~c_field::fcb);
  const auto it = std::find_if(kFunctionNames.begin(), kFunctionNames.end(),
                               [&](const FunctionName& f) { return f.c == masked; });
  return it == kFunctionNames.end() ? std::string_view("unknown") : it->name;
}

void add_header(Json& j, const MbusDataHeader& header) {
  j["id"] = fmt::format("{:08X}", header.id_bcd);
  j["manufacturer"] = manufacturer_letters(header.manufacturer);
  j["access_number"] = header.access_number;
  j["status"] = header.status;
}

/// The decoded RSP_UD: header fields and every known record in its unit.
void add_readout(Json& j, std::span<const std::uint8_t> data) {
  const auto readout = decode_rsp_ud(data);
  if (!readout) {
    j["readout_error"] = static_cast<int>(readout.error().kind);
    return;
  }
  add_header(j, readout->header);
  Json records = Json::object();
  for (const MbusValue& v : readout->values) {
    if (v.def != nullptr && v.value) records[std::string(v.def->name)] = in_unit(*v.def, *v.value);
  }
  j["records"] = std::move(records);
}

bool is_master(std::uint8_t c) {
  return (c & 0x40U) != 0;
}

/// What every frame but the single character shows: format, function, C, A and, from a
/// master, the frame count bits.
Json frame_fields(MbusFrameKind kind, std::uint8_t c, std::uint8_t a) {
  Json j{{"format", kFormatNames[static_cast<std::size_t>(kind)]}};
  j["function"] = function_name(c);
  j["c"] = c;
  j["a"] = a;
  if (is_master(c) && c != c_field::snd_nke) {
    j["fcb"] = (c & c_field::fcb) != 0 ? 1 : 0;
    j["fcv"] = (c & c_field::fcv) != 0 ? 1 : 0;
  }
  return j;
}

/// The RSP_UD the slave built, from its values: what `decode_mbus_frame` reads from its bytes.
Json decode_rsp_ud_answer(const MbusRspUd& rsp_ud) {
  Json j = frame_fields(MbusFrameKind::long_frame, c_field::rsp_ud, rsp_ud.address);
  j["ci"] = ci_field::rsp_ud_variable;
  add_header(j, rsp_ud.header);
  Json records = Json::object();
  const auto defs = mbus_read_records();
  for (std::size_t i = 0; i < defs.size() && i < rsp_ud.values.size(); ++i)
    records[std::string(defs[i].name)] = in_unit(defs[i], rsp_ud.values[i]);
  j["records"] = std::move(records);
  return j;
}

}  // namespace

Json decode_mbus_frame(const MbusFrame& frame) {
  if (frame.kind == MbusFrameKind::single) return Json{{"format", "single"}, {"function", "ACK"}};
  Json j = frame_fields(frame.kind, frame.c, frame.a);
  if (frame.kind == MbusFrameKind::short_frame) return j;
  j["ci"] = frame.ci;
  if (frame.c == c_field::rsp_ud && frame.ci == ci_field::rsp_ud_variable) {
    add_readout(j, frame.data);
  } else {
    j["data"] = hex_bytes(frame.data);
  }
  return j;
}

Json decode_mbus_frame(const MbusAnswer& answer) {
  if (const auto* rsp_ud = std::get_if<MbusRspUd>(&answer)) return decode_rsp_ud_answer(*rsp_ud);
  if (std::holds_alternative<MbusAck>(answer)) return decode_mbus_frame(mbus_single());
  return Json{{"format", "unknown"}};
}

MbusLinkCore::MbusLinkCore(MbusContext& context, TraceSource source)
    : context_(context), source_(std::move(source)) {
  // A line's telegrams are for many meters: not audited (docs/audit.md).
  const auto transport = audit_transport(source_.transport);
  if (context_.line == nullptr && transport) {
    audit_ = audit_client(context_.twin, *transport, source_.peer);
  }
}

std::int64_t MbusLinkCore::sim_ms() const {
  return context_.twin.meter().now_ms();
}

std::uint32_t MbusLinkCore::baud() const {
  if (context_.line != nullptr) return context_.line->baud();
  return context_.twin.meter().settings().mbus_baud;
}

void MbusLinkCore::consumed(std::size_t bytes) {
  raw_.erase(raw_.begin(),
             raw_.begin() + static_cast<std::ptrdiff_t>(std::min(bytes, raw_.size())));
}

MbusReplies MbusLinkCore::received(std::span<const std::uint8_t> bytes) {
  if (context_.trace != nullptr) raw_.insert(raw_.end(), bytes.begin(), bytes.end());
  framer_.push(bytes);
  MbusReplies out;
  for (MbusEvent event = framer_.poll(); !std::holds_alternative<MbusNeedMore>(event);
       event = framer_.poll()) {
    if (const auto* discard = std::get_if<MbusDiscard>(&event)) {
      if (context_.trace != nullptr) {
        const auto dropped =
            std::span<const std::uint8_t>(raw_).first(std::min(discard->bytes, raw_.size()));
        context_.trace->error(
            source_, sim_ms(), TraceDirection::in, dropped,
            fmt::format("{}: {} bytes dropped", to_string(discard->reason), discard->bytes));
        consumed(discard->bytes);
      }
      continue;
    }
    serve(std::get<MbusFrame>(event), out);
    if (out.baud) {
      if (context_.trace != nullptr && framer_.buffered() > 0) {
        context_.trace->error(source_, sim_ms(), TraceDirection::in, raw_,
                              "sent at the old baud rate: dropped");
      }
      framer_.clear();
      raw_.clear();
      break;
    }
  }
  return out;
}

void MbusLinkCore::serve(const MbusFrame& frame, MbusReplies& out) {
  if (context_.trace != nullptr) {
    const std::span<const std::uint8_t> received = framer_.polled();
    Json decoded = decode_mbus_frame(frame);
    if (!context_.twin.meter().powered()) decoded["no_supply"] = true;
    context_.trace->frame(source_, sim_ms(), TraceDirection::in, received, std::move(decoded));
    consumed(received.size());
  }
  if (audit_ != nullptr) audit_->mbus({audit_time(context_.twin), framer_.polled(), &frame});
  MbusExchange exchange = context_.line != nullptr
                              ? context_.line->serve(frame)
                              : context_.twin.serve_mbus(context_.slave, frame);
  bool faulted_answer = false;  // the fault's trace line says what the bytes are
  if (context_.line != nullptr) {
    audit_line(frame);
    trace_faults(context_.line->fault_causes(), exchange.reply);
    faulted_answer = !context_.line->fault_causes().empty();
  } else if (context_.twin.has_link_faults() && !exchange.reply.empty()) {
    FaultedReply faulted = context_.twin.fault_reply(exchange.reply, ReplyFraming::mbus);
    if (faulted.changed()) {
      trace_faults(faulted.causes, faulted.bytes);
      out.delay_ms += faulted.delay_ms;
      exchange.reply = faulted.dropped ? std::vector<std::uint8_t>{} : std::move(faulted.bytes);
      if (faulted.dropped || faulted.delay_ms == 0) exchange.answer = MbusAnswer{};
      faulted_answer = std::holds_alternative<std::monostate>(exchange.answer);
    }
  }
  if (!exchange.reply.empty()) {
    if (faulted_answer) {
      // traced with its causes above
    } else if (context_.trace != nullptr &&
               std::holds_alternative<std::monostate>(exchange.answer)) {
      context_.trace->error(source_, sim_ms(), TraceDirection::out, exchange.reply,
                            "answers of several meters collided");
    } else if (context_.trace != nullptr) {
      context_.trace->frame(source_, sim_ms(), TraceDirection::out, exchange.reply,
                            decode_mbus_frame(exchange.answer));
    }
    out.bytes.insert(out.bytes.end(), exchange.reply.begin(), exchange.reply.end());
  }
  if (exchange.baud) out.baud = exchange.baud;
}

void MbusLinkCore::audit_line(const MbusFrame& frame) {
  const auto transport = audit_transport(source_.transport);
  if (!transport) return;
  const std::span<const std::uint8_t> bytes = framer_.polled();
  for (Twin* twin : context_.line->addressed_meters()) {
    AuditClient* client = audit_client(*twin, *transport, source_.peer);
    if (client == nullptr) continue;
    const AuditTime at = audit_time(*twin);
    client->mbus({at, bytes, &frame});
    if (context_.line->collided()) {
      client->link_error({at, bytes, "answers of several meters collided"});
    }
  }
}

void MbusLinkCore::trace_faults(const std::vector<std::string>& causes,
                                std::span<const std::uint8_t> sent) {
  if (audit_ != nullptr) {
    for (const std::string& cause : causes) {
      audit_->link_error({audit_time(context_.twin), sent, cause});
    }
  }
  if (context_.trace == nullptr) return;
  for (const std::string& cause : causes) {
    context_.trace->error(source_, sim_ms(), TraceDirection::out, sent, cause);
  }
}

void MbusLinkCore::silence() {
  if (framer_.buffered() == 0) return;
  if (context_.trace != nullptr) {
    context_.trace->error(source_, sim_ms(), TraceDirection::in, raw_,
                          "incomplete telegram dropped after silence");
  }
  framer_.clear();
  raw_.clear();
}

}  // namespace ambi
