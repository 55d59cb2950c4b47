// web/faults_model.js: the form's kinds and inputs, the POST body it makes, the list's texts.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { FAULT_KINDS, FAULT_PARAMS, faultBody, faultRow, faultState, faultsSummary, fieldId, kindInfo, memberOfError,
  paramsText, shownMembers, windowText } from '../../../web/faults_model.js';

const base = { id: 1, kind: 'no-reply', probability: 1, start_ms: 0, end_ms: null, seed: 419562054, active: true,
  ended: false, seen: 0, applied: 0 };

test('the common kinds of issue 15, in the form\'s order, each with known parameters', () => {
  assert.deepEqual(FAULT_KINDS.map((k) => k.kind),
    ['no-reply', 'delay', 'bad-crc', 'exception', 'bit-errors', 'supply-lost', 'phase-lost', 'ct-reversed']);
  for (const k of FAULT_KINDS) for (const p of k.params) assert.ok(FAULT_PARAMS[p], `${k.kind}: ${p}`);
  assert.equal(FAULT_PARAMS.exception_code.value, '6', 'exception 06 (server device busy) by default');
});

test('shownMembers: the kind\'s parameters, probability for link faults only, then the duration', () => {
  assert.deepEqual(shownMembers('no-reply'), ['probability', 'duration_s']);
  assert.deepEqual(shownMembers('delay'), ['delay_ms', 'jitter_ms', 'probability', 'duration_s']);
  assert.deepEqual(shownMembers('supply-lost'), ['duration_s']);
  assert.deepEqual(shownMembers('phase-lost'), ['phase', 'duration_s']);
  assert.deepEqual(shownMembers('torn-write'), ['probability', 'duration_s'], 'a kind the form does not know');
  assert.equal(kindInfo('ct-reversed').probability, false);
  assert.equal(fieldId('delay_ms'), 'fault-delay_ms');
});

test('faultBody: numbers from the texts; empty inputs left out (the server\'s defaults, until ended)', () => {
  const texts = { delay_ms: '200', jitter_ms: ' 50 ', probability: '0.5', duration_s: '', phase: '2' };
  assert.deepEqual(faultBody('delay', (m) => texts[m]), { kind: 'delay', delay_ms: 200, jitter_ms: 50, probability: 0.5 });
  assert.deepEqual(faultBody('no-reply', (m) => ({ probability: '', duration_s: '600' })[m]), { kind: 'no-reply', duration_s: 600 });
  assert.deepEqual(faultBody('phase-lost', (m) => texts[m]), { kind: 'phase-lost', phase: 2 },
    'no probability for a meter fault, even when its input holds one');
  assert.deepEqual(faultBody('supply-lost', () => undefined), { kind: 'supply-lost' });
});

test('faultBody: a value out of range or no number goes to the server as it is (its 422 names it)', () => {
  assert.deepEqual(faultBody('no-reply', (m) => ({ probability: '2', duration_s: '-1' })[m]),
    { kind: 'no-reply', probability: 2, duration_s: -1 });
  assert.deepEqual(faultBody('bit-errors', (m) => ({ bit_error_rate: 'lots' })[m]), { kind: 'bit-errors', bit_error_rate: 'lots' });
});

test('memberOfError: the first member of the form a server message names', () => {
  const members = shownMembers('delay');
  assert.equal(memberOfError('"probability" 2 is out of range: give a probability above 0, at most 1', members), 'probability');
  assert.equal(memberOfError('"delay_ms" 700000 is out of range: give 0-600000 ms', members), 'delay_ms');
  assert.equal(memberOfError('unknown "kind" "supply-lost": give one of no-reply, delay', members), null);
  assert.equal(memberOfError(undefined, members), null);
});

test('paramsText: each kind\'s parameters in short, the probability when below 1', () => {
  const cases = [
    [base, '–'],
    [{ ...base, probability: 0.1 }, 'p 0.1'],
    [{ ...base, kind: 'delay', delay_ms: 200, jitter_ms: 50 }, '200 ms + 0–50 ms'],
    [{ ...base, kind: 'delay', delay_ms: 1000, jitter_ms: 0 }, '1000 ms'],
    [{ ...base, kind: 'exception', exception_code: 6 }, 'code 06'],
    [{ ...base, kind: 'exception', exception_code: 11, probability: 0.25 }, 'code 0B, p 0.25'],
    [{ ...base, kind: 'bit-errors', bit_error_rate: 0.001 }, 'BER 0.001'],
    [{ ...base, kind: 'truncate', keep_bytes: null }, 'half kept'],
    [{ ...base, kind: 'truncate', keep_bytes: 3 }, '3 bytes kept'],
    [{ ...base, kind: 'garbage', garbage_bytes: 4, after: true }, '4 bytes after'],
    [{ ...base, kind: 'close', after_requests: 1 }, 'after 1 request'],
    [{ ...base, kind: 'close', after_requests: 5 }, 'after 5 requests'],
    [{ ...base, kind: 'phase-lost', phase: 2 }, 'L2'],
    [{ ...base, kind: 'phases-swapped', phase: 1, other_phase: 3 }, 'L1 ↔ L3'],
    [{ ...base, kind: 'wrong-ct-ratio', installed_ct: 100 }, '100 A CT installed'],
    [{ ...base, kind: 'corrupt', area: 'both' }, 'both'],
    [{ ...base, kind: 'future', level: 3, spec: { a: 1 } }, 'level=3, spec={"a":1}'],
  ];
  for (const [f, want] of cases) assert.equal(paramsText(f), want, f.kind);
});

test('windowText: simulated start and end, or open-ended', () => {
  assert.equal(windowText({ start_ms: 0, end_ms: 600000 }), '00:00:00 – 00:10:00');
  assert.equal(windowText({ start_ms: 90_061_000, end_ms: null }), 'from 1 d 01:01:01');
  assert.equal(windowText({ start_ms: 5000 }), 'from 00:00:05');
});

test('faultState and faultRow: ended, active, waiting, over; End for active and waiting ones', () => {
  assert.equal(faultState({ ...base, ended: true, active: false }, 0), 'ended');
  assert.equal(faultState(base, 0), 'active');
  assert.equal(faultState({ ...base, active: false, start_ms: 10_000 }, 5000), 'waiting');
  assert.equal(faultState({ ...base, active: false, start_ms: 0, end_ms: 1000 }, 5000), 'over');
  assert.deepEqual(faultRow({ ...base, kind: 'delay', delay_ms: 200, jitter_ms: 0, seen: 12, applied: 3, end_ms: 600000 }, 1000),
    { id: 1, kind: 'delay', params: '200 ms', span: '00:00:00 – 00:10:00', counts: '12 / 3', state: 'active', endable: true });
  assert.equal(faultRow({ ...base, active: false, start_ms: 10_000 }, 0).endable, true);
  assert.equal(faultRow({ ...base, active: false, ended: true }, 0).endable, false);
  assert.equal(faultRow({ ...base, active: false, end_ms: 1 }, 5000).endable, false);
});

test('faultsSummary: how many are active', () => {
  assert.equal(faultsSummary([], 0), 'no faults');
  assert.equal(faultsSummary([base, { ...base, id: 2, active: false, ended: true }], 0), '1 active of 2');
});
