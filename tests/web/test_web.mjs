// Browser test of the web page of `ambimeter run` (issue 6): a real Chromium (Debian's
// /usr/bin/chromium driven by playwright-core) against the real binary, as node:test tests
// (one per part of the page, each check a subtest).
//   AMBI_BINARY=PATH_TO_ambimeter node --test tests/web/test_web.mjs
//   node tests/web/test_web.mjs PATH_TO_ambimeter        (the same, without the runner)
// Needs playwright-core (web/node_modules, `npm ci` in web/; or NODE_PATH) and Chromium
// (AMBI_CHROMIUM overrides /usr/bin/chromium). Missing either is a failure, not a skip.
// Screenshots of the LCD go to ./web-artifacts/ (the ctest working directory).
//
// Time: the page's own timers (the 3 s hold of *) run on Playwright's fake clock
// (page.clock), so holding * takes no wall time. What the twin times itself (its simulated
// clock, its event stream, its answers) cannot be faked from the browser: those waits stay on
// the wall clock, each bounded.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { launchChromium, watch } from './browser.mjs';
import { Twin, anyFailed, check, counted, readHoldingRegisters, sleep, within } from './support.mjs';
import { csvRows, expectedCsv } from './csv.mjs';
import * as panel from './panel.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.resolve('web-artifacts');
const WAIT_MS = 10000;

/// jsQR (web/node_modules, a devDependency): decodes the QR code the page draws.
function jsqrPath() {
  const require = createRequire(import.meta.url);
  for (const name of ['jsqr/dist/jsQR.js', path.join(HERE, '../../web/node_modules/jsqr/dist/jsQR.js')]) {
    try { return require.resolve(name); } catch { /* next */ }
  }
  return null;
}

const binary = process.env.AMBI_BINARY || process.argv[2];
let twin = null;
let browser = null;
let page = null;
const pageErrors = [];

const logs = new Map();

/// A new browser context on the page, its clock Playwright's (installed before the page
/// loads, running at the wall clock's pace until a test moves it on).
async function newPage(viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  await context.clock.install();
  const p = await context.newPage();
  logs.set(p, watch(p));
  p.setDefaultTimeout(WAIT_MS);
  p.on('pageerror', (e) => pageErrors.push(String(e)));
  await p.goto(twin.url + '/', { timeout: WAIT_MS });
  await p.waitForSelector('[data-testid="conn-status"][data-state="live"]', { timeout: WAIT_MS });
  await p.waitForSelector('[data-testid="lcd"][data-mode="normal"]', { timeout: WAIT_MS });
  return p;
}

async function shot(locator, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await locator.screenshot({ path: file, animations: 'disabled' });
  console.log(`     screenshot ${file}`);
  return file;
}

/// The page as loaded: no console error, no failed request, no HTTP error; its icon is there.
async function cleanLoad(t, p) {
  const log = logs.get(p);
  // The icon is fetched after the load event: wait for its answer (bounded).
  const deadline = Date.now() + WAIT_MS;
  while (!log.responses.some((r) => r.url.endsWith('/assets/favicon.svg')) && Date.now() < deadline) await sleep(50);
  await check(t, 'no console errors while the page loads', () => assert.deepEqual(log.console, []));
  await check(t, 'no failed requests while the page loads', () => assert.deepEqual(log.failed, []));
  await check(t, 'no HTTP errors while the page loads', () => assert.deepEqual(log.httpErrors, []));
  await check(t, 'the page\'s icon (favicon.svg) loads', () => {
    const icon = log.responses.filter((r) => r.url.endsWith('/assets/favicon.svg'));
    assert.deepEqual(icon.map((r) => r.status), [200]);
  });
  await check(t, 'one meter: no fleet view (GET /api/v1 says "fleet": null)', async () => {
    assert.equal((await twin.request('GET', '/api/v1')).body.fleet, null);
    assert.equal(await p.isHidden('[data-testid="fleet"]'), true);
    assert.equal(await p.isHidden('[data-testid="selected-meter"]'), true);
  });
  await check(t, 'the libraries load as ES modules', () => {
    for (const lib of ['/assets/vendor/uplot.esm.js', '/assets/vendor/qrcode.mjs']) {
      assert.deepEqual(log.responses.filter((r) => r.url.endsWith(lib)).map((r) => r.status), [200], lib);
    }
  });
}

/// 1. Live values, then a load set through the API shows up on the page within 2 s.
async function liveValues(t, page) {
  const s0 = await twin.state();
  await check(t, 'Device page shows the serial number',
    async () => assert.equal(await page.textContent('[data-testid="dev-serial"]'), s0.identity.serial));
  await check(t, 'LCD part 1 shows the tariff', async () => assert.equal(await page.textContent('[data-testid="lcd-tariff"]'), 'T1'));
  await check(t, 'LCD part 1 shows the CT ratio', async () => assert.equal(await page.textContent('[data-testid="lcd-ct"]'), '0005/5'));
  await check(t, 'LCD part 1 shows the serial number or CRC',
    async () => assert.match(await page.textContent('[data-testid="lcd-p1"]'), /^(SN|CRC) [0-9A-F]{8}$/));
  await check(t, 'LCD part 2 shows a 6+3 digit register',
    async () => assert.match(await page.textContent('[data-testid="lcd-p2-val"]'), /^\d{6}\.\d{3}$/));
  await check(t, 'LCD part 2 shows its OBIS code',
    async () => assert.match(await page.textContent('[data-testid="lcd-p2-obis"]'), /^[12]\.8\.[1-4]$/));
  // The twin's own clock (real, ×1) moves the simulated time: a wait on the wall clock.
  const simBefore = await page.textContent('[data-testid="sim-time"]');
  const moved = await page.waitForFunction((before) => document.querySelector('[data-testid="sim-time"]').textContent !== before,
    simBefore, { timeout: 3000 }).then(() => true, () => false);
  await check(t, 'the simulated time moves on the page (live stream)', () => assert.ok(moved, `still ${simBefore} after 3 s`));

  await page.click('[data-testid="tab-inst"]');
  const put = await twin.request('PUT', '/api/v1/load',
    { L1: { v: 231, i: 10, phi: 0 }, L2: { v: 229, i: 5, phi: 60 }, L3: { v: 230, i: 0, phi: 0 }, f: 50 });
  await check(t, 'PUT /api/v1/load answers 200', () => assert.equal(put.status, 200));
  const t0 = Date.now();
  const seen = await page.waitForFunction(() => {
    const row = (k) => document.querySelector(`#inst-body tr[data-key="${k}"] td.num`)?.textContent;
    return row('L1 Current') === '10.000' && row('L1 Voltage') === '231.00' &&
      row('L1 Active power') === '2.310' && /L2 0\.573 kW/.test(document.querySelector('[data-testid="chart-latest"]').textContent);
  }, null, { timeout: 2000 }).then(() => true, () => false);
  await check(t, `the instantaneous table and the chart read-out show the new load within 2 s (${Date.now() - t0} ms)`,
    () => assert.ok(seen));
  const uplotDrawn = await page.waitForFunction(() => document.querySelectorAll('#chart-power canvas').length > 0 &&
      document.querySelectorAll('#chart-energy canvas').length > 0, null, { timeout: 3000 }).then(() => true, () => false);
  await check(t, 'uPlot draws the power and energy charts', () => assert.ok(uplotDrawn));
  // The charts' x axis is the twin's simulated time (seconds since its start), not the wall clock.
  await check(t, 'the charts draw on the simulated time (their last sample is the twin\'s sim_ms)', async () => {
    await page.waitForFunction(() => document.querySelector('[data-testid="chart-energy"]').dataset.lastSimS !== undefined,
      null, { timeout: 3000 });
    const drawn = Number(await page.getAttribute('[data-testid="chart-energy"]', 'data-last-sim-s'));
    const simS = (await twin.state()).time.sim_ms / 1000;
    assert.ok(drawn <= simS && drawn > simS - 5, `last sample at ${drawn} s, the twin's simulated time ${simS} s`);
  });
  const flashes0 = Number(await page.textContent('[data-testid="led-count"]'));
  const flashed = await page.waitForFunction((n) => Number(document.querySelector('[data-testid="led-count"]').textContent) > n,
    flashes0, { timeout: 5000 }).then(() => true, () => false);
  await check(t, 'the LED flash count grows under load', () => assert.ok(flashed));
  const blinked = await page.waitForSelector('[data-testid="led"].flash', { timeout: 3000 }).then(() => true, () => false);
  await check(t, 'the red LED blinks (CSS animation) when the count grows', () => assert.ok(blinked));
}

/// The bench's controls reach the meter; a refused value shows the server's message.
async function benchControls(t, page) {
  // Polls the twin's state (≤ 3 s of wall time: the twin applies what the page sent).
  const waitState = async (pred, what) => {
    await check(t, what, async () => {
      const deadline = Date.now() + 3000;
      let s = await twin.state();
      while (!pred(s) && Date.now() < deadline) { await sleep(100); s = await twin.state(); }
      assert.ok(pred(s), `state: ${JSON.stringify({ load: s.load, scenario: s.scenario, status: s.status, time: s.time })}`);
    });
  };
  await page.fill('[data-testid="L3-i"]', '2.5');
  await page.press('[data-testid="L3-i"]', 'Enter');
  await waitState((s) => s.load.L3.i === 2.5 && s.load.L1.i === 10, 'a number input sets L3 to 2.5 A (the other phases kept)');
  const slider = page.locator('#L2-phi-range');
  await slider.focus();
  await page.keyboard.press('ArrowRight');
  // The slider's change is sent 150 ms later by a page timer: run the page's clock on.
  await page.clock.runFor(200);
  await waitState((s) => s.load.L2.phi === 61, 'the φ slider of L2 (→ one step) sets 61°');
  await page.fill('[data-testid="L1-v"]', '2000');
  await page.press('[data-testid="L1-v"]', 'Enter');
  await page.waitForSelector('[data-testid="alert"]:not([hidden])');
  const alert = await page.textContent('[data-testid="alert-text"]');
  await check(t, 'a refused load shows the server\'s error', () => assert.match(alert, /1000|range|voltage/i));
  await check(t, 'the refused load changed nothing', async () => assert.equal((await twin.state()).load.L1.v, 231));
  await page.click('#alert-close');
  await page.fill('[data-testid="L1-v"]', '231');
  await page.press('[data-testid="L1-v"]', 'Enter');

  await page.selectOption('[data-testid="scenario"]', 'demo');
  await waitState((s) => s.scenario && s.scenario.name === 'demo', 'the scenario pick starts the demo');
  await check(t, 'the page shows the scenario position',
    () => page.waitForFunction(() => /^at /.test(document.querySelector('[data-testid="scenario-pos"]').textContent)));
  await page.selectOption('[data-testid="scenario"]', 'none');
  await waitState((s) => s.scenario === null, 'picking none stops it');
  await twin.request('PUT', '/api/v1/load', { L1: { v: 231, i: 10, phi: 0 }, L2: { v: 229, i: 5, phi: 60 }, L3: { v: 230, i: 0, phi: 0 }, f: 50 });

  await page.check('[data-testid="tariff-input"]');
  await waitState((s) => s.status.tariff_input === true && s.status.tariff === 2, 'the tariff input toggle energizes T2');
  await check(t, 'the LCD shows T2',
    () => page.waitForFunction(() => document.querySelector('[data-testid="lcd-tariff"]').textContent === 'T2'));
  await page.uncheck('[data-testid="tariff-input"]');
  await waitState((s) => s.status.tariff_input === false && s.status.tariff === 1, 'de-energized: back to T1');

  const pdc = (await twin.state()).status.power_down_counter;
  await page.click('[data-testid="power-cycle"]');
  await waitState((s) => s.status.power_down_counter === pdc + 1, `power-cycle counts a power-down (${pdc} → ${pdc + 1})`);
  await check(t, 'the page shows the new power-down count',
    () => page.waitForFunction((n) => document.querySelector('[data-testid="power-downs"]').textContent === String(n), pdc + 1));

  await page.fill('[data-testid="speed"]', '10');
  await page.click('[data-testid="speed-set"]');
  await waitState((s) => s.time.speed === 10, 'the clock speed is set to 10');
  await page.fill('[data-testid="speed"]', '0');
  await page.click('[data-testid="speed-set"]');
  await page.waitForSelector('[data-testid="alert"]:not([hidden])');
  const refused = await page.textContent('[data-testid="alert-text"]');
  await check(t, 'speed 0 is refused visibly', () => assert.ok(refused.length > 0, refused));
  await page.click('#alert-close');
  await page.fill('[data-testid="speed"]', '1');
  await page.click('[data-testid="speed-set"]');
  await waitState((s) => s.time.speed === 1, 'and back to 1');
}

/// 2. Into the settings with the buttons, Modbus ID 1 → 5, read back over Modbus TCP.
async function modbusIdByButtons(t, page) {
  await panel.holdStar(t, page);
  await panel.expectMenu(t, page, { title: 'Select', value: 'Bluetooth' }, 'a long press of * opens the selection page');
  await shot(page.locator('[data-testid="lcd"]'), 'lcd-menu-select');
  await panel.tap(page, 'right');
  await panel.expectMenu(t, page, { title: 'Select', value: 'Settings' }, '>> chooses Settings');
  await panel.tap(page, 'star');
  await panel.expectMenu(t, page, { title: 'Password', value: '0000', cursor: 0 }, '* asks for the password');
  for (let digit = 0; digit < 4; digit += 1) {
    await panel.tap(page, 'right');
    await panel.expectMenu(t, page, { value: '0000'.slice(0, digit) + '1' + '0000'.slice(digit + 1), cursor: digit }, `>> cycles digit ${digit + 1} to 1`);
    await panel.tap(page, 'left');
    await panel.tap(page, 'star');
  }
  await panel.expectMenu(t, page, { section: '7.6.1', title: 'Password', value: '0000' }, 'password 0000 opens the menu');
  for (let i = 0; i < 5; i += 1) await panel.tap(page, 'right');
  await panel.expectMenu(t, page, { section: '7.6.6', title: 'Modbus ID', value: '001' }, 'five >> reach Modbus ID');
  await shot(page.locator('[data-testid="lcd"]'), 'lcd-menu-modbus-id');
  await panel.tap(page, 'star');
  await panel.tap(page, 'star');
  await panel.tap(page, 'star');
  await panel.expectMenu(t, page, { title: 'Modbus ID', value: '001', cursor: 2, editing: true }, '* * move the cursor to the last digit');
  for (let i = 0; i < 4; i += 1) await panel.tap(page, 'right');
  await panel.expectMenu(t, page, { value: '005', cursor: 2, editing: true }, '>> ×4 make it 005');
  await shot(page.locator('[data-testid="lcd"]'), 'lcd-menu-editing');
  await check(t, 'the digit being edited blinks',
    async () => assert.equal(await page.locator('[data-testid="lcd-cursor"].blink').count(), 1));
  await panel.tap(page, 'star');
  await panel.expectMenu(t, page, { title: 'Modbus ID', value: '005', editing: false }, '* confirms 005');
  const s = await twin.state();
  await check(t, 'GET /api/v1/state: modbus_id 5', () => assert.equal(s.settings.modbus_id, 5));
  const regs = await readHoldingRegisters(twin.modbus, 5, 0x4003, 1);
  await check(t, 'Modbus TCP FC03 0x4003 at unit 5 reads 5', () => assert.deepEqual(regs, [5]));

  // An out-of-range ID: the meter refuses it and the LCD shows "Err" with the reason.
  await panel.tap(page, 'star');
  for (let i = 0; i < 2; i += 1) await panel.tap(page, 'star');
  for (let i = 0; i < 5; i += 1) await panel.tap(page, 'right');
  await panel.expectMenu(t, page, { value: '000', cursor: 2 }, 'editing the ID to 000');
  await panel.tap(page, 'star');
  await panel.expectMenu(t, page, { value: 'Err' }, 'ID 000 is refused with an Err page');
  const message = await page.textContent('[data-testid="lcd-m-message"]');
  await check(t, 'the Err page shows the meter\'s reason', () => assert.match(message, /Modbus ID 0 out of range 1-247/));
  await shot(page.locator('[data-testid="lcd"]'), 'lcd-err');
  await check(t, 'the refused ID changed nothing', async () => assert.equal((await twin.state()).settings.modbus_id, 5));
  await panel.holdStar(t, page);
  await check(t, 'another long press of * returns to the normal display',
    () => page.waitForSelector('[data-testid="lcd"][data-mode="normal"]'));
}

/// Bluetooth through the LCD (7.5): the QR page, then the app is connected.
async function bluetoothByButtons(t, page) {
  await panel.holdStar(t, page);
  await panel.expectMenu(t, page, { title: 'Select', value: 'Bluetooth' }, 'the selection page again');
  await panel.tap(page, 'star');
  await panel.expectMenu(t, page, { section: '7.5', title: 'Bluetooth' }, '* on Bluetooth shows the QR page');
  const qr = await page.textContent('[data-testid="lcd-m-qr"]');
  await check(t, 'the QR page shows its payload', () => assert.ok(qr.includes(twin.ready.serial), qr));
  const decoder = jsqrPath();
  await check(t, 'jsQR is installed (npm ci in web/)', () => assert.notEqual(decoder, null));
  if (decoder) {
    await page.addScriptTag({ path: decoder });
    // Draws the page's SVG on a canvas, as a phone's camera would see it, and decodes it.
    const decoded = await page.evaluate(async () => {
      const svg = document.querySelector('[data-testid="lcd-qr-code"] svg');
      if (!svg) return null;
      const img = new Image();
      img.src = `data:image/svg+xml;base64,${btoa(new XMLSerializer().serializeToString(svg))}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width * 4;
      canvas.height = img.height * 4;
      const ctx = canvas.getContext('2d');
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const found = window.jsQR(pixels.data, pixels.width, pixels.height);
      return found ? found.data : null;
    });
    await check(t, 'the QR code on the LCD decodes to the serial number', () => assert.equal(decoded, twin.ready.serial));
  }
  await shot(page.locator('[data-testid="lcd"]'), 'lcd-bluetooth-qr');
  await panel.tap(page, 'star');
  await page.waitForSelector('[data-testid="lcd"][data-mode="normal"]');
  await check(t, 'the LCD shows the Bluetooth icon', () => page.waitForSelector('[data-testid="lcd-bt"].on'));
  await check(t, 'the app shows it is connected', () => page.waitForSelector('[data-testid="bt-status"].on'));
}

/// 3. The app's Save downloads the CSV; every row agrees with GET /api/v1/state.
async function csvDownload(t, page) {
  const s0 = Number(await page.textContent('[data-testid="s0-1"]'));
  const panelNow = (await twin.request('GET', '/api/v1/panel')).body;
  await check(t, `the page shows the S0 1 pulse count (${s0}, meter ${panelNow.s0[0].pulses})`,
    () => assert.ok(s0 > 0 && Math.abs(panelNow.s0[0].pulses - s0) <= 2));
  // No current: nothing counts, so the CSV and the state are of the same instant. The page has
  // the state after the change once its table shows no current (the twin's event, ≤ 3 s).
  await twin.request('PUT', '/api/v1/load', { L1: { i: 0 }, L2: { i: 0 }, L3: { i: 0 } });
  await page.waitForFunction(() => ['L1', 'L2', 'L3'].every((ph) =>
    document.querySelector(`#inst-body tr[data-key="${ph} Current"] td.num`)?.textContent === '0.000'), null, { timeout: 3000 });
  await page.click('[data-testid="tab-energy"]');
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: WAIT_MS }),
    page.click('[data-testid="save-energy"]'),
  ]);
  await check(t, 'the download is named after the serial number',
    () => assert.equal(download.suggestedFilename(), `ambition-${twin.ready.serial}.csv`));
  const text = readFileSync(await download.path(), 'utf8');
  const state = await twin.state();
  const rows = csvRows(text);
  await check(t, 'the CSV header', () => assert.deepEqual(rows[0], ['description', 'value', 'unit']));
  const body = rows.slice(1);
  const expected = expectedCsv(state);
  await check(t, `the CSV has one row per energy register and instantaneous value (${body.length})`,
    () => assert.equal(body.length, expected.length));
  const wrong = [];
  expected.forEach((want, i) => {
    if (JSON.stringify(body[i]) !== JSON.stringify(want)) wrong.push(`row ${i + 2}: ${JSON.stringify(body[i])}, state says ${JSON.stringify(want)}`);
  });
  await check(t, `every CSV row agrees with GET /api/v1/state (${expected.length} rows)`,
    () => assert.ok(wrong.length === 0, wrong.slice(0, 8).join('; ')));
  // The app's tables show the same rows as the export (values of the same instant: no current).
  const csvByName = new Map(body.map((r) => [r[0], JSON.stringify(r)]));
  for (const [tab, tbody, what] of [['tab-energy', 'energy-body', 'Energy'], ['tab-inst', 'inst-body', 'Instantaneous']]) {
    await page.click(`[data-testid="${tab}"]`);
    const shown = await page.$$eval(`#${tbody} tr`, (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    const differ = shown.filter((r) => csvByName.get(r[0]) !== JSON.stringify(r));
    await check(t, `the ${what} table shows the CSV's rows (${shown.length})`,
      () => assert.ok(shown.length > 0 && differ.length === 0, JSON.stringify(differ.slice(0, 4))));
  }
  await check(t, 'the two tables together hold every CSV row',
    async () => assert.equal(await page.$$eval('#energy-body tr, #inst-body tr', (trs) => trs.length), body.length));
}

/// 4. The app's Settings: refused saves show why and change nothing; a right one is stored.
async function appSettings(t, page) {
  await page.click('[data-testid="tab-settings"]');
  const before = (await twin.state()).settings;
  await page.fill('[data-testid="set-modbus_id"]', '300');
  await check(t, 'a changed setting is marked modified',
    async () => assert.equal(await page.getAttribute('[data-testid="set-row-modbus_id"]', 'data-modified'), 'true'));
  await page.click('[data-testid="settings-save"]');
  await page.waitForSelector('[data-testid="alert"]:not([hidden])');
  await check(t, 'an out-of-range value shows "save error" with the range',
    async () => assert.match(await page.textContent('[data-testid="settings-status"]'), /save error: Modbus ID 300 out of range 1-247/));
  await check(t, 'no password is asked for an out-of-range value',
    async () => assert.ok(!(await page.locator('[data-testid="pw-dialog"]').evaluate((d) => d.open))));
  await check(t, 'nothing changed after the out-of-range value', async () => assert.deepEqual((await twin.state()).settings, before));

  await page.fill('[data-testid="set-modbus_id"]', '7');
  await page.selectOption('[data-testid="set-parity"]', 'odd');
  await page.click('[data-testid="settings-save"]');
  await page.waitForSelector('[data-testid="pw-dialog"][open]');
  await page.fill('[data-testid="pw-input"]', '1234');
  await page.click('[data-testid="pw-ok"]');
  await check(t, 'a wrong password shows the meter\'s "wrong password" in the alert area',
    () => page.waitForFunction(() => /wrong password/.test(document.querySelector('[data-testid="alert-text"]').textContent)));
  await check(t, 'and "save error" beside the settings',
    async () => assert.match(await page.textContent('[data-testid="settings-status"]'), /save error: wrong password/));
  await check(t, 'nothing changed after the wrong password', async () => assert.deepEqual((await twin.state()).settings, before));
  await check(t, 'the modified settings stay marked',
    async () => assert.equal(await page.getAttribute('[data-testid="set-row-parity"]', 'data-modified'), 'true'));

  await page.click('[data-testid="settings-save"]');
  await page.waitForSelector('[data-testid="pw-dialog"][open]');
  await page.fill('[data-testid="pw-input"]', '0000');
  await page.click('[data-testid="pw-ok"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="settings-status"]').textContent === 'Settings saved.');
  const after = (await twin.state()).settings;
  await check(t, 'the right password stores Modbus ID 7 and odd parity', () => assert.deepEqual([after.modbus_id, after.parity], [7, 'odd']));
  await check(t, 'saved settings are no longer marked',
    async () => assert.equal(await page.getAttribute('[data-testid="set-row-parity"]', 'data-modified'), 'false'));
  await check(t, 'Modbus TCP reads the new ID 7 at unit 7',
    async () => assert.deepEqual(await readHoldingRegisters(twin.modbus, 7, 0x4003, 1), [7]));

  // OBIS code ON/OFF (7.6.14, A3.2 4033): the app switches the codes of LCD part 3 off.
  const activePowerPage = async () => {
    for (let i = 0; i < 60; i++) {
      const p = (await twin.request('GET', '/api/v1/panel')).body;
      if (p.part3.caption === 'P' && p.part3.label === 'Total') return p;
      await twin.request('POST', '/api/v1/panel/press', { button: 'right' });
    }
    throw new Error('no part-3 page P Total');
  };
  await check(t, 'with OBIS on, part 3 shows 16.7.0 for P', async () => assert.equal((await activePowerPage()).part3.obis, '16.7.0'));
  await check(t, 'the OBIS control shows ON', async () => assert.equal(await page.inputValue('[data-testid="set-obis"]'), 'true'));
  await page.selectOption('[data-testid="set-obis"]', 'false');
  await page.click('[data-testid="settings-save"]');
  await page.waitForSelector('[data-testid="pw-dialog"][open]');
  await page.fill('[data-testid="pw-input"]', '0000');
  await page.click('[data-testid="pw-ok"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="settings-status"]').textContent === 'Settings saved.');
  await check(t, 'the app stores OBIS OFF', async () => assert.equal((await twin.state()).settings.obis, false));
  await check(t, 'register 4033 reads 0 (OFF)', async () => assert.deepEqual(await readHoldingRegisters(twin.modbus, 7, 0x4033, 1), [0]));
  const lcdPanel = await activePowerPage();
  await check(t, 'LCD part 3 shows no OBIS code for P; part 2 keeps its own',
    () => assert.deepEqual([lcdPanel.part3.obis, lcdPanel.part2.obis !== ''], ['', true]));

  await page.click('[data-testid="reset-pdc"]');
  await page.waitForSelector('[data-testid="pw-dialog"][open]');
  await page.fill('[data-testid="pw-input"]', '0000');
  await page.click('[data-testid="pw-ok"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="settings-status"]').textContent === 'Reset the power down counter to 0.');
  await check(t, 'the app\'s reset sets the power down counter to 0',
    async () => assert.equal((await twin.state()).status.power_down_counter, 0));
}

/// The app's save while Bluetooth is off: the server's 409 message is shown.
async function appSettingsWithoutBluetooth(t, page) {
  await page.click('[data-testid="tab-settings"]');
  await page.fill('[data-testid="set-mbus_id"]', '9');
  await page.click('[data-testid="settings-save"]');
  await page.waitForSelector('[data-testid="pw-dialog"][open]');
  await page.fill('[data-testid="pw-input"]', '0000');
  await page.click('[data-testid="pw-ok"]');
  await check(t, 'saving with Bluetooth off shows the meter\'s 409 message',
    () => page.waitForFunction(() => /Bluetooth is off/.test(document.querySelector('[data-testid="alert-text"]').textContent)));
  await check(t, 'nothing changed', async () => assert.equal((await twin.state()).settings.mbus_id, 0));
  await page.click('[data-testid="settings-revert"]');
  await page.click('#alert-close');

  const pdc = (await twin.state()).status.power_down_counter;
  await page.click('[data-testid="reset-pdc"]');
  await page.waitForSelector('[data-testid="pw-dialog"][open]');
  await page.fill('[data-testid="pw-input"]', '0000');
  await page.click('[data-testid="pw-ok"]');
  await page.waitForFunction(() => /save error: Bluetooth is off/.test(document.querySelector('[data-testid="settings-status"]').textContent));
  await check(t, 'the app\'s reset with Bluetooth off changes nothing',
    async () => assert.equal((await twin.state()).status.power_down_counter, pdc));
  await page.click('#alert-close');
}

/// 5. A phone: no horizontal scroll; Tab reaches the buttons; ArrowRight presses >>;
///    holding Enter on * for 3 s (of the page's fake clock) is a long press.
async function phoneAndKeyboard(t) {
  const page = await newPage({ width: 390, height: 844 });
  await cleanLoad(t, page);
  const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  await check(t, `390×844: no horizontal scroll (${widths.scroll} ≤ ${widths.client})`, () => assert.ok(widths.scroll <= widths.client));
  const lcdBox = await page.locator('[data-testid="lcd"]').boundingBox();
  await check(t, 'the LCD fits the phone width', () => assert.ok(lcdBox && lcdBox.x >= 0 && lcdBox.x + lcdBox.width <= 390, JSON.stringify(lcdBox)));
  await page.screenshot({ path: path.join(ARTIFACTS, 'phone-390x844.png'), fullPage: false });
  console.log(`     screenshot ${path.join(ARTIFACTS, 'phone-390x844.png')}`);
  for (const tab of ['tab-settings', 'tab-inst', 'tab-energy', 'tab-device']) {
    await page.click(`[data-testid="${tab}"]`);
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    await check(t, `390×844 with the app's ${tab.slice(4)} page: no horizontal scroll (${w})`, () => assert.ok(w <= 390));
    if (tab === 'tab-settings') {
      await page.screenshot({ path: path.join(ARTIFACTS, 'phone-390x844-full.png'), fullPage: true });
      console.log(`     screenshot ${path.join(ARTIFACTS, 'phone-390x844-full.png')}`);
    }
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.evaluate(() => document.activeElement && document.activeElement.blur());

  let reached = null;
  for (let i = 0; i < 30 && !reached; i += 1) {
    await page.keyboard.press('Tab');
    const id = await page.evaluate(() => document.activeElement && document.activeElement.id);
    if (id === 'btn-left') reached = i + 1;
  }
  await check(t, `Tab reaches the << button (${reached} presses)`, () => assert.notEqual(reached, null));
  const rightPress = page.waitForRequest((r) => r.url().endsWith('/api/v1/panel/press') &&
    JSON.parse(r.postData() || '{}').button === 'right', { timeout: 3000 }).then((r) => JSON.parse(r.postData()), () => null);
  await page.keyboard.press('ArrowRight');
  const pressed = await rightPress;
  await check(t, 'ArrowRight on the buttons presses >>', () => assert.deepEqual(pressed, { button: 'right', long: false }));
  await page.keyboard.press('Tab');
  await check(t, 'Tab moves on to *', async () => assert.equal(await page.evaluate(() => document.activeElement.id), 'btn-star'));
  await page.keyboard.down('Enter');
  await page.clock.runFor(1500);
  const progress = await page.evaluate(() => document.getElementById('hold-bar').value);
  await check(t, `the hold progress bar fills while Enter is held (${Math.round(progress)} of 3000 ms)`,
    () => assert.ok(progress > 1000 && progress < 3000, `progress ${progress}`));
  await page.clock.runFor(1800);
  await page.keyboard.up('Enter');
  await panel.expectMenu(t, page, { title: 'Select' }, 'holding Enter on * for 3 s opens the selection page');
  await page.keyboard.down('Enter');
  await page.clock.runFor(3200);
  await page.keyboard.up('Enter');
  await check(t, 'holding Enter again returns to the normal display',
    () => page.waitForSelector('[data-testid="lcd"][data-mode="normal"]'));
  await page.context().close();
}

/// 6. The normal display's parts, and the reconnect indicator when the stream drops.
async function normalDisplayShots(t, page) {
  await page.waitForSelector('[data-testid="lcd"][data-mode="normal"]');
  await shot(page.locator('[data-testid="lcd"]'), 'lcd-normal');
  await shot(page.locator('[data-testid="lcd-part1"]'), 'lcd-part1');
  await shot(page.locator('[data-testid="lcd-part2"]'), 'lcd-part2');
  await shot(page.locator('[data-testid="lcd-part3"]'), 'lcd-part3');
  await page.screenshot({ path: path.join(ARTIFACTS, 'page-desktop.png'), fullPage: true });
  console.log(`     screenshot ${path.join(ARTIFACTS, 'page-desktop.png')}`);
  await panel.tap(page, 'right');
  await check(t, 'a press lights the backlight (backlight mode "button")',
    () => page.waitForSelector('[data-testid="lcd"].backlight', { timeout: 3000 }));
  const set = (settings) => twin.request('PUT', '/api/v1/settings', { password: '0000', settings });
  const turned = await set({ screen_direction: 1, backlight: 'off' });
  await check(t, 'screen turned 180°, backlight off (test-bench path)', () => assert.equal(turned.status, 200));
  await check(t, 'the LCD is drawn turned and unlit',
    () => page.waitForSelector('[data-testid="lcd"].turned:not(.backlight)', { timeout: 3000 }));
  await shot(page.locator('[data-testid="lcd"]'), 'lcd-turned');
  await set({ screen_direction: 0, backlight: 'button' });
  await page.waitForSelector('[data-testid="lcd"]:not(.turned)', { timeout: 3000 });
}

async function reconnectIndicator(t, page) {
  await twin.stop();
  await check(t, 'the page shows the stream dropped when the twin stops',
    () => page.waitForSelector('[data-testid="conn-status"][data-state="reconnecting"]', { timeout: 8000 }));
}

/// The HTTP errors the tests provoke on purpose: refusals of the control API.
const PROVOKED = /^(PUT|POST) http:\/\/[^/]+\/api\/v1\/(load|clock|app\/settings|app\/reset): (400|403|409|422)$/;

before(async () => {
  if (!binary || !existsSync(binary)) {
    throw new Error(`no ambimeter binary: set AMBI_BINARY or pass it (node ${path.basename(process.argv[1])} PATH_TO_ambimeter; got ${binary})`);
  }
  twin = new Twin(binary);
  await twin.start();
  console.log(`twin at ${twin.url}, Modbus TCP ${twin.modbus.host}:${twin.modbus.port}, state ${twin.dir}`);
  browser = await launchChromium();
  page = await newPage();
});

after(async () => {
  if (browser) await within(15000, 'the browser to close', browser.close()).catch(() => {});
  if (twin) {
    await twin.stop().catch(() => {});
    if (anyFailed() && twin.stderr) console.log(`twin stderr (tail):\n${twin.stderr.slice(-3000)}`);
  }
});

// An interrupted run still ends its twin (the browser is playwright's child and goes with it).
process.on('exit', () => {
  if (!twin) return;
  if (twin.proc && twin.proc.exitCode === null) twin.proc.kill('SIGKILL');
  rmSync(twin.dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => process.exit(1));

test('the page loads with no console errors and no failed requests', counted((t) => cleanLoad(t, page)));
test('1. live values', counted((t) => liveValues(t, page)));
test('6a. normal display screenshots', counted((t) => normalDisplayShots(t, page)));
test('bench controls', counted((t) => benchControls(t, page)));
test('2. Modbus ID by the buttons', counted((t) => modbusIdByButtons(t, page)));
test('4a. app save without Bluetooth', counted((t) => appSettingsWithoutBluetooth(t, page)));
test('Bluetooth by the buttons', counted((t) => bluetoothByButtons(t, page)));
test('3. CSV download', counted((t) => csvDownload(t, page)));
test('4. app settings refused and saved', counted((t) => appSettings(t, page)));
test('5. phone viewport and keyboard', counted((t) => phoneAndKeyboard(t)));
test('no JavaScript errors on the page', counted(() => assert.deepEqual(pageErrors, [])));
test('no console errors or failed requests but the refusals the tests provoked', counted(async (t) => {
  const log = logs.get(page);
  const httpErrors = log.httpErrors.filter((e) => !PROVOKED.test(e));
  await check(t, 'every HTTP error is a control API refusal a test provoked', () => assert.deepEqual(httpErrors, []));
  await check(t, 'the provoked refusals were seen', () => assert.ok(log.httpErrors.length > 0));
  // Chromium logs each refused request as "Failed to load resource: … status of 4xx"; nothing else.
  const other = log.console.filter((m) => !/^Failed to load resource: the server responded with a status of (400|403|409|422) /.test(m));
  await check(t, 'no console errors but those of the refusals', () => assert.deepEqual(other, []));
  await check(t, 'no failed requests', () => assert.deepEqual(log.failed, []));
}));
test('reconnect indicator', counted((t) => reconnectIndicator(t, page)));
