// The web page of `ambimeter run`: the meter's front (LCD, the three touch buttons, the red
// LED, the S0 counts), the simulation bench, the Meter Manager app (manual appendix 4) and
// the meter's faults (faults.js, polled like the fleet view).
// Live state comes from one EventSource (GET /api/v1/events, event "state" with
// {state, panel, app}); only the faults list is polled. Requests go to /api/v1
// (docs/control-api.md).
// A fleet (`fleet` of GET /api/v1) adds the fleet view (fleet.js); the stream is the
// fleet's first meter's, so while another meter is shown each event fetches that meter's
// {state, panel, app} (GET /api/v1/meters/{serial}/live) instead, and every request goes
// to /api/v1/meters/{serial}/... (common.js apiUrl).
// The page's entry module: its one statement with an effect is the `start()` at the end.
// The other modules do nothing when imported; those without DOM (format.js, lcd_model.js,
// qr.js, bench_model.js, chart_data.js, meter_app_model.js, settings_form.js,
// faults_model.js) are tested by node (tests/web/unit/).
import { renderBench, renderCharts, initBench, resetCharts } from './bench.js';
import { $, api, apiUrl, clearError, selectMeter, selectedMeter, setText } from './common.js';
import { forgetAudit, initAudit, initAuditScopes } from './audit.js';
import { forgetFaults, initFaults } from './faults.js';
import { initFleet, showMeter } from './fleet.js';
import { streamShows } from './fleet_model.js';
import { forgetPulses, initButtons, renderLcd, renderPulses } from './lcd.js';
import { forgetSettings, initMeterApp, renderApp } from './meter_app.js';

let source = null;
/// The stream indicator: "live" or "reconnecting".
function setConn(state, text) {
  const el = $('conn');
  el.dataset.state = state;
  setText(el, text);
}
let fleet = null;
/// Draws one meter's {state, panel, app} everywhere on the page.
function render({ state, panel, app }) {
  if (fleet) showMeter(state.identity.serial);
  renderLcd(panel);
  renderPulses(panel, state);
  renderBench(state);
  renderCharts(state);
  renderApp(state, app);
}
let liveAsked = false;
/// The shown meter's {state, panel, app}, when it is not the stream's; one request at a time,
/// an answer for a meter no longer shown is dropped.
function fetchShown() {
  if (liveAsked) return;
  liveAsked = true;
  const serial = selectedMeter();
  api('GET', '/live')
    .then((data) => { if (selectedMeter() === serial && data && data.state) render(data); })
    .catch(() => {})
    .finally(() => { liveAsked = false; });
}
function onState(event) {
  let data;
  try { data = JSON.parse(event.data); } catch { return; }
  if (streamShows(selectedMeter(), data)) render(data);
  else fetchShown();
}
/// A row of the fleet view was picked: the page shows and drives that meter from now on.
function select(serial) {
  if (serial === selectedMeter()) return;
  selectMeter(serial);
  resetCharts();
  forgetPulses();
  forgetSettings();
  forgetFaults();
  forgetAudit();
  clearError();
  fetchShown();
}
/// EventSource retries by itself after a drop; when it gives up (an HTTP error such as the
/// 503 of a 17th stream) a new one is opened 2 s later.
function connect() {
  source = new EventSource(apiUrl('/events'));
  source.addEventListener('open', () => setConn('live', 'live'));
  source.addEventListener('state', (e) => { setConn('live', 'live'); onState(e); });
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) {
      setConn('reconnecting', 'connection lost: reconnecting…');
      source.close();
      setTimeout(connect, 2000);
    } else {
      setConn('reconnecting', 'connection lost: reconnecting…');
    }
  });
}
/// Wires the page and opens the event stream.
function start() {
  $('alert-close').addEventListener('click', clearError);
  initButtons();
  initBench();
  initMeterApp();
  initFaults();
  initAudit();
  connect();
  // A fleet shows its fleet view; one meter answers "fleet": null.
  api('GET', '')
    .then((index) => {
      if (!index || !index.fleet) return;
      fleet = index.fleet;
      initFleet(fleet, select);
      initAuditScopes(fleet);
    })
    .catch(() => {});
}
start();
