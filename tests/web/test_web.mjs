// Browser test of the web page of `ambimeter run` (issue 6): a real Chromium (Debian's
// /usr/bin/chromium driven by playwright-core) against the real binary.
//   node tests/web/test_web.mjs PATH_TO_ambimeter
// Needs playwright-core (web/node_modules, `npm ci` in web/; or NODE_PATH) and Chromium
// (AMBI_CHROMIUM overrides /usr/bin/chromium). Missing either is a failure, not a skip.
// Screenshots of the LCD go to ./web-artifacts/ (the ctest working directory).
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Checks, Twin, readHoldingRegisters, sleep, within } from './support.mjs';
import { csvRows, expectedCsv } from './csv.mjs';
import * as panel from './panel.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.AMBI_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = path.resolve('web-artifacts');
const WAIT_MS = 10000;

function loadPlaywright() {
  const require = createRequire(import.meta.url);
  for (const name of ['playwright-core', path.join(HERE, '../../web/node_modules/playwright-core')]) {
    try { return require(name); } catch { /* next */ }
  }
  return null;
}

/// jsQR (web/node_modules, a devDependency): decodes the QR code the page draws.
function jsqrPath() {
  const require = createRequire(import.meta.url);
  for (const name of ['jsqr/dist/jsQR.js', path.join(HERE, '../../web/node_modules/jsqr/dist/jsQR.js')]) {
    try { return require.resolve(name); } catch { /* next */ }
  }
  return null;
}

const binary = process.argv[2];
if (!binary || !existsSync(binary)) {
  console.error(`usage: node ${path.basename(process.argv[1])} PATH_TO_ambimeter (got ${binary})`);
  process.exit(2);
}
const playwright = loadPlaywright();
if (!playwright) {
  console.error('FAIL: playwright-core not found: run `npm ci` in web/ (or set NODE_PATH to web/node_modules)');
  process.exit(1);
}
if (!existsSync(CHROMIUM)) {
  console.error(`FAIL: no Chromium at ${CHROMIUM}: install it (apt-get install chromium) or set AMBI_CHROMIUM`);
  process.exit(1);
}

const checks = new Checks();
panel.useChecks(checks);
const twin = new Twin(binary);
let browser = null;
const pageErrors = [];

async function newPage(viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(twin.url + '/', { timeout: WAIT_MS });
  await page.waitForSelector('[data-testid="conn-status"][data-state="live"]', { timeout: WAIT_MS });
  await page.waitForSelector('[data-testid="lcd"][data-mode="normal"]', { timeout: WAIT_MS });
  return page;
}

async function shot(locator, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await locator.screenshot({ path: file, animations: 'disabled' });
  console.log(`     screenshot ${file}`);
  return file;
}

/// 1. Live values, then a load set through the API shows up on the page within 2 s.
async function liveValues(page) {
  const s0 = await twin.state();
  checks.eq(await page.textContent('[data-testid="dev-serial"]'), s0.identity.serial, 'Device page shows the serial number');
  checks.eq(await page.textContent('[data-testid="lcd-tariff"]'), 'T1', 'LCD part 1 shows the tariff');
  checks.eq(await page.textContent('[data-testid="lcd-ct"]'), '0005/5', 'LCD part 1 shows the CT ratio');
  checks.ok(/^(SN|CRC) [0-9A-F]{8}$/.test(await page.textContent('[data-testid="lcd-p1"]')), 'LCD part 1 shows the serial number or CRC');
  checks.ok(/^\d{6}\.\d{3}$/.test(await page.textContent('[data-testid="lcd-p2-val"]')), 'LCD part 2 shows a 6+3 digit register');
  checks.ok(/^[12]\.8\.[1-4]$/.test(await page.textContent('[data-testid="lcd-p2-obis"]')), 'LCD part 2 shows its OBIS code');
  const simBefore = await page.textContent('[data-testid="sim-time"]');
  await sleep(1300);
  checks.ok(await page.textContent('[data-testid="sim-time"]') !== simBefore, 'the simulated time moves on the page (live stream)');

  await page.click('[data-testid="tab-inst"]');
  const put = await twin.request('PUT', '/api/v1/load',
    { L1: { v: 231, i: 10, phi: 0 }, L2: { v: 229, i: 5, phi: 60 }, L3: { v: 230, i: 0, phi: 0 }, f: 50 });
  checks.eq(put.status, 200, 'PUT /api/v1/load answers 200');
  const t0 = Date.now();
  const seen = await page.waitForFunction(() => {
    const row = (k) => document.querySelector(`#inst-body tr[data-key="${k}"] td.num`)?.textContent;
    return row('L1 Current') === '10.000' && row('L1 Voltage') === '231.00' &&
      row('L1 Active power') === '2.310' && /L2 0\.573 kW/.test(document.querySelector('[data-testid="chart-latest"]').textContent);
  }, null, { timeout: 2000 }).then(() => true, () => false);
  checks.ok(seen, `the instantaneous table and the chart read-out show the new load within 2 s (${Date.now() - t0} ms)`);
  const uplotDrawn = await page.waitForFunction(() => document.querySelectorAll('#chart-power canvas').length > 0 &&
      document.querySelectorAll('#chart-energy canvas').length > 0, null, { timeout: 3000 }).then(() => true, () => false);
  checks.ok(uplotDrawn, 'uPlot draws the power and energy charts');
  const flashes0 = Number(await page.textContent('[data-testid="led-count"]'));
  const flashed = await page.waitForFunction((n) => Number(document.querySelector('[data-testid="led-count"]').textContent) > n,
    flashes0, { timeout: 5000 }).then(() => true, () => false);
  checks.ok(flashed, 'the LED flash count grows under load');
  const blinked = await page.waitForSelector('[data-testid="led"].flash', { timeout: 3000 }).then(() => true, () => false);
  checks.ok(blinked, 'the red LED blinks (CSS animation) when the count grows');
}

/// The bench's controls reach the meter; a refused value shows the server's message.
async function benchControls(page) {
  const waitState = async (pred, what) => {
    const deadline = Date.now() + 3000;
    let s = await twin.state();
    while (!pred(s) && Date.now() < deadline) { await sleep(100); s = await twin.state(); }
    return checks.ok(pred(s), what);
  };
  await page.fill('[data-testid="L3-i"]', '2.5');
  await page.press('[data-testid="L3-i"]', 'Enter');
  await waitState((s) => s.load.L3.i === 2.5 && s.load.L1.i === 10, 'a number input sets L3 to 2.5 A (the other phases kept)');
  const slider = page.locator('#L2-phi-range');
  await slider.focus();
  await page.keyboard.press('ArrowRight');
  await waitState((s) => s.load.L2.phi === 61, 'the φ slider of L2 (→ one step) sets 61°');
  await page.fill('[data-testid="L1-v"]', '2000');
  await page.press('[data-testid="L1-v"]', 'Enter');
  await page.waitForSelector('[data-testid="alert"]:not([hidden])');
  const alert = await page.textContent('[data-testid="alert-text"]');
  checks.ok(/1000|range|voltage/i.test(alert), 'a refused load shows the server\'s error', alert);
  checks.eq((await twin.state()).load.L1.v, 231, 'the refused load changed nothing');
  await page.click('#alert-close');
  await page.fill('[data-testid="L1-v"]', '231');
  await page.press('[data-testid="L1-v"]', 'Enter');

  await page.selectOption('[data-testid="scenario"]', 'demo');
  await waitState((s) => s.scenario && s.scenario.name === 'demo', 'the scenario pick starts the demo');
  await page.waitForFunction(() => /^at /.test(document.querySelector('[data-testid="scenario-pos"]').textContent));
  checks.ok(true, 'the page shows the scenario position');
  await page.selectOption('[data-testid="scenario"]', 'none');
  await waitState((s) => s.scenario === null, 'picking none stops it');
  await twin.request('PUT', '/api/v1/load', { L1: { v: 231, i: 10, phi: 0 }, L2: { v: 229, i: 5, phi: 60 }, L3: { v: 230, i: 0, phi: 0 }, f: 50 });

  await page.check('[data-testid="tariff-input"]');
  await waitState((s) => s.status.tariff_input === true && s.status.tariff === 2, 'the tariff input toggle energizes T2');
  await page.waitForFunction(() => document.querySelector('[data-testid="lcd-tariff"]').textContent === 'T2');
  checks.ok(true, 'the LCD shows T2');
  await page.uncheck('[data-testid="tariff-input"]');
  await waitState((s) => s.status.tariff_input === false && s.status.tariff === 1, 'de-energized: back to T1');

  const pdc = (await twin.state()).status.power_down_counter;
  await page.click('[data-testid="power-cycle"]');
  await waitState((s) => s.status.power_down_counter === pdc + 1, `power-cycle counts a power-down (${pdc} → ${pdc + 1})`);
  await page.waitForFunction((n) => document.querySelector('[data-testid="power-downs"]').textContent === String(n), pdc + 1);
  checks.ok(true, 'the page shows the new power-down count');

  await page.fill('[data-testid="speed"]', '10');
  await page.click('[data-testid="speed-set"]');
  await waitState((s) => s.time.speed === 10, 'the clock speed is set to 10');
  await page.fill('[data-testid="speed"]', '0');
  await page.click('[data-testid="speed-set"]');
  await page.waitForSelector('[data-testid="alert"]:not([hidden])');
  checks.ok((await page.textContent('[data-testid="alert-text"]')).length > 0, 'speed 0 is refused visibly',
    await page.textContent('[data-testid="alert-text"]'));
  await page.click('#alert-close');
  await page.fill('[data-testid="speed"]', '1');
  await page.click('[data-testid="speed-set"]');
  await waitState((s) => s.time.speed === 1, 'and back to 1');
}

/// 2. Into the settings with the buttons, Modbus ID 1 → 5, read back over Modbus TCP.
async function modbusIdByButtons(page) {
  await panel.holdStar(page);
  await panel.expectMenu(page, { title: 'Select', value: 'Bluetooth' }, 'a long press of * opens the selection page');
  await shot(page.locator('[data-testid="lcd"]'), 'lcd-menu-select');
  await panel.tap(page, 'right');
  await panel.expectMenu(page, { title: 'Select', value: 'Settings' }, '>> chooses Settings');
  await panel.tap(page, 'star');
  await panel.expectMenu(page, { title: 'Password', value: '0000', cursor: 0 }, '* asks for the password');
  for (let digit = 0; digit < 4; digit += 1) {
    await panel.tap(page, 'right');
    await panel.expectMenu(page, { value: '0000'.slice(0, digit) + '1' + '0000'.slice(digit + 1), cursor: digit }, `>> cycles digit ${digit + 1} to 1`);
    await panel.tap(page, 'left');
    await panel.tap(page, 'star');
  }
  await panel.expectMenu(page, { section: '7.6.1', title: 'Password', value: '0000' }, 'password 0000 opens the menu');
  for (let i = 0; i < 5; i += 1) await panel.tap(page, 'right');
  await panel.expectMenu(page, { section: '7.6.6', title: 'Modbus ID', value: '001' }, 'five >> reach Modbus ID');
  await shot(page.locator('[data-testid="lcd"]'), 'lcd-menu-modbus-id');
  await panel.tap(page, 'star');
  await panel.tap(page, 'star');
  await panel.tap(page, 'star');
  await panel.expectMenu(page, { title: 'Modbus ID', value: '001', cursor: 2, editing: true }, '* * move the cursor to the last digit');
  for (let i = 0; i < 4; i += 1) await panel.tap(page, 'right');
  await panel.expectMenu(page, { value: '005', cursor: 2, editing: true }, '>> ×4 make it 005');
  await shot(page.locator('[data-testid="lcd"]'), 'lcd-menu-editing');
  checks.ok(await page.locator('[data-testid="lcd-cursor"].blink').count() === 1, 'the digit being edited blinks');
  await panel.tap(page, 'star');
  await panel.expectMenu(page, { title: 'Modbus ID', value: '005', editing: false }, '* confirms 005');
  const s = await twin.state();
  checks.eq(s.settings.modbus_id, 5, 'GET /api/v1/state: modbus_id 5');
  const regs = await readHoldingRegisters(twin.modbus, 5, 0x4003, 1);
  checks.eq(regs, [5], 'Modbus TCP FC03 0x4003 at unit 5 reads 5');

  // An out-of-range ID: the meter refuses it and the LCD shows "Err" with the reason.
  await panel.tap(page, 'star');
  for (let i = 0; i < 2; i += 1) await panel.tap(page, 'star');
  for (let i = 0; i < 5; i += 1) await panel.tap(page, 'right');
  await panel.expectMenu(page, { value: '000', cursor: 2 }, 'editing the ID to 000');
  await panel.tap(page, 'star');
  await panel.expectMenu(page, { value: 'Err' }, 'ID 000 is refused with an Err page');
  const message = await page.textContent('[data-testid="lcd-m-message"]');
  checks.ok(/Modbus ID 0 out of range 1-247/.test(message), 'the Err page shows the meter\'s reason', message);
  await shot(page.locator('[data-testid="lcd"]'), 'lcd-err');
  checks.eq((await twin.state()).settings.modbus_id, 5, 'the refused ID changed nothing');
  await panel.holdStar(page);
  await page.waitForSelector('[data-testid="lcd"][data-mode="normal"]');
  checks.ok(true, 'another long press of * returns to the normal display');
}

/// Bluetooth through the LCD (7.5): the QR page, then the app is connected.
async function bluetoothByButtons(page) {
  await panel.holdStar(page);
  await panel.expectMenu(page, { title: 'Select', value: 'Bluetooth' }, 'the selection page again');
  await panel.tap(page, 'star');
  await panel.expectMenu(page, { section: '7.5', title: 'Bluetooth' }, '* on Bluetooth shows the QR page');
  const qr = await page.textContent('[data-testid="lcd-m-qr"]');
  checks.ok(qr.includes(twin.ready.serial), 'the QR page shows its payload', qr);
  const decoder = jsqrPath();
  checks.ok(decoder !== null, 'jsQR is installed (npm ci in web/)');
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
    checks.eq(decoded, twin.ready.serial, 'the QR code on the LCD decodes to the serial number');
  }
  await shot(page.locator('[data-testid="lcd"]'), 'lcd-bluetooth-qr');
  await panel.tap(page, 'star');
  await page.waitForSelector('[data-testid="lcd"][data-mode="normal"]');
  await page.waitForSelector('[data-testid="lcd-bt"].on');
  checks.ok(true, 'the LCD shows the Bluetooth icon');
  await page.waitForSelector('[data-testid="bt-status"].on');
  checks.ok(true, 'the app shows it is connected');
}

/// 3. The app's Save downloads the CSV; every row agrees with GET /api/v1/state.
async function csvDownload(page) {
  const s0 = Number(await page.textContent('[data-testid="s0-1"]'));
  const panelNow = (await twin.request('GET', '/api/v1/panel')).body;
  checks.ok(s0 > 0 && Math.abs(panelNow.s0[0].pulses - s0) <= 2, `the page shows the S0 1 pulse count (${s0}, meter ${panelNow.s0[0].pulses})`);
  // No current: nothing counts, so the CSV and the state are of the same instant.
  await twin.request('PUT', '/api/v1/load', { L1: { i: 0 }, L2: { i: 0 }, L3: { i: 0 } });
  await sleep(600);
  await page.click('[data-testid="tab-energy"]');
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: WAIT_MS }),
    page.click('[data-testid="save-energy"]'),
  ]);
  checks.eq(download.suggestedFilename(), `ambition-${twin.ready.serial}.csv`, 'the download is named after the serial number');
  const text = readFileSync(await download.path(), 'utf8');
  const state = await twin.state();
  const rows = csvRows(text);
  checks.eq(rows[0], ['description', 'value', 'unit'], 'the CSV header');
  const body = rows.slice(1);
  const expected = expectedCsv(state);
  checks.eq(body.length, expected.length, `the CSV has one row per energy register and instantaneous value (${body.length})`);
  const wrong = [];
  expected.forEach((want, i) => {
    if (JSON.stringify(body[i]) !== JSON.stringify(want)) wrong.push(`row ${i + 2}: ${JSON.stringify(body[i])}, state says ${JSON.stringify(want)}`);
  });
  checks.ok(wrong.length === 0, `every CSV row agrees with GET /api/v1/state (${expected.length} rows)`, wrong.slice(0, 8).join('; '));
  // The app's tables show the same rows as the export (values of the same instant: no current).
  const csvByName = new Map(body.map((r) => [r[0], JSON.stringify(r)]));
  for (const [tab, tbody, what] of [['tab-energy', 'energy-body', 'Energy'], ['tab-inst', 'inst-body', 'Instantaneous']]) {
    await page.click(`[data-testid="${tab}"]`);
    const shown = await page.$$eval(`#${tbody} tr`, (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    const differ = shown.filter((r) => csvByName.get(r[0]) !== JSON.stringify(r));
    checks.ok(shown.length > 0 && differ.length === 0, `the ${what} table shows the CSV's rows (${shown.length})`, JSON.stringify(differ.slice(0, 4)));
  }
  checks.eq(await page.$$eval('#energy-body tr, #inst-body tr', (trs) => trs.length), body.length, 'the two tables together hold every CSV row');
}

/// 4. The app's Settings: refused saves show why and change nothing; a right one is stored.
async function appSettings(page) {
  await page.click('[data-testid="tab-settings"]');
  const before = (await twin.state()).settings;
  await page.fill('[data-testid="set-modbus_id"]', '300');
  checks.eq(await page.getAttribute('[data-testid="set-row-modbus_id"]', 'data-modified'), 'true', 'a changed setting is marked modified');
  await page.click('[data-testid="settings-save"]');
  await page.waitForSelector('[data-testid="alert"]:not([hidden])');
  checks.ok(/save error: Modbus ID 300 out of range 1-247/.test(await page.textContent('[data-testid="settings-status"]')),
    'an out-of-range value shows "save error" with the range', await page.textContent('[data-testid="settings-status"]'));
  checks.ok(!(await page.locator('[data-testid="pw-dialog"]').evaluate((d) => d.open)), 'no password is asked for an out-of-range value');
  checks.eq((await twin.state()).settings, before, 'nothing changed after the out-of-range value');

  await page.fill('[data-testid="set-modbus_id"]', '7');
  await page.selectOption('[data-testid="set-parity"]', 'odd');
  await page.click('[data-testid="settings-save"]');
  await page.waitForSelector('[data-testid="pw-dialog"][open]');
  await page.fill('[data-testid="pw-input"]', '1234');
  await page.click('[data-testid="pw-ok"]');
  await page.waitForFunction(() => /wrong password/.test(document.querySelector('[data-testid="alert-text"]').textContent));
  checks.ok(true, 'a wrong password shows the meter\'s "wrong password" in the alert area');
  checks.ok(/save error: wrong password/.test(await page.textContent('[data-testid="settings-status"]')), 'and "save error" beside the settings');
  checks.eq((await twin.state()).settings, before, 'nothing changed after the wrong password');
  checks.eq(await page.getAttribute('[data-testid="set-row-parity"]', 'data-modified'), 'true', 'the modified settings stay marked');

  await page.click('[data-testid="settings-save"]');
  await page.waitForSelector('[data-testid="pw-dialog"][open]');
  await page.fill('[data-testid="pw-input"]', '0000');
  await page.click('[data-testid="pw-ok"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="settings-status"]').textContent === 'Settings saved.');
  const after = (await twin.state()).settings;
  checks.eq([after.modbus_id, after.parity], [7, 'odd'], 'the right password stores Modbus ID 7 and odd parity');
  checks.eq(await page.getAttribute('[data-testid="set-row-parity"]', 'data-modified'), 'false', 'saved settings are no longer marked');
  checks.eq(await readHoldingRegisters(twin.modbus, 7, 0x4003, 1), [7], 'Modbus TCP reads the new ID 7 at unit 7');

  // OBIS code ON/OFF (7.6.14, A3.2 4033): the app switches the codes of LCD part 3 off.
  const activePowerPage = async () => {
    for (let i = 0; i < 60; i++) {
      const p = (await twin.request('GET', '/api/v1/panel')).body;
      if (p.part3.caption === 'P' && p.part3.label === 'Total') return p;
      await twin.request('POST', '/api/v1/panel/press', { button: 'right' });
    }
    throw new Error('no part-3 page P Total');
  };
  checks.eq((await activePowerPage()).part3.obis, '16.7.0', 'with OBIS on, part 3 shows 16.7.0 for P');
  checks.eq(await page.inputValue('[data-testid="set-obis"]'), 'true', 'the OBIS control shows ON');
  await page.selectOption('[data-testid="set-obis"]', 'false');
  await page.click('[data-testid="settings-save"]');
  await page.waitForSelector('[data-testid="pw-dialog"][open]');
  await page.fill('[data-testid="pw-input"]', '0000');
  await page.click('[data-testid="pw-ok"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="settings-status"]').textContent === 'Settings saved.');
  checks.eq((await twin.state()).settings.obis, false, 'the app stores OBIS OFF');
  checks.eq(await readHoldingRegisters(twin.modbus, 7, 0x4033, 1), [0], 'register 4033 reads 0 (OFF)');
  const panel = await activePowerPage();
  checks.eq([panel.part3.obis, panel.part2.obis !== ''], ['', true], 'LCD part 3 shows no OBIS code for P; part 2 keeps its own');

  await page.click('[data-testid="reset-pdc"]');
  await page.waitForSelector('[data-testid="pw-dialog"][open]');
  await page.fill('[data-testid="pw-input"]', '0000');
  await page.click('[data-testid="pw-ok"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="settings-status"]').textContent === 'Reset the power down counter to 0.');
  checks.eq((await twin.state()).status.power_down_counter, 0, 'the app\'s reset sets the power down counter to 0');
}

/// The app's save while Bluetooth is off: the server's 409 message is shown.
async function appSettingsWithoutBluetooth(page) {
  await page.click('[data-testid="tab-settings"]');
  await page.fill('[data-testid="set-mbus_id"]', '9');
  await page.click('[data-testid="settings-save"]');
  await page.waitForSelector('[data-testid="pw-dialog"][open]');
  await page.fill('[data-testid="pw-input"]', '0000');
  await page.click('[data-testid="pw-ok"]');
  await page.waitForFunction(() => /Bluetooth is off/.test(document.querySelector('[data-testid="alert-text"]').textContent));
  checks.ok(true, 'saving with Bluetooth off shows the meter\'s 409 message');
  checks.eq((await twin.state()).settings.mbus_id, 0, 'nothing changed');
  await page.click('[data-testid="settings-revert"]');
  await page.click('#alert-close');

  const pdc = (await twin.state()).status.power_down_counter;
  await page.click('[data-testid="reset-pdc"]');
  await page.waitForSelector('[data-testid="pw-dialog"][open]');
  await page.fill('[data-testid="pw-input"]', '0000');
  await page.click('[data-testid="pw-ok"]');
  await page.waitForFunction(() => /save error: Bluetooth is off/.test(document.querySelector('[data-testid="settings-status"]').textContent));
  checks.eq((await twin.state()).status.power_down_counter, pdc, 'the app\'s reset with Bluetooth off changes nothing');
  await page.click('#alert-close');
}

/// 5. A phone: no horizontal scroll; Tab reaches the buttons; ArrowRight presses >>;
///    holding Enter on * for 3 s is a long press.
async function phoneAndKeyboard() {
  const page = await newPage({ width: 390, height: 844 });
  const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  checks.ok(widths.scroll <= widths.client, `390×844: no horizontal scroll (${widths.scroll} ≤ ${widths.client})`);
  const lcdBox = await page.locator('[data-testid="lcd"]').boundingBox();
  checks.ok(lcdBox && lcdBox.x >= 0 && lcdBox.x + lcdBox.width <= 390, 'the LCD fits the phone width');
  await page.screenshot({ path: path.join(ARTIFACTS, 'phone-390x844.png'), fullPage: false });
  console.log(`     screenshot ${path.join(ARTIFACTS, 'phone-390x844.png')}`);
  for (const tab of ['tab-settings', 'tab-inst', 'tab-energy', 'tab-device']) {
    await page.click(`[data-testid="${tab}"]`);
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    checks.ok(w <= 390, `390×844 with the app's ${tab.slice(4)} page: no horizontal scroll (${w})`);
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
  checks.ok(reached !== null, `Tab reaches the << button (${reached} presses)`);
  const rightPress = page.waitForRequest((r) => r.url().endsWith('/api/v1/panel/press') &&
    JSON.parse(r.postData() || '{}').button === 'right', { timeout: 3000 }).then((r) => JSON.parse(r.postData()), () => null);
  await page.keyboard.press('ArrowRight');
  checks.eq(await rightPress, { button: 'right', long: false }, 'ArrowRight on the buttons presses >>');
  await page.keyboard.press('Tab');
  checks.eq(await page.evaluate(() => document.activeElement.id), 'btn-star', 'Tab moves on to *');
  await page.keyboard.down('Enter');
  await sleep(1500);
  const progress = await page.evaluate(() => document.getElementById('hold-bar').value);
  checks.ok(progress > 1000 && progress < 3000, `the hold progress bar fills while Enter is held (${Math.round(progress)} of 3000 ms)`);
  await sleep(1800);
  await page.keyboard.up('Enter');
  await panel.expectMenu(page, { title: 'Select' }, 'holding Enter on * for 3 s opens the selection page');
  await page.keyboard.down('Enter');
  await sleep(3200);
  await page.keyboard.up('Enter');
  await page.waitForSelector('[data-testid="lcd"][data-mode="normal"]');
  checks.ok(true, 'holding Enter again returns to the normal display');
  await page.context().close();
}

/// 6. The normal display's parts, and the reconnect indicator when the stream drops.
async function normalDisplayShots(page) {
  await page.waitForSelector('[data-testid="lcd"][data-mode="normal"]');
  await shot(page.locator('[data-testid="lcd"]'), 'lcd-normal');
  await shot(page.locator('[data-testid="lcd-part1"]'), 'lcd-part1');
  await shot(page.locator('[data-testid="lcd-part2"]'), 'lcd-part2');
  await shot(page.locator('[data-testid="lcd-part3"]'), 'lcd-part3');
  await page.screenshot({ path: path.join(ARTIFACTS, 'page-desktop.png'), fullPage: true });
  console.log(`     screenshot ${path.join(ARTIFACTS, 'page-desktop.png')}`);
  await panel.tap(page, 'right');
  await page.waitForSelector('[data-testid="lcd"].backlight', { timeout: 3000 });
  checks.ok(true, 'a press lights the backlight (backlight mode "button")');
  const set = (settings) => twin.request('PUT', '/api/v1/settings', { password: '0000', settings });
  checks.eq((await set({ screen_direction: 1, backlight: 'off' })).status, 200, 'screen turned 180°, backlight off (test-bench path)');
  await page.waitForSelector('[data-testid="lcd"].turned:not(.backlight)', { timeout: 3000 });
  checks.ok(true, 'the LCD is drawn turned and unlit');
  await shot(page.locator('[data-testid="lcd"]'), 'lcd-turned');
  await set({ screen_direction: 0, backlight: 'button' });
  await page.waitForSelector('[data-testid="lcd"]:not(.turned)', { timeout: 3000 });
}

async function reconnectIndicator(page) {
  await twin.stop();
  await page.waitForSelector('[data-testid="conn-status"][data-state="reconnecting"]', { timeout: 8000 });
  checks.ok(true, 'the page shows the stream dropped when the twin stops');
}

async function main() {
  await twin.start();
  console.log(`twin at ${twin.url}, Modbus TCP ${twin.modbus.host}:${twin.modbus.port}, state ${twin.dir}`);
  browser = await playwright.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-proxy-server'],
    timeout: 60000,
  });
  const page = await newPage();
  await checks.step('1. live values', () => liveValues(page));
  await checks.step('6a. normal display screenshots', () => normalDisplayShots(page));
  await checks.step('bench controls', () => benchControls(page));
  await checks.step('2. Modbus ID by the buttons', () => modbusIdByButtons(page));
  await checks.step('4a. app save without Bluetooth', () => appSettingsWithoutBluetooth(page));
  await checks.step('Bluetooth by the buttons', () => bluetoothByButtons(page));
  await checks.step('3. CSV download', () => csvDownload(page));
  await checks.step('4. app settings refused and saved', () => appSettings(page));
  await checks.step('5. phone viewport and keyboard', () => phoneAndKeyboard());
  checks.eq(pageErrors, [], 'no JavaScript errors on the page');
  await checks.step('reconnect indicator', () => reconnectIndicator(page));
}

// An interrupted run still ends its twin (the browser is playwright's child and goes with it).
process.on('exit', () => {
  if (twin.proc && twin.proc.exitCode === null) twin.proc.kill('SIGKILL');
  rmSync(twin.dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => process.exit(1));
process.stdout.on('error', () => process.exit(1));

let code = 1;
try {
  await main();
  code = checks.summary();
} catch (e) {
  console.error(`FAIL: ${e && e.stack ? e.stack : e}`);
  checks.ok(false, 'the test ran to its end');
  checks.summary();
  code = 1;
} finally {
  if (browser) await within(15000, 'the browser to close', browser.close()).catch(() => {});
  await twin.stop().catch(() => {});
  if (code !== 0 && twin.stderr) console.log(`twin stderr (tail):\n${twin.stderr.slice(-3000)}`);
}
process.exit(code);
