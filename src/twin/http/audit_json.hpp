#pragma once
// GET /api/v1/audit (docs/control-api.md, docs/audit.md): the meter's poll audit, per client;
// in a fleet also a gateway's and an RS485 bus's, of every request through it.

#include "io/json.hpp"
#include "twin/http/request_json.hpp"
#include "twin/service/fleet.hpp"
#include "twin/service/twin.hpp"

namespace ambi {

/// {"enabled":true,"sim_ms":N,"clients":[...],"findings":N,"merged_connections":0}: every
/// client that has talked to the meter with its findings (audit/audit_report.hpp); with the
/// audit off, "enabled":false and no clients.
[[nodiscard]] ApiResult<Json> get_audit(Twin& twin, const Json& body);

/// The same for a fleet's gateway (endpoint e) or bus (b), with its "gateway" or "bus" name.
[[nodiscard]] Json gateway_audit_json(Fleet& fleet, std::size_t e);
[[nodiscard]] Json bus_audit_json(Fleet& fleet, std::size_t b);

}  // namespace ambi
