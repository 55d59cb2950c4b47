// Driving the page's three touch buttons and reading its LCD menu page (manual 7.4-7.6).
import assert from 'node:assert/strict';

import { check, sleep } from './support.mjs';

// A press of the single meter (/api/v1/panel/press) or of a fleet's meter
// (/api/v1/meters/{serial}/panel/press).
const PRESS_PATH = '/panel/press';

/// A short click on a button; resolves when the meter has answered the press.
export async function tap(page, button) {
  const answered = page.waitForResponse((r) => r.url().endsWith(PRESS_PATH) && r.request().method() === 'POST');
  await page.click(`[data-testid="btn-${button}"]`);
  const res = await answered;
  if (res.status() !== 200) throw new Error(`press ${button}: HTTP ${res.status()}`);
}

/// Holds * with the mouse for 3.3 s of the page's own (fake) clock: a long press (7.4); checks
/// the progress ring fills half-way. The page's clock is Playwright's (page.clock.install() in
/// newPage), so the 3 s pass at once.
export async function holdStar(t, page) {
  const star = page.locator('[data-testid="btn-star"]');
  await star.scrollIntoViewIfNeeded();
  const box = await star.boundingBox();
  const answered = page.waitForResponse((r) => r.url().endsWith(PRESS_PATH) &&
    JSON.parse(r.request().postData() || '{}').long === true, { timeout: 8000 });
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.clock.runFor(1500);
  const progress = await page.evaluate(() => document.getElementById('hold-bar').value);
  await check(t, `the hold progress fills while * is held (${Math.round(progress)} of 3000 ms)`,
    () => assert.ok(progress > 1000 && progress < 3000, `progress ${progress}`));
  await page.clock.runFor(1800);
  await page.mouse.up();
  const res = await answered;
  if (res.status() !== 200) throw new Error(`long press: HTTP ${res.status()}`);
}

/// What the LCD's menu page shows: {mode, section, title, value, cursor, editing, message}.
export function readMenu(page) {
  return page.evaluate(() => {
    const text = (id) => document.getElementById(id).textContent;
    const value = document.getElementById('lcd-m-value');
    const spans = [...value.children];
    const cursor = spans.findIndex((s) => s.classList.contains('cursor'));
    const editing = value.classList.contains('blink') || spans.some((s) => s.classList.contains('blink'));
    return { mode: document.getElementById('lcd').dataset.mode, section: text('lcd-m-section'), title: text('lcd-m-title'),
      value: value.textContent, cursor, editing, message: text('lcd-m-message') };
  });
}

/// Waits (≤ 3 s of wall time: the LCD follows the meter's answers and events) until the menu
/// page shows every field of `want`; one check.
export async function expectMenu(t, page, want, what) {
  await check(t, what, async () => {
    const deadline = Date.now() + 3000;
    let got = null;
    for (;;) {
      got = await readMenu(page);
      const match = got.mode === 'menu' && Object.entries(want).every(([k, v]) => got[k] === v);
      if (match) return;
      if (Date.now() > deadline) assert.fail(`want ${JSON.stringify(want)}, LCD shows ${JSON.stringify(got)}`);
      await sleep(50);
    }
  });
}
