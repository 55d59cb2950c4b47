#include "twin/transport/mbus_link.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "core/codec/hex.hpp"
#include "core/mbus/mbus_records.hpp"

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

/// The decoded RSP_UD: header fields and every known record in its unit.
void add_readout(Json& j, std::span<const std::uint8_t> data) {
  const auto readout = decode_rsp_ud(data);
  if (!readout) {
    j["readout_error"] = static_cast<int>(readout.error().kind);
    return;
  }
  j["id"] = fmt::format("{:08X}", readout->header.id_bcd);
  j["manufacturer"] = manufacturer_letters(readout->header.manufacturer);
  j["access_number"] = readout->header.access_number;
  j["status"] = readout->header.status;
  Json records = Json::object();
  for (const MbusValue& v : readout->values) {
    if (v.def != nullptr && v.value) records[std::string(v.def->name)] = in_unit(*v.def, *v.value);
  }
  j["records"] = std::move(records);
}

bool is_master(std::uint8_t c) {
  return (c & 0x40U) != 0;
}

}  // namespace

Json decode_mbus_frame(const MbusFrame& frame) {
  Json j{{"format", kFormatNames[static_cast<std::size_t>(frame.kind)]}};
  if (frame.kind == MbusFrameKind::single) {
    j["function"] = "ACK";
    return j;
  }
  j["function"] = function_name(frame.c);
  j["c"] = frame.c;
  j["a"] = frame.a;
  if (is_master(frame.c) && frame.c != c_field::snd_nke) {
    j["fcb"] = (frame.c & c_field::fcb) != 0 ? 1 : 0;
    j["fcv"] = (frame.c & c_field::fcv) != 0 ? 1 : 0;
  }
  if (frame.kind == MbusFrameKind::short_frame) return j;
  j["ci"] = frame.ci;
  if (frame.c == c_field::rsp_ud && frame.ci == ci_field::rsp_ud_variable) {
    add_readout(j, frame.data);
  } else {
    j["data"] = hex_bytes(frame.data);
  }
  return j;
}

MbusLinkCore::MbusLinkCore(MbusContext& context, TraceSource source)
    : context_(context), source_(std::move(source)) {}

std::int64_t MbusLinkCore::sim_ms() const {
  return context_.twin.meter().now_ms();
}

std::uint32_t MbusLinkCore::baud() const {
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
    const std::vector<std::uint8_t> bytes = encode_mbus(frame);
    consumed(bytes.size());
    Json decoded = decode_mbus_frame(frame);
    if (!context_.twin.meter().powered()) decoded["no_supply"] = true;
    context_.trace->frame(source_, sim_ms(), TraceDirection::in, bytes, std::move(decoded));
  }
  const MbusExchange exchange = context_.twin.serve_mbus(context_.slave, frame);
  if (!exchange.reply.empty()) {
    if (context_.trace != nullptr) {
      MbusFramer reply;
      reply.push(exchange.reply);
      const MbusEvent event = reply.poll();
      const auto* sent = std::get_if<MbusFrame>(&event);
      context_.trace->frame(
          source_, sim_ms(), TraceDirection::out, exchange.reply,
          sent != nullptr ? decode_mbus_frame(*sent) : Json{{"format", "unknown"}});
    }
    out.bytes.insert(out.bytes.end(), exchange.reply.begin(), exchange.reply.end());
  }
  if (exchange.baud) out.baud = exchange.baud;
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
