// The meter's front (manual 7): the LCD drawn from the panel JSON, the three touch buttons
// with their hold time measured (a long press of * is ≥ 3 s, 7.4), the red LED and S0 counts.
import { $, api, setText } from './common.js';

const HOLD_MS = 3000;
const lcd = $('lcd');

function line(part) {
  return [part.caption, part.label].filter(Boolean).join(' ');
}

/// The menu value with the character under the cursor marked (blinking while editing).
function renderMenuValue(el, menu) {
  const key = JSON.stringify([menu.value, menu.cursor, menu.editing]);
  if (el.dataset.key === key) return;
  el.dataset.key = key;
  el.replaceChildren();
  el.classList.toggle('blink', menu.editing && menu.cursor < 0);
  [...menu.value].forEach((ch, i) => {
    const span = document.createElement('span');
    span.textContent = ch;
    if (i === menu.cursor) {
      span.className = menu.editing ? 'cursor blink' : 'cursor';
      span.dataset.testid = 'lcd-cursor';
    }
    el.append(span);
  });
}

function lcdSummary(p) {
  if (p.mode === 'off') return 'LCD off';
  const head = `${line(p.part1)} ${p.part1.value}, T${p.icons.tariff}, CT ${p.icons.ct_ratio}`;
  if (p.mode === 'menu') {
    const m = p.menu;
    return `${head}. ${m.title}: ${m.value} ${m.unit}${m.message ? ` (${m.message})` : ''}`.trim();
  }
  const part = (q) => [line(q), q.obis, q.value, q.unit, q.detail].filter(Boolean).join(' ');
  return `${head}. ${part(p.part2)}. ${part(p.part3)}`;
}

/// Draws the panel JSON of GET /api/v1/panel or the event stream.
export function renderLcd(p) {
  lcd.dataset.mode = p.mode;
  lcd.classList.toggle('backlight', !!p.backlight);
  lcd.classList.toggle('turned', !!p.turned);
  const on = p.mode !== 'off';
  const icons = p.icons || {};
  setText($('lcd-sw'), on ? p.software_version : '');
  setText($('lcd-p1'), on ? `${p.part1.caption} ${p.part1.value}` : '');
  setText($('lcd-tariff'), on ? `T${icons.tariff}` : '');
  $('lcd-bt').classList.toggle('on', on && !!icons.bluetooth);
  $('lcd-hook').classList.toggle('on', on && !!icons.communication);
  setText($('lcd-arrow'), !on ? '' : icons.import_arrow ? '▶ imp' : icons.export_arrow ? '◀ exp' : '');
  setText($('lcd-ct'), on ? icons.ct_ratio : '');
  const menu = p.mode === 'menu';
  $('lcd-normal').hidden = menu;
  $('lcd-menu').hidden = !menu;
  if (p.mode === 'normal') {
    for (const [n, part] of [['2', p.part2], ['3', p.part3]]) {
      setText($(`lcd-p${n}-cap`), line(part));
      setText($(`lcd-p${n}-obis`), part.obis);
      setText($(`lcd-p${n}-val`), part.value);
      setText($(`lcd-p${n}-unit`), part.unit);
    }
    setText($('lcd-p3-detail'), p.part3.detail || '');
  } else if (!on) {
    for (const id of ['lcd-p2-cap', 'lcd-p2-obis', 'lcd-p2-val', 'lcd-p2-unit', 'lcd-p3-cap',
      'lcd-p3-obis', 'lcd-p3-val', 'lcd-p3-unit', 'lcd-p3-detail']) setText($(id), '');
  }
  if (menu) {
    const m = p.menu;
    setText($('lcd-m-section'), m.section);
    setText($('lcd-m-title'), m.title);
    renderMenuValue($('lcd-m-value'), m);
    setText($('lcd-m-unit'), m.unit);
    setText($('lcd-m-message'), m.message);
    renderQr($('lcd-m-qr'), m.qr || '');
    $('lcd-menu').classList.toggle('err', m.value === 'Err');
  }
  const summary = lcdSummary(p);
  if (lcd.getAttribute('aria-label') !== `LCD: ${summary}`) lcd.setAttribute('aria-label', `LCD: ${summary}`);
}

/// The Bluetooth page's QR code (7.5; the app scans it to find this meter), drawn by the
/// qrcode-generator library as an SVG, with its payload beside it as text. Redrawn only when
/// the payload changes (the panel is rendered several times a second).
function renderQr(el, payload) {
  if (el.dataset.payload === payload) return;
  el.dataset.payload = payload;
  el.replaceChildren();
  if (!payload) return;
  const code = globalThis.qrcode(0, 'M');
  code.addData(payload);
  code.make();
  const figure = document.createElement('span');
  figure.className = 'qr-code';
  figure.dataset.testid = 'lcd-qr-code';
  figure.innerHTML = code.createSvgTag({ cellSize: 3, margin: 6, alt: `QR code: ${payload}` });
  const caption = document.createElement('span');
  caption.textContent = `QR: ${payload}`;
  el.append(figure, caption);
}

let lastFlashes = null;
/// The LED blinks when its flash count grew; the S0 outputs' pulse counts and sources.
export function renderPulses(panel, state) {
  const flashes = panel.led ? panel.led.flashes : 0;
  setText($('led-count'), String(flashes));
  if (lastFlashes !== null && flashes > lastFlashes) {
    const led = $('led');
    led.classList.remove('flash');
    void led.offsetWidth; // restart the animation
    led.classList.add('flash');
  }
  lastFlashes = flashes;
  (panel.s0 || []).forEach((out, i) => setText($(`s0-${i + 1}`), String(out.pulses)));
  (state.s0 || []).forEach((out, i) => setText($(`s0-${i + 1}-src`), `(${out.source})`));
}

let pressChain = Promise.resolve();
/// Presses are sent one after the other, in the order they were made.
function press(button, long) {
  const el = document.querySelector(`.touch[data-button="${button}"]`);
  el.classList.add('pressed');
  setTimeout(() => el.classList.remove('pressed'), 150);
  pressChain = pressChain
    .then(() => api('POST', '/panel/press', { button, long }))
    .then((panel) => {
      if (!panel || !panel.mode) return;
      renderLcd(panel);
      setText($('lcd-text'), lcdSummary(panel)); // announced after a press, not at every tick
    })
    .catch(() => {});
  return pressChain;
}

let hold = null; // {button, start, fired, timer, raf}
function setHoldProgress(ms) {
  const frac = Math.min(1, ms / HOLD_MS);
  $('hold-ring').style.strokeDashoffset = String(120 * (1 - frac));
  $('hold-bar').value = Math.min(HOLD_MS, ms);
  $('btn-star').classList.toggle('holding', ms > 0);
}
function animateHold() {
  if (!hold || hold.fired) return;
  setHoldProgress(performance.now() - hold.start);
  hold.raf = requestAnimationFrame(animateHold);
}
function startHold(button) {
  if (hold) return;
  hold = { button, start: performance.now(), fired: false };
  if (button === 'star') {
    hold.timer = setTimeout(() => {
      hold.fired = true;
      setHoldProgress(HOLD_MS);
      press('star', true);
    }, HOLD_MS);
    animateHold();
  }
}
function endHold(button, cancelled) {
  if (!hold || (button && hold.button !== button)) return;
  const h = hold;
  hold = null;
  clearTimeout(h.timer);
  cancelAnimationFrame(h.raf);
  setHoldProgress(0);
  if (!cancelled && !h.fired) press(h.button, performance.now() - h.start >= HOLD_MS);
}

/// Pointer and keyboard handling of the three buttons: ←/→ press << >>, Enter or Space is
/// held like a finger.
export function initButtons() {
  for (const el of document.querySelectorAll('.touch')) {
    const button = el.dataset.button;
    el.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      el.focus();
      el.setPointerCapture(e.pointerId);
      startHold(button);
    });
    el.addEventListener('pointerup', () => endHold(button, false));
    el.addEventListener('pointercancel', () => endHold(button, true));
    el.addEventListener('contextmenu', (e) => e.preventDefault());
    el.addEventListener('blur', () => endHold(button, true));
  }
  $('buttons').addEventListener('keydown', (e) => {
    const target = e.target.closest('.touch');
    if (!target) return;
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      e.preventDefault();
      if (!e.repeat) press(e.key === 'ArrowLeft' ? 'left' : 'right', false);
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      if (!e.repeat) startHold(target.dataset.button);
    }
  });
  $('buttons').addEventListener('keyup', (e) => {
    const target = e.target.closest('.touch');
    if (target && (e.key === 'Enter' || e.key === ' ')) {
      e.preventDefault();
      endHold(target.dataset.button, false);
    }
  });
}
