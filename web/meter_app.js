// The Meter Manager app (manual appendix 4): the Device page, the Energy and Instantaneous
// values with a Save that downloads the CSV, and the Settings (modified ones marked, range
// checked, a password pop-up, saved with PUT /api/v1/app/settings; the counters reset with
// POST /api/v1/app/reset). Both need Bluetooth active, as the app talks to the meter over it.
// The settings' list is settings_form.js's; the checks are meter_app_model.js's.
import { $, api, apiUrl, clearError, setText, showError } from './common.js';
import { RESETS, bluetoothStatus, collectSettings, deviceView, isModified, keyedRows, passwordError,
  resetDoneText, shownValue, storeQuestion } from './meter_app_model.js';
import { fieldsFromSchema } from './settings_form.js';

function selectTab(tabs, tab) {
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
  a.href = apiUrl('/app/export.csv');
  a.download = '';
  document.body.append(a);
  a.click();
  a.remove();
}

/// The app's pages from the state, and its Energy and Instantaneous rows as the server
/// words them (the same rows as the CSV export: `app` of the event).
export function renderApp(state, app) {
  const device = deviceView(state.identity);
  setText($('dev-serial'), device.serial);
  setText($('dev-sw'), device.software);
  setText($('dev-cs1'), device.checksum1);
  setText($('dev-cs2'), device.checksum2);
  const bt = bluetoothStatus(state);
  const status = $('bt-status');
  status.classList.toggle('on', bt.on);
  setText(status, bt.text);
  renderTable($('energy-body'), keyedRows(app.energy));
  renderTable($('inst-body'), keyedRows(app.instant));
  renderSettings(state.settings);
}

// ---- settings: the A4 list, modified ones marked, range-checked before saving
let fields = [];          // the form's fields (settings_form.js), once built
let meterSettings = null; // the meter's settings of the last state

const textOf = (name) => $(`set-${name}`).value;

function buildSettings(list) {
  fields = list;
  const root = $('settings-fields');
  for (const s of fields) {
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
function markModified(s) {
  const modified = isModified(meterSettings, s.name, textOf(s.name));
  const row = $(`set-row-${s.name}`);
  row.classList.toggle('modified', modified);
  row.dataset.modified = String(modified);
}
function renderSettings(settings) {
  const before = meterSettings;
  meterSettings = settings;
  for (const s of fields) {
    const input = $(`set-${s.name}`);
    const wasModified = isModified(before, s.name, input.value);
    if (!wasModified && document.activeElement !== input) input.value = shownValue(settings[s.name]);
    markModified(s);
  }
}
/// Another meter of the fleet is shown: the form takes its settings as they are (an edit
/// made for the last meter is dropped, not carried to this one).
export function forgetSettings() {
  meterSettings = null;
  for (const s of fields) $(`set-${s.name}`).value = '';
  settingsStatus('', false);
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
      const error = passwordError(pw);
      if (error) {
        $('pw-error').textContent = error;
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
  const { settings, error } = collectSettings(fields, textOf, meterSettings);
  if (error) {
    settingsStatus(`save error: ${error}`, true);
    showError(`save error: ${error}`);
    return;
  }
  if (Object.keys(settings).length === 0) {
    settingsStatus('Nothing modified.', false);
    return;
  }
  const password = await askPassword(storeQuestion(settings));
  if (password === null) {
    settingsStatus('Not saved.', false);
    return;
  }
  try {
    const answer = await api('PUT', '/app/settings', { password, settings });
    clearError();
    for (const s of fields) $(`set-${s.name}`).value = shownValue(answer.settings[s.name]);
    renderSettings(answer.settings);
    settingsStatus('Settings saved.', false);
  } catch (e) {
    settingsStatus(`save error: ${e.message}`, true);
  }
}
async function resetCounter({ what, question }) {
  const password = await askPassword(`${question} Enter the password to confirm.`);
  if (password === null) return;
  try {
    await api('POST', '/app/reset', { password, what });
    settingsStatus(resetDoneText(question), false);
  } catch (e) {
    settingsStatus(`save error: ${e.message}`, true);
  }
}

/// Wires the tabs, the Save buttons, the settings form and the reset buttons.
export function initMeterApp() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  tabs.forEach((t, i) => {
    t.addEventListener('click', () => selectTab(tabs, t));
    t.addEventListener('keydown', (e) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (!step) return;
      e.preventDefault();
      const next = tabs[(i + step + tabs.length) % tabs.length];
      selectTab(tabs, next);
      next.focus();
    });
  });
  for (const b of document.querySelectorAll('.save-csv')) b.addEventListener('click', downloadCsv);
  $('settings-form').addEventListener('submit', (e) => { e.preventDefault(); saveSettings(); });
  $('settings-revert').addEventListener('click', () => {
    for (const s of fields) $(`set-${s.name}`).value = shownValue(meterSettings[s.name]);
    renderSettings(meterSettings);
    settingsStatus('', false);
  });
  for (const [id, reset] of Object.entries(RESETS)) $(id).addEventListener('click', () => resetCounter(reset));
  api('GET', '/settings/schema')
    .then((schema) => {
      buildSettings(fieldsFromSchema(schema));
      // The fields are new: the state that came before the schema fills them (they are not
      // "modified" for being empty).
      const settings = meterSettings;
      meterSettings = null;
      if (settings !== null) renderSettings(settings);
    })
    .catch((e) => showError(`cannot load the settings schema: ${e.message}`));
}
