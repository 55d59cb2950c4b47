// web/qr.js: the Bluetooth page's QR code decodes to its payload (jsQR, as a phone would).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

import { qrCode, qrSvg } from '../../../web/qr.js';

// jsQR is a devDependency of web/ (web/node_modules).
const jsQR = createRequire(new URL('../../../web/package.json', import.meta.url))('jsqr');

/// The code's modules drawn black on white, `scale` pixels each, with a 4-module quiet zone.
function pixels(code, scale = 4) {
  const n = code.getModuleCount();
  const size = (n + 8) * scale;
  const data = new Uint8ClampedArray(size * size * 4).fill(255);
  for (let r = 0; r < n; r += 1) {
    for (let c = 0; c < n; c += 1) {
      if (!code.isDark(r, c)) continue;
      for (let y = 0; y < scale; y += 1) {
        for (let x = 0; x < scale; x += 1) {
          const i = (((r + 4) * scale + y) * size + (c + 4) * scale + x) * 4;
          data[i] = data[i + 1] = data[i + 2] = 0;
        }
      }
    }
  }
  return { data, size };
}

test('the QR code decodes to its payload', () => {
  for (const payload of ['19020246', '00000001', 'SN 12345678', 'x'.repeat(60)]) {
    const { data, size } = pixels(qrCode(payload));
    const found = jsQR(data, size, size);
    assert.ok(found, `a QR code is found for ${payload}`);
    assert.equal(found.data, payload);
  }
});

test('a longer payload needs a bigger code (automatic version)', () => {
  assert.ok(qrCode('x'.repeat(60)).getModuleCount() > qrCode('19020246').getModuleCount());
});

test('the SVG: 3 px cells and a 6 px margin, the payload as its alt text', () => {
  const code = qrCode('19020246');
  const side = code.getModuleCount() * 3 + 2 * 6;
  const svg = qrSvg('19020246');
  assert.match(svg, /^<svg /);
  assert.match(svg, new RegExp(`width="${side}px" height="${side}px"`));
  assert.match(svg, /QR code: 19020246/);
  assert.notEqual(qrSvg('19020247'), svg);
});
