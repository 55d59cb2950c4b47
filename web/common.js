// Shared by the page's DOM modules: element lookup, the message area, JSON requests and the
// meter they address. Nothing runs at import: every function touches the page only when called.
import { meterPath } from './fleet_model.js';

export const API = '/api/v1';
export const $ = (id) => document.getElementById(id);

// The meter of a fleet the page shows and drives (its serial), or null: one meter, or the
// fleet's first (whose paths are the single meter's). Every request of the page goes
// through `apiUrl`, which puts it under /api/v1/meters/{serial}/ (fleet_model.js).
let selected = null;
export function selectMeter(serial) { selected = serial || null; }
export const selectedMeter = () => selected;
/// The URL of the control API's `path` ("/panel/press") for the meter the page shows.
export const apiUrl = (path) => API + meterPath(selected, path);

/// Shows `message` in the page's message area (role="alert").
export function showError(message) {
  $('alert-text').textContent = message;
  $('alert').hidden = false;
}
export function clearError() {
  $('alert').hidden = true;
  $('alert-text').textContent = '';
}

/// One JSON request of the meter the page shows (`path` under its prefix, `apiUrl`). A
/// refusal shows the server's {"error"} text and rejects.
export const api = (method, path, body) => request(method, apiUrl(path), path, body);

/// GET of an absolute path of the API ("/api/v1/gateways/0/audit"), whatever meter the page
/// shows; errors as `api`'s.
export const apiGetAbsolute = (path) => request('GET', path, path);

async function request(method, url, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch (e) {
    const err = new Error(`${method} ${path}: the meter does not answer (${e.message})`);
    showError(err.message);
    throw err;
  }
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!res.ok) {
    const err = new Error(json && json.error ? json.error : `${method} ${path}: HTTP ${res.status}`);
    err.status = res.status;
    showError(err.message);
    throw err;
  }
  return json;
}
/// Drops a rejection already shown by `api`.
export const quiet = (promise) => promise.catch(() => {});

/// Sets an element's text only when it changed (no needless layout work at 4 events/s).
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}
