// web/settings_form.js: the app's fields come from the server's settings schema (here the
// copy docs/settings-schema.json, which a C++ test keeps equal to what the server hands out),
// in the app's order, and every value the form offers is sent as the JSON value that the form
// then shows again.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { parseSetting, shownValue } from '../../../web/meter_app_model.js';
import { fieldsFromSchema } from '../../../web/settings_form.js';

const schema = JSON.parse(readFileSync(new URL('../../../docs/settings-schema.json', import.meta.url), 'utf8'));
const fields = fieldsFromSchema(schema);
const KINDS = new Set(['int', 'number', 'text', 'bool']);

test('the app\'s settings, in the app\'s order (manual A4)', () => {
  assert.deepEqual(fields.map((f) => f.name), ['modbus_id', 'modbus_baud', 'mbus_id', 'mbus_baud', 's0_rate', 'combination',
    'parity', 'tariff', 'pulse_width_ms', 'pulse_type', 'data_type', 'screen_direction', 'obis']);
});

test('settings the app does not show stay out of the form', () => {
  const names = new Set(fields.map((f) => f.name));
  for (const name of ['backlight', 'lcd_cycle_s', 'mbus_secondary_id', 'ct_ratio']) {
    assert.ok(schema.some((row) => row.key === name), `${name} is in the schema`);
    assert.ok(!names.has(name), `${name} is not on the app's page`);
  }
});

test('every field has a name, a label and a known kind', () => {
  for (const f of fields) {
    assert.match(f.name, /^[a-z0-9_]+$/, f.name);
    assert.ok(typeof f.label === 'string' && f.label.length > 0, `${f.name}: label`);
    assert.ok(KINDS.has(f.kind), `${f.name}: kind ${f.kind}`);
    if (f.kind === 'int') {
      assert.ok(Number.isInteger(f.min) && Number.isInteger(f.max) && f.min < f.max, `${f.name}: range`);
      assert.ok(f.what, `${f.name}: what names it in errors`);
      assert.equal(f.options, undefined, `${f.name}: typed in, not chosen`);
      assert.match(f.label, new RegExp(`\\(${f.min} - ${f.max}\\)`), `${f.name}: the label shows the range`);
    } else {
      assert.ok(Array.isArray(f.options) && f.options.length >= 2, `${f.name}: options`);
    }
  }
});

test('options: unique values, each with a text, each sent as a value shown as itself', () => {
  for (const f of fields.filter((x) => x.options)) {
    const values = f.options.map((o) => o.value);
    assert.equal(new Set(values).size, values.length, `${f.name}: unique values`);
    for (const o of f.options) {
      assert.equal(typeof o.value, 'string', `${f.name}: option values are the select's strings`);
      assert.ok(o.text, `${f.name} ${o.value}: text`);
      const parsed = parseSetting(f, o.value);
      assert.equal(parsed.error, undefined, `${f.name} ${o.value}`);
      assert.equal(shownValue(parsed.value), o.value, `${f.name} ${o.value} round-trips`);
    }
  }
});

test('the kinds of the option lists match their values', () => {
  const byName = Object.fromEntries(fields.map((f) => [f.name, f]));
  assert.deepEqual(byName.obis.options.map((o) => o.value), ['false', 'true']);
  assert.equal(byName.obis.kind, 'bool');
  for (const name of ['modbus_baud', 'mbus_baud', 's0_rate', 'tariff', 'screen_direction']) {
    assert.equal(byName[name].kind, 'number', name);
  }
  for (const name of ['combination', 'parity', 'pulse_type', 'data_type']) assert.equal(byName[name].kind, 'text', name);
  assert.deepEqual(byName.s0_rate.options.map((o) => o.value), ['10000', '2000', '1000', '100', '10', '1', '0.1', '0.01']);
  assert.equal(byName.parity.options[0].text, 'Even');
});

test('a schema row becomes a field', () => {
  const [field] = fieldsFromSchema([{ key: 'k', name: 'thing', label: 'Thing (1 - 9)', section: '7.1', kind: 'integer',
    json: 'integer', unit: 'ms', default: 3, app: 1, min: 1, max: 9 }, { key: 'x', app: 0, json: 'text', kind: 'choice' }]);
  assert.deepEqual(field, { name: 'k', label: 'Thing (1 - 9)', kind: 'int', unit: 'ms', min: 1, max: 9, what: 'thing' });
});
