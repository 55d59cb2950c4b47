// The web page of `ambimeter run`: the meter's front (LCD, the three touch buttons, the red
// LED, the S0 counts), the simulation bench and the Meter Manager app (manual appendix 4).
// Live state comes from one EventSource (GET /api/v1/events, event "state" with
// {state, panel, app}); no polling. Requests go to /api/v1 (docs/control-api.md).
// The page's entry module: its one statement with an effect is the `start()` at the end.
// The other modules do nothing when imported; those without DOM (format.js, lcd_model.js,
// qr.js, bench_model.js, chart_data.js, meter_app_model.js, settings_form.js) are tested
// by node (tests/web/unit/).
import { renderBench, renderCharts, initBench } from './bench.js';
import { $, API, clearError, setText } from './common.js';
import { initButtons, renderLcd, renderPulses } from './lcd.js';
import { initMeterApp, renderApp } from './meter_app.js';

let source = null;
/// The stream indicator: "live" or "reconnecting".
function setConn(state, text) {
  const el = $('conn');
  el.dataset.state = state;
  setText(el, text);
}
function onState(event) {
  let data;
  try { data = JSON.parse(event.data); } catch { return; }
  const { state, panel, app } = data;
  renderLcd(panel);
  renderPulses(panel, state);
  renderBench(state);
  renderCharts(state);
  renderApp(state, app);
}
/// EventSource retries by itself after a drop; when it gives up (an HTTP error such as the
/// 503 of a 17th stream) a new one is opened 2 s later.
function connect() {
  source = new EventSource(`${API}/events`);
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
  connect();
}
start();
