// The meter's front as data: what the LCD shows, worked out from the panel JSON (GET
// /api/v1/panel, `panel` of the event stream): the text of every segment, the icons, the menu
// value's cells, the summary read to a screen reader; and the hold time of the * button.
// Pure: lcd.js draws it.

/// A press of * held this long is a long press (7.4).
export const HOLD_MS = 3000;

/// The hold indicator after `ms` held: the ring's dash offset (its circumference is 120), the
/// progress bar's value (ms, at most HOLD_MS) and whether * shows as being held.
export function holdProgress(ms) {
  const frac = Math.min(1, ms / HOLD_MS);
  return { ringOffset: String(120 * (1 - frac)), bar: Math.min(HOLD_MS, ms), holding: ms > 0 };
}

/// A part's caption and label ("P Total").
export function partLine(part) {
  return [part.caption, part.label].filter(Boolean).join(' ');
}

/// The energy-direction arrow of part 1.
export function arrowText(icons) {
  return icons.import_arrow ? '▶ imp' : icons.export_arrow ? '◀ exp' : '';
}

/// The ids of parts 2 and 3 of the normal display.
export const PART_IDS = ['lcd-p2-cap', 'lcd-p2-obis', 'lcd-p2-val', 'lcd-p2-unit', 'lcd-p3-cap',
  'lcd-p3-obis', 'lcd-p3-val', 'lcd-p3-unit', 'lcd-p3-detail'];

/// Everything the LCD shows for panel `p`: {mode, backlight, turned, menu, bluetooth,
/// communication, text: {element id: text}, parts: {id: text} or null (a menu page leaves
/// parts 2 and 3 as they were, hidden)}.
export function lcdView(p) {
  const on = p.mode !== 'off';
  const icons = p.icons || {};
  const menu = p.mode === 'menu';
  const text = {
    'lcd-sw': on ? p.software_version : '',
    'lcd-p1': on ? `${p.part1.caption} ${p.part1.value}` : '',
    'lcd-tariff': on ? `T${icons.tariff}` : '',
    'lcd-arrow': on ? arrowText(icons) : '',
    'lcd-ct': on ? icons.ct_ratio : '',
  };
  let parts = null;
  if (p.mode === 'normal') {
    parts = {};
    for (const [n, part] of [['2', p.part2], ['3', p.part3]]) {
      parts[`lcd-p${n}-cap`] = partLine(part);
      parts[`lcd-p${n}-obis`] = part.obis;
      parts[`lcd-p${n}-val`] = part.value;
      parts[`lcd-p${n}-unit`] = part.unit;
    }
    parts['lcd-p3-detail'] = p.part3.detail || '';
  } else if (!on) {
    parts = Object.fromEntries(PART_IDS.map((id) => [id, '']));
  }
  if (menu) {
    const m = p.menu;
    Object.assign(text, { 'lcd-m-section': m.section, 'lcd-m-title': m.title, 'lcd-m-unit': m.unit,
      'lcd-m-message': m.message });
  }
  return {
    mode: p.mode, backlight: !!p.backlight, turned: !!p.turned, menu,
    bluetooth: on && !!icons.bluetooth, communication: on && !!icons.communication,
    error: menu && p.menu.value === 'Err', qr: menu ? p.menu.qr || '' : '', text, parts,
  };
}

/// The menu value as cells, the one under the cursor marked (blinking while editing); the
/// whole value blinks while editing with no cursor. `key` changes whenever the drawing does.
export function menuValueCells(menu) {
  return {
    key: JSON.stringify([menu.value, menu.cursor, menu.editing]),
    blink: !!menu.editing && menu.cursor < 0,
    cells: [...menu.value].map((ch, i) => ({ ch, cursor: i === menu.cursor, blink: i === menu.cursor && !!menu.editing })),
  };
}

/// One sentence of what the LCD shows, for its aria-label and the live region.
export function lcdSummary(p) {
  if (p.mode === 'off') return 'LCD off';
  const head = `${partLine(p.part1)} ${p.part1.value}, T${p.icons.tariff}, CT ${p.icons.ct_ratio}`;
  if (p.mode === 'menu') {
    const m = p.menu;
    return `${head}. ${m.title}: ${m.value} ${m.unit}${m.message ? ` (${m.message})` : ''}`.trim();
  }
  const part = (q) => [partLine(q), q.obis, q.value, q.unit, q.detail].filter(Boolean).join(' ');
  return `${head}. ${part(p.part2)}. ${part(p.part3)}`;
}
