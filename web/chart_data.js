// The bench charts' data: one sample per event, on the twin's simulated time
// (`state.time.sim_ms`), so an accelerated or stepped clock draws the curves on its own time
// axis. Pure: bench.js hands the arrays to uPlot.
import { fixed } from './format.js';

/// The charts show the last 5 simulated minutes, but at least the last CHART_MIN_SAMPLES
/// samples (an accelerated or stepped clock still draws a curve) and at most
/// CHART_MAX_SAMPLES (a slowed clock does not pile them up).
export const CHART_WINDOW_S = 300;
export const CHART_MIN_SAMPLES = 120;
export const CHART_MAX_SAMPLES = 2400;

const KEYS = ['t', 'l1', 'l2', 'l3', 'total', 'kwh'];

/// No samples: {t, l1, l2, l3, total, kwh}, each an array (t in simulated seconds).
export function emptySeries() {
  return Object.fromEntries(KEYS.map((k) => [k, []]));
}

/// The sample of one state: simulated seconds, the active powers (kW), the total active energy.
export function sampleOf(state) {
  const m = state.measurement;
  return { t: state.time.sim_ms / 1000, l1: m.L1.p_kw, l2: m.L2.p_kw, l3: m.L3.p_kw, total: m.total.p_kw,
    kwh: state.energy.total_active_kwh };
}

/// Adds the state's sample to `series` (changed in place and returned). A state of the same
/// simulated instant as the last sample replaces it (a stepped or paused clock); one earlier
/// than it starts the series afresh (the twin restarted: simulated time starts at 0).
export function addSample(series, state, { windowS = CHART_WINDOW_S, minSamples = CHART_MIN_SAMPLES,
  maxSamples = CHART_MAX_SAMPLES } = {}) {
  const s = sampleOf(state);
  const n = series.t.length;
  const last = n ? series.t[n - 1] : null;
  if (last !== null && s.t < last) for (const k of KEYS) series[k].length = 0;
  if (last !== null && s.t === last) {
    for (const k of KEYS) series[k][n - 1] = s[k];
  } else {
    for (const k of KEYS) series[k].push(s[k]);
  }
  const tooOld = () => series.t.length > minSamples && series.t[0] < s.t - windowS;
  while (series.t.length > maxSamples || tooOld()) for (const k of KEYS) series[k].shift();
  return series;
}

/// uPlot's data of the two charts: x (simulated seconds), then the y series.
export function chartData(series) {
  return {
    power: [series.t, series.l1, series.l2, series.l3, series.total],
    energy: [series.t, series.kwh],
  };
}

/// The y range of the power chart: zero load still shows a kW scale; export (negative power)
/// extends it below zero.
export function powerRange(min, max) {
  return [Math.min(0, min ?? 0) * 1.1, Math.max(0.1, (max ?? 0) * 1.1)];
}

/// The y range of the energy chart: a counter that barely moves still gets a readable scale
/// (not uPlot's 0-100 default).
export function energyRange(min, max) {
  if (min === null || max === null) return [0, 1];
  const pad = Math.max((max - min) * 0.1, 0.001);
  return [min - pad, max + pad];
}

/// The tick steps of the simulated time axis (seconds): whole seconds, minutes, hours, days.
export const TIME_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
  43200, 86400, 2 * 86400, 7 * 86400, 30 * 86400, 365 * 86400];

/// A tick of the simulated time axis at `s` seconds with ticks `step` seconds apart, as the
/// page's "Simulated time" reads: "00:04:30", "01:30" (whole minutes), "2 d 06:00", "3 d".
export function simTimeTick(s, step) {
  const t = Math.round(s);
  const pad = (n) => String(n).padStart(2, '0');
  const day = Math.floor(t / 86400);
  const hm = `${pad(Math.floor(t / 3600) % 24)}:${pad(Math.floor(t / 60) % 60)}`;
  const clock = step >= 86400 ? '' : step >= 60 ? hm : `${hm}:${pad(t % 60)}`;
  return [day ? `${day} d` : '', clock].filter(Boolean).join(' ') || '0 d';
}

/// The read-out under the charts.
export function latestText(state) {
  const m = state.measurement;
  return `now: L1 ${fixed(m.L1.p_kw, 3)} kW · L2 ${fixed(m.L2.p_kw, 3)} kW · L3 ${fixed(m.L3.p_kw, 3)} kW · ` +
    `total ${fixed(m.total.p_kw, 3)} kW · ${fixed(state.energy.total_active_kwh, 3)} kWh`;
}
