// The page's modules (web/*.js): the pure ones touch no DOM and import only each other and
// qrcode-generator; none does anything when imported (only the entry, app.js, starts the page).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';

const WEB = new URL('../../../web/', import.meta.url);
/// The modules that touch the DOM (web/eslint.config.js names the same ones); app.js is the entry.
const DOM_MODULES = ['app.js', 'common.js', 'lcd.js', 'bench.js', 'meter_app.js', 'fleet.js', 'faults.js', 'audit.js'];
const modules = readdirSync(WEB).filter((f) => f.endsWith('.js') && f !== 'eslint.config.js').sort();
const pure = modules.filter((f) => !DOM_MODULES.includes(f));
const source = (f) => readFileSync(new URL(f, WEB), 'utf8');
const imports = (f) => [...source(f).matchAll(/^import\s[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]);

test('the page has its DOM modules and pure ones', () => {
  for (const f of DOM_MODULES) assert.ok(modules.includes(f), f);
  for (const f of ['format.js', 'lcd_model.js', 'qr.js', 'bench_model.js', 'chart_data.js', 'meter_app_model.js',
    'settings_form.js', 'fleet_model.js', 'faults_model.js', 'audit_model.js']) assert.ok(pure.includes(f), f);
});

test('pure modules name no browser object', () => {
  const browser = /\b(document|window|navigator|localStorage|sessionStorage|EventSource|fetch|requestAnimationFrame|performance|setTimeout|HTMLElement)\b/;
  for (const f of pure) {
    const code = source(f).replace(/^\s*\/\/.*$/gm, '').replace(/\/\/\/?.*$/gm, '');
    assert.doesNotMatch(code, browser, f);
  }
});

test('pure modules import only pure modules and qrcode-generator', () => {
  for (const f of pure) {
    for (const spec of imports(f)) {
      const ok = spec === 'qrcode-generator' || (spec.startsWith('./') && pure.includes(spec.slice(2)));
      assert.ok(ok, `${f} imports ${spec}`);
    }
  }
});

test('every pure module imports in node (no DOM there)', async () => {
  assert.equal(typeof globalThis.document, 'undefined');
  for (const f of pure) {
    const mod = await import(new URL(f, WEB));
    assert.ok(Object.keys(mod).length > 0, `${f} exports something`);
  }
});

test('the DOM modules do nothing when imported (no document in node: touching it would throw)', async () => {
  for (const f of DOM_MODULES.filter((x) => x !== 'app.js')) {
    const mod = await import(new URL(f, WEB));
    assert.ok(Object.values(mod).some((v) => typeof v === 'function'), `${f} exports functions`);
  }
});

test('the libraries are imported as modules under the names of the page\'s import map', () => {
  const html = readFileSync(new URL('index.html', WEB), 'utf8');
  const map = JSON.parse(html.match(/<script type="importmap">([\s\S]*?)<\/script>/)[1]).imports;
  assert.deepEqual(map, { uplot: '/assets/vendor/uplot.esm.js', 'qrcode-generator': '/assets/vendor/qrcode.mjs' });
  const bare = new Set(modules.flatMap(imports).filter((s) => !s.startsWith('.')));
  assert.deepEqual([...bare].sort(), Object.keys(map).sort());
  assert.doesNotMatch(html, /<script src=/, 'no classic script (globals)');
  assert.match(html, /<link rel="icon" href="\/assets\/favicon.svg"/);
});
