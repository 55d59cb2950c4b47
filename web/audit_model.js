// The poll audit card's model (docs/audit.md): the rows and the summary of GET /api/v1/audit,
// and in a fleet the audits the card can show (the meter's, a gateway's, a bus's). Pure:
// audit.js wires it to the page.

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

/// What an audit is of, as its JSON names it: "gateway meters/1", "bus bus", or "this meter"
/// (a meter's audit names nothing).
export function auditSubject(audit) {
  if (audit && typeof audit.gateway === 'string') return `gateway ${audit.gateway}`;
  if (audit && typeof audit.bus === 'string') return `bus ${audit.bus}`;
  return 'this meter';
}

/// The line above the table; a gateway's or a bus's audit is named in it.
export function auditSummary(audit) {
  if (!audit) return '';
  if (audit.enabled === false) return 'The audit is off (ambimeter run --audit off).';
  const subject = auditSubject(audit);
  const clients = (audit.clients || []).length;
  const requests = (audit.clients || []).reduce((n, c) => n + (c.requests || 0), 0);
  const asked = `${clients} client${clients === 1 ? '' : 's'}, ${requests} request${requests === 1 ? '' : 's'}`;
  if (clients === 0) return `No client has talked to ${subject} yet.`;
  const of = subject === 'this meter' ? '' : `${subject[0].toUpperCase()}${subject.slice(1)}: `;
  const n = audit.findings || 0;
  if (n === 0) return of ? `${of}no finding: ${asked}, each as its meters expect.` : `No finding: ${asked}, each as the meter expects.`;
  return `${of}${n} finding${n === 1 ? '' : 's'} (${asked}).`;
}

/// The audits the card can show, for its "Audit of" select: {value, label, path}, first the
/// meter the page shows (value '', path null: its GET /api/v1/audit through the page's meter),
/// then each of `fleet.audits` of GET /api/v1 (a gateway or a bus: its absolute path). One
/// entry (the meter) when there is no fleet or it lists none: the select stays hidden then.
export function auditScopes(fleet) {
  const scopes = [{ value: '', label: 'this meter', path: null }];
  for (const a of (fleet && Array.isArray(fleet.audits) && fleet.audits) || []) {
    if (!a || (a.kind !== 'gateway' && a.kind !== 'bus')) continue;
    if (typeof a.path !== 'string' || !a.path.startsWith('/api/v1/') || typeof a.name !== 'string') continue;
    if (scopes.some((s) => s.value === a.path)) continue;
    scopes.push({ value: a.path, label: `${a.kind} ${a.name}`, path: a.path });
  }
  return scopes;
}
