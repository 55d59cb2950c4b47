// The Meter Manager app's CSV export (manual A4.3) against GET /api/v1/state: what each row
// must say, worked out from the state independently of the page and of the server's code.

/// Rows of a CSV text (RFC 4180 quoting, CRLF or LF line ends), without the empty last line.
export function csvRows(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 1; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += c;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}

/// A number as the app writes it: fixed decimals, never "-0.000".
export function fixed(value, decimals) {
  const text = value.toFixed(decimals);
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
}

const QUADRANTS = ['Imp. inductive', 'Exp. capacitive', 'Exp. inductive', 'Imp. capacitive'];
const TRIP = { trip_kwh: 'Resettable day counter', trip_l1_kwh: 'Resettable day counter L1',
  trip_l2_kwh: 'Resettable day counter L2', trip_l3_kwh: 'Resettable day counter L3' };

/// The app's name of an energy register of the state ("t1_forward_active_kwh" → "T1 Forward active energy").
export function energyDescription(key) {
  if (TRIP[key]) return TRIP[key];
  const words = key.split('_');
  words.pop();
  if (/^q[1-4]$/.test(words[0])) {
    const q = Number(words[0][1]);
    return `${QUADRANTS[q - 1]} reactive energy in Q${q} (${words[1] === 'total' ? 'total' : words[1].toUpperCase()})`;
  }
  const prefix = [];
  while (/^[lt]\d$/.test(words[0])) prefix.push(words.shift().toUpperCase());
  const rest = `${words.join(' ')} energy`;
  return [prefix.join('-'), rest[0].toUpperCase() + rest.slice(1)].filter(Boolean).join(' ');
}

/// The instantaneous rows (0x5000 block, A3.2) from the state: [description, value, decimals, unit].
export function instantaneousRows(state) {
  const m = state.measurement;
  const rows = [['Voltage*', 0, 2, 'V']];
  for (const ph of ['L1', 'L2', 'L3']) rows.push([`${ph} Voltage`, m[ph].v, 2, 'V']);
  rows.push(['Grid frequency', m.hz, 2, 'Hz'], ['Current*', 0, 3, 'A']);
  for (const ph of ['L1', 'L2', 'L3']) rows.push([`${ph} Current`, m[ph].i, 3, 'A']);
  for (const [what, field, unit] of [['active power', 'p_kw', 'kW'], ['reactive power', 'q_kvar', 'kvar'], ['apparent power', 's_kva', 'kVA']]) {
    rows.push([`Total ${what}`, m.total[field], 3, unit]);
    for (const ph of ['L1', 'L2', 'L3']) rows.push([`${ph} ${what[0].toUpperCase()}${what.slice(1)}`, m[ph][field], 3, unit]);
  }
  rows.push(['Power factor', m.total.pf, 3, '']);
  for (const ph of ['L1', 'L2', 'L3']) rows.push([`${ph} Power factor`, m[ph].pf, 3, '']);
  rows.push(['L1-L2 Voltage', m.line_voltages.l1_l2, 2, 'V'], ['L1-L3 Voltage', m.line_voltages.l1_l3, 2, 'V'],
    ['L2-L3 Voltage', m.line_voltages.l2_l3, 2, 'V']);
  return rows;
}

/// Every row the export must hold, in order: [description, value, unit].
export function expectedCsv(state) {
  const energy = Object.keys(state.energy)
    .sort((a, b) => parseInt(state.energy_addresses[a], 16) - parseInt(state.energy_addresses[b], 16))
    .map((key) => [energyDescription(key), fixed(state.energy[key], 3), key.endsWith('_kvarh') ? 'kvarh' : 'kWh']);
  const instant = instantaneousRows(state).map(([d, v, n, u]) => [d, fixed(v, n), u]);
  return [...energy, ...instant];
}
