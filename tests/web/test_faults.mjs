// Browser test of the page's faults card (docs/faults.md "On the web page", issue 15):
// Chromium against the real binary, as node:test tests.
//   AMBI_BINARY=PATH_TO_ambimeter node --test tests/web/test_faults.mjs
// One meter: a fault started from the form is listed as active and in GET /api/v1/faults,
// its seen/applied counts rise with Modbus reads (exception 06 on each), a fault started
// through the API shows up in the list, End ends it (the reads are answered again), a value
// out of range shows the server's 422 message beside the form and marks its input, and a
// kind the server may not know yet shows what the server says. A fleet of 3: the fault
// started from the page lands on the selected meter only (GET /api/v1/meters/{serial}/faults),
// and another meter's list is its own.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { launchChromium, watch } from './browser.mjs';
import { Twin, anyFailed, check, counted, readHoldingRegisters, within } from './support.mjs';

const WAIT_MS = 10000;
const ARTIFACTS = path.resolve('web-artifacts');
const serialAt = (i) => String(19020246 + i);

const binary = process.env.AMBI_BINARY || process.argv[2];
let browser = null;
let twin = null;    // the meter, then the fleet
let page = null;
let log = null;     // the page's (the last one opened)
const logs = [];    // every page's
const pageErrors = [];
/// Requests the page makes that are meant to be refused (a bad value, a kind not known yet).
const expectedRefusals = [];

async function apiOk(method, apiPath, body) {
  const r = await twin.request(method, apiPath, body);
  if (r.status < 200 || r.status > 299) throw new Error(`${method} ${apiPath}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function openPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const p = await context.newPage();
  log = watch(p);
  logs.push(log);
  p.setDefaultTimeout(WAIT_MS);
  p.on('pageerror', (e) => pageErrors.push(String(e)));
  await p.goto(twin.url + '/', { timeout: WAIT_MS });
  await p.waitForSelector('[data-testid="conn-status"][data-state="live"]');
  await p.waitForSelector('[data-testid="faults"][data-loaded]');
  return p;
}

/// The list as the page shows it.
const faultRows = () => page.$$eval('[data-testid="fault-row"]', (rows) => rows.map((r) => ({
  id: r.dataset.id,
  state: r.dataset.state,
  endShown: !r.querySelector('[data-testid="fault-end"]').hidden,
  ...Object.fromEntries([...r.cells].filter((c) => c.dataset.col).map((c) => [c.dataset.col, c.textContent])),
})));
const rowSelector = (id) => `[data-testid="fault-row"][data-id="${id}"]`;
/// Waits until fault `id`'s cell `col` reads `text`.
const cellIs = (id, col, text) => page.waitForFunction(([sel, c, want]) =>
  document.querySelector(`${sel} td[data-col="${c}"]`)?.textContent === want, [rowSelector(id), col, text]);
const statusText = () => page.textContent('[data-testid="fault-status"]');

/// Fills the form for `kind` with `values` ({member: text}) and presses Start; resolves to
/// the answer of the page's POST.
async function startFromPage(kind, values = {}) {
  await page.selectOption('[data-testid="fault-kind"]', kind);
  for (const [member, text] of Object.entries(values)) {
    const sel = `[data-testid="fault-${member}"]`;
    if (await page.$eval(sel, (e) => e.tagName === 'SELECT')) await page.selectOption(sel, text);
    else await page.fill(sel, text);
  }
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && /\/faults$/.test(r.url())),
    page.click('[data-testid="fault-start"]'),
  ]);
  return { status: res.status(), url: res.url(), body: await res.json() };
}

async function formIsAccessible(t) {
  await check(t, 'the card shows "No fault on this meter" and an empty list', async () => {
    assert.equal(await page.isVisible('[data-testid="faults-empty"]'), true);
    assert.deepEqual(await faultRows(), []);
    assert.equal(await page.textContent('[data-testid="faults-summary"]'), 'no faults');
  });
  await check(t, 'the form offers the common kinds', async () => {
    const kinds = await page.$$eval('[data-testid="fault-kind"] option', (os) => os.map((o) => o.value));
    assert.deepEqual(kinds, ['no-reply', 'delay', 'bad-crc', 'exception', 'bit-errors', 'supply-lost', 'phase-lost', 'ct-reversed']);
  });
  await check(t, 'every input of the form has a label', async () => {
    const unlabelled = await page.$$eval('#fault-form input, #fault-form select',
      (els) => els.filter((e) => !e.labels || e.labels.length === 0).map((e) => e.id));
    assert.deepEqual(unlabelled, []);
  });
  await page.selectOption('[data-testid="fault-kind"]', 'delay');
  await check(t, 'delay shows its delay, jitter, probability and duration', async () => {
    for (const m of ['delay_ms', 'jitter_ms', 'probability', 'duration_s']) assert.ok(await page.isVisible(`[data-testid="fault-${m}"]`), m);
    assert.equal(await page.isVisible('[data-testid="fault-phase"]'), false);
  });
  await page.selectOption('[data-testid="fault-kind"]', 'phase-lost');
  await check(t, 'phase lost shows a phase and a duration, no probability', async () => {
    assert.ok(await page.isVisible('[data-testid="fault-phase"]'));
    assert.equal(await page.isVisible('[data-testid="fault-probability"]'), false);
    assert.ok(await page.isVisible('[data-testid="fault-duration_s"]'));
  });
}

async function startCountEnd(t) {
  const res = await startFromPage('exception', { exception_code: '6', probability: '1', duration_s: '600' });
  await check(t, 'Start posts {kind, exception_code, probability, duration_s} and gets 201', () => {
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.kind, 'exception');
    assert.equal(res.body.exception_code, 6);
    assert.equal(res.body.end_ms - res.body.start_ms, 600000);
  });
  const id = String(res.body.id);
  await check(t, 'the status says it started', async () => assert.equal(await statusText(), `fault ${id} (exception) started`));
  await check(t, 'the list shows it as active, with its code and window, and an End button', async () => {
    await page.waitForSelector(`${rowSelector(id)}[data-state="active"]`);
    const [row] = await faultRows();
    assert.equal(row.kind, 'exception');
    assert.equal(row.params, 'code 06');
    assert.match(row.span, /^\d\d:\d\d:\d\d – \d\d:\d\d:\d\d$/);
    assert.equal(row.counts, '0 / 0');
    assert.equal(row.state, 'active');
    assert.equal(row.endShown, true);
    assert.equal(await page.textContent('[data-testid="faults-summary"]'), '1 active of 1');
  });
  await check(t, 'GET /api/v1/faults has it', async () => {
    const list = await apiOk('GET', '/api/v1/faults');
    assert.deepEqual(list.faults.map((f) => [f.id, f.kind, f.active]), [[Number(id), 'exception', true]]);
  });
  for (let i = 0; i < 3; i += 1) {
    await assert.rejects(readHoldingRegisters(twin.modbus, 1, 0x5002, 2), /code 6/);
  }
  await check(t, 'after 3 Modbus reads (each answered exception 06) the list counts 3 seen / 3 applied', () =>
    cellIs(id, 'counts', '3 / 3'));

  await apiOk('POST', '/api/v1/faults', { kind: 'delay', delay_ms: 20, jitter_ms: 5, probability: 0.5 });
  await check(t, 'a fault started through the API shows up in the list', async () => {
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="fault-row"]').length === 2);
    const rows = await faultRows();
    assert.deepEqual([rows[1].kind, rows[1].params, rows[1].state], ['delay', '20 ms + 0–5 ms, p 0.5', 'active']);
    assert.match(rows[1].span, /^from \d\d:\d\d:\d\d$/);
  });

  const [del] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'DELETE'),
    page.click(`${rowSelector(id)} [data-testid="fault-end"]`),
  ]);
  await check(t, 'End sends DELETE /api/v1/faults/{id} (200)', () => {
    assert.equal(del.status(), 200);
    assert.ok(del.url().endsWith(`/api/v1/faults/${id}`), del.url());
  });
  await check(t, 'the list shows it ended, without its End button', async () => {
    await page.waitForSelector(`${rowSelector(id)}[data-state="ended"]`);
    const row = (await faultRows()).find((r) => r.id === id);
    assert.equal(row.endShown, false);
    assert.equal(row.counts, '3 / 3');
    assert.equal(await statusText(), `fault ${id} (exception) ended`);
  });
  await check(t, 'GET /api/v1/faults says it ended; the meter answers reads again', async () => {
    const f = (await apiOk('GET', '/api/v1/faults')).faults.find((x) => String(x.id) === id);
    assert.deepEqual([f.ended, f.active], [true, false]);
    await twin.request('DELETE', '/api/v1/faults/2');
    assert.equal((await readHoldingRegisters(twin.modbus, 1, 0x5002, 2)).length, 2);
  });
}

async function refusals(t) {
  const before = (await apiOk('GET', '/api/v1/faults')).faults.length;
  const res = await startFromPage('no-reply', { probability: '2', duration_s: '' });
  expectedRefusals.push(res.url);
  const message = '"probability" 2 is out of range: give a probability above 0, at most 1';
  await check(t, 'a probability of 2 is refused by the server (422)', () => {
    assert.equal(res.status, 422);
    assert.equal(res.body.error, message);
  });
  await check(t, 'the form shows the server\'s message and marks the probability input', async () => {
    await page.waitForFunction((m) => document.querySelector('[data-testid="fault-status"]').textContent === m, message);
    assert.equal(await page.getAttribute('[data-testid="fault-probability"]', 'aria-invalid'), 'true');
    assert.equal(await page.getAttribute('[data-testid="fault-duration_s"]', 'aria-invalid'), 'false');
    assert.equal(await page.textContent('[data-testid="alert-text"]'), message);
  });
  await check(t, 'nothing was started', async () =>
    assert.equal((await apiOk('GET', '/api/v1/faults')).faults.length, before));
  await page.click('#alert-close');

  // A meter kind may not be in this build yet: the page shows whatever the server answers.
  const phase = await startFromPage('phase-lost', { phase: '2', duration_s: '60' });
  if (phase.status !== 201) expectedRefusals.push(phase.url);
  await check(t, `phase lost L2: the page shows what the server says (${phase.status})`, async () => {
    if (phase.status === 201) {
      await page.waitForSelector(`${rowSelector(phase.body.id)}[data-state="active"]`);
      assert.equal(await statusText(), `fault ${phase.body.id} (phase-lost) started`);
      await twin.request('DELETE', `/api/v1/faults/${phase.body.id}`);
    } else {
      assert.equal(phase.status, 422);
      await page.waitForFunction((m) => document.querySelector('[data-testid="fault-status"]').textContent === m, phase.body.error);
    }
  });
  await page.click('#alert-close').catch(() => {});
}

async function phone(t) {
  await page.setViewportSize({ width: 390, height: 844 });
  await check(t, 'no horizontal scroll of the page on a phone', async () => {
    const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    assert.ok(scroll <= client, `scrollWidth ${scroll} > clientWidth ${client}`);
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.locator('[data-testid="faults"]').screenshot({ path: path.join(ARTIFACTS, 'faults-phone.png'), animations: 'disabled' });
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function fleetMeterOnly(t) {
  // The page first: one still polling a stopped twin would log a refused connection.
  await page.context().close();
  await within(15000, 'the single meter to stop', twin.stop());
  twin = new Twin(binary, ['--meters', '3'], { mbusTcp: false });
  await twin.start(60000);
  page = await openPage();
  const [first, picked, third] = [serialAt(0), serialAt(1), serialAt(2)];
  await page.waitForSelector(`[data-testid="fleet-row"][data-serial="${picked}"]`);
  const clickedAt = log.responses.length;
  await page.click(`[data-testid="fleet-row"][data-serial="${picked}"]`);
  await check(t, `a click on ${picked} shows that meter's (empty) list`, () =>
    page.waitForFunction((s) => document.querySelector('[data-testid="faults"]').dataset.loaded === `${s}:0`, picked));
  const res = await startFromPage('bad-crc', { probability: '0.5', duration_s: '120' });
  await check(t, 'Start posts to /api/v1/meters/{serial}/faults', () => {
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.ok(res.url.endsWith(`/api/v1/meters/${picked}/faults`), res.url);
  });
  await check(t, 'the fault is on the selected meter only', async () => {
    const mine = await apiOk('GET', `/api/v1/meters/${picked}/faults`);
    assert.deepEqual(mine.faults.map((f) => [f.kind, f.probability, f.active]), [['bad-crc', 0.5, true]]);
    for (const s of [first, third]) assert.deepEqual((await apiOk('GET', `/api/v1/meters/${s}/faults`)).faults, [], s);
    assert.deepEqual((await apiOk('GET', '/api/v1/faults')).faults, [], 'the fleet\'s first meter (/api/v1/faults)');
  });
  const id = String(res.body.id);
  await check(t, 'the list shows it, active', () => page.waitForSelector(`${rowSelector(id)}[data-state="active"]`));
  const [del] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'DELETE'),
    page.click(`${rowSelector(id)} [data-testid="fault-end"]`),
  ]);
  await check(t, 'End ends it on that meter', async () => {
    assert.ok(del.url().endsWith(`/api/v1/meters/${picked}/faults/${id}`), del.url());
    await page.waitForSelector(`${rowSelector(id)}[data-state="ended"]`);
    assert.equal((await apiOk('GET', `/api/v1/meters/${picked}/faults`)).faults[0].ended, true);
  });
  await page.click(`[data-testid="fleet-row"][data-serial="${third}"]`);
  await check(t, `another meter (${third}) shows its own list: none`, async () => {
    await page.waitForFunction((s) => document.querySelector('[data-testid="faults"]').dataset.loaded === `${s}:0`, third);
    assert.deepEqual(await faultRows(), []);
    assert.equal(await page.isVisible('[data-testid="faults-empty"]'), true);
  });
  await check(t, 'from the click on, every list request went to a meter\'s path', () => {
    const lists = log.responses.slice(clickedAt).filter((r) => /\/faults$/.test(r.url));
    assert.ok(lists.length >= 2);
    for (const r of lists) assert.match(r.url, /\/api\/v1\/meters\/\d{8}\/faults$/, r.url);
  });
}

before(async () => {
  if (!binary || !existsSync(binary)) {
    throw new Error(`no ambimeter binary: set AMBI_BINARY or pass it (node ${path.basename(process.argv[1])} PATH_TO_ambimeter; got ${binary})`);
  }
  twin = await new Twin(binary).start();
  browser = await launchChromium();
  page = await openPage();
});

after(async () => {
  if (browser) await within(15000, 'the browser to close', browser.close()).catch(() => {});
  if (twin) {
    await twin.stop().catch(() => {});
    if (anyFailed() && twin.stderr) console.log(`twin stderr (tail):\n${twin.stderr.slice(-3000)}`);
  }
});

process.on('exit', () => {
  if (!twin) return;
  if (twin.proc && twin.proc.exitCode === null) twin.proc.kill('SIGKILL');
  rmSync(twin.dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => process.exit(1));

test('the faults card and its form', counted((t) => formIsAccessible(t)));
test('a fault started from the page: listed, counted, ended', counted((t) => startCountEnd(t)));
test('a refused value shows the server\'s message', counted((t) => refusals(t)));
test('the faults card on a phone', counted((t) => phone(t)));
test('in a fleet of 3 the fault lands on the selected meter only', counted((t) => fleetMeterOnly(t)));
test('no JavaScript errors on the page', counted(() => assert.deepEqual(pageErrors, [])));
test('no console errors, failed requests or HTTP errors but the refusals asked for', counted(async (t) => {
  const all = (key) => logs.flatMap((l) => l[key]);
  const unexpected = all('httpErrors').filter((e) => !expectedRefusals.some((u) => e === `POST ${u}: 422`));
  await check(t, 'no HTTP errors', () => assert.deepEqual(unexpected, []));
  // Chromium logs each refused request ("the server responded with a status of 422").
  const consoleErrors = all('console').filter((e) => !/status of 422/.test(e));
  await check(t, 'no console errors', () => assert.deepEqual(consoleErrors, []));
  await check(t, 'no failed requests', () => assert.deepEqual(all('failed'), []));
}));
