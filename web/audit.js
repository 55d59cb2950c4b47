// The poll audit card (docs/audit.md): what each client of the meter the page shows asked that
// a real meter would punish (GET /api/v1/audit; in a fleet the selected meter's, through
// common.js apiUrl), fetched again every AUDIT_REFRESH_MS. Read-only; the rows and texts are
// audit_model.js's.
import { $, api, selectedMeter, setText } from './common.js';
import { AUDIT_REFRESH_MS, auditRows, auditSummary } from './audit_model.js';

const COLUMNS = ['client', 'check', 'severity', 'count', 'first', 'last', 'example'];

let requestSeq = 0;  // answers of older requests (or for another meter) are dropped
let inFlight = false;

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

/// Fetches the shown meter's audit (one request at a time).
export async function refreshAudit() {
  if (inFlight) return;
  inFlight = true;
  const seq = ++requestSeq;
  const serial = selectedMeter();
  try {
    const data = await api('GET', '/audit');
    if (seq !== requestSeq || serial !== selectedMeter() || !data) return;
    const rows = auditRows(data);
    renderRows(rows);
    setText($('audit-summary'), auditSummary(data));
    $('audit').dataset.loaded = `${serial || ''}:${rows.length}`; // for tests
  } catch {
    // shown in the alert area by api()
  } finally {
    inFlight = false;
  }
}

/// The page shows another meter of the fleet: its audit replaces the last one's.
export function forgetAudit() {
  requestSeq += 1;
  renderRows([]);
  setText($('audit-summary'), '');
  delete $('audit').dataset.loaded;
  inFlight = false;
  refreshAudit();
}

/// Starts the card's refresh.
export function initAudit() {
  refreshAudit();
  setInterval(() => { if (!document.hidden) refreshAudit(); }, AUDIT_REFRESH_MS);
}
