// The simulation bench: the terminals' load per phase (sliders and number inputs), the
// scenario, the tariff input, power-cycle, the clock speed; live charts of power and energy
// on the twin's simulated time. The data and texts come from bench_model.js and
// chart_data.js; this module wires them to the page.
import uPlot from 'uplot';

import { LOAD_FIELDS, PHASES, benchView, liveLoadShown, loadFromInputs, loadInputTexts, loadPrefixes,
  loadRowHtml } from './bench_model.js';
import { TIME_STEPS_S, addSample, chartData, emptySeries, energyRange, latestText, powerRange,
  simTimeTick } from './chart_data.js';
import { $, api, quiet, setText } from './common.js';

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
      const row = document.createElement('div');
      row.className = 'row';
      row.innerHTML = loadRowHtml(ph, f);
      fs.append(row);
    }
    root.append(fs);
  }
}

function sendLoad() {
  clearTimeout(loadTimer);
  loadTimer = null;
  quiet(api('PUT', '/load', loadFromInputs((prefix) => $(`${prefix}-num`).value)));
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
function setPair(prefix, text) {
  const num = $(`${prefix}-num`);
  if (document.activeElement === num || document.activeElement === $(`${prefix}-range`)) return;
  if (num.value !== text) num.value = text;
  $(`${prefix}-range`).value = text;
}
/// The bench's inputs from the state, except what the user is editing.
export function renderBench(state) {
  if (liveLoadShown(Date.now(), loadEditedAt, !!loadTimer)) {
    for (const [prefix, text] of loadInputTexts(state.load)) setPair(prefix, text);
  }
  const view = benchView(state);
  const scenario = $('scenario');
  if (document.activeElement !== scenario) scenario.value = view.scenario;
  setText($('scenario-pos'), view.scenarioPos);
  const ti = $('tariff-input');
  if (document.activeElement !== ti) ti.checked = view.tariffInput;
  const speed = $('speed');
  speed.disabled = !view.speedSettable;
  $('speed-set').disabled = !view.speedSettable;
  if (document.activeElement !== speed) speed.value = view.speed;
  setText($('sim-time'), view.simTime);
  setText($('clock-kind'), view.clockKind);
  setText($('power-downs'), view.powerDowns);
}

const series = emptySeries();
let charts = null;
let chartDrawnAt = 0;

function chartWidth(el) {
  return Math.max(200, Math.floor(el.clientWidth || 300));
}
function makeCharts() {
  const grid = { stroke: '#2a3240' };
  // x: simulated seconds, ticks on whole seconds, minutes, hours or days of simulated time.
  const axes = [
    { stroke: '#9aa4b2', grid, space: 70, incrs: TIME_STEPS_S,
      values: (u, splits, axisIdx, space, step) => splits.map((s) => simTimeTick(s, step)) },
    { stroke: '#9aa4b2', grid },
  ];
  const base = (el) => ({ width: chartWidth(el), height: 180, axes, legend: { live: false }, cursor: { show: false } });
  const power = new uPlot({
    ...base($('chart-power')),
    scales: { x: { time: false }, y: { range: (u, min, max) => powerRange(min, max) } },
    series: [{}, { label: 'L1', stroke: '#e4572e', width: 2, points: { show: false } },
      { label: 'L2', stroke: '#f3a712', width: 2, points: { show: false } },
      { label: 'L3', stroke: '#29bf12', width: 2, points: { show: false } },
      { label: 'Total', stroke: '#7cc6fe', width: 2, dash: [6, 4], points: { show: false } }],
  }, [[], [], [], [], []], $('chart-power'));
  const energy = new uPlot({
    ...base($('chart-energy')),
    scales: { x: { time: false }, y: { range: (u, min, max) => energyRange(min, max) } },
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
  addSample(series, state);
  setText($('chart-latest'), latestText(state));
  if (!charts || Date.now() - chartDrawnAt < 500) return;
  chartDrawnAt = Date.now();
  const data = chartData(series);
  charts.power.setData(data.power);
  charts.energy.setData(data.energy);
  // The simulated second of the last sample drawn (for the browser test; nothing shows it).
  $('chart-energy').dataset.lastSimS = String(series.t.at(-1));
}

/// Starts the charts afresh: the page now shows another meter of the fleet.
export function resetCharts() {
  for (const values of Object.values(series)) values.length = 0;
  chartDrawnAt = 0;
}

/// Builds the phase inputs and wires every control to its endpoint; starts the charts.
export function initBench() {
  buildPhases();
  for (const prefix of loadPrefixes()) linkPair($(`${prefix}-range`), $(`${prefix}-num`));
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
