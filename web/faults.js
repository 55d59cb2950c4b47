// The faults card (docs/faults.md "On the web page"): the faults of the meter the page shows
// (GET /api/v1/faults; in a fleet the selected meter's, through common.js apiUrl), fetched
// again every FAULTS_REFRESH_MS and right after each action, and a form that starts one of the
// common kinds (POST /api/v1/faults) with an End button per active fault (DELETE
// /api/v1/faults/{id}). The kinds, the body and the row texts are faults_model.js's; a
// refused fault shows the server's message beside the form and marks the input it names.
import { $, api, selectedMeter, setText } from './common.js';
import { FAULTS_REFRESH_MS, FAULT_KINDS, FAULT_PARAMS, faultBody, faultRow, faultsSummary, fieldId,
  memberOfError, shownMembers } from './faults_model.js';

const COLUMNS = ['id', 'kind', 'params', 'span', 'counts', 'state'];
/// Every member the form has an input for (the kinds' parameters, probability, duration).
const MEMBERS = [...Object.keys(FAULT_PARAMS), 'probability', 'duration_s'];
const FIELDS = {
  ...FAULT_PARAMS,
  probability: { label: 'Probability', unit: '', min: 0, max: 1, step: 'any', value: '1',
    hint: 'the share of replies it hits' },
  duration_s: { label: 'Duration', unit: 's', min: 0, step: 'any', value: '', placeholder: 'until ended',
    hint: 'simulated seconds; empty: until ended' },
};

let requestSeq = 0;  // answers of older requests (or for another meter) are dropped
let inFlight = false;
let again = false;

function fieldRow(member) {
  const f = FIELDS[member];
  const row = document.createElement('div');
  row.className = 'row';
  row.id = `${fieldId(member)}-row`;
  const label = document.createElement('label');
  label.htmlFor = fieldId(member);
  label.textContent = f.unit ? `${f.label} (${f.unit})` : f.label;
  let input;
  if (f.select) {
    input = document.createElement('select');
    for (const [value, text] of f.options) input.append(new Option(text, value));
  } else {
    input = document.createElement('input');
    input.type = 'number';
    input.inputMode = 'decimal';
    if (f.min !== undefined) input.min = String(f.min);
    if (f.max !== undefined) input.max = String(f.max);
    input.step = String(f.step);
    if (f.placeholder) input.placeholder = f.placeholder;
  }
  input.id = fieldId(member);
  input.dataset.testid = fieldId(member);
  input.value = f.value;
  row.append(label, input);
  if (f.hint) {
    const hint = document.createElement('span');
    hint.className = 'muted';
    hint.id = `${fieldId(member)}-hint`;
    hint.textContent = f.hint;
    input.setAttribute('aria-describedby', `${hint.id} fault-status`);
    row.append(hint);
  } else {
    input.setAttribute('aria-describedby', 'fault-status');
  }
  return row;
}

/// Shows the inputs the chosen kind takes.
function showFields() {
  const shown = shownMembers($('fault-kind').value);
  for (const m of MEMBERS) $(`${fieldId(m)}-row`).hidden = !shown.includes(m);
}

function setStatus(text, error, member) {
  const el = $('fault-status');
  setText(el, text);
  el.classList.toggle('error', !!error);
  for (const m of MEMBERS) $(fieldId(m)).setAttribute('aria-invalid', String(m === member));
}

function renderRows(faults, simMs) {
  const body = $('faults-body');
  while (body.rows.length > faults.length) body.deleteRow(-1);
  while (body.rows.length < faults.length) {
    const tr = body.insertRow();
    tr.dataset.testid = 'fault-row';
    for (const key of COLUMNS) {
      const td = tr.insertCell();
      td.dataset.col = key;
      if (key === 'counts' || key === 'id') td.className = 'num';
    }
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'fault-end';
    b.dataset.testid = 'fault-end';
    b.textContent = 'End';
    tr.insertCell().append(b);
  }
  faults.forEach((f, i) => {
    const row = faultRow(f, simMs);
    const tr = body.rows[i];
    tr.dataset.id = String(row.id);
    tr.dataset.state = row.state;
    COLUMNS.forEach((key, k) => setText(tr.cells[k], String(row[key])));
    const b = tr.cells[COLUMNS.length].firstChild;
    b.hidden = !row.endable;
    b.dataset.id = String(row.id);
    b.setAttribute('aria-label', `End fault ${row.id} (${row.kind})`);
  });
  $('faults-empty').hidden = faults.length > 0;
}

/// Fetches the shown meter's faults (one request at a time; a request asked for meanwhile
/// follows at once).
export async function refreshFaults() {
  if (inFlight) { again = true; return; }
  inFlight = true;
  const seq = ++requestSeq;
  const serial = selectedMeter();
  try {
    const data = await api('GET', '/faults');
    if (seq !== requestSeq || serial !== selectedMeter() || !data) return;
    renderRows(data.faults || [], data.sim_ms);
    setText($('faults-summary'), faultsSummary(data.faults || [], data.sim_ms));
    $('faults').dataset.loaded = `${serial || ''}:${(data.faults || []).length}`; // for tests
  } catch {
    // shown in the alert area by api()
  } finally {
    inFlight = false;
    if (again) { again = false; refreshFaults(); }
  }
}

/// The page shows another meter of the fleet: its list replaces the last one's.
export function forgetFaults() {
  requestSeq += 1;
  renderRows([], 0);
  setText($('faults-summary'), '');
  setStatus('', false, null);
  delete $('faults').dataset.loaded;
  refreshFaults();
}

async function startFault() {
  const kind = $('fault-kind').value;
  const body = faultBody(kind, (m) => $(fieldId(m)).value);
  const button = $('fault-start');
  button.disabled = true;
  setStatus('starting…', false, null);
  try {
    const f = await api('POST', '/faults', body);
    setStatus(`fault ${f.id} (${f.kind}) started`, false, null);
  } catch (e) {
    setStatus(e.message, true, memberOfError(e.message, shownMembers(kind)));
  } finally {
    button.disabled = false;
    refreshFaults();
  }
}

async function endFault(id) {
  try {
    const f = await api('DELETE', `/faults/${encodeURIComponent(id)}`);
    setStatus(`fault ${f.id} (${f.kind}) ended`, false, null);
    $('fault-kind').focus(); // its End button is gone
  } catch (e) {
    setStatus(e.message, true, null);
  } finally {
    refreshFaults();
  }
}

/// Builds the form (the common kinds and their inputs), wires it and the End buttons, and
/// starts the list's refresh.
export function initFaults() {
  const kind = $('fault-kind');
  for (const k of FAULT_KINDS) kind.append(new Option(k.label, k.kind));
  const fields = $('fault-fields');
  for (const m of MEMBERS) fields.append(fieldRow(m));
  kind.addEventListener('change', () => { showFields(); setStatus('', false, null); });
  showFields();
  $('fault-form').addEventListener('submit', (e) => { e.preventDefault(); startFault(); });
  $('faults-body').addEventListener('click', (e) => {
    const b = e.target.closest('button.fault-end');
    if (b && b.dataset.id) endFault(b.dataset.id);
  });
  refreshFaults();
  setInterval(() => { if (!document.hidden) refreshFaults(); }, FAULTS_REFRESH_MS);
}
