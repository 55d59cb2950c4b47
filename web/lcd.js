// The meter's front (manual 7): the LCD drawn from the panel JSON, the three touch buttons
// with their hold time measured (a long press of * is ≥ 3 s, 7.4), the red LED and S0 counts.
// What the LCD shows is worked out by lcd_model.js; this module draws it.
import { $, api, setText } from './common.js';
import { HOLD_MS, holdProgress, lcdSummary, lcdView, menuValueCells } from './lcd_model.js';
import { qrSvg } from './qr.js';

/// The menu value with the character under the cursor marked (blinking while editing).
function renderMenuValue(el, menu) {
  const view = menuValueCells(menu);
  if (el.dataset.key === view.key) return;
  el.dataset.key = view.key;
  el.replaceChildren();
  el.classList.toggle('blink', view.blink);
  for (const cell of view.cells) {
    const span = document.createElement('span');
    span.textContent = cell.ch;
    if (cell.cursor) {
      span.className = cell.blink ? 'cursor blink' : 'cursor';
      span.dataset.testid = 'lcd-cursor';
    }
    el.append(span);
  }
}

/// Draws the panel JSON of GET /api/v1/panel or the event stream.
export function renderLcd(p) {
  const lcd = $('lcd');
  const view = lcdView(p);
  lcd.dataset.mode = view.mode;
  lcd.classList.toggle('backlight', view.backlight);
  lcd.classList.toggle('turned', view.turned);
  $('lcd-bt').classList.toggle('on', view.bluetooth);
  $('lcd-hook').classList.toggle('on', view.communication);
  $('lcd-normal').hidden = view.menu;
  $('lcd-menu').hidden = !view.menu;
  for (const [id, text] of Object.entries(view.text)) setText($(id), text);
  if (view.parts) for (const [id, text] of Object.entries(view.parts)) setText($(id), text);
  if (view.menu) {
    renderMenuValue($('lcd-m-value'), p.menu);
    renderQr($('lcd-m-qr'), view.qr);
    $('lcd-menu').classList.toggle('err', view.error);
  }
  const label = `LCD: ${lcdSummary(p)}`;
  if (lcd.getAttribute('aria-label') !== label) lcd.setAttribute('aria-label', label);
}

/// The Bluetooth page's QR code (7.5) as an SVG, with its payload beside it as text. Redrawn
/// only when the payload changes (the panel is rendered several times a second).
function renderQr(el, payload) {
  if (el.dataset.payload === payload) return;
  el.dataset.payload = payload;
  el.replaceChildren();
  if (!payload) return;
  const figure = document.createElement('span');
  figure.className = 'qr-code';
  figure.dataset.testid = 'lcd-qr-code';
  figure.innerHTML = qrSvg(payload);
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

/// Another meter of the fleet is shown: its LED count is not a growth of the last one's.
export function forgetPulses() {
  lastFlashes = null;
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
  const progress = holdProgress(ms);
  $('hold-ring').style.strokeDashoffset = progress.ringOffset;
  $('hold-bar').value = progress.bar;
  $('btn-star').classList.toggle('holding', progress.holding);
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
