// web/lcd_model.js: what the LCD shows of the panel JSON, the menu value's cursor, the
// screen reader's summary and the hold indicator of *.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { HOLD_MS, PART_IDS, arrowText, holdProgress, lcdSummary, lcdView, menuValueCells, partLine }
  from '../../../web/lcd_model.js';

// The shape of GET /api/v1/panel (tests/e2e/test_web_api.py checks it against the server).
const icons = { tariff: 1, bluetooth: false, communication: false, ct_ratio: '0005/5', import_arrow: true, export_arrow: false };
const normal = {
  mode: 'normal', backlight: true, turned: false, software_version: '1.02', icons,
  part1: { caption: 'SN', value: '19020246' },
  part2: { caption: '', label: '', obis: '1.8.1', value: '000012.345', unit: 'kWh' },
  part3: { caption: 'P', label: 'Total', obis: '16.7.0', value: '2.310', unit: 'kW', detail: '' },
  menu: null, led: { flashes: 3 }, s0: [],
};
const menu = {
  ...normal, mode: 'menu',
  menu: { section: '7.6.6', title: 'Modbus ID', value: '005', unit: '', cursor: 2, editing: true, message: '', qr: '' },
};
const off = { ...normal, mode: 'off', backlight: false };

describe('lcdView', () => {
  test('the normal display: part 1, the icons and parts 2 and 3', () => {
    const v = lcdView(normal);
    assert.equal(v.mode, 'normal');
    assert.equal(v.menu, false);
    assert.equal(v.backlight, true);
    assert.equal(v.turned, false);
    assert.deepEqual(v.text, { 'lcd-sw': '1.02', 'lcd-p1': 'SN 19020246', 'lcd-tariff': 'T1', 'lcd-arrow': '▶ imp',
      'lcd-ct': '0005/5' });
    assert.deepEqual(v.parts, { 'lcd-p2-cap': '', 'lcd-p2-obis': '1.8.1', 'lcd-p2-val': '000012.345', 'lcd-p2-unit': 'kWh',
      'lcd-p3-cap': 'P Total', 'lcd-p3-obis': '16.7.0', 'lcd-p3-val': '2.310', 'lcd-p3-unit': 'kW', 'lcd-p3-detail': '' });
    assert.deepEqual(Object.keys(v.parts).sort(), [...PART_IDS].sort());
  });
  test('off: every segment empty, no icon lit, even if the JSON says so', () => {
    const v = lcdView({ ...off, icons: { ...icons, bluetooth: true, communication: true } });
    assert.equal(v.bluetooth, false);
    assert.equal(v.communication, false);
    for (const text of Object.values(v.text)) assert.equal(text, '');
    assert.deepEqual(v.parts, Object.fromEntries(PART_IDS.map((id) => [id, ''])));
  });
  test('a menu page: the menu texts; parts 2 and 3 left as they are', () => {
    const v = lcdView({ ...menu, menu: { ...menu.menu, value: 'Err', message: 'Modbus ID 0 out of range 1-247', qr: '' } });
    assert.equal(v.menu, true);
    assert.equal(v.parts, null);
    assert.equal(v.error, true);
    assert.equal(v.text['lcd-m-section'], '7.6.6');
    assert.equal(v.text['lcd-m-title'], 'Modbus ID');
    assert.equal(v.text['lcd-m-message'], 'Modbus ID 0 out of range 1-247');
    assert.equal(lcdView(menu).error, false);
  });
  test('the Bluetooth page carries the QR payload; other pages none', () => {
    assert.equal(lcdView({ ...menu, menu: { ...menu.menu, qr: '19020246' } }).qr, '19020246');
    assert.equal(lcdView(menu).qr, '');
    assert.equal(lcdView(normal).qr, '');
  });
  test('icons: Bluetooth and the hook only while the display is on', () => {
    const cases = [
      ['normal', true, false, true, false],
      ['normal', false, true, false, true],
      ['menu', true, true, true, true],
      ['off', true, true, false, false],
    ];
    for (const [mode, bt, comm, wantBt, wantComm] of cases) {
      const v = lcdView({ ...(mode === 'menu' ? menu : normal), mode, icons: { ...icons, bluetooth: bt, communication: comm } });
      assert.deepEqual([v.bluetooth, v.communication], [wantBt, wantComm], `${mode} bt=${bt} comm=${comm}`);
    }
  });
});

test('partLine and arrowText', () => {
  assert.equal(partLine({ caption: 'P', label: 'L1' }), 'P L1');
  assert.equal(partLine({ caption: 'CT', label: '' }), 'CT');
  assert.equal(partLine({ caption: '', label: '' }), '');
  assert.equal(arrowText({ import_arrow: true, export_arrow: true }), '▶ imp');
  assert.equal(arrowText({ import_arrow: false, export_arrow: true }), '◀ exp');
  assert.equal(arrowText({ import_arrow: false, export_arrow: false }), '');
});

test('menuValueCells: the cursor cell, blinking only while editing', () => {
  const cases = [
    [{ value: '0000', cursor: 0, editing: false }, false, [true, false, false, false], [false, false, false, false]],
    [{ value: '001', cursor: 2, editing: true }, false, [false, false, true], [false, false, true]],
    [{ value: 'Bluetooth', cursor: -1, editing: false }, false, Array(9).fill(false), Array(9).fill(false)],
    [{ value: 'T1', cursor: -1, editing: true }, true, [false, false], [false, false]],
  ];
  for (const [m, blink, cursors, blinks] of cases) {
    const v = menuValueCells(m);
    assert.equal(v.blink, blink, JSON.stringify(m));
    assert.equal(v.cells.map((c) => c.ch).join(''), m.value);
    assert.deepEqual(v.cells.map((c) => c.cursor), cursors, JSON.stringify(m));
    assert.deepEqual(v.cells.map((c) => c.blink), blinks, JSON.stringify(m));
  }
  const a = menuValueCells({ value: '001', cursor: 2, editing: true }).key;
  assert.notEqual(a, menuValueCells({ value: '001', cursor: 1, editing: true }).key);
  assert.notEqual(a, menuValueCells({ value: '001', cursor: 2, editing: false }).key);
  assert.equal(a, menuValueCells({ value: '001', cursor: 2, editing: true, message: 'x' }).key);
});

test('lcdSummary: one sentence per mode', () => {
  assert.equal(lcdSummary(off), 'LCD off');
  assert.equal(lcdSummary(normal), 'SN 19020246, T1, CT 0005/5. 1.8.1 000012.345 kWh. P Total 16.7.0 2.310 kW');
  assert.equal(lcdSummary(menu), 'SN 19020246, T1, CT 0005/5. Modbus ID: 005');
  assert.equal(lcdSummary({ ...menu, menu: { ...menu.menu, title: 'Pulse width', value: 'Err', unit: 'ms', message: 'out of range' } }),
    'SN 19020246, T1, CT 0005/5. Pulse width: Err ms (out of range)');
});

test('holdProgress: the ring and the bar fill over 3 s, then stay full', () => {
  assert.equal(HOLD_MS, 3000);
  const cases = [
    [0, '120', 0, false],
    [750, '90', 750, true],
    [1500, '60', 1500, true],
    [3000, '0', 3000, true],
    [4500, '0', 3000, true],
  ];
  for (const [ms, ring, bar, holding] of cases) assert.deepEqual(holdProgress(ms), { ringOffset: ring, bar, holding }, `${ms} ms`);
});
