#include "audit/trace_audit.hpp"

#include <fmt/format.h>

#include <charconv>
#include <chrono>

#include "audit/audit_report.hpp"
#include "core/codec/hex.hpp"

namespace ambi {
namespace {

/// The number in `text[at, at + digits)`, if it is all digits.
std::optional<int> digits_at(std::string_view text, std::size_t at, std::size_t digits) {
  if (at + digits > text.size()) return std::nullopt;
  int value = 0;
  const char* first = text.data() + at;
  const auto [end, ec] = std::from_chars(first, first + digits, value);
  if (ec != std::errc{} || end != first + digits) return std::nullopt;
  return value;
}

/// The PDU of a Modbus ADU as traced: after the MBAP header, or between unit and CRC.
std::span<const std::uint8_t> modbus_pdu(AuditTransport t, const std::vector<std::uint8_t>& adu) {
  const std::span<const std::uint8_t> all(adu);
  if (t == AuditTransport::tcp) return adu.size() > 7 ? all.subspan(7) : all.last(0);
  return adu.size() > 3 ? all.subspan(1, adu.size() - 3) : all.last(0);
}

std::uint8_t modbus_unit(AuditTransport t, const std::vector<std::uint8_t>& adu) {
  if (t == AuditTransport::tcp) return adu.size() > 6 ? adu[6] : 0;
  return adu.empty() ? 0 : adu[0];
}

}  // namespace

std::optional<std::int64_t> parse_trace_time(std::string_view text) {
  // 2026-12-04T18:00:00.123Z
  if (text.size() != 24 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || text[19] != '.' || text[23] != 'Z') {
    return std::nullopt;
  }
  const auto y = digits_at(text, 0, 4);
  const auto mo = digits_at(text, 5, 2);
  const auto d = digits_at(text, 8, 2);
  const auto h = digits_at(text, 11, 2);
  const auto mi = digits_at(text, 14, 2);
  const auto s = digits_at(text, 17, 2);
  const auto ms = digits_at(text, 20, 3);
  if (!y || !mo || !d || !h || !mi || !s || !ms) return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{year{*y}, month{static_cast<unsigned>(*mo)},
                           day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return std::nullopt;
  const auto t = sys_days{ymd} + hours{*h} + minutes{*mi} + seconds{*s} + milliseconds{*ms};
  return duration_cast<microseconds>(t.time_since_epoch()).count();
}

AuditClient& TraceAuditor::client(AuditTransport transport, const std::string& peer) {
  const std::string key = fmt::format("{} {}", to_string(transport), peer);
  auto it = clients_.find(key);
  if (it == clients_.end()) it = clients_.emplace(key, &audit_.client(transport, peer)).first;
  return *it->second;
}

void TraceAuditor::settle(const std::string& connection, const std::vector<std::uint8_t>* reply) {
  const auto it = pending_.find(connection);
  if (it == pending_.end()) return;
  Pending p = std::move(it->second);
  pending_.erase(it);
  const AuditTransport t = p.client->transport();
  const ParsedRequest request = parse_request(modbus_pdu(t, p.adu));
  ModbusSeen seen{p.time,   p.adu,        modbus_unit(t, p.adu),
                  &request, std::nullopt, t == AuditTransport::rtu ? rtu_baud_ : 0,
                  p.target};
  if (reply != nullptr) {
    ModbusReplySeen r{std::nullopt, reply->size()};
    const auto pdu = modbus_pdu(t, *reply);
    if (pdu.size() >= 2 && (pdu[0] & kExceptionBit) != 0) {
      r.exception = static_cast<ExceptionCode>(pdu[1]);
    }
    seen.reply = r;
  }
  p.client->modbus(seen);
}

void TraceAuditor::finish() {
  while (!pending_.empty()) settle(pending_.begin()->first, nullptr);
}

std::expected<void, std::string> TraceAuditor::line(std::string_view text, std::size_t number) {
  if (text.find_first_not_of(" \t\r") == std::string_view::npos) return {};
  const Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return std::unexpected(fmt::format("line {} is not a JSON object", number));
  }
  if (!j.contains("transport") || !j["transport"].is_string() || !j.contains("sim_ms") ||
      !j["sim_ms"].is_number_integer()) {
    return std::unexpected(fmt::format("line {} has no \"transport\" and \"sim_ms\"", number));
  }
  const auto transport = audit_transport(j["transport"].get<std::string>());
  if (!transport) return {};  // "meter" events, and transports this audit does not know
  const std::string peer = j.value("peer", std::string());
  const std::string dir = j.value("dir", std::string());
  const auto bytes = parse_hex(j.value("hex", std::string()));
  if ((dir != "in" && dir != "out") || !bytes) {
    return std::unexpected(
        fmt::format("line {} has no \"dir\" (in or out) or no \"hex\" bytes", number));
  }
  AuditTime time{j["sim_ms"].get<std::int64_t>(), std::nullopt};
  if (j.contains("t") && j["t"].is_string())
    time.wall_us = parse_trace_time(j["t"].get<std::string>());
  const std::string connection = fmt::format("{} {}", to_string(*transport), peer);
  AuditClient& c = client(*transport, peer);
  if (j.contains("error")) {
    const std::string reason = j["error"].is_string() ? j["error"].get<std::string>() : "";
    c.link_error(LinkErrorSeen{time, *bytes, reason});
    return {};
  }
  const Json& decoded = j.contains("decoded") ? j["decoded"] : Json::object();
  if (is_mbus(*transport)) {
    if (dir != "in") return {};
    MbusFramer framer;
    framer.push(*bytes);
    const MbusEvent event = framer.poll();
    if (const auto* frame = std::get_if<MbusFrame>(&event)) c.mbus(MbusSeen{time, *bytes, frame});
    return {};
  }
  if (dir == "out") {
    settle(connection, &*bytes);
    return {};
  }
  settle(connection, nullptr);
  // As live: a frame a meter ignored because it was for another unit is skipped, unless
  // nobody on a fleet's bus had the unit (target no_meter) or it was a read to unit 0.
  const auto target = audit_target(decoded.value("target", std::string("meter")));
  if (decoded.value("ignored", false) && target == AuditTarget::meter &&
      modbus_unit(*transport, *bytes) != 0) {
    return {};
  }
  pending_[connection] = Pending{&c, time, *bytes, target.value_or(AuditTarget::meter)};
  return {};
}

}  // namespace ambi
