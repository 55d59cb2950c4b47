// The fleet view (docs/web.md "The fleet view"): shown only when the twin is a fleet
// (`fleet` of GET /api/v1). A paged table of the fleet's meters from GET /api/v1/meters —
// sortable by a click on a column header, filtered by serial digits and "errors only" — whose
// visible page is fetched again every FLEET_REFRESH_MS (only that page). A click on a row (or
// Enter on it) makes the LCD, the app and the bench show and drive that meter. The query,
// the paging and the row texts are fleet_model.js's.
import { $, api, setText } from './common.js';
import { FLEET_COLUMNS, FLEET_REFRESH_MS, ariaSort, filterDigits, initialView, meterListQuery, meterRow,
  pageInfo, shownText, sortBy, turnPage, withFilters } from './fleet_model.js';

let view = initialView();
let fleetMeters = 0;
let total = 0;
let shown = null;      // the serial of the meter the page shows
let onSelect = null;   // app.js: show that meter
let requestSeq = 0;    // answers of older requests are dropped
let inFlight = false;
let filterTimer = null;

function buildHeader() {
  const tr = $('fleet-head');
  for (const c of FLEET_COLUMNS) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.dataset.col = c.key;
    if (c.num) th.className = 'num';
    if (c.sort) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'sort';
      b.dataset.sort = c.sort;
      b.dataset.testid = `fleet-sort-${c.sort}`;
      b.textContent = c.label;
      b.addEventListener('click', () => setView(sortBy(view, c.sort)));
      th.append(b);
    } else {
      th.textContent = c.label;
    }
    tr.append(th);
  }
}

function renderHeader() {
  for (const th of $('fleet-head').cells) {
    const b = th.querySelector('button.sort');
    const sort = b ? b.dataset.sort : null;
    th.setAttribute('aria-sort', ariaSort(view, sort));
  }
}

function renderRows(meters) {
  const body = $('fleet-body');
  while (body.rows.length > meters.length) body.deleteRow(-1);
  while (body.rows.length < meters.length) {
    const tr = body.insertRow();
    tr.tabIndex = 0;
    tr.dataset.testid = 'fleet-row';
    for (const c of FLEET_COLUMNS) {
      const td = tr.insertCell();
      td.dataset.col = c.key;
      if (c.num) td.className = 'num';
    }
  }
  meters.forEach((m, i) => {
    const row = meterRow(m);
    const tr = body.rows[i];
    tr.dataset.serial = row.serial;
    tr.classList.toggle('error', row.error);
    tr.classList.toggle('unpowered', !row.powered);
    FLEET_COLUMNS.forEach((c, k) => {
      const td = tr.cells[k];
      setText(td, row.cells[c.key]);
      const title = row.titles[c.key] || '';
      if (td.title !== title) td.title = title;
    });
  });
  markShown();
}

function markShown() {
  for (const tr of $('fleet-body').rows) {
    const on = tr.dataset.serial === shown;
    tr.classList.toggle('selected', on);
    tr.setAttribute('aria-selected', String(on));
  }
}

function renderPaging() {
  const info = pageInfo(view, total, fleetMeters);
  setText($('fleet-info'), info.text);
  $('fleet-prev').disabled = !info.prev;
  $('fleet-next').disabled = !info.next;
}

/// Fetches the visible page (one request at a time; a view change asks at once and drops
/// the answers of the requests before it).
async function refresh() {
  if (inFlight) return;
  inFlight = true;
  const seq = ++requestSeq;
  const asked = view;
  try {
    const page = await api('GET', `/meters?${meterListQuery(asked)}`);
    if (seq !== requestSeq || asked !== view) return;
    total = page.total;
    fleetMeters = page.fleet_meters;
    renderRows(page.meters);
    renderPaging();
    $('fleet').dataset.loaded = meterListQuery(asked); // what the table holds (for tests)
  } catch {
    // shown in the alert area by api()
  } finally {
    inFlight = false;
    if (asked !== view) refresh();
  }
}

function setView(next) {
  if (next === view) return;
  view = next;
  renderHeader();
  refresh();
}

/// The filter box: applied 250 ms after the last key, or at once on Enter.
function applyFilter(now) {
  const parsed = filterDigits($('fleet-filter').value);
  $('fleet-filter').setAttribute('aria-invalid', String(!!parsed.error));
  setText($('fleet-filter-error'), parsed.error || '');
  clearTimeout(filterTimer);
  if (parsed.error) return;
  const apply = () => setView(withFilters(view, { q: parsed.q }));
  if (now) apply();
  else filterTimer = setTimeout(apply, 250);
}

function pick(tr) {
  if (!tr || !tr.dataset.serial) return;
  showMeter(tr.dataset.serial);
  if (onSelect) onSelect(tr.dataset.serial);
}

/// The meter the page shows now (marked in the table, named above it).
export function showMeter(serial) {
  if (!serial || serial === shown) return;
  shown = serial;
  const text = shownText(serial, fleetMeters);
  setText($('fleet-shown'), text);
  setText($('selected-meter'), text);
  $('selected-meter').hidden = false;
  $('selected-meter').dataset.serial = serial;
  markShown();
}

/// Shows the fleet view (`fleet` of GET /api/v1: {meters, gateways}) and starts its refresh;
/// `select(serial)` is called when a row is picked.
export function initFleet(fleet, select) {
  onSelect = select;
  fleetMeters = fleet.meters;
  $('fleet').hidden = false;
  buildHeader();
  renderHeader();
  $('fleet-filter').addEventListener('input', () => applyFilter(false));
  $('fleet-filter').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); applyFilter(true); }
  });
  $('fleet-errors').addEventListener('change', (e) => setView(withFilters(view, { errorsOnly: e.target.checked })));
  $('fleet-prev').addEventListener('click', () => setView(turnPage(view, -1, total)));
  $('fleet-next').addEventListener('click', () => setView(turnPage(view, 1, total)));
  const body = $('fleet-body');
  body.addEventListener('click', (e) => pick(e.target.closest('tr')));
  body.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      pick(e.target.closest('tr'));
    }
  });
  refresh();
  setInterval(() => { if (!document.hidden) refresh(); }, FLEET_REFRESH_MS);
}
