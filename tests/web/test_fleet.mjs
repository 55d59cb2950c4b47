// Browser test of the web page's fleet view (docs/web.md "The fleet view"): Chromium against
// `ambimeter run --meters 10000` (AMBI_FLEET_METERS overrides the count), as node:test tests.
//   AMBI_BINARY=PATH_TO_ambimeter node --test tests/web/test_fleet.mjs
// The table shows its page, pages, sorts by power, filters by serial and by error code, and
// refreshes live; a click on a row makes the LCD, the buttons, the bench and the app act on
// that meter (checked through the API: that meter's panel changed, meter 1's did not). Any
// console error, failed request or HTTP error (a 404 above all) fails it. The fleet's state
// directory is made on /dev/shm when there is one; the fleet is started, stopped, one meter's
// main copy corrupted in the slot file, and started again (the "errors only" filter's meter).
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { launchChromium, watch } from './browser.mjs';
import { Twin, anyFailed, check, counted, sleep, within } from './support.mjs';
import * as panel from './panel.mjs';

const METERS = Number(process.env.AMBI_FLEET_METERS || 10000);
const WAIT_MS = 10000;
const ARTIFACTS = path.resolve('web-artifacts');
/// The fleet's serials count up from 19020246 as BCD digits, i.e. in decimal.
const serialAt = (i) => String(19020246 + i);
const FIRST = serialAt(0);
const ON_PAGE = serialAt(3);                          // 10 A, on the first page
const HOT = serialAt(Math.floor(METERS * 0.87));     // 30 A: the most power
const WARM = serialAt(Math.floor(METERS * 0.5));     // 20 A
const BROKEN_AT = Math.floor(METERS * 0.93);
const BROKEN = serialAt(BROKEN_AT);                   // its main copy corrupted
const PICKED = serialAt(Math.floor(METERS * 0.77));  // the meter clicked and driven

const binary = process.env.AMBI_BINARY || process.argv[2];
let twin = null;
let browser = null;
let page = null;
let log = null;
const pageErrors = [];

const meterPath = (serial, rest = '') => `/api/v1/meters/${serial}${rest}`;
async function apiOk(method, apiPath, body) {
  const r = await twin.request(method, apiPath, body);
  if (r.status !== 200) throw new Error(`${method} ${apiPath}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/// The table's rows as the page shows them.
const tableRows = () => page.$$eval('[data-testid="fleet-row"]', (rows) => rows.map((r) => ({
  serial: r.dataset.serial,
  selected: r.getAttribute('aria-selected') === 'true',
  ...Object.fromEntries([...r.cells].map((c) => [c.dataset.col, c.textContent])),
})));
/// Waits until the table holds the answer of a request whose query contains `part`.
const loaded = (part) => page.waitForFunction((p) => (document.querySelector('[data-testid="fleet"]').dataset.loaded || '').includes(p),
  part, { timeout: WAIT_MS });
/// Waits until the table shows the query `exact` (exactly: filters dropped too).
const loadedExactly = (exact) => page.waitForFunction((q) => document.querySelector('[data-testid="fleet"]').dataset.loaded === q,
  exact, { timeout: WAIT_MS });
const info = () => page.textContent('[data-testid="fleet-info"]');

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  await context.clock.install();
  const p = await context.newPage();
  log = watch(p);
  p.setDefaultTimeout(WAIT_MS);
  p.on('pageerror', (e) => pageErrors.push(String(e)));
  await p.goto(twin.url + '/', { timeout: WAIT_MS });
  await p.waitForSelector('[data-testid="conn-status"][data-state="live"]', { timeout: WAIT_MS });
  await p.waitForSelector('[data-testid="lcd"][data-mode="normal"]', { timeout: WAIT_MS });
  return p;
}

async function fleetLoads(t) {
  const index = await apiOk('GET', '/api/v1');
  await check(t, `GET /api/v1 says it is a fleet of ${METERS}`, () => assert.equal(index.fleet.meters, METERS));
  await check(t, 'the fleet view is shown', () => page.waitForSelector('[data-testid="fleet"]:not([hidden])'));
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="fleet-row"]').length === 50);
  const rows = await tableRows();
  await check(t, 'the table shows the first page of 50 meters, in fleet order', () => {
    assert.deepEqual(rows.map((r) => r.serial), Array.from({ length: 50 }, (_, i) => serialAt(i)));
  });
  await check(t, 'the paging line counts every meter', async () => assert.equal(await info(), `1–50 of ${METERS} meters`));
  await check(t, 'the page shows meter 1 at first, and says so', async () => {
    await page.waitForFunction((s) => document.querySelector('[data-testid="selected-meter"]').textContent.includes(s), FIRST);
    assert.equal(await page.textContent('[data-testid="dev-serial"]'), FIRST);
    // The row is marked once the selected meter's first answer is in, which can come after
    // the table's first page: wait for the mark rather than read the rows of before.
    await page.waitForSelector(`[data-testid="fleet-row"][data-serial="${FIRST}"][aria-selected="true"]`);
    assert.equal((await tableRows())[0].selected, true);
  });
  const first = await apiOk('GET', '/api/v1/meters?offset=0&limit=1');
  await check(t, 'a row shows what GET /api/v1/meters says', () => {
    const m = first.meters[0];
    assert.equal(rows[0].unit, `G0 · ${m.modbus.unit}`);
    assert.equal(rows[0].supply, 'on');
    assert.equal(rows[0].error, '–');
  });
  await check(t, 'no console errors, failed requests or HTTP errors while the page loads', () => {
    assert.deepEqual(log.console, []);
    assert.deepEqual(log.failed, []);
    assert.deepEqual(log.httpErrors, []);
  });
}

async function liveRefresh(t) {
  await apiOk('PUT', meterPath(ON_PAGE, '/load'), { L1: { v: 230, i: 10, phi: 0 } });
  const t0 = Date.now();
  const seen = await page.waitForFunction((s) => document.querySelector(`[data-testid="fleet-row"][data-serial="${s}"] td[data-col="p_w"]`)?.textContent === '2300.0',
    ON_PAGE, { timeout: 8000 }).then(() => true, () => false);
  await check(t, `the visible page follows a load set through the API (${Date.now() - t0} ms)`, () => assert.ok(seen));
  await check(t, 'only the visible page is fetched (limit=50, never the whole fleet)', () => {
    const lists = log.responses.filter((r) => r.url.includes('/api/v1/meters?'));
    assert.ok(lists.length >= 2, `${lists.length} list requests`);
    for (const r of lists) assert.match(r.url, /[?&]limit=50(&|$)/, r.url);
  });
}

async function paging(t) {
  await page.click('[data-testid="fleet-next"]');
  await loaded('offset=50&');
  await check(t, 'Next shows meters 51-100', async () => {
    assert.equal(await info(), `51–100 of ${METERS} meters`);
    assert.equal((await tableRows())[0].serial, serialAt(50));
  });
  await page.click('[data-testid="fleet-prev"]');
  await loaded('offset=0&');
  await check(t, 'Prev goes back to the first page', async () => assert.equal((await tableRows())[0].serial, FIRST));
}

async function sortByPower(t) {
  await apiOk('PUT', meterPath(HOT, '/load'), { L1: { v: 230, i: 30, phi: 0 } });
  await apiOk('PUT', meterPath(WARM, '/load'), { L1: { v: 230, i: 20, phi: 0 } });
  await page.click('[data-testid="fleet-sort-p_w"]');
  await loaded('sort=p_w&order=desc');
  const rows = await tableRows();
  await check(t, 'a click on P sorts by power, most first: the 30 A, 20 A and 10 A meters', () => {
    assert.deepEqual(rows.slice(0, 3).map((r) => [r.serial, r.p_w]), [[HOT, '6900.0'], [WARM, '4600.0'], [ON_PAGE, '2300.0']]);
  });
  await check(t, 'the page is in falling power', () => {
    const p = rows.map((r) => Number(r.p_w));
    for (let i = 1; i < p.length; i += 1) assert.ok(p[i] <= p[i - 1], `row ${i}: ${p[i]} after ${p[i - 1]}`);
  });
  await check(t, 'the header says so (aria-sort)', async () =>
    assert.equal(await page.getAttribute('th[data-col="p_w"]', 'aria-sort'), 'descending'));
  const api = await apiOk('GET', '/api/v1/meters?sort=p_w&order=desc&limit=50');
  await check(t, 'the order is the server\'s (GET /api/v1/meters?sort=p_w&order=desc)', () =>
    assert.deepEqual(rows.map((r) => r.serial), api.meters.map((m) => m.serial)));
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.locator('[data-testid="fleet"]').screenshot({ path: path.join(ARTIFACTS, 'fleet-by-power.png'), animations: 'disabled' });
  console.log(`     screenshot ${path.join(ARTIFACTS, 'fleet-by-power.png')}`);
  await page.click('[data-testid="fleet-sort-p_w"]');
  await loaded('sort=p_w&order=asc');
  await check(t, 'a second click turns it round: least first, ties in fleet order', async () => {
    const asc = await tableRows();
    assert.equal(asc[0].p_w, '0.0');
    assert.equal(asc[0].serial, FIRST);
    assert.equal(await page.getAttribute('th[data-col="p_w"]', 'aria-sort'), 'ascending');
  });
  await page.click('[data-testid="fleet-sort-serial"]');
  await loaded('sort=serial&order=asc');
}

async function filterBySerial(t) {
  await page.fill('[data-testid="fleet-filter"]', HOT);
  await loaded(`q=${HOT}`);
  await check(t, `the filter finds the one meter ${HOT}`, async () => {
    const rows = await tableRows();
    assert.deepEqual(rows.map((r) => r.serial), [HOT]);
    assert.equal(rows[0].p_w, '6900.0');
    assert.equal(await info(), `1–1 of 1 meter (of ${METERS} in the fleet)`);
  });
  await page.fill('[data-testid="fleet-filter"]', '19x');
  await check(t, 'a filter that is no serial is refused on the page (no request)', async () => {
    await page.waitForFunction(() => document.querySelector('[data-testid="fleet-filter-error"]').textContent !== '');
    assert.equal(await page.getAttribute('[data-testid="fleet-filter"]', 'aria-invalid'), 'true');
    assert.ok(!log.responses.some((r) => r.url.includes('q=19x')));
  });
  await page.fill('[data-testid="fleet-filter"]', '');
  await loadedExactly('offset=0&limit=50&sort=serial&order=asc');
  await check(t, 'an empty filter shows every meter again', async () => assert.equal(await info(), `1–50 of ${METERS} meters`));
}

async function errorsOnly(t) {
  const state = await apiOk('GET', meterPath(BROKEN));
  await check(t, `meter ${BROKEN} (its main copy corrupted) has error code 0x40`, () => assert.equal(state.status.error_code, 0x40));
  await page.check('[data-testid="fleet-errors"]');
  await loaded('error=1');
  await check(t, '"errors only" lists that meter alone, with its error bits', async () => {
    const rows = await tableRows();
    assert.deepEqual(rows.map((r) => [r.serial, r.error]), [[BROKEN, '0x40 main_corrupt']]);
    assert.match(rows[0].status, /storage/);
    assert.equal(await info(), `1–1 of 1 meter (of ${METERS} in the fleet)`);
  });
  await page.uncheck('[data-testid="fleet-errors"]');
  await loadedExactly('offset=0&limit=50&sort=serial&order=asc');
}

async function pickAndDrive(t) {
  await page.fill('[data-testid="fleet-filter"]', PICKED);
  await loaded(`q=${PICKED}`);
  await page.click(`[data-testid="fleet-row"][data-serial="${PICKED}"]`);
  await check(t, 'the page says it shows the clicked meter', async () => {
    await page.waitForFunction((s) => document.querySelector('[data-testid="selected-meter"]').textContent.includes(s), PICKED);
    assert.equal((await tableRows())[0].selected, true);
  });
  await check(t, 'the app\'s Device page shows its serial number', () =>
    page.waitForFunction((s) => document.querySelector('[data-testid="dev-serial"]').textContent === s, PICKED));

  const before1 = await apiOk('GET', '/api/v1/panel');
  await panel.holdStar(t, page);
  await panel.expectMenu(t, page, { title: 'Select', value: 'Bluetooth' }, 'a long press of * opens that meter\'s selection page on the LCD');
  const picked = await apiOk('GET', meterPath(PICKED, '/panel'));
  const first = await apiOk('GET', '/api/v1/panel');
  await check(t, `GET ${meterPath(PICKED, '/panel')}: that meter is in its menu`, () => {
    assert.equal(picked.mode, 'menu');
    assert.equal(picked.menu.title, 'Select');
  });
  await check(t, 'meter 1\'s panel did not change', () => {
    assert.equal(before1.mode, 'normal');
    assert.equal(first.mode, 'normal');
  });
  await panel.tap(page, 'right');
  await panel.expectMenu(t, page, { title: 'Select', value: 'Settings' }, '>> moves that meter\'s menu to Settings');
  await check(t, 'the API sees that meter\'s menu on Settings', async () =>
    assert.equal((await apiOk('GET', meterPath(PICKED, '/panel'))).menu.value, 'Settings'));
  await check(t, 'every press went to that meter\'s path', () => {
    const presses = log.responses.filter((r) => r.url.endsWith('/panel/press'));
    assert.ok(presses.length >= 2);
    for (const r of presses) assert.ok(r.url.endsWith(meterPath(PICKED, '/panel/press')), r.url);
  });
  await panel.holdStar(t, page);
  await check(t, 'another long press returns that meter to its normal display',
    () => page.waitForSelector('[data-testid="lcd"][data-mode="normal"]'));

  await page.fill('[data-testid="L3-i"]', '2.5');
  await page.press('[data-testid="L3-i"]', 'Enter');
  await check(t, 'the bench sets that meter\'s load (and not meter 1\'s)', async () => {
    const deadline = Date.now() + 3000;
    let s = await apiOk('GET', meterPath(PICKED));
    while (s.load.L3.i !== 2.5 && Date.now() < deadline) { await sleep(100); s = await apiOk('GET', meterPath(PICKED)); }
    assert.equal(s.load.L3.i, 2.5);
    assert.equal((await twin.state()).load.L3.i, 0);
  });
  await page.click('[data-testid="tab-energy"]');
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: WAIT_MS }),
    page.click('[data-testid="save-energy"]'),
  ]);
  await check(t, 'the app\'s Save downloads that meter\'s CSV', () =>
    assert.equal(download.suggestedFilename(), `ambition-${PICKED}.csv`));
  await page.click('[data-testid="tab-device"]');
  await page.fill('[data-testid="fleet-filter"]', '');
  await loadedExactly('offset=0&limit=50&sort=serial&order=asc');
  await check(t, 'with the filter gone the page still shows that meter', async () => {
    await sleep(600);
    assert.equal(await page.textContent('[data-testid="dev-serial"]'), PICKED);
  });
}

/// The fleet view on a phone (390×844): the table scrolls inside its box, the page does not.
async function phone(t) {
  await page.setViewportSize({ width: 390, height: 844 });
  await sleep(300);
  await check(t, 'no horizontal scroll of the page on a phone', async () => {
    const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    assert.ok(scroll <= client, `scrollWidth ${scroll} > clientWidth ${client}`);
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.locator('[data-testid="fleet"]').screenshot({ path: path.join(ARTIFACTS, 'fleet-phone.png'), animations: 'disabled' });
  await page.setViewportSize({ width: 1280, height: 900 });
}

/// Flips a byte of the main area of the meter at `index` in the fleet's slot file
/// (docs/storage.md "A fleet's store": a record of 4 KiB per meter in fleet order, main at 1024).
function corruptMainCopy(file, index) {
  const at = index * 4096 + 1024 + 40;
  const fd = openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    b[0] ^= 0x5a;
    writeSync(fd, b, 0, 1, at);
  } finally {
    closeSync(fd);
  }
}

before(async () => {
  if (!binary || !existsSync(binary)) {
    throw new Error(`no ambimeter binary: set AMBI_BINARY or pass it (node ${path.basename(process.argv[1])} PATH_TO_ambimeter; got ${binary})`);
  }
  const stateRoot = existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  twin = new Twin(binary, ['--meters', String(METERS)], { stateRoot, mbusTcp: false });
  let t0 = Date.now();
  await twin.start(600000);
  console.log(`fleet of ${METERS} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s, state ${twin.dir}`);
  // One meter's main copy corrupted while the fleet is stopped: started again, that meter
  // recovers from its backup and shows bit 6, main_corrupt (manual 8.1); the others are clean.
  t0 = Date.now();
  await twin.stop({ keep: true, graceMs: 60000 });
  corruptMainCopy(path.join(twin.dir, 'fleet', 'meters.slots'), BROKEN_AT);
  await twin.start(600000);
  console.log(`stopped and started again in ${((Date.now() - t0) / 1000).toFixed(1)} s, at ${twin.url}`);
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

test(`the fleet view of ${METERS} meters loads`, counted((t) => fleetLoads(t)));
test('the visible page refreshes live', counted((t) => liveRefresh(t)));
test('paging', counted((t) => paging(t)));
test('sorting by power', counted((t) => sortByPower(t)));
test('filtering by serial', counted((t) => filterBySerial(t)));
test('errors only', counted((t) => errorsOnly(t)));
test('a click on a row: the LCD, the buttons, the bench and the app act on that meter', counted((t) => pickAndDrive(t)));
test('the fleet view on a phone', counted((t) => phone(t)));
test('no JavaScript errors on the page', counted(() => assert.deepEqual(pageErrors, [])));
test('no console errors, failed requests or HTTP errors (no 404)', counted(async (t) => {
  await check(t, 'no HTTP errors', () => assert.deepEqual(log.httpErrors, []));
  await check(t, 'no console errors', () => assert.deepEqual(log.console, []));
  await check(t, 'no failed requests', () => assert.deepEqual(log.failed, []));
}));
