// The faults card's model (docs/faults.md "On the web page"): the common kinds a person can
// start from the page with their parameters, the body of POST /api/v1/faults the form makes,
// and the texts of one fault of GET /api/v1/faults in the list. Pure: faults.js wires it to
// the page. The server checks every value (422 naming the member): the page only leaves out
// what is empty, so a kind or a value the server refuses shows the server's own message.
import { formatDuration } from './format.js';

/// How often the list is fetched again (besides right after each start and end).
export const FAULTS_REFRESH_MS = 2000;

/// The parameters the form can give; a kind shows those it names in `params`.
/// `select` ones offer `options` ([value, text]); number ones start at `value`.
export const FAULT_PARAMS = {
  delay_ms: { label: 'Delay', unit: 'ms', min: 0, max: 600000, step: 1, value: '1000' },
  jitter_ms: { label: 'Jitter', unit: 'ms', min: 0, max: 600000, step: 1, value: '0' },
  exception_code: { label: 'Exception code', unit: '', min: 1, max: 255, step: 1, value: '6' },
  bit_error_rate: { label: 'Bit error rate', unit: '', min: 0, max: 0.5, step: 'any', value: '0.001' },
  phase: { label: 'Phase', unit: '', select: true, options: [['1', 'L1'], ['2', 'L2'], ['3', 'L3']], value: '1' },
};

/// The common kinds offered by the form, in its order. `probability`: whether the kind hits
/// replies with a probability (a link fault) or simply holds for its window (a meter fault).
export const FAULT_KINDS = [
  { kind: 'no-reply', label: 'no reply (times out)', params: [], probability: true },
  { kind: 'delay', label: 'delay', params: ['delay_ms', 'jitter_ms'], probability: true },
  { kind: 'bad-crc', label: 'bad CRC / checksum', params: [], probability: true },
  { kind: 'exception', label: 'exception (06: busy)', params: ['exception_code'], probability: true },
  { kind: 'bit-errors', label: 'bit errors', params: ['bit_error_rate'], probability: true },
  { kind: 'supply-lost', label: 'supply lost', params: [], probability: false },
  { kind: 'phase-lost', label: 'phase lost', params: ['phase'], probability: false },
  { kind: 'ct-reversed', label: 'CT reversed', params: ['phase'], probability: false },
];

/// The form's description of `kind` (a kind the form does not know has no parameters).
export function kindInfo(kind) {
  return FAULT_KINDS.find((k) => k.kind === kind) || { kind, label: kind, params: [], probability: true };
}

/// The id of the form's input of `member` ("fault-delay_ms", "fault-probability").
export const fieldId = (member) => `fault-${member}`;

/// The members the form shows for `kind`: its parameters, then probability where it applies,
/// then the duration.
export function shownMembers(kind) {
  const info = kindInfo(kind);
  return [...info.params, ...(info.probability ? ['probability'] : []), 'duration_s'];
}

/// A number from an input's text: the text itself when it is no number (the server then
/// names the member and its type), null when empty (the member is left out).
function numberOrText(text) {
  const t = String(text ?? '').trim();
  if (t === '') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}

/// The body of POST /api/v1/faults from the form: `kind` and the text of each shown input
/// (`valueOf(member)`). Empty inputs are left out (the server's defaults apply; no duration:
/// until ended).
export function faultBody(kind, valueOf) {
  const body = { kind };
  for (const member of shownMembers(kind)) {
    const v = numberOrText(valueOf(member));
    if (v !== null) body[member] = v;
  }
  return body;
}

/// The form's member a server message names first (`"probability" 2 is out of range…`), or
/// null: its input is then marked invalid.
export function memberOfError(message, members) {
  for (const m of String(message || '').matchAll(/"([a-z_]+)"/g)) {
    if (members.includes(m[1])) return m[1];
  }
  return null;
}

/// The members every fault has; the others are its kind's parameters.
const COMMON = new Set(['id', 'kind', 'probability', 'start_ms', 'end_ms', 'seed', 'active', 'ended', 'seen', 'applied']);
const hex2 = (n) => Number(n).toString(16).toUpperCase().padStart(2, '0');
const phaseName = (p) => (typeof p === 'number' ? `L${p}` : String(p));

/// Short texts of the parameters the page knows; any other member shows as "name=value".
const PARAM_TEXT = {
  delay_ms: (f) => `${f.delay_ms} ms${f.jitter_ms ? ` + 0–${f.jitter_ms} ms` : ''}`,
  jitter_ms: () => null,
  bit_error_rate: (f) => `BER ${f.bit_error_rate}`,
  keep_bytes: (f) => (f.keep_bytes === null || f.keep_bytes === undefined ? 'half kept' : `${f.keep_bytes} bytes kept`),
  garbage_bytes: (f) => `${f.garbage_bytes} bytes ${f.after ? 'after' : 'before'}`,
  after: () => null,
  exception_code: (f) => `code ${hex2(f.exception_code)}`,
  after_requests: (f) => `after ${f.after_requests} request${f.after_requests === 1 ? '' : 's'}`,
  phase: (f) => (f.other_phase !== undefined ? `${phaseName(f.phase)} ↔ ${phaseName(f.other_phase)}` : phaseName(f.phase)),
  other_phase: (f) => (f.phase === undefined ? `with ${phaseName(f.other_phase)}` : null),
  installed_ct: (f) => `${f.installed_ct} A CT installed`,
  area: (f) => `${f.area}`,
};

/// The parameters of a fault in short: "200 ms + 0–50 ms, p 0.1" ('–' when it has none).
export function paramsText(f) {
  const parts = [];
  for (const [key, value] of Object.entries(f)) {
    if (COMMON.has(key)) continue;
    const text = PARAM_TEXT[key] ? PARAM_TEXT[key](f) : `${key}=${typeof value === 'object' ? JSON.stringify(value) : value}`;
    if (text) parts.push(text);
  }
  if (typeof f.probability === 'number' && f.probability !== 1) parts.push(`p ${f.probability}`);
  return parts.length ? parts.join(', ') : '–';
}

/// The window of a fault in simulated time: "00:00:00 – 00:10:00", "from 00:05:00".
export function windowText(f) {
  const start = formatDuration(Math.max(0, f.start_ms || 0));
  return typeof f.end_ms === 'number' ? `${start} – ${formatDuration(f.end_ms)}` : `from ${start}`;
}

/// Where a fault stands at `simMs`: ended (from the page or the API), active, waiting for
/// its window, or over (its window has passed).
export function faultState(f, simMs) {
  if (f.ended) return 'ended';
  if (f.active) return 'active';
  if (typeof simMs === 'number' && (f.start_ms || 0) > simMs) return 'waiting';
  return 'over';
}

/// The texts of one fault of GET /api/v1/faults for the list, at simulated time `simMs`:
/// {id, kind, params, span (its window), counts, state, endable}; `endable`: it gets an End button.
export function faultRow(f, simMs) {
  const state = faultState(f, simMs);
  return {
    id: f.id,
    kind: String(f.kind),
    params: paramsText(f),
    span: windowText(f),
    counts: `${f.seen ?? 0} / ${f.applied ?? 0}`,
    state,
    endable: state === 'active' || state === 'waiting',
  };
}

/// The line above the list: "2 active of 3" or "no faults".
export function faultsSummary(faults, simMs) {
  if (!faults.length) return 'no faults';
  const active = faults.filter((f) => faultState(f, simMs) === 'active').length;
  return `${active} active of ${faults.length}`;
}
