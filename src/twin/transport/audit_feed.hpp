#pragma once
// What the transports hand the poll audit (audit/poll_audit.hpp, docs/audit.md): the time
// now and a reply as the audit reads it. A session finds its client once, when it starts;
// with the audit off it holds a null pointer and each request costs one check of it.

#include <chrono>
#include <optional>
#include <string_view>

#include "audit/poll_audit.hpp"
#include "core/modbus/modbus_codec.hpp"
#include "twin/service/twin.hpp"

namespace ambi {

/// The client record of `peer` on `transport` in the meter's audit; null when it is off.
[[nodiscard]] inline AuditClient* audit_client(Twin& twin, AuditTransport transport,
                                               std::string_view peer) {
  PollAudit* audit = twin.audit();
  return audit == nullptr ? nullptr : &audit->client(transport, peer);
}

/// The meter's simulated time and the wall time `at`.
[[nodiscard]] inline AuditTime audit_time(
    const Twin& twin, std::chrono::system_clock::time_point at = std::chrono::system_clock::now()) {
  return {twin.meter().now_ms(),
          std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count()};
}

/// A reply of `bytes` on the line as the audit reads it; none when nothing was answered.
[[nodiscard]] inline std::optional<ModbusReplySeen> audit_reply(
    const std::optional<Response>& response, std::size_t bytes) {
  if (!response || bytes == 0) return std::nullopt;
  ModbusReplySeen seen{std::nullopt, bytes};
  if (const auto* e = std::get_if<ExceptionResponse>(&*response)) seen.exception = e->code;
  return seen;
}

}  // namespace ambi
