// The fleet view's data (docs/web.md "The fleet view"): the query of GET /api/v1/meters for
// the table's page, sort and filters, the paging, the texts of a row, and the paths of the
// meter the page shows. Pure: fleet.js and common.js hand it the DOM's values.
import { fixed } from './format.js';

/// Meters per page of the table, and how often the visible page is fetched again.
export const FLEET_PAGE_SIZE = 50;
export const FLEET_REFRESH_MS = 2000;

/// The table's columns: `sort` is the key of GET /api/v1/meters?sort= (null: not sortable);
/// a numeric column sorts largest first on its first click.
export const FLEET_COLUMNS = [
  { key: 'serial', label: 'Serial', sort: 'serial' },
  { key: 'unit', label: 'Gateway · unit', sort: 'unit' },
  { key: 'mbus', label: 'M-bus', sort: null },
  { key: 'supply', label: 'Supply', sort: null },
  { key: 'p_w', label: 'P (W)', sort: 'p_w', num: true },
  { key: 'forward_kwh', label: 'Forward (kWh)', sort: 'forward_kwh', num: true },
  { key: 'reverse_kwh', label: 'Reverse (kWh)', sort: 'reverse_kwh', num: true },
  { key: 'status', label: 'Status', sort: null },
  { key: 'error', label: 'Error', sort: 'error', num: true },
];

/// The view before any click: the fleet's order, first page, no filter.
export function initialView() {
  return { offset: 0, limit: FLEET_PAGE_SIZE, sort: null, order: 'asc', q: '', errorsOnly: false };
}

/// The query of GET /api/v1/meters for `view` ("offset=0&limit=50&sort=p_w&order=desc&error=1").
export function meterListQuery(view) {
  const params = [['offset', view.offset], ['limit', view.limit]];
  if (view.sort) params.push(['sort', view.sort], ['order', view.order]);
  if (view.q) params.push(['q', view.q]);
  if (view.errorsOnly) params.push(['error', 1]);
  return params.map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join('&');
}

/// The filter box's text: {q} (up to 8 digits of a serial, spaces ignored) or {error}.
export function filterDigits(text) {
  const q = String(text).replace(/\s+/g, '');
  return /^\d{0,8}$/.test(q) ? { q } : { error: 'type digits of a serial number (up to 8)' };
}

/// A click on the header of the column sorting by `sort`: the same column turns the order
/// round; another starts largest first for numbers, smallest first for the serial and unit.
/// Back to the first page.
export function sortBy(view, sort) {
  const column = FLEET_COLUMNS.find((c) => c.sort === sort);
  if (!column) return view;
  const order = view.sort === sort ? (view.order === 'asc' ? 'desc' : 'asc') : (column.num ? 'desc' : 'asc');
  return { ...view, sort, order, offset: 0 };
}

/// The view with new filters (either may be left out): back to the first page.
export function withFilters(view, { q = view.q, errorsOnly = view.errorsOnly } = {}) {
  if (q === view.q && errorsOnly === view.errorsOnly) return view;
  return { ...view, q, errorsOnly, offset: 0 };
}

/// The view `pages` pages on (negative: back), kept within the `total` matching meters.
export function turnPage(view, pages, total) {
  const last = Math.max(0, Math.ceil(total / view.limit) - 1) * view.limit;
  const offset = Math.min(last, Math.max(0, view.offset + pages * view.limit));
  return offset === view.offset ? view : { ...view, offset };
}

/// The paging line and buttons: "1–50 of 10000 meters", whether there is a page before and after.
export function pageInfo(view, total, fleetMeters) {
  const of = fleetMeters !== undefined && fleetMeters !== total ? ` (of ${fleetMeters} in the fleet)` : '';
  if (total === 0) return { text: `no meter matches${of}`, prev: false, next: false };
  const first = Math.min(view.offset + 1, total);
  const last = Math.min(view.offset + view.limit, total);
  const noun = total === 1 ? 'meter' : 'meters';
  return { text: `${first}–${last} of ${total} ${noun}${of}`, prev: view.offset > 0, next: last < total };
}

/// aria-sort of the header of the column sorting by `sort`.
export function ariaSort(view, sort) {
  if (!sort || view.sort !== sort) return 'none';
  return view.order === 'asc' ? 'ascending' : 'descending';
}

/// Short names of the status word's bits (401D), for the table; `powered` has its column.
const STATUS_SHORT = {
  communication_active: 'comm', bluetooth_active: 'BT', t3_t4_activated: 'T3/T4', c05_locked: 'C-05',
  storage_error: 'storage', tariff_input_energized: 'T-in', ct_history_full: 'CT full',
};

/// The texts of one meter of GET /api/v1/meters: {serial, error, powered, cells, titles}.
export function meterRow(m) {
  const status = (m.status_bits || []).filter((b) => b !== 'powered');
  const errorBits = m.error_bits || [];
  const code = m.error_code || 0;
  const cells = {
    serial: m.serial,
    unit: `G${m.gateway ?? 0} · ${m.modbus ? m.modbus.unit : '–'}`,
    mbus: m.mbus ? String(m.mbus.primary) : '–',
    supply: m.powered ? 'on' : (m.supply_on === false ? 'off' : 'no voltage'),
    p_w: fixed(m.p_w, 1),
    forward_kwh: fixed(m.forward_kwh, 3),
    reverse_kwh: fixed(m.reverse_kwh, 3),
    status: status.map((b) => STATUS_SHORT[b] || b).join(' '),
    error: code === 0 ? '–' : `0x${code.toString(16).padStart(2, '0').toUpperCase()} ${errorBits.join(' ')}`,
  };
  const titles = {
    unit: m.modbus ? `Modbus TCP ${m.modbus.endpoint}, unit ${m.modbus.unit}` : '',
    mbus: m.mbus ? `M-bus primary ${m.mbus.primary}, secondary ${m.mbus.secondary}` : '',
    status: `status word ${m.status_word ?? 0}: ${(m.status_bits || []).join(', ') || 'none'}`,
    error: `error code ${code}: ${errorBits.join(', ') || 'none'}`,
  };
  return { serial: m.serial, error: code !== 0, powered: !!m.powered, cells, titles };
}

/// The control API's paths that are the fleet's (or the page's), never a meter's.
const FLEET_WIDE = ['', '/events', '/clock', '/clock/advance', '/settings/schema'];

/// The path of `path` ("/panel/press") for the meter `serial` of a fleet
/// ("/meters/19020300/panel/press"); the path itself without a serial (one meter, or the
/// fleet's first) and for the fleet's own paths (the clock, the event stream, the list).
export function meterPath(serial, path) {
  if (!serial || FLEET_WIDE.includes(path) || path.startsWith('/meters') || path.startsWith('/fleet/')) return path;
  return `/meters/${encodeURIComponent(serial)}${path}`;
}

/// Whether the event stream's data (the fleet's first meter) is the meter the page shows.
export function streamShows(selected, data) {
  return !selected || (data && data.state && data.state.identity && data.state.identity.serial === selected);
}

/// The line saying which meter the page shows: "Meter 19020300 · fleet of 10000 meters".
export function shownText(serial, fleetMeters) {
  if (!serial) return '';
  return fleetMeters ? `Meter ${serial} · fleet of ${fleetMeters} meters` : `Meter ${serial}`;
}
