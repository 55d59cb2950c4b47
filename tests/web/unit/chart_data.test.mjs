// web/chart_data.js: the bench charts' samples on the twin's simulated time.
import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';

import { CHART_MAX_SAMPLES, CHART_MIN_SAMPLES, CHART_WINDOW_S, TIME_STEPS_S, addSample, chartData, emptySeries,
  energyRange, latestText, powerRange, sampleOf, simTimeTick } from '../../../web/chart_data.js';

/// A state of the event stream as far as the charts read it.
function state(simMs, { l1 = 2.31, l2 = 0.573, l3 = 0, kwh = 12.5 } = {}) {
  return {
    time: { sim_ms: simMs, clock: 'real', speed: 1 },
    measurement: { L1: { p_kw: l1 }, L2: { p_kw: l2 }, L3: { p_kw: l3 }, total: { p_kw: l1 + l2 + l3 } },
    energy: { total_active_kwh: kwh },
  };
}
const feed = (simTimesMs, opts) => {
  const s = emptySeries();
  for (const ms of simTimesMs) addSample(s, state(ms, { kwh: ms / 1e6 }), opts);
  return s;
};

describe('the x axis is the simulated time, not the wall clock', () => {
  test('x is sim_ms in seconds, whatever Date.now() says', (t) => {
    const now = mock.method(Date, 'now', () => 1.7e12);
    t.after(() => now.mock.restore());
    const s = emptySeries();
    addSample(s, state(3_600_000));
    now.mock.mockImplementation(() => 1.7e12 + 999_999);
    addSample(s, state(3_600_250));
    assert.deepEqual(s.t, [3600, 3600.25]);
  });
  test('an accelerated clock: 4 events a wall second an hour of simulated time apart', () => {
    const hour = 3_600_000;
    const s = feed([0, hour, 2 * hour, 3 * hour]);
    assert.deepEqual(s.t, [0, 3600, 7200, 10800]);
    assert.deepEqual(s.kwh, [0, 3.6, 7.2, 10.8]);
  });
  test('sampleOf reads the powers per phase, the total and the energy', () => {
    assert.deepEqual(sampleOf(state(1500, { l1: 1, l2: 2, l3: -0.5, kwh: 7 })),
      { t: 1.5, l1: 1, l2: 2, l3: -0.5, total: 2.5, kwh: 7 });
  });
});

describe('addSample', () => {
  test('a state of the same simulated instant replaces the last sample (stepped or paused clock)', () => {
    const s = emptySeries();
    addSample(s, state(5000, { l1: 1 }));
    addSample(s, state(6000, { l1: 2 }));
    for (let i = 0; i < 50; i += 1) addSample(s, state(6000, { l1: 3 + i }));
    assert.deepEqual(s.t, [5, 6]);
    assert.deepEqual(s.l1, [1, 52]);
  });
  test('simulated time going back (a restarted twin) starts afresh', () => {
    const s = feed([10_000, 11_000, 12_000, 0, 250]);
    assert.deepEqual(s.t, [0, 0.25]);
    for (const k of Object.keys(s)) assert.equal(s[k].length, 2, k);
  });
  test('the window: the last 5 simulated minutes, at least the minimum, at most the maximum', () => {
    const cases = [
      // [what, sample spacing ms, count, samples kept, first t kept]
      ['real time, 4 a second, 10 minutes', 250, 2400, 1201, 299.75],
      ['few samples, all older than the window', 3_600_000, 50, 50, 0],
      ['an hour a sample, more than the minimum', 3_600_000, 500, CHART_MIN_SAMPLES, (500 - CHART_MIN_SAMPLES) * 3600],
      ['a slowed clock: 1 ms a sample', 1, 5000, CHART_MAX_SAMPLES, (5000 - CHART_MAX_SAMPLES) / 1000],
    ];
    for (const [what, step, count, kept, first] of cases) {
      const s = feed(Array.from({ length: count }, (_, i) => i * step));
      assert.equal(s.t.length, kept, what);
      assert.equal(s.t[0], first, what);
      assert.equal(s.t.at(-1), ((count - 1) * step) / 1000, what);
      for (const k of Object.keys(s)) assert.equal(s[k].length, kept, `${what}: ${k}`);
    }
  });
  test('the limits can be chosen', () => {
    const s = feed([0, 1000, 2000, 3000, 4000, 5000], { windowS: 2, minSamples: 1, maxSamples: 10 });
    assert.deepEqual(s.t, [3, 4, 5]);
    assert.deepEqual(feed([0, 1000, 2000, 3000], { windowS: 100, minSamples: 1, maxSamples: 2 }).t, [2, 3]);
  });
  test('the default limits', () => {
    assert.equal(CHART_WINDOW_S, 300);
    assert.ok(CHART_MIN_SAMPLES < CHART_WINDOW_S * 4 && CHART_WINDOW_S * 4 < CHART_MAX_SAMPLES);
  });
});

test('chartData: x then the y series of each chart, the same x for both', () => {
  const s = feed([0, 250, 500]);
  const d = chartData(s);
  assert.equal(d.power.length, 5);
  assert.equal(d.energy.length, 2);
  assert.equal(d.power[0], d.energy[0]);
  assert.deepEqual(d.power[0], [0, 0.25, 0.5]);
  assert.deepEqual(d.power.slice(1), [s.l1, s.l2, s.l3, s.total]);
  assert.deepEqual(d.energy[1], [0, 0.00025, 0.0005]);
});

test('the y ranges', () => {
  const power = [
    [null, null, [0, 0.1]],
    [0, 0, [0, 0.1]],
    [1, 2, [0, 2.2]],
    [-1, 2, [-1.1, 2.2]],
    [-3, -1, [-3.3, 0.1]],
  ];
  for (const [min, max, want] of power) {
    const got = powerRange(min, max);
    assert.deepEqual(got.map((v) => Math.round(v * 1e9) / 1e9), want, `power ${min}..${max}`);
  }
  const energy = [
    [null, null, [0, 1]],
    [5, 5, [4.999, 5.001]],
    [10, 20, [9, 21]],
  ];
  for (const [min, max, want] of energy) {
    const got = energyRange(min, max);
    assert.deepEqual(got.map((v) => Math.round(v * 1e9) / 1e9), want, `energy ${min}..${max}`);
  }
});

test('simTimeTick: the simulated time of a tick, as precise as the tick step', () => {
  const cases = [
    [0, 1, '00:00:00'],
    [65, 5, '00:01:05'],
    [270, 30, '00:04:30'],
    [5400, 60, '01:30'],
    [5400, 900, '01:30'],
    [86_400 + 6 * 3600, 3600, '1 d 06:00'],
    [2 * 86_400 + 15, 15, '2 d 00:00:15'],
    [3 * 86_400, 86_400, '3 d'],
    [0, 86_400, '0 d'],
    [299.99999999, 1, '00:05:00'],
  ];
  for (const [s, step, want] of cases) assert.equal(simTimeTick(s, step), want, `${s} s, step ${step}`);
  assert.deepEqual([...TIME_STEPS_S].sort((a, b) => a - b), TIME_STEPS_S, 'the tick steps ascend');
});

test('latestText: the read-out under the charts', () => {
  assert.equal(latestText(state(0, { l1: 2.31, l2: 0.5725, l3: 0, kwh: 12.3456 })),
    'now: L1 2.310 kW · L2 0.573 kW · L3 0.000 kW · total 2.883 kW · 12.346 kWh');
  const missing = { ...state(0), energy: {} };
  assert.match(latestText(missing), / · – kWh$/);
});
