// The Meter Manager app's logic: what its Device page and Bluetooth line show, and the
// Settings page's checks (modified or not, range, the JSON of PUT /api/v1/app/settings, the
// warnings and questions of the password pop-up). Pure: meter_app.js wires it to the page;
// the fields come from settings_form.js.
import { fixed } from './format.js';

/// The Device page's values.
export function deviceView(identity) {
  return { serial: identity.serial, software: fixed(identity.software_version, 2),
    checksum1: identity.checksum1, checksum2: identity.checksum2 };
}

/// The app's connection line: the app talks to the meter over Bluetooth.
export function bluetoothStatus(state) {
  const on = (state.status.status_bits || []).includes('bluetooth_active');
  return { on, text: on ? `Connected over Bluetooth to meter ${state.identity.serial}`
    : 'Bluetooth is off: activate it in the meter\'s menu (7.5); saving settings is refused until then' };
}

/// The Energy and Instantaneous rows of the event (`app`), each keyed by its description.
export const keyedRows = (rows) => rows.map((r) => ({ key: r.description, ...r }));

/// A setting's value as the form shows it.
export const shownValue = (value) => String(value);

/// Whether the form's `text` for setting `name` differs from the meter's (none known yet: no).
export function isModified(meterSettings, name, text) {
  return meterSettings !== null && text.trim() !== shownValue(meterSettings[name]);
}

/// The JSON value of a field's text: {value} or {error} (a range error names the field).
export function parseSetting(field, rawText) {
  const text = rawText.trim();
  switch (field.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(text)) return { error: `${field.what} "${text}" is not a whole number` };
      const n = Number(text);
      if (n < field.min || n > field.max) return { error: `${field.what} ${n} out of range ${field.min}-${field.max}` };
      return { value: n };
    }
    case 'bool': return { value: text === 'true' };
    case 'number': return { value: Number(text) };
    case 'text': return { value: text };
    default: return { error: `${field.name}: unknown kind ${JSON.stringify(field.kind)}` };
  }
}

/// The modified settings in the form PUT /api/v1/app/settings takes ({settings}), or the
/// first error ({error}); `textOf(name)` is the form's text of a field.
export function collectSettings(fields, textOf, meterSettings) {
  const out = {};
  for (const f of fields) {
    const text = textOf(f.name);
    if (!isModified(meterSettings, f.name, text)) continue;
    const parsed = parseSetting(f, text);
    if (parsed.error) return { error: parsed.error };
    out[f.name] = parsed.value;
  }
  return { settings: out };
}

/// What the password pop-up says before storing `settings` (the irreversible ones warned of).
export function storeQuestion(settings) {
  const count = Object.keys(settings).length;
  const warnings = [
    settings.combination === 'C-05' ? 'C-05 is final: no other combination code can be set afterwards (7.6.15).' : '',
    settings.tariff >= 3 ? 'T3/T4 stay activated for good once used (7.6.2).' : '',
  ].filter(Boolean);
  return [`Store ${count} modified setting${count > 1 ? 's' : ''} in the meter.`, ...warnings].join(' ');
}

/// Why a typed password cannot be the meter's ('' when it can: 4 digits).
export const passwordError = (pw) => (/^\d{4}$/.test(pw) ? '' : 'The password is 4 digits (0-9).');

/// The two counter resets of the Settings page: POST /api/v1/app/reset's `what`, the question.
export const RESETS = {
  'reset-pdc': { what: 'power_down_counter', question: 'Are you sure you want to reset the power down counter to 0?' },
  'reset-trip': { what: 'trip_counter', question: 'Are you sure you want to reset the trip counter to 0?' },
};

/// The status line after a reset went through ("Reset the power down counter to 0.").
export const resetDoneText = (question) =>
  question.replace('Are you sure you want to reset', 'Reset').replace(' to 0?', ' to 0.');
