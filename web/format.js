// Number and duration formatting shared by the page's modules. Pure: touches no DOM, so
// node can import it (tests/web/unit/format.test.mjs).

/// `v` with `d` decimals, '–' when it is not a number.
export const fixed = (v, d) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '–');

/// Whole seconds of `ms` as "HH:MM:SS", with "N d " before it from one day on.
export function formatDuration(ms) {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const hms = [Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60, s % 60]
    .map((n) => String(n).padStart(2, '0')).join(':');
  return d ? `${d} d ${hms}` : hms;
}
