// tests/web/csv.mjs, the browser test's oracle of the app's CSV export: its parser and names.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { csvRows, energyDescription, fixed } from '../csv.mjs';

test('csvRows: RFC 4180 quoting, CRLF or LF, no empty last row', () => {
  const cases = [
    ['a,b,c\r\n1,2,3\r\n', [['a', 'b', 'c'], ['1', '2', '3']]],
    ['a,b\n1,2', [['a', 'b'], ['1', '2']]],
    ['"x, y","say ""hi""",z\n', [['x, y', 'say "hi"', 'z']]],
    ['"two\nlines",v\n', [['two\nlines', 'v']]],
    [',,\n', [['', '', '']]],
    ['', []],
  ];
  for (const [text, want] of cases) assert.deepEqual(csvRows(text), want, JSON.stringify(text));
});

test('fixed: never "-0.000"', () => {
  const cases = [[-0.0001, 3, '0.000'], [-0, 2, '0.00'], [-1.5, 1, '-1.5'], [2.3456, 3, '2.346'], [-0.00001, 0, '0']];
  for (const [v, d, want] of cases) assert.equal(fixed(v, d), want, `${v} ${d}`);
});

test('energyDescription: the app\'s names of the energy registers', () => {
  const cases = [
    ['total_active_kwh', 'Total active energy'],
    ['t1_forward_active_kwh', 'T1 Forward active energy'],
    ['l2_reverse_reactive_kvarh', 'L2 Reverse reactive energy'],
    ['l1_t3_forward_active_kwh', 'L1-T3 Forward active energy'],
    ['q1_total_kvarh', 'Imp. inductive reactive energy in Q1 (total)'],
    ['q4_l3_kvarh', 'Imp. capacitive reactive energy in Q4 (L3)'],
    ['trip_kwh', 'Resettable day counter'],
    ['trip_l2_kwh', 'Resettable day counter L2'],
  ];
  for (const [key, want] of cases) assert.equal(energyDescription(key), want, key);
});
