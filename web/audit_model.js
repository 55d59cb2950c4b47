// The poll audit card's model (docs/audit.md): the rows and the summary of GET /api/v1/audit.
// Pure: audit.js wires it to the page.

/// How often the card is fetched again.
export const AUDIT_REFRESH_MS = 2000;

/// A time of the audit as a person reads it: the wall clock (UTC, to the millisecond) when
/// known, else the simulated time.
export function auditTime(t) {
  if (!t) return '';
  if (typeof t.t === 'string' && t.t.length >= 23) return `${t.t.slice(11, 23)} UTC`;
  return `sim ${t.sim_ms} ms`;
}

/// One row per finding of every client: {client, check, severity, count, first, last,
/// example, detail}, in the server's order (clients as first seen, checks in their order).
export function auditRows(audit) {
  const rows = [];
  for (const c of (audit && audit.clients) || []) {
    for (const f of c.findings || []) {
      rows.push({
        client: `${c.transport} ${c.peer}`,
        check: f.check,
        severity: f.severity,
        count: f.count,
        first: auditTime(f.first),
        last: auditTime(f.last),
        example: f.example,
        detail: f.detail,
      });
    }
  }
  return rows;
}

/// The line above the table.
export function auditSummary(audit) {
  if (!audit) return '';
  if (audit.enabled === false) return 'The audit is off (ambimeter run --audit off).';
  const clients = (audit.clients || []).length;
  const requests = (audit.clients || []).reduce((n, c) => n + (c.requests || 0), 0);
  const asked = `${clients} client${clients === 1 ? '' : 's'}, ${requests} request${requests === 1 ? '' : 's'}`;
  if (clients === 0) return 'No client has talked to this meter yet.';
  const n = audit.findings || 0;
  if (n === 0) return `No finding: ${asked}, each as the meter expects.`;
  return `${n} finding${n === 1 ? '' : 's'} (${asked}).`;
}
