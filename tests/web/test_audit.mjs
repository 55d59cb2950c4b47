// Browser test of the page's poll audit card (docs/audit.md, issue 16): Chromium against the
// real binary, as node:test tests.
//   AMBI_BINARY=PATH_TO_ambimeter node --test tests/web/test_audit.mjs
// One meter: the card says no client has talked yet; two Modbus TCP reads off by one (FC 03
// at 0x5003, the second word of L1 voltage) show up as a row with the client, the check, its
// count, its example frame and the detail on hover, equal to GET /api/v1/audit; a read of an
// unmapped address adds an error row. Nothing on the page logs an error.
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { launchChromium, watch } from './browser.mjs';
import { Twin, anyFailed, check, counted, readHoldingRegisters, within } from './support.mjs';

const WAIT_MS = 10000;
const binary = process.env.AMBI_BINARY || process.argv[2];
let browser = null;
let twin = null;
let page = null;
let log = null;
const pageErrors = [];

const auditRows = () => page.$$eval('[data-testid="audit-row"]', (rows) => rows.map((r) => ({
  check: r.dataset.check,
  severity: r.dataset.severity,
  detail: r.title,
  ...Object.fromEntries([...r.cells].map((c) => [c.dataset.col, c.textContent])),
})));
const rowsLoaded = (n) => page.waitForFunction((want) =>
  document.querySelector('[data-testid="audit"]').dataset.loaded === `:${want}`, n, { timeout: WAIT_MS });

async function emptyCard(t) {
  await check(t, 'before any client, the card says so and has no rows', async () => {
    await rowsLoaded(0);
    assert.equal(await page.textContent('[data-testid="audit-summary"]'), 'No client has talked to this meter yet.');
    assert.deepEqual(await auditRows(), []);
    assert.equal(await page.isVisible('[data-testid="audit-empty"]'), true);
  });
  await check(t, 'one meter: no "Audit of" select', async () => {
    assert.equal(await page.isVisible('[data-testid="audit-scope"]'), false);
  });
}

async function offByOne(t) {
  for (let i = 0; i < 2; i++) await readHoldingRegisters(twin.modbus, 1, 0x5003, 2);
  await check(t, 'two reads at 0x5003 show as one second-word row counted 2', async () => {
    await page.waitForFunction(() => document.querySelector('[data-testid="audit-row"] td[data-col="count"]')
      ?.textContent === '2', null, { timeout: WAIT_MS });
    const [row] = await auditRows();
    assert.equal(row.client, 'tcp 127.0.0.1');
    assert.equal(row.check, 'second-word');
    assert.equal(row.severity, 'warning');
    assert.match(row.example, /01 03 50 03 00 02$/);
    assert.match(row.detail, /second word of l1_voltage/);
    assert.match(row.first, /^\d\d:\d\d:\d\d\.\d{3} UTC$/);
  });
  await check(t, 'the row is what GET /api/v1/audit says', async () => {
    const r = await twin.request('GET', '/api/v1/audit');
    assert.equal(r.status, 200);
    const f = r.body.clients[0].findings[0];
    const [row] = await auditRows();
    assert.equal(f.check, row.check);
    assert.equal(String(f.count), row.count);
    assert.equal(f.example, row.example);
    assert.equal(f.detail, row.detail);
  });
}

async function unmapped(t) {
  await readHoldingRegisters(twin.modbus, 1, 0x4fff, 2).catch(() => {}); // exception 02
  await check(t, 'a read of 0x4FFF adds an unmapped row marked as an error', async () => {
    await rowsLoaded(2);
    const rows = await auditRows();
    assert.deepEqual(rows.map((r) => r.check), ['second-word', 'unmapped']);
    assert.equal(rows[1].severity, 'error');
    assert.match(await page.textContent('[data-testid="audit-summary"]'), /^2 findings \(1 client, 3 requests\)\.$/);
    assert.equal(await page.isVisible('[data-testid="audit-empty"]'), false);
  });
}

before(async () => {
  if (!binary || !existsSync(binary)) {
    throw new Error(`no ambimeter binary: set AMBI_BINARY or pass it (node ${path.basename(process.argv[1])} PATH_TO_ambimeter; got ${binary})`);
  }
  twin = await new Twin(binary).start();
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  log = watch(page);
  page.setDefaultTimeout(WAIT_MS);
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(twin.url + '/', { timeout: WAIT_MS });
  await page.waitForSelector('[data-testid="conn-status"][data-state="live"]');
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

test('the audit card before any client', counted((t) => emptyCard(t)));
test('reads off by one show as a finding with its evidence', counted((t) => offByOne(t)));
test('an unmapped read adds an error row', counted((t) => unmapped(t)));
test('no JavaScript errors, console errors, failed requests or HTTP errors', counted(async (t) => {
  await check(t, 'no page errors', () => assert.deepEqual(pageErrors, []));
  await check(t, 'no HTTP errors', () => assert.deepEqual(log.httpErrors, []));
  await check(t, 'no console errors', () => assert.deepEqual(log.console, []));
  await check(t, 'no failed requests', () => assert.deepEqual(log.failed, []));
}));
