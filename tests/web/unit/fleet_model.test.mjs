// web/fleet_model.js: the fleet view's query, sort clicks, filters, paging, row texts, and
// the paths of the meter the page shows.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { FLEET_COLUMNS, FLEET_PAGE_SIZE, ariaSort, filterDigits, initialView, meterListQuery, meterPath, meterRow,
  pageInfo, shownText, sortBy, streamShows, turnPage, withFilters } from '../../../web/fleet_model.js';

test('meterListQuery: the first page in fleet order, then sort, order and filters', () => {
  const v = initialView();
  assert.equal(meterListQuery(v), `offset=0&limit=${FLEET_PAGE_SIZE}`);
  assert.equal(meterListQuery({ ...v, offset: 100, sort: 'p_w', order: 'desc', q: '0203', errorsOnly: true }),
    `offset=100&limit=${FLEET_PAGE_SIZE}&sort=p_w&order=desc&q=0203&error=1`);
});

test('sortBy: a numeric column starts largest first, the serial smallest; a second click turns it round', () => {
  const v = { ...initialView(), offset: 200 };
  const power = sortBy(v, 'p_w');
  assert.deepEqual([power.sort, power.order, power.offset], ['p_w', 'desc', 0]);
  assert.equal(sortBy(power, 'p_w').order, 'asc');
  assert.equal(sortBy(sortBy(power, 'p_w'), 'p_w').order, 'desc');
  const serial = sortBy(power, 'serial');
  assert.deepEqual([serial.sort, serial.order], ['serial', 'asc']);
  assert.equal(sortBy(v, 'mbus'), v, 'a column without a sort key changes nothing');
  assert.deepEqual(FLEET_COLUMNS.filter((c) => c.sort).map((c) => c.sort),
    ['serial', 'unit', 'p_w', 'forward_kwh', 'reverse_kwh', 'error'], 'the sort keys of GET /api/v1/meters');
});

test('ariaSort: the sorted column says which way, the others none', () => {
  const v = sortBy(initialView(), 'forward_kwh');
  assert.equal(ariaSort(v, 'forward_kwh'), 'descending');
  assert.equal(ariaSort(sortBy(v, 'forward_kwh'), 'forward_kwh'), 'ascending');
  assert.equal(ariaSort(v, 'serial'), 'none');
  assert.equal(ariaSort(v, null), 'none');
});

test('filterDigits: up to 8 digits of a serial, spaces dropped; anything else is an error', () => {
  assert.deepEqual(filterDigits(' 1902 0300 '), { q: '19020300' });
  assert.deepEqual(filterDigits(''), { q: '' });
  assert.ok(filterDigits('19x').error);
  assert.ok(filterDigits('190203001').error);
});

test('withFilters: new filters go back to the first page; the same ones keep the view', () => {
  const v = { ...initialView(), offset: 150 };
  assert.equal(withFilters(v, { q: '' }), v);
  const q = withFilters(v, { q: '03' });
  assert.deepEqual([q.q, q.offset, q.errorsOnly], ['03', 0, false]);
  const e = withFilters(q, { errorsOnly: true });
  assert.deepEqual([e.q, e.errorsOnly], ['03', true]);
});

test('turnPage and pageInfo: pages stay within the matching meters', () => {
  const v = initialView();
  assert.equal(turnPage(v, -1, 10000), v, 'no page before the first');
  const second = turnPage(v, 1, 10000);
  assert.equal(second.offset, 50);
  assert.equal(turnPage({ ...v, offset: 9950 }, 1, 10000).offset, 9950, 'no page after the last');
  assert.equal(turnPage({ ...v, offset: 9950 }, 1, 120).offset, 100, 'a smaller total brings the page back');
  assert.deepEqual(pageInfo(v, 10000, 10000), { text: '1–50 of 10000 meters', prev: false, next: true });
  assert.deepEqual(pageInfo(second, 10000, 10000), { text: '51–100 of 10000 meters', prev: true, next: true });
  assert.deepEqual(pageInfo(v, 1, 10000), { text: '1–1 of 1 meter (of 10000 in the fleet)', prev: false, next: false });
  assert.deepEqual(pageInfo(v, 0, 10000), { text: 'no meter matches (of 10000 in the fleet)', prev: false, next: false });
});

test('meterRow: the texts of one meter of GET /api/v1/meters', () => {
  const m = {
    serial: '19020493', gateway: 1, modbus: { endpoint: '127.0.0.1:5021', unit: 1 }, mbus: { primary: 248, secondary: '19020493' },
    powered: true, supply_on: true, p_w: 2300, forward_kwh: 4.6, reverse_kwh: 0, error_code: 8, error_bits: ['main_unwritable'],
    status_word: 66, status_bits: ['bluetooth_active', 'powered'], sim_ms: 1000,
  };
  const row = meterRow(m);
  assert.equal(row.serial, '19020493');
  assert.equal(row.error, true);
  assert.deepEqual(row.cells, {
    serial: '19020493', unit: 'G1 · 1', mbus: '248', supply: 'on', p_w: '2300.0', forward_kwh: '4.600', reverse_kwh: '0.000',
    status: 'BT', error: '0x08 main_unwritable',
  });
  assert.equal(row.titles.unit, 'Modbus TCP 127.0.0.1:5021, unit 1');
  assert.equal(row.titles.status, 'status word 66: bluetooth_active, powered');
  const dead = meterRow({ ...m, powered: false, supply_on: false, error_code: 0, error_bits: [], status_bits: [] });
  assert.deepEqual([dead.cells.supply, dead.cells.error, dead.cells.status, dead.error, dead.powered], ['off', '–', '', false, false]);
  assert.equal(meterRow({ ...m, powered: false, supply_on: true }).cells.supply, 'no voltage');
});

test('meterPath: a meter\'s paths under /meters/{serial}, the fleet\'s own paths as they are', () => {
  assert.equal(meterPath(null, '/panel/press'), '/panel/press', 'one meter, or the fleet\'s first');
  assert.equal(meterPath('19020300', '/panel/press'), '/meters/19020300/panel/press');
  assert.equal(meterPath('19020300', '/app/export.csv'), '/meters/19020300/app/export.csv');
  assert.equal(meterPath('19020300', '/live'), '/meters/19020300/live');
  for (const own of ['', '/events', '/clock', '/clock/advance', '/settings/schema', '/meters?offset=0', '/fleet/load']) {
    assert.equal(meterPath('19020300', own), own, own);
  }
});

test('streamShows: the stream (the fleet\'s first meter) is drawn unless another meter is shown', () => {
  const data = { state: { identity: { serial: '19020246' } } };
  assert.equal(streamShows(null, data), true);
  assert.equal(streamShows('19020246', data), true);
  assert.equal(streamShows('19020300', data), false);
});

test('shownText: which meter the page shows', () => {
  assert.equal(shownText('19020300', 10000), 'Meter 19020300 · fleet of 10000 meters');
  assert.equal(shownText('', 10000), '');
});
