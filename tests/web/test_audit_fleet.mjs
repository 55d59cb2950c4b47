// Browser test of the poll audit card in a fleet (docs/web.md "The poll audit card"): Chromium
// against the real binary, `run --meters 3` on a stepped clock with its RS485 bus on a pty, as
// node:test tests.
//   AMBI_BINARY=PATH_TO_ambimeter node --test tests/web/test_audit_fleet.mjs
// The card's "Audit of" select offers this meter, the gateway and the bus (GET /api/v1's
// `fleet.audits`). Through the gateway, a read off by one on unit 1 (the meter the page shows)
// and a read of unit 9, which no meter has (exception 0B): the gateway's audit shows both, its
// no-meter-at-unit row equal to GET /api/v1/gateways/0/audit; back on "this meter" the meter's
// row only; a meter picked in the fleet table while the gateway is shown leaves it shown, and
// "this meter" then follows the picked meter. Nothing on the page logs an error.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { launchChromium, watch } from './browser.mjs';
import { Twin, anyFailed, check, counted, readHoldingRegisters, within } from './support.mjs';

const WAIT_MS = 10000;
const GATEWAY_AUDIT = '/api/v1/gateways/0/audit';
const binary = process.env.AMBI_BINARY || process.argv[2];
const ptyDir = mkdtempSync(path.join(os.tmpdir(), 'ambi-web-bus-'));
let browser = null;
let twin = null;
let page = null;
let log = null;
let serials = [];
let gateway = null;  // the ready line's first gateway: {name, modbus_tcp, ...}
const pageErrors = [];

const auditRows = () => page.$$eval('[data-testid="audit-row"]', (rows) => rows.map((r) => ({
  check: r.dataset.check,
  severity: r.dataset.severity,
  detail: r.title,
  ...Object.fromEntries([...r.cells].map((c) => [c.dataset.col, c.textContent])),
})));
/// The card holds `rows` rows of `what` (a serial, '' for the fleet's first meter before a
/// pick, or the path of a gateway's or bus's audit).
const loaded = (what, rows) => page.waitForFunction((want) =>
  document.querySelector('[data-testid="audit"]').dataset.loaded === want, `${what}:${rows}`, { timeout: WAIT_MS });
const summary = () => page.textContent('[data-testid="audit-summary"]');
const scope = (label) => page.selectOption('[data-testid="audit-scope"]', { label });

async function apiOk(apiPath) {
  const r = await twin.request('GET', apiPath);
  assert.equal(r.status, 200, `GET ${apiPath}: ${JSON.stringify(r.body)}`);
  return r.body;
}

async function scopes(t) {
  await check(t, 'the index lists the gateway and the bus, by number', async () => {
    assert.deepEqual((await apiOk('/api/v1')).fleet.audits, [
      { kind: 'gateway', name: gateway.name, path: GATEWAY_AUDIT },
      { kind: 'bus', name: 'bus', path: '/api/v1/buses/0/audit' },
    ]);
  });
  await check(t, '"Audit of" offers this meter (chosen), the gateway and the bus', async () => {
    await page.waitForSelector('[data-testid="audit-scope"]', { state: 'visible' });
    const options = await page.$$eval('[data-testid="audit-scope"] option', (os) => os.map((o) => [o.textContent, o.value]));
    assert.deepEqual(options, [['this meter', ''], [`gateway ${gateway.name}`, GATEWAY_AUDIT],
      ['bus bus', '/api/v1/buses/0/audit']]);
    assert.equal(await page.inputValue('[data-testid="audit-scope"]'), '');
    assert.equal(await page.textContent('label[for="audit-scope"]'), 'Audit of');
  });
  await check(t, 'before any client, the meter\'s card is empty', async () => {
    await loaded('', 0);
    assert.equal(await summary(), 'No client has talked to this meter yet.');
  });
}

async function gatewayScope(t) {
  await readHoldingRegisters(gateway.at, 1, 0x5003, 2);  // the second word of L1 voltage
  const refused = await readHoldingRegisters(gateway.at, 9, 0x5002, 2).then(() => null, (e) => e);
  await check(t, 'unit 9 through the gateway: exception 0B', () => {
    assert.match(String(refused && refused.message), /exception: function 0x83 code 11$/);
  });
  await check(t, 'the meter shown has its own read only', async () => {
    await loaded('', 1);
    const [row] = await auditRows();
    assert.equal(row.check, 'second-word');
  });
  await scope(`gateway ${gateway.name}`);
  await check(t, 'the gateway chosen: both reads, named in the summary', async () => {
    await loaded(GATEWAY_AUDIT, 2);
    assert.deepEqual((await auditRows()).map((r) => r.check), ['second-word', 'no-meter-at-unit']);
    assert.equal(await summary(), `Gateway ${gateway.name}: 2 findings (1 client, 2 requests).`);
  });
  await check(t, 'the no-meter-at-unit row is what GET /api/v1/gateways/0/audit says', async () => {
    const audit = await apiOk(GATEWAY_AUDIT);
    assert.equal(audit.gateway, gateway.name);
    const f = audit.clients[0].findings.find((x) => x.check === 'no-meter-at-unit');
    const row = (await auditRows()).find((r) => r.check === 'no-meter-at-unit');
    assert.ok(f && row, JSON.stringify(audit));
    assert.equal(row.client, `${audit.clients[0].transport} ${audit.clients[0].peer}`);
    assert.equal(row.severity, 'error');
    assert.equal(row.severity, f.severity);
    assert.equal(row.count, String(f.count));
    assert.equal(row.example, f.example);
    assert.match(row.example, /09 03 50 02 00 02$/);
    assert.equal(row.detail, f.detail);
  });
}

async function backToMeter(t) {
  await scope('this meter');
  await check(t, '"this meter" again: the meter\'s row, as GET /api/v1/audit says', async () => {
    await loaded('', 1);
    const [row] = await auditRows();
    const audit = await apiOk('/api/v1/audit');
    assert.equal(audit.findings, 1);
    const [f] = audit.clients[0].findings;
    assert.equal(row.check, f.check);
    assert.equal(row.count, String(f.count));
    assert.equal(row.example, f.example);
    assert.equal(row.detail, f.detail);
    assert.equal(await summary(), '1 finding (1 client, 1 request).');
  });
}

async function pickedMeter(t) {
  await scope(`gateway ${gateway.name}`);
  await loaded(GATEWAY_AUDIT, 2);
  const from = log.responses.length;
  await page.click(`[data-testid="fleet-row"][data-serial="${serials[1]}"]`);
  await check(t, 'a meter picked while the gateway is shown: the gateway stays', async () => {
    await page.waitForFunction((s) => document.querySelector('[data-testid="selected-meter"]')?.dataset.serial === s, serials[1]);
    await page.waitForTimeout(2500);  // past a refresh
    assert.equal(await page.getAttribute('[data-testid="audit"]', 'data-loaded'), `${GATEWAY_AUDIT}:2`);
  });
  await check(t, 'fetched from its own path, not under the picked meter\'s', () => {
    const paths = log.responses.slice(from).map((r) => new URL(r.url).pathname);
    assert.ok(paths.includes(GATEWAY_AUDIT), paths.join(' '));
    assert.ok(!paths.includes(`/api/v1/meters/${serials[1]}/audit`), paths.join(' '));
    assert.ok(!paths.some((p) => p.startsWith(`/api/v1/meters/${serials[1]}/api/`)), paths.join(' '));
  });
  await scope('this meter');
  await check(t, '"this meter" follows the picked meter (no client yet)', async () => {
    await loaded(serials[1], 0);
    assert.equal(await summary(), 'No client has talked to this meter yet.');
    assert.deepEqual((await apiOk(`/api/v1/meters/${serials[1]}/audit`)).clients, []);
  });
}

before(async () => {
  if (!binary || !existsSync(binary)) {
    throw new Error(`no ambimeter binary: set AMBI_BINARY or pass it (node ${path.basename(process.argv[1])} PATH_TO_ambimeter; got ${binary})`);
  }
  twin = new Twin(binary, ['--meters', '3', '--mbus-tcp', 'off', '--modbus-rtu', `pty:${path.join(ptyDir, 'bus')}`],
    { mbusTcp: false, clock: 'stepped' });
  await twin.start(60000);
  const [host, port] = twin.ready.gateways[0].modbus_tcp.split(/:(?=\d+$)/);
  gateway = { ...twin.ready.gateways[0], at: { host, port: Number(port) } };
  serials = (await apiOk('/api/v1/meters?limit=3')).meters.map((m) => m.serial);
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  log = watch(page);
  page.setDefaultTimeout(WAIT_MS);
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(twin.url + '/', { timeout: WAIT_MS });
  await page.waitForSelector('[data-testid="conn-status"][data-state="live"]');
  await page.waitForSelector(`[data-testid="fleet-row"][data-serial="${serials[1]}"]`);
});

after(async () => {
  if (browser) await within(15000, 'the browser to close', browser.close()).catch(() => {});
  if (twin) {
    await twin.stop().catch(() => {});
    if (anyFailed() && twin.stderr) console.log(`twin stderr (tail):\n${twin.stderr.slice(-3000)}`);
  }
});

process.on('exit', () => {
  rmSync(ptyDir, { recursive: true, force: true });
  if (!twin) return;
  if (twin.proc && twin.proc.exitCode === null) twin.proc.kill('SIGKILL');
  rmSync(twin.dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => process.exit(1));

test('the card offers the fleet\'s gateway and bus', counted((t) => scopes(t)));
test('the gateway\'s audit has what reached no meter', counted((t) => gatewayScope(t)));
test('"this meter" shows the meter\'s audit again', counted((t) => backToMeter(t)));
test('a picked meter: the gateway stays shown, "this meter" follows it', counted((t) => pickedMeter(t)));
test('no JavaScript errors, console errors, failed requests or HTTP errors', counted(async (t) => {
  await check(t, 'no page errors', () => assert.deepEqual(pageErrors, []));
  await check(t, 'no HTTP errors', () => assert.deepEqual(log.httpErrors, []));
  await check(t, 'no console errors', () => assert.deepEqual(log.console, []));
  await check(t, 'no failed requests', () => assert.deepEqual(log.failed, []));
}));
