// The Bluetooth page's QR code (7.5; the app scans it to find the meter), made by the
// qrcode-generator library (its ES module build: the page's import map names it, node finds
// it in node_modules). Pure: lcd.js puts the SVG on the page.
import qrcode from 'qrcode-generator';

/// The QR code of `payload` (automatic version, error correction M).
export function qrCode(payload) {
  const code = qrcode(0, 'M');
  code.addData(payload);
  code.make();
  return code;
}

/// The code as an SVG tag (3 px cells, 6 px quiet zone), its payload as the alt text.
export function qrSvg(payload) {
  return qrCode(payload).createSvgTag({ cellSize: 3, margin: 6, alt: `QR code: ${payload}` });
}
