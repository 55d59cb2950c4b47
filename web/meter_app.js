// The Meter Manager app (manual appendix 4): the Device page, the Energy and Instantaneous
// values with a Save that downloads the CSV, and the Settings (modified ones marked, range
// checked, a password pop-up, saved with PUT /api/v1/app/settings; the counters reset with
// POST /api/v1/app/reset). Both need Bluetooth active, as the app talks to the meter over it.
import { $, API, api, clearError, fixed, setText, showError } from './common.js';

const tabs = [...document.querySelectorAll('[role="tab"]')];
function selectTab(tab) {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute('aria-controls')).hidden = !on;
  }
}

function renderTable(body, rows) {
  if (body.rows.length !== rows.length) {
    body.replaceChildren(...rows.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.key = r.key;
      tr.innerHTML = '<th scope="row"></th><td class="num"></td><td></td>';
      return tr;
    }));
  }
  rows.forEach((r, i) => {
    const tr = body.rows[i];
    tr.dataset.key = r.key;
    setText(tr.cells[0], r.description);
    setText(tr.cells[1], r.value);
    setText(tr.cells[2], r.unit);
  });
}
function downloadCsv() {
  // The browser downloads it: Content-Disposition names the file.
  const a = document.createElement('a');
  a.href = `${API}/app/export.csv`;
  a.download = '';
  document.body.append(a);
  a.click();
  a.remove();
}

/// The app's pages from the state, and its Energy and Instantaneous rows as the server
/// words them (the same rows as the CSV export: `app` of the event).
export function renderApp(state, app) {
  const id = state.identity;
  setText($('dev-serial'), id.serial);
  setText($('dev-sw'), fixed(id.software_version, 2));
  setText($('dev-cs1'), id.checksum1);
  setText($('dev-cs2'), id.checksum2);
  const bt = (state.status.status_bits || []).includes('bluetooth_active');
  const status = $('bt-status');
  status.classList.toggle('on', bt);
  setText(status, bt ? `Connected over Bluetooth to meter ${id.serial}`
    : 'Bluetooth is off: activate it in the meter\'s menu (7.5); saving settings is refused until then');
  const keyed = (rows) => rows.map((r) => ({ key: r.description, ...r }));
  renderTable($('energy-body'), keyed(app.energy));
  renderTable($('inst-body'), keyed(app.instant));
  renderSettings(state.settings);
}

// ---- settings: the A4 list, modified ones marked, range-checked before saving
const opt = (values, label = String) => values.map((v) => ({ value: String(v), text: label(v) }));
const COMBINATIONS = { 'C-01': 'Forward only', 'C-02': 'Reverse only', 'C-03': 'Forward + Reverse',
  'C-04': 'Forward - Reverse', 'C-05': 'Forward - Reverse (10), final' };
const SETTINGS = [
  { name: 'modbus_id', label: 'Modbus ID (1 - 247)', kind: 'int', min: 1, max: 247, what: 'Modbus ID' },
  { name: 'modbus_baud', label: 'Baudrate', unit: 'bps', options: opt([115200, 57600, 38400, 19200, 9600, 4800, 2400, 1200, 600, 300]) },
  { name: 'mbus_id', label: 'M-Bus ID (0 - 250)', kind: 'int', min: 0, max: 250, what: 'M-bus ID' },
  { name: 'mbus_baud', label: 'M-bus Baud rate', unit: 'bps', options: opt([300, 600, 1200, 2400, 4800, 9600]) },
  { name: 's0_rate', label: 'S0 output rate', unit: 'imp/kWh', options: opt([10000, 2000, 1000, 100, 10, 1, 0.1, 0.01]) },
  { name: 'combination', label: 'Combination code', options: opt(Object.keys(COMBINATIONS), (c) => `${c} ${COMBINATIONS[c]}`) },
  { name: 'parity', label: 'Parity setting', options: opt(['even', 'none', 'odd'], (p) => p[0].toUpperCase() + p.slice(1)) },
  { name: 'tariff', label: 'Tariff', options: opt([1, 2, 3, 4], (t) => `T${t}`) },
  { name: 'pulse_width_ms', label: 'Pulse width (2 - 99)', unit: 'ms', kind: 'int', min: 2, max: 99, what: 'pulse width' },
  { name: 'pulse_type', label: 'Pulse type', options: [{ value: 'active&reactive', text: 'Active & reactive' }, { value: 'forward&reverse', text: 'Forward & reverse' }] },
  { name: 'data_type', label: 'Data type setting', options: opt(['standard', 'integer'], (d) => d[0].toUpperCase() + d.slice(1)) },
  { name: 'screen_direction', label: 'Screen direction', options: [{ value: '0', text: 'Standard' }, { value: '1', text: 'Turn 180 degrees' }] },
  { name: 'obis', label: 'OBIS code (LCD part 3)', kind: 'bool', options: [{ value: 'true', text: 'ON' }, { value: 'false', text: 'OFF' }] },
];
let meterSettings = null;

function buildSettings() {
  const root = $('settings-fields');
  for (const s of SETTINGS) {
    const row = document.createElement('div');
    row.className = 'setting';
    row.id = `set-row-${s.name}`;
    row.dataset.testid = `set-row-${s.name}`;
    const label = document.createElement('label');
    label.htmlFor = `set-${s.name}`;
    label.textContent = s.label;
    let input;
    if (s.options) {
      input = document.createElement('select');
      for (const o of s.options) input.append(new Option(o.text, o.value));
    } else {
      input = document.createElement('input');
      input.type = 'text';
      input.inputMode = 'numeric';
      input.autocomplete = 'off';
    }
    input.id = `set-${s.name}`;
    input.dataset.testid = `set-${s.name}`;
    input.dataset.setting = s.name;
    input.addEventListener(s.options ? 'change' : 'input', () => markModified(s));
    const unit = document.createElement('span');
    unit.className = 'unit';
    unit.textContent = s.unit || '';
    const mark = document.createElement('span');
    mark.className = 'mark';
    mark.textContent = 'modified';
    row.append(label, input, unit, mark);
    root.append(row);
  }
}
const shown = (value) => String(value);
function isModified(s) {
  return meterSettings !== null && $(`set-${s.name}`).value.trim() !== shown(meterSettings[s.name]);
}
function markModified(s) {
  const modified = isModified(s);
  const row = $(`set-row-${s.name}`);
  row.classList.toggle('modified', modified);
  row.dataset.modified = String(modified);
}
function renderSettings(settings) {
  const before = meterSettings;
  meterSettings = settings;
  for (const s of SETTINGS) {
    const input = $(`set-${s.name}`);
    const wasModified = before !== null && input.value.trim() !== shown(before[s.name]);
    if (!wasModified && document.activeElement !== input) input.value = shown(settings[s.name]);
    markModified(s);
  }
}
/// The modified settings in the form PUT /api/v1/app/settings takes, or the first range error.
function collectSettings() {
  const out = {};
  for (const s of SETTINGS) {
    if (!isModified(s)) continue;
    const text = $(`set-${s.name}`).value.trim();
    if (s.kind === 'int') {
      if (!/^-?\d+$/.test(text)) return { error: `${s.what} "${text}" is not a whole number` };
      const n = Number(text);
      if (n < s.min || n > s.max) return { error: `${s.what} ${n} out of range ${s.min}-${s.max}` };
      out[s.name] = n;
    } else if (s.kind === 'bool') {
      out[s.name] = text === 'true';
    } else if (s.name === 'parity' || s.name === 'combination' || s.name.endsWith('_type')) {
      out[s.name] = text;
    } else {
      out[s.name] = Number(text);
    }
  }
  return { settings: out };
}
function settingsStatus(text, error) {
  const el = $('settings-status');
  el.textContent = text;
  el.classList.toggle('error', !!error);
}

// ---- the password pop-up (default 0000; only the meter's buttons change it, 7.6.1)
function askPassword(what) {
  const dialog = $('pw-dialog');
  $('pw-what').textContent = what;
  $('pw-input').value = '';
  $('pw-error').textContent = '';
  return new Promise((resolve) => {
    const done = (value) => {
      $('pw-form').removeEventListener('submit', onSubmit);
      $('pw-cancel').removeEventListener('click', onCancel);
      dialog.removeEventListener('cancel', onCancel);
      if (dialog.open) dialog.close();
      resolve(value);
    };
    const onSubmit = (e) => {
      e.preventDefault();
      const pw = $('pw-input').value;
      if (!/^\d{4}$/.test(pw)) {
        $('pw-error').textContent = 'The password is 4 digits (0-9).';
        return;
      }
      done(pw);
    };
    const onCancel = (e) => { e.preventDefault(); done(null); };
    $('pw-form').addEventListener('submit', onSubmit);
    $('pw-cancel').addEventListener('click', onCancel);
    dialog.addEventListener('cancel', onCancel);
    dialog.showModal();
    $('pw-input').focus();
  });
}

async function saveSettings() {
  const { settings, error } = collectSettings();
  if (error) {
    settingsStatus(`save error: ${error}`, true);
    showError(`save error: ${error}`);
    return;
  }
  if (Object.keys(settings).length === 0) {
    settingsStatus('Nothing modified.', false);
    return;
  }
  const warnings = [
    settings.combination === 'C-05' ? 'C-05 is final: no other combination code can be set afterwards (7.6.15).' : '',
    settings.tariff >= 3 ? 'T3/T4 stay activated for good once used (7.6.2).' : '',
  ].filter(Boolean);
  const count = Object.keys(settings).length;
  const password = await askPassword([`Store ${count} modified setting${count > 1 ? 's' : ''} in the meter.`, ...warnings].join(' '));
  if (password === null) {
    settingsStatus('Not saved.', false);
    return;
  }
  try {
    const answer = await api('PUT', '/app/settings', { password, settings });
    clearError();
    for (const s of SETTINGS) $(`set-${s.name}`).value = shown(answer.settings[s.name]);
    renderSettings(answer.settings);
    settingsStatus('Settings saved.', false);
  } catch (e) {
    settingsStatus(`save error: ${e.message}`, true);
  }
}
async function resetCounter(what, question) {
  const password = await askPassword(`${question} Enter the password to confirm.`);
  if (password === null) return;
  try {
    await api('POST', '/app/reset', { password, what });
    settingsStatus(`${question.replace('Are you sure you want to reset', 'Reset').replace(' to 0?', ' to 0.')}`, false);
  } catch (e) {
    settingsStatus(`save error: ${e.message}`, true);
  }
}

/// Wires the tabs, the Save buttons, the settings form and the reset buttons.
export function initMeterApp() {
  tabs.forEach((t, i) => {
    t.addEventListener('click', () => selectTab(t));
    t.addEventListener('keydown', (e) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (!step) return;
      e.preventDefault();
      const next = tabs[(i + step + tabs.length) % tabs.length];
      selectTab(next);
      next.focus();
    });
  });
  for (const b of document.querySelectorAll('.save-csv')) b.addEventListener('click', downloadCsv);
  $('settings-form').addEventListener('submit', (e) => { e.preventDefault(); saveSettings(); });
  $('settings-revert').addEventListener('click', () => {
    for (const s of SETTINGS) $(`set-${s.name}`).value = shown(meterSettings[s.name]);
    renderSettings(meterSettings);
    settingsStatus('', false);
  });
  $('reset-pdc').addEventListener('click', () => resetCounter('power_down_counter', 'Are you sure you want to reset the power down counter to 0?'));
  $('reset-trip').addEventListener('click', () => resetCounter('trip_counter', 'Are you sure you want to reset the trip counter to 0?'));
  buildSettings();
}
