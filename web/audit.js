// The poll audit card (docs/audit.md): what each client of the meter the page shows asked that
// a real meter would punish (GET /api/v1/audit; in a fleet the selected meter's, through
// common.js apiUrl), fetched again every AUDIT_REFRESH_MS. In a fleet whose GET /api/v1 lists
// `fleet.audits`, the "Audit of" select shows instead a gateway's or a bus's audit (its
// absolute path, whatever meter is selected). Read-only; the rows, texts and choices are
// audit_model.js's.
import { $, api, apiGetAbsolute, selectedMeter, setText } from './common.js';
import { AUDIT_REFRESH_MS, auditRows, auditScopes, auditSummary } from './audit_model.js';

const COLUMNS = ['client', 'check', 'severity', 'count', 'first', 'last', 'example'];

let requestSeq = 0;  // answers of older requests (or for another meter or scope) are dropped
let inFlight = false;
let scope = null;    // the path of the gateway's or bus's audit shown, or null: the meter's

function renderRows(rows) {
  const body = $('audit-body');
  while (body.rows.length > rows.length) body.deleteRow(-1);
  while (body.rows.length < rows.length) {
    const tr = body.insertRow();
    tr.dataset.testid = 'audit-row';
    for (const key of COLUMNS) {
      const td = tr.insertCell();
      td.dataset.col = key;
      if (key === 'count') td.className = 'num';
      if (key === 'example') td.className = 'mono';
    }
  }
  rows.forEach((row, i) => {
    const tr = body.rows[i];
    tr.dataset.check = row.check;
    tr.dataset.severity = row.severity;
    tr.title = row.detail;
    COLUMNS.forEach((key, k) => setText(tr.cells[k], String(row[key])));
  });
  $('audit-empty').hidden = rows.length > 0;
}

/// Fetches the audit shown: the meter's, or the chosen gateway's or bus's (one request at a
/// time).
export async function refreshAudit() {
  if (inFlight) return;
  inFlight = true;
  const seq = ++requestSeq;
  const serial = selectedMeter();
  const asked = scope;
  try {
    const data = asked ? await apiGetAbsolute(asked) : await api('GET', '/audit');
    if (seq !== requestSeq || asked !== scope || (!asked && serial !== selectedMeter()) || !data) return;
    const rows = auditRows(data);
    renderRows(rows);
    setText($('audit-summary'), auditSummary(data));
    $('audit').dataset.loaded = `${asked || serial || ''}:${rows.length}`; // for tests
  } catch {
    // shown in the alert area by api()
  } finally {
    inFlight = false;
  }
}

/// Empties the card and fetches what it shows now.
function restart() {
  requestSeq += 1;
  renderRows([]);
  setText($('audit-summary'), '');
  delete $('audit').dataset.loaded;
  inFlight = false;
  refreshAudit();
}

/// The page shows another meter of the fleet: its audit replaces the last one's (a gateway's
/// or a bus's audit shown stays).
export function forgetAudit() {
  if (!scope) restart();
}

/// A fleet (`fleet` of GET /api/v1): the select offers its gateways' and buses' audits, when
/// it lists any.
export function initAuditScopes(fleet) {
  const scopes = auditScopes(fleet);
  const select = $('audit-scope');
  select.replaceChildren(...scopes.map((s) => new Option(s.label, s.value)));
  select.value = scope || '';
  $('audit-scope-row').hidden = scopes.length < 2;
  select.addEventListener('change', () => {
    const next = scopes.find((s) => s.value === select.value);
    const path = next ? next.path : null;
    if (path === scope) return;
    scope = path;
    restart();
  });
}

/// Starts the card's refresh.
export function initAudit() {
  refreshAudit();
  setInterval(() => { if (!document.hidden) refreshAudit(); }, AUDIT_REFRESH_MS);
}
