#pragma once
// The poll audit as people and scripts read it (docs/audit.md): one JSON shape for
// GET /api/v1/audit and `ambimeter audit --format json`, and a table for people.

#include <nlohmann/json.hpp>
#include <string>

#include "audit/poll_audit.hpp"

namespace ambi {

/// Every JSON value keeps its keys in the order they were written (as io/json.hpp).
using Json = nlohmann::ordered_json;

/// {"clients":[{"transport":"tcp","peer":"127.0.0.1","requests":12,"first":{...},
///  "last":{...},"findings":[{"check":"fc04","severity":"error","count":3,"first":{"sim_ms":0,
///  "t":"2026-12-04T18:00:00.123Z"},"last":{...},"example":"00 01 ...","detail":"..."}]}],
///  "findings":N,"merged_connections":0}. Clients in order of first sight, findings in check
/// order; "t" only when the wall time is known.
[[nodiscard]] Json audit_json(const PollAudit& audit);
/// One client's record, as in `audit_json`.
[[nodiscard]] Json client_json(const AuditClient& client);
/// The table of `ambimeter audit`: a line per finding (client, check, severity, count,
/// first and last time, example), its detail below it; "no findings" when there are none.
[[nodiscard]] std::string audit_table(const PollAudit& audit);
/// ISO 8601 in UTC with milliseconds for µs since the Unix epoch: "2026-12-04T18:00:00.123Z".
[[nodiscard]] std::string audit_utc(std::int64_t unix_us);

}  // namespace ambi
