// Chromium for the browser tests (test_web.mjs, test_fleet.mjs): Debian's /usr/bin/chromium
// (AMBI_CHROMIUM overrides it) driven by playwright-core from web/node_modules (or NODE_PATH),
// headless without a sandbox; and what a page logs and loads. A missing browser or library is
// a failure, not a skip.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const CHROMIUM = process.env.AMBI_CHROMIUM || '/usr/bin/chromium';

export function loadPlaywright() {
  const require = createRequire(import.meta.url);
  for (const name of ['playwright-core', path.join(HERE, '../../web/node_modules/playwright-core')]) {
    try { return require(name); } catch { /* next */ }
  }
  return null;
}

/// Launches Chromium, or throws naming what is missing.
export async function launchChromium() {
  const playwright = loadPlaywright();
  if (!playwright) throw new Error('playwright-core not found: run `npm ci` in web/ (or set NODE_PATH to web/node_modules)');
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install it (apt-get install chromium) or set AMBI_CHROMIUM`);
  return playwright.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-proxy-server'],
    timeout: 60000,
  });
}

/// What a page logged and loaded: console errors, failed requests, HTTP errors, every response.
export function watch(p) {
  const log = { console: [], failed: [], httpErrors: [], responses: [] };
  p.on('console', (m) => { if (m.type() === 'error') log.console.push(`${m.text()} (${m.location().url})`); });
  p.on('requestfailed', (r) => log.failed.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  p.on('response', (r) => {
    log.responses.push({ url: r.url(), status: r.status() });
    if (r.status() >= 400) log.httpErrors.push(`${r.request().method()} ${r.url()}: ${r.status()}`);
  });
  return log;
}
