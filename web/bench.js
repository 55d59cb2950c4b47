// The simulation bench: the terminals' load per phase (sliders and number inputs), the
// scenario, the tariff input, power-cycle, the clock speed; live charts of power and energy.
import { $, PHASES, api, fixed, quiet, setText } from './common.js';

const CHART_WINDOW_S = 300;      // the charts show the last 5 minutes
const LOAD_EDIT_GRACE_MS = 1500; // live values do not overwrite what the user just typed
const LOAD_FIELDS = [
  { key: 'v', label: 'Voltage', unit: 'V', min: 0, max: 1000, sliderMax: 300, step: 0.1 },
  { key: 'i', label: 'Current', unit: 'A', min: 0, max: 100000, sliderMax: 100, step: 0.01 },
  { key: 'phi', label: 'Angle φ', unit: '°', min: -180, max: 180, sliderMax: 180, step: 1 },
];
let loadEditedAt = 0;
let loadTimer = null;

function buildPhases() {
  const root = $('phases');
  for (const ph of PHASES) {
    const fs = document.createElement('fieldset');
    fs.className = 'phase';
    const legend = document.createElement('legend');
    legend.textContent = ph;
    fs.append(legend);
    for (const f of LOAD_FIELDS) {
      const id = `${ph}-${f.key}`;
      const row = document.createElement('div');
      row.className = 'row';
      row.innerHTML =
        `<label for="${id}-num">${f.label} (${f.unit})</label>` +
        `<input type="range" id="${id}-range" min="${f.min}" max="${f.sliderMax}" step="${f.step}" aria-label="${ph} ${f.label.toLowerCase()} slider (${f.unit})">` +
        `<input type="number" id="${id}-num" data-testid="${id}" min="${f.min}" max="${f.max}" step="${f.step}">`;
      fs.append(row);
    }
    root.append(fs);
  }
}

function readLoad() {
  const load = { f: Number($('f-num').value) };
  for (const ph of PHASES) {
    load[ph] = {};
    for (const f of LOAD_FIELDS) load[ph][f.key] = Number($(`${ph}-${f.key}-num`).value);
  }
  return load;
}
function sendLoad() {
  clearTimeout(loadTimer);
  loadTimer = null;
  quiet(api('PUT', '/load', readLoad()));
}
function linkPair(rangeEl, numEl) {
  rangeEl.addEventListener('input', () => {
    numEl.value = rangeEl.value;
    loadEditedAt = Date.now();
    clearTimeout(loadTimer);
    loadTimer = setTimeout(sendLoad, 150);
  });
  numEl.addEventListener('input', () => { loadEditedAt = Date.now(); });
  numEl.addEventListener('change', () => {
    rangeEl.value = numEl.value;
    loadEditedAt = Date.now();
    sendLoad();
  });
}
function setPair(prefix, value) {
  const num = $(`${prefix}-num`);
  if (document.activeElement === num || document.activeElement === $(`${prefix}-range`)) return;
  const text = String(Math.round(value * 1000) / 1000);
  if (num.value !== text) num.value = text;
  $(`${prefix}-range`).value = text;
}
/// The bench's inputs from the state, except what the user is editing.
export function renderBench(state) {
  if (Date.now() - loadEditedAt > LOAD_EDIT_GRACE_MS && !loadTimer) {
    for (const ph of PHASES) for (const f of LOAD_FIELDS) setPair(`${ph}-${f.key}`, state.load[ph][f.key]);
    setPair('f', state.load.f);
  }
  const scenario = $('scenario');
  if (document.activeElement !== scenario) scenario.value = state.scenario ? state.scenario.name : 'none';
  setText($('scenario-pos'), state.scenario ? `at ${formatDuration(state.scenario.position_ms)}` : '');
  const ti = $('tariff-input');
  if (document.activeElement !== ti) ti.checked = !!state.status.tariff_input;
  const speed = $('speed');
  const real = state.time.clock === 'real';
  speed.disabled = !real;
  $('speed-set').disabled = !real;
  if (document.activeElement !== speed) speed.value = String(state.time.speed);
  setText($('sim-time'), formatDuration(state.time.sim_ms));
  setText($('clock-kind'), `${state.time.clock}, ×${state.time.speed}`);
  setText($('power-downs'), String(state.status.power_down_counter));
}
function formatDuration(ms) {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const hms = [Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60, s % 60]
    .map((n) => String(n).padStart(2, '0')).join(':');
  return d ? `${d} d ${hms}` : hms;
}

const series = { t: [], l1: [], l2: [], l3: [], total: [], kwh: [] };
let charts = null;
let chartDrawnAt = 0;

function chartWidth(el) {
  return Math.max(200, Math.floor(el.clientWidth || 300));
}
function makeCharts() {
  if (typeof window.uPlot !== 'function') {
    for (const id of ['chart-power', 'chart-energy']) setText($(id), 'chart library not loaded');
    return null;
  }
  const axes = [{ stroke: '#9aa4b2', grid: { stroke: '#2a3240' } }, { stroke: '#9aa4b2', grid: { stroke: '#2a3240' } }];
  const base = (el) => ({ width: chartWidth(el), height: 180, scales: { x: { time: true } }, axes, legend: { live: false },
    cursor: { show: false } });
  // Zero load still shows a kW scale; export (negative power) extends it below zero.
  const powerRange = (u, min, max) => [Math.min(0, min ?? 0) * 1.1, Math.max(0.1, (max ?? 0) * 1.1)];
  const power = new window.uPlot({
    ...base($('chart-power')),
    scales: { x: { time: true }, y: { range: powerRange } },
    series: [{}, { label: 'L1', stroke: '#e4572e', width: 2, points: { show: false } },
      { label: 'L2', stroke: '#f3a712', width: 2, points: { show: false } },
      { label: 'L3', stroke: '#29bf12', width: 2, points: { show: false } },
      { label: 'Total', stroke: '#7cc6fe', width: 2, dash: [6, 4], points: { show: false } }],
  }, [[], [], [], [], []], $('chart-power'));
  // A counter that barely moves still gets a readable scale (not uPlot's 0-100 default).
  const padded = (u, min, max) => {
    if (min === null || max === null) return [0, 1];
    const pad = Math.max((max - min) * 0.1, 0.001);
    return [min - pad, max + pad];
  };
  const energy = new window.uPlot({
    ...base($('chart-energy')),
    scales: { x: { time: true }, y: { range: padded } },
    series: [{}, { label: 'Total active energy', stroke: '#7cc6fe', width: 2, points: { show: false } }],
  }, [[], []], $('chart-energy'));
  const resize = () => {
    power.setSize({ width: chartWidth($('chart-power')), height: 180 });
    energy.setSize({ width: chartWidth($('chart-energy')), height: 180 });
  };
  new ResizeObserver(resize).observe($('chart-power'));
  return { power, energy };
}

/// Adds the state's powers and energy to the charts (redrawn at most twice a second).
export function renderCharts(state) {
  const now = Date.now() / 1000;
  const m = state.measurement;
  series.t.push(now);
  series.l1.push(m.L1.p_kw);
  series.l2.push(m.L2.p_kw);
  series.l3.push(m.L3.p_kw);
  series.total.push(m.total.p_kw);
  series.kwh.push(state.energy.total_active_kwh);
  while (series.t.length && series.t[0] < now - CHART_WINDOW_S) for (const k in series) series[k].shift();
  setText($('chart-latest'),
    `now: L1 ${fixed(m.L1.p_kw, 3)} kW · L2 ${fixed(m.L2.p_kw, 3)} kW · L3 ${fixed(m.L3.p_kw, 3)} kW · ` +
    `total ${fixed(m.total.p_kw, 3)} kW · ${fixed(state.energy.total_active_kwh, 3)} kWh`);
  if (!charts || Date.now() - chartDrawnAt < 500) return;
  chartDrawnAt = Date.now();
  charts.power.setData([series.t, series.l1, series.l2, series.l3, series.total]);
  charts.energy.setData([series.t, series.kwh]);
}

/// Builds the phase inputs and wires every control to its endpoint; starts the charts.
export function initBench() {
  buildPhases();
  for (const ph of PHASES) for (const f of LOAD_FIELDS) linkPair($(`${ph}-${f.key}-range`), $(`${ph}-${f.key}-num`));
  linkPair($('f-range'), $('f-num'));
  $('load-form').addEventListener('submit', (e) => { e.preventDefault(); sendLoad(); });
  $('scenario').addEventListener('change', (e) => {
    // A manual load (even an empty one) stops the running scenario (docs/control-api.md).
    quiet(e.target.value === 'none' ? api('PUT', '/load', {}) : api('PUT', '/scenario', { name: e.target.value }));
  });
  $('tariff-input').addEventListener('change', (e) => {
    quiet(api('PUT', '/tariff-input', { energized: e.target.checked }));
  });
  $('speed-set').addEventListener('click', () => {
    quiet(api('PUT', '/clock', { speed: Number($('speed').value) }));
  });
  $('speed').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); $('speed-set').click(); }
  });
  $('power-cycle').addEventListener('click', () => quiet(api('POST', '/power-cycle', {})));
  charts = makeCharts();
}
