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

}  // namespace ambi
