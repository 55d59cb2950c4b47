// The simulation bench's model: the load inputs per phase, the load they make, and what the
// bench's read-outs show of a state. Pure: bench.js wires it to the page.
import { formatDuration } from './format.js';

export const PHASES = ['L1', 'L2', 'L3'];
/// Live values do not overwrite what the user just typed for this long.
export const LOAD_EDIT_GRACE_MS = 1500;
/// The inputs of one phase: the number input's range, the slider's (narrower) one.
export const LOAD_FIELDS = [
  { key: 'v', label: 'Voltage', unit: 'V', min: 0, max: 1000, sliderMax: 300, step: 0.1 },
  { key: 'i', label: 'Current', unit: 'A', min: 0, max: 100000, sliderMax: 100, step: 0.01 },
  { key: 'phi', label: 'Angle φ', unit: '°', min: -180, max: 180, sliderMax: 180, step: 1 },
];

/// The id prefix of every load input pair ("L1-v" … "L3-phi", then "f"); `${prefix}-num` is
/// the number input, `${prefix}-range` the slider.
export function loadPrefixes() {
  const out = [];
  for (const ph of PHASES) for (const f of LOAD_FIELDS) out.push(`${ph}-${f.key}`);
  out.push('f');
  return out;
}

/// The HTML of one input row: label, slider, number input.
export function loadRowHtml(ph, f) {
  const id = `${ph}-${f.key}`;
  return `<label for="${id}-num">${f.label} (${f.unit})</label>` +
    `<input type="range" id="${id}-range" min="${f.min}" max="${f.sliderMax}" step="${f.step}" aria-label="${ph} ${f.label.toLowerCase()} slider (${f.unit})">` +
    `<input type="number" id="${id}-num" data-testid="${id}" min="${f.min}" max="${f.max}" step="${f.step}">`;
}

/// The body of PUT /api/v1/load from the inputs' texts (`valueOf(prefix)`).
export function loadFromInputs(valueOf) {
  const load = { f: Number(valueOf('f')) };
  for (const ph of PHASES) {
    load[ph] = {};
    for (const f of LOAD_FIELDS) load[ph][f.key] = Number(valueOf(`${ph}-${f.key}`));
  }
  return load;
}

/// The text of a load input for `value`: at most 3 decimals.
export const loadInputText = (value) => String(Math.round(value * 1000) / 1000);

/// The texts of every load input for the state's load: [[prefix, text], …].
export function loadInputTexts(load) {
  const out = [];
  for (const ph of PHASES) for (const f of LOAD_FIELDS) out.push([`${ph}-${f.key}`, loadInputText(load[ph][f.key])]);
  out.push(['f', loadInputText(load.f)]);
  return out;
}

/// Whether live values may overwrite the load inputs: not while a change waits to be sent,
/// nor within the grace time of the user's last edit.
export const liveLoadShown = (now, editedAt, pending) => now - editedAt > LOAD_EDIT_GRACE_MS && !pending;

/// What the bench's controls and read-outs show of a state.
export function benchView(state) {
  const t = state.time;
  return {
    scenario: state.scenario ? state.scenario.name : 'none',
    scenarioPos: state.scenario ? `at ${formatDuration(state.scenario.position_ms)}` : '',
    tariffInput: !!state.status.tariff_input,
    speedSettable: t.clock === 'real',
    speed: String(t.speed),
    simTime: formatDuration(t.sim_ms),
    clockKind: `${t.clock}, ×${t.speed}`,
    powerDowns: String(state.status.power_down_counter),
  };
}
