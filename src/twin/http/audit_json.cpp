#include "twin/http/audit_json.hpp"

#include "audit/audit_report.hpp"

namespace ambi {

ApiResult<Json> get_audit(Twin& twin, const Json&) {
  twin.sync();
  Json j{{"enabled", twin.audit_on()}, {"sim_ms", twin.meter().now_ms()}};
  if (const PollAudit* audit = twin.audit_so_far()) {
    j.update(audit_json(*audit));
  } else {
    j.update(audit_json(PollAudit{}));
  }
  return j;
}

namespace {

Json line_audit_json(Fleet& fleet, const PollAudit* audit, std::string_view key,
                     const std::string& name) {
  Twin& first = fleet.at(0);
  first.sync();  // every meter shares the fleet's clock
  Json j{{key, name}, {"enabled", fleet.audit_on()}, {"sim_ms", first.meter().now_ms()}};
  j.update(audit_json(audit != nullptr ? *audit : PollAudit{}));
  return j;
}

}  // namespace

Json gateway_audit_json(Fleet& fleet, std::size_t e) {
  const auto& names = fleet.layout().endpoint_names;
  return line_audit_json(fleet, fleet.endpoint_audit(e), "gateway",
                         e < names.size() ? names[e] : std::to_string(e));
}

Json bus_audit_json(Fleet& fleet, std::size_t b) {
  const auto& names = fleet.layout().bus_names;
  return line_audit_json(fleet, fleet.bus_audit(b), "bus",
                         b < names.size() ? names[b] : std::to_string(b));
}

}  // namespace ambi
