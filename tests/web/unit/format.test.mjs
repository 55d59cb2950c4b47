// web/format.js: numbers with fixed decimals, durations as the page shows them.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fixed, formatDuration } from '../../../web/format.js';

test('fixed: decimals, and a dash for what is not a finite number', () => {
  const cases = [
    [1.23456, 3, '1.235'],
    [0, 2, '0.00'],
    [-0.5, 1, '-0.5'],
    [231, 2, '231.00'],
    [1.02, 2, '1.02'],
    [NaN, 2, '–'],
    [Infinity, 3, '–'],
    [-Infinity, 3, '–'],
    [undefined, 2, '–'],
    [null, 2, '–'],
    ['1.5', 2, '–'],
  ];
  for (const [value, decimals, want] of cases) assert.equal(fixed(value, decimals), want, `fixed(${value}, ${decimals})`);
});

test('formatDuration: HH:MM:SS of whole seconds, days before it', () => {
  const cases = [
    [0, '00:00:00'],
    [999, '00:00:00'],
    [1000, '00:00:01'],
    [61_000, '00:01:01'],
    [3_599_999, '00:59:59'],
    [3_600_000, '01:00:00'],
    [86_399_000, '23:59:59'],
    [86_400_000, '1 d 00:00:00'],
    [90_061_000, '1 d 01:01:01'],
    [10 * 86_400_000 + 5_000, '10 d 00:00:05'],
  ];
  for (const [ms, want] of cases) assert.equal(formatDuration(ms), want, `formatDuration(${ms})`);
});
