#pragma once
// The faults of the control API and of --fault (docs/faults.md): a fault's JSON (or a
// --fault SPEC turned into the same JSON) checked member by member into a Fault, and a
// fault with what it has done so far back as JSON.

#include <cstdint>
#include <string_view>

#include "core/fault/fault.hpp"
#include "twin/http/request_json.hpp"

namespace ambi {

/// POST /api/v1/faults: {"kind": "no-reply", "probability": 0.5, "start_s": 10,
/// "duration_s": 60, ...} with start and duration in simulated seconds from `now_ms`;
/// `seed` defaults to `default_seed`. Unknown members, kinds, bad types and values out of
/// range give 422 naming the member.
[[nodiscard]] ApiResult<Fault> fault_from_json(const Json& body, std::int64_t now_ms,
                                               std::uint64_t default_seed);

/// {"id", "kind", its parameters, "start_ms", "end_ms", "active", "ended", "seen", "applied"}.
[[nodiscard]] Json fault_json(const Fault& fault, std::int64_t now_ms);

/// `--fault KIND[:NAME=VALUE,...]` as the JSON body POST /api/v1/faults takes: numbers stay
/// numbers, true/false booleans; the error names the spec.
[[nodiscard]] ApiResult<Json> fault_spec_json(std::string_view spec);

}  // namespace ambi
