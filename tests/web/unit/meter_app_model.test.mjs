// web/meter_app_model.js: the app's Device page and Bluetooth line, the Settings page's checks.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { RESETS, bluetoothStatus, collectSettings, deviceView, isModified, keyedRows, parseSetting, passwordError,
  resetDoneText, shownValue, storeQuestion } from '../../../web/meter_app_model.js';
import { readFileSync } from 'node:fs';

import { fieldsFromSchema } from '../../../web/settings_form.js';

// The app's fields as the server's schema makes them (docs/settings-schema.json is its copy).
const settingFields = () => fieldsFromSchema(JSON.parse(readFileSync(new URL('../../../docs/settings-schema.json', import.meta.url), 'utf8')));

const field = (name) => settingFields().find((f) => f.name === name);
// The meter's settings as the state has them (the keys the form shows).
const meter = { modbus_id: 1, modbus_baud: 9600, mbus_id: 0, mbus_baud: 2400, s0_rate: 1000, combination: 'C-03',
  parity: 'even', tariff: 1, pulse_width_ms: 35, pulse_type: 'active&reactive', data_type: 'standard',
  screen_direction: 0, obis: true };

test('deviceView and bluetoothStatus', () => {
  const identity = { serial: '19020246', software_version: 1.02, checksum1: 'ABCD', checksum2: '1234' };
  assert.deepEqual(deviceView(identity), { serial: '19020246', software: '1.02', checksum1: 'ABCD', checksum2: '1234' });
  const on = bluetoothStatus({ identity, status: { status_bits: ['x', 'bluetooth_active'] } });
  assert.deepEqual(on, { on: true, text: 'Connected over Bluetooth to meter 19020246' });
  for (const status of [{ status_bits: [] }, {}, { status_bits: ['communication_active'] }]) {
    const off = bluetoothStatus({ identity, status });
    assert.equal(off.on, false);
    assert.match(off.text, /^Bluetooth is off: .*refused until then$/);
  }
});

test('keyedRows: each row keyed by its description', () => {
  assert.deepEqual(keyedRows([{ description: 'L1 Voltage', value: '230.00', unit: 'V' }]),
    [{ key: 'L1 Voltage', description: 'L1 Voltage', value: '230.00', unit: 'V' }]);
});

test('isModified: the form text against the meter (none known: not modified)', () => {
  const cases = [
    [meter, 'modbus_id', '1', false],
    [meter, 'modbus_id', ' 1 ', false],
    [meter, 'modbus_id', '01', true],
    [meter, 'modbus_id', '5', true],
    [meter, 'obis', 'true', false],
    [meter, 'obis', 'false', true],
    [meter, 's0_rate', '1000', false],
    [null, 'modbus_id', '5', false],
  ];
  for (const [m, name, text, want] of cases) assert.equal(isModified(m, name, text), want, `${name} ${JSON.stringify(text)}`);
  assert.equal(shownValue(0.01), '0.01');
  assert.equal(shownValue(false), 'false');
});

describe('parseSetting', () => {
  test('whole numbers in their range', () => {
    const cases = [
      ['modbus_id', '1', { value: 1 }],
      ['modbus_id', '247', { value: 247 }],
      ['modbus_id', ' 7 ', { value: 7 }],
      ['modbus_id', '0', { error: 'Modbus ID 0 out of range 1-247' }],
      ['modbus_id', '300', { error: 'Modbus ID 300 out of range 1-247' }],
      ['modbus_id', '-3', { error: 'Modbus ID -3 out of range 1-247' }],
      ['modbus_id', '1.5', { error: 'Modbus ID "1.5" is not a whole number' }],
      ['modbus_id', '', { error: 'Modbus ID "" is not a whole number' }],
      ['modbus_id', 'abc', { error: 'Modbus ID "abc" is not a whole number' }],
      ['mbus_id', '0', { value: 0 }],
      ['mbus_id', '251', { error: 'M-bus ID 251 out of range 0-250' }],
      ['pulse_width_ms', '2', { value: 2 }],
      ['pulse_width_ms', '100', { error: 'pulse width 100 out of range 2-99' }],
    ];
    for (const [name, text, want] of cases) assert.deepEqual(parseSetting(field(name), text), want, `${name} ${JSON.stringify(text)}`);
  });
  test('numbers, texts and booleans by the field\'s kind', () => {
    const cases = [
      ['modbus_baud', '115200', 115200],
      ['s0_rate', '0.01', 0.01],
      ['tariff', '3', 3],
      ['screen_direction', '1', 1],
      ['combination', 'C-05', 'C-05'],
      ['parity', 'odd', 'odd'],
      ['pulse_type', 'forward&reverse', 'forward&reverse'],
      ['data_type', 'integer', 'integer'],
      ['obis', 'true', true],
      ['obis', 'false', false],
    ];
    for (const [name, text, want] of cases) assert.deepEqual(parseSetting(field(name), text), { value: want }, name);
  });
  test('an unknown kind is an error, not a guess', () => {
    assert.deepEqual(parseSetting({ name: 'x', kind: 'date' }, '1'), { error: 'x: unknown kind "date"' });
  });
});

describe('collectSettings', () => {
  const fields = settingFields();
  const form = (changes) => (name) => (name in changes ? changes[name] : shownValue(meter[name]));
  test('only the modified settings, as JSON values', () => {
    assert.deepEqual(collectSettings(fields, form({}), meter), { settings: {} });
    assert.deepEqual(collectSettings(fields, form({ modbus_id: '7', parity: 'odd', obis: 'false', s0_rate: '0.1' }), meter),
      { settings: { modbus_id: 7, s0_rate: 0.1, parity: 'odd', obis: false } });
  });
  test('the first range error, nothing else', () => {
    assert.deepEqual(collectSettings(fields, form({ modbus_id: '300', mbus_id: '999' }), meter),
      { error: 'Modbus ID 300 out of range 1-247' });
    assert.deepEqual(collectSettings(fields, form({ parity: 'odd', pulse_width_ms: 'x' }), meter),
      { error: 'pulse width "x" is not a whole number' });
  });
  test('before the meter\'s settings are known nothing counts as modified', () => {
    assert.deepEqual(collectSettings(fields, form({ modbus_id: '300' }), null), { settings: {} });
  });
});

test('storeQuestion: the count, and a warning for what cannot be undone', () => {
  const cases = [
    [{ modbus_id: 7 }, 'Store 1 modified setting in the meter.'],
    [{ modbus_id: 7, parity: 'odd' }, 'Store 2 modified settings in the meter.'],
    [{ combination: 'C-05' }, 'Store 1 modified setting in the meter. C-05 is final: no other combination code can be set afterwards (7.6.15).'],
    [{ combination: 'C-04' }, 'Store 1 modified setting in the meter.'],
    [{ tariff: 2 }, 'Store 1 modified setting in the meter.'],
    [{ tariff: 3, combination: 'C-05' }, 'Store 2 modified settings in the meter. C-05 is final: no other combination code can be set afterwards (7.6.15). T3/T4 stay activated for good once used (7.6.2).'],
    [{ tariff: 4 }, 'Store 1 modified setting in the meter. T3/T4 stay activated for good once used (7.6.2).'],
  ];
  for (const [settings, want] of cases) assert.equal(storeQuestion(settings), want, JSON.stringify(settings));
});

test('passwordError: 4 digits', () => {
  for (const pw of ['0000', '1234', '9999']) assert.equal(passwordError(pw), '', pw);
  for (const pw of ['', '000', '00000', 'abcd', '12a4', ' 123', '１２３４']) {
    assert.equal(passwordError(pw), 'The password is 4 digits (0-9).', JSON.stringify(pw));
  }
});

test('the resets: their endpoint value and the status line after them', () => {
  assert.deepEqual(Object.fromEntries(Object.entries(RESETS).map(([id, r]) => [id, r.what])),
    { 'reset-pdc': 'power_down_counter', 'reset-trip': 'trip_counter' });
  assert.equal(resetDoneText(RESETS['reset-pdc'].question), 'Reset the power down counter to 0.');
  assert.equal(resetDoneText(RESETS['reset-trip'].question), 'Reset the trip counter to 0.');
});
