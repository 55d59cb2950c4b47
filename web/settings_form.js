// The settings of the Meter Manager app's Settings page (manual A4), in the order the form
// shows them. Pure data: meter_app.js builds the form from it, meter_app_model.js checks and
// collects what the user typed by it.
//
// The seam: `settingFields()` is the only way the page gets this list. It is hard-coded here
// for now; it is meant to become the schema the server describes (GET
// /api/v1/settings/schema), mapped to the same shape, and nothing else would need to change.
//
// One field:
//   name     the key of `settings` in the state and in PUT /api/v1/app/settings
//   label    the form's label
//   unit     shown after the input (optional)
//   kind     how the form's text becomes the JSON value:
//              'int'    a whole number in [min, max] (a text input; `what` names it in errors)
//              'number' Number(text)       'text' the text as it is
//              'bool'   text === 'true'
//   options  [{value, text}]: a drop-down of these values (otherwise a text input)

const opt = (values, label = String) => values.map((v) => ({ value: String(v), text: label(v) }));
const capital = (s) => s[0].toUpperCase() + s.slice(1);
const COMBINATIONS = { 'C-01': 'Forward only', 'C-02': 'Reverse only', 'C-03': 'Forward + Reverse',
  'C-04': 'Forward - Reverse', 'C-05': 'Forward - Reverse (10), final' };

const SETTINGS = [
  { name: 'modbus_id', label: 'Modbus ID (1 - 247)', kind: 'int', min: 1, max: 247, what: 'Modbus ID' },
  { name: 'modbus_baud', label: 'Baudrate', unit: 'bps', kind: 'number',
    options: opt([115200, 57600, 38400, 19200, 9600, 4800, 2400, 1200, 600, 300]) },
  { name: 'mbus_id', label: 'M-Bus ID (0 - 250)', kind: 'int', min: 0, max: 250, what: 'M-bus ID' },
  { name: 'mbus_baud', label: 'M-bus Baud rate', unit: 'bps', kind: 'number', options: opt([300, 600, 1200, 2400, 4800, 9600]) },
  { name: 's0_rate', label: 'S0 output rate', unit: 'imp/kWh', kind: 'number',
    options: opt([10000, 2000, 1000, 100, 10, 1, 0.1, 0.01]) },
  { name: 'combination', label: 'Combination code', kind: 'text',
    options: opt(Object.keys(COMBINATIONS), (c) => `${c} ${COMBINATIONS[c]}`) },
  { name: 'parity', label: 'Parity setting', kind: 'text', options: opt(['even', 'none', 'odd'], capital) },
  { name: 'tariff', label: 'Tariff', kind: 'number', options: opt([1, 2, 3, 4], (t) => `T${t}`) },
  { name: 'pulse_width_ms', label: 'Pulse width (2 - 99)', unit: 'ms', kind: 'int', min: 2, max: 99, what: 'pulse width' },
  { name: 'pulse_type', label: 'Pulse type', kind: 'text',
    options: [{ value: 'active&reactive', text: 'Active & reactive' }, { value: 'forward&reverse', text: 'Forward & reverse' }] },
  { name: 'data_type', label: 'Data type setting', kind: 'text', options: opt(['standard', 'integer'], capital) },
  { name: 'screen_direction', label: 'Screen direction', kind: 'number',
    options: [{ value: '0', text: 'Standard' }, { value: '1', text: 'Turn 180 degrees' }] },
  { name: 'obis', label: 'OBIS code (LCD part 3)', kind: 'bool', options: [{ value: 'true', text: 'ON' }, { value: 'false', text: 'OFF' }] },
];

/// The settings form's fields, in order (see the top of this file).
export function settingFields() {
  return SETTINGS;
}
