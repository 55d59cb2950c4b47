// web/bench_model.js: the load inputs, the load they make, the bench's read-outs.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { LOAD_EDIT_GRACE_MS, LOAD_FIELDS, PHASES, benchView, liveLoadShown, loadFromInputs, loadInputText,
  loadInputTexts, loadPrefixes, loadRowHtml } from '../../../web/bench_model.js';

test('loadPrefixes: every phase input, then the frequency', () => {
  assert.deepEqual(loadPrefixes(), ['L1-v', 'L1-i', 'L1-phi', 'L2-v', 'L2-i', 'L2-phi', 'L3-v', 'L3-i', 'L3-phi', 'f']);
});

test('loadRowHtml: label, slider and number input of one field', () => {
  const html = loadRowHtml('L2', LOAD_FIELDS.find((f) => f.key === 'phi'));
  assert.equal(html, '<label for="L2-phi-num">Angle φ (°)</label>' +
    '<input type="range" id="L2-phi-range" min="-180" max="180" step="1" aria-label="L2 angle φ slider (°)">' +
    '<input type="number" id="L2-phi-num" data-testid="L2-phi" min="-180" max="180" step="1">');
  // The slider stops short of the number input's range where that is huge (100 kA).
  assert.match(loadRowHtml('L1', LOAD_FIELDS.find((f) => f.key === 'i')), /id="L1-i-range" min="0" max="100" .*id="L1-i-num" .*max="100000"/);
});

test('loadFromInputs: the body of PUT /api/v1/load, numbers from the texts', () => {
  const texts = { 'L1-v': '231', 'L1-i': '10', 'L1-phi': '0', 'L2-v': '229', 'L2-i': '5', 'L2-phi': '60', 'L3-v': '230',
    'L3-i': '2.5', 'L3-phi': '-30', f: '50.01' };
  assert.deepEqual(loadFromInputs((p) => texts[p]), {
    f: 50.01, L1: { v: 231, i: 10, phi: 0 }, L2: { v: 229, i: 5, phi: 60 }, L3: { v: 230, i: 2.5, phi: -30 },
  });
  assert.ok(Number.isNaN(loadFromInputs(() => 'x').L1.v), 'a text that is no number is sent as such (the server refuses it)');
});

test('loadInputText and loadInputTexts: at most 3 decimals', () => {
  const cases = [[231, '231'], [0.1 + 0.2, '0.3'], [2.3456, '2.346'], [-0.0004, '0'], [49.999999, '50'], [0, '0']];
  for (const [v, want] of cases) assert.equal(loadInputText(v), want, String(v));
  const load = { f: 50, L1: { v: 230.1234, i: 1, phi: 0 }, L2: { v: 0, i: 0, phi: 0 }, L3: { v: 0, i: 0, phi: -180 } };
  const texts = Object.fromEntries(loadInputTexts(load));
  assert.deepEqual(Object.keys(texts), loadPrefixes());
  assert.equal(texts['L1-v'], '230.123');
  assert.equal(texts['L3-phi'], '-180');
  assert.equal(texts.f, '50');
});

test('liveLoadShown: not within the grace time of an edit, nor while a change waits', () => {
  const cases = [
    [10_000, 0, false, true],
    [10_000, 10_000 - LOAD_EDIT_GRACE_MS, false, false],
    [10_000, 10_000 - LOAD_EDIT_GRACE_MS - 1, false, true],
    [10_000, 9_000, false, false],
    [10_000, 0, true, false],
  ];
  for (const [now, editedAt, pending, want] of cases) assert.equal(liveLoadShown(now, editedAt, pending), want, `${now} ${editedAt} ${pending}`);
});

test('benchView: the scenario, the tariff input, the clock', () => {
  const base = { time: { sim_ms: 90_061_000, clock: 'real', speed: 60 }, scenario: null,
    status: { tariff_input: false, power_down_counter: 3 } };
  assert.deepEqual(benchView(base), { scenario: 'none', scenarioPos: '', tariffInput: false, speedSettable: true,
    speed: '60', simTime: '1 d 01:01:01', clockKind: 'real, ×60', powerDowns: '3' });
  const running = benchView({ ...base, time: { sim_ms: 0, clock: 'stepped', speed: 1 }, scenario: { name: 'demo', position_ms: 3_723_000 },
    status: { tariff_input: true, power_down_counter: 0 } });
  assert.deepEqual([running.scenario, running.scenarioPos, running.tariffInput, running.speedSettable, running.clockKind],
    ['demo', 'at 01:02:03', true, false, 'stepped, ×1']);
  assert.deepEqual(PHASES, ['L1', 'L2', 'L3']);
});
