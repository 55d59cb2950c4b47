"""End-to-end tests of what the web page uses (docs/control-api.md "The web page"): the
embedded files, the front panel, the Meter Manager app's settings and export, the clock
speed, and the event stream.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e/test_web_api.py --binary=PATH_TO_ambimeter
"""

import csv
import http.client
import io
import json
import os
import socket
import time
import urllib.parse

import pytest

from twin import Twin

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WEB = os.path.join(ROOT, "web")
UPLOT = os.path.join(WEB, "node_modules", "uplot", "dist")
STEPPED = ("--clock", "stepped")
TIMEOUT_S = 10.0


def fetch(t, path, method="GET", body=None):
    """(status, headers with lower-case names, body bytes) of one request."""
    url = urllib.parse.urlsplit(t.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=TIMEOUT_S)
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def assert_same_bytes(name, served, path):
    """A served file is the source file (a short message: the files are long)."""
    source = read_file(path)
    same = served == source
    assert same, (f"{name}: served {len(served)} bytes, {path} has {len(source)} "
                  "(a binary built before the file changed? rebuild)")


def press(t, button, long=False):
    return t.ok("POST", "/api/v1/panel/press", {"button": button, "long": long})


def menu(section, title, value, unit="", cursor=-1, editing=False):
    return {"section": section, "title": title, "value": value, "unit": unit, "cursor": cursor,
            "editing": editing, "message": "", "qr": ""}


class EventClient:
    """One GET /api/v1/events over a raw socket."""

    def __init__(self, t):
        url = urllib.parse.urlsplit(t.url)
        self.sock = socket.create_connection((url.hostname, url.port), timeout=TIMEOUT_S)
        self.sock.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: twin\r\n"
                          b"Accept: text/event-stream\r\n\r\n")
        self.buffer = b""
        head = self._until(b"\r\n\r\n", time.monotonic() + TIMEOUT_S)
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split()[1]) if head else None
        self.headers = {k.lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}

    def _until(self, marker, deadline):
        while marker not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                return None
            self.buffer += chunk
        block, _, self.buffer = self.buffer.partition(marker)
        return block

    def next_event(self, timeout=TIMEOUT_S):
        """(event name, decoded data) of the next event, or None at timeout or end."""
        block = self._until(b"\n\n", time.monotonic() + timeout)
        if block is None:
            return None
        fields = dict(line.split(": ", 1) for line in block.decode().split("\n"))
        return fields.get("event"), json.loads(fields["data"])

    def wait_for(self, predicate, timeout):
        """The first event data within `timeout` s that satisfies `predicate`, or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = self.next_event(deadline - time.monotonic())
            if event is None:
                return None
            if predicate(event[1]):
                return event[1]
        return None

    def closed_by_server(self, timeout):
        """True when the server closes the stream within `timeout` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                if not self.sock.recv(65536):
                    return True
            except socket.timeout:
                return False
            except ConnectionError:
                return True
        return False

    def close(self):
        self.sock.close()


@pytest.fixture(scope="module")
def page_twin(binary, tmp_path_factory):
    """One stepped twin for the tests that only GET what it serves."""
    with Twin(binary, str(tmp_path_factory.mktemp("page") / "state"), *STEPPED) as t:
        yield t


def test_page(page_twin):
    t = page_twin
    status, headers, body = fetch(t, "/")
    assert status == 200, "GET / status"
    assert headers.get("content-type") == "text/html; charset=utf-8", "GET / type"
    assert b"<html" in body.lower(), f"GET / is an html page: {body[:80]!r}"
    assert_same_bytes("GET / is web/index.html", body, os.path.join(WEB, "index.html"))
    assert fetch(t, "/", "POST", {})[0] == 405, "POST /"
    assert t.ready["endpoints"]["page"] == "GET /", "ready line lists the page"


@pytest.mark.parametrize("served, source, ctype", [
    ("app.js", os.path.join(WEB, "app.js"), "text/javascript; charset=utf-8"),
    ("style.css", os.path.join(WEB, "style.css"), "text/css; charset=utf-8"),
    ("vendor/uplot.iife.min.js", os.path.join(UPLOT, "uPlot.iife.min.js"), "text/javascript; charset=utf-8"),
    ("vendor/uPlot.iife.min.js", os.path.join(UPLOT, "uPlot.iife.min.js"), "text/javascript; charset=utf-8"),
    ("vendor/uplot.min.css", os.path.join(UPLOT, "uPlot.min.css"), "text/css; charset=utf-8"),
    ("vendor/uPlot.min.css", os.path.join(UPLOT, "uPlot.min.css"), "text/css; charset=utf-8"),
])
def test_asset(page_twin, served, source, ctype):
    """Each asset is served with its type, byte for byte the file in web/ or the npm package."""
    status, headers, body = fetch(page_twin, "/assets/" + served)
    assert (status, headers.get("content-type")) == (200, ctype), f"{served} status and type"
    assert_same_bytes(f"{served} is {source}", body, source)


def test_asset_errors(page_twin):
    t = page_twin
    status, headers, body = fetch(t, "/assets/nothing.js")
    assert (status, headers.get("content-type")) == (404, "application/json"), "unknown asset"
    assert "nothing.js" in json.loads(body)["error"], "404 names the file"
    assert fetch(t, "/assets/../CMakeLists.txt")[0] == 404, "no directory escape"
    status, headers, _ = fetch(t, "/assets/app.js", "PUT", {})
    assert (status, headers.get("allow")) == (405, "GET"), "PUT on an asset"


def test_panel_presses(binary, new_dir):
    state_dir = new_dir()
    with Twin(binary, state_dir, *STEPPED) as t:
        p = t.ok("GET", "/api/v1/panel")
        assert list(p.keys()) == ["mode", "backlight", "turned", "software_version", "icons", "part1", "part2",
                                  "part3", "menu", "led", "s0"], "panel keys"
        assert (p["mode"], p["software_version"], p["part1"]["caption"], p["part1"]["value"]) == \
            ("normal", "1.02", "SN", "19020246"), "normal display"
        assert p["icons"] == {"tariff": 1, "bluetooth": False, "communication": False, "ct_ratio": "0005/5",
                              "import_arrow": False, "export_arrow": False}, "icons"
        assert (p["led"], p["s0"]) == ({"flashes": 0}, [{"pulses": 0}, {"pulses": 0}]), "led and s0"
        assert press(t, "star")["mode"] == "normal", "a short * does nothing"
        p = press(t, "star", long=True)
        assert (p["mode"], p["menu"]) == ("menu", menu("7.4", "Select", "Bluetooth", editing=True)), \
            "long * opens the selection"
        assert p["part2"]["value"] + p["part3"]["value"] == "", "menu mode: parts 2 and 3 empty"
        assert press(t, "right")["menu"] == menu("7.4", "Select", "Settings", editing=True), ">> Settings"
        assert press(t, "star")["menu"] == menu("7.6", "Password", "0000", cursor=0, editing=True), \
            "* asks the password"
        for digit in range(1, 4):
            assert press(t, "star")["menu"]["cursor"] == digit, f"password digit {digit}"
        assert press(t, "star")["menu"] == menu("7.6.1", "Password", "0000"), "right password"
        for _ in range(5):
            p = press(t, "right")
        assert p["menu"] == menu("7.6.6", "Modbus ID", "001"), "7.6.6"
        press(t, "star")
        press(t, "star")
        assert press(t, "star")["menu"] == menu("7.6.6", "Modbus ID", "001", cursor=2, editing=True), "third digit"
        for _ in range(4):
            p = press(t, "right")
        assert p["menu"]["value"] == "005", "typed 005"
        assert press(t, "star")["menu"] == menu("7.6.6", "Modbus ID", "005"), "confirmed"
        assert t.state()["settings"]["modbus_id"] == 5, "the meter took it"
        assert press(t, "star", long=True)["mode"] == "normal", "another long * closes the menu"
        assert t.terminate() == 0, "clean exit"
    with Twin(binary, state_dir, *STEPPED) as t:
        assert t.state()["settings"]["modbus_id"] == 5, "the panel's change was saved"
        assert t.ok("GET", "/api/v1/panel")["mode"] == "normal", "power-up resets the panel"


@pytest.mark.parametrize("body", [{}, {"button": "up"}, {"button": "star", "long": "yes"},
                                  {"button": "star", "x": 1}, {"button": 1}], ids=json.dumps)
def test_bad_press(stepped_twin, body):
    assert stepped_twin.post("/api/v1/panel/press", body)[0] == 400, f"bad press {body}"


def test_press_is_post_only(stepped_twin):
    assert stepped_twin.get("/api/v1/panel/press")[0] == 405, "GET on press"


def test_panel_power(stepped_twin):
    t = stepped_twin
    press(t, "star", long=True)
    t.ok("POST", "/api/v1/power", {"on": False})
    assert t.ok("GET", "/api/v1/panel")["mode"] == "off", "no supply: dark"
    assert press(t, "star", long=True)["mode"] == "off", "a press without supply"
    t.ok("POST", "/api/v1/power", {"on": True})
    assert t.ok("GET", "/api/v1/panel")["mode"] == "normal", "power-up: normal display"
    press(t, "star", long=True)
    t.ok("POST", "/api/v1/power-cycle", {})
    assert t.ok("GET", "/api/v1/panel")["mode"] == "normal", "power-cycle resets the panel"
    t.set_load({"L1": {"v": 230, "i": 10, "phi": 0}, "L2": {"i": 0}, "L3": {"i": 0}})
    t.advance(3600)
    time.sleep(1.2)  # the LED shows at most 10 flashes a second, 10 at most owed
    p = t.ok("GET", "/api/v1/panel")
    assert 1 <= p["led"]["flashes"] <= 10, f"the LED flashed: {p['led']}"
    s0 = t.state()["s0"]
    assert [o["pulses"] for o in p["s0"]] == [o["emitted"] for o in s0], "S0 pulses as emitted"
    assert p["icons"]["import_arrow"], f"import arrow: {p['icons']}"


APP_SETTINGS = "/api/v1/app/settings"
APP_RESET = "/api/v1/app/reset"


def test_app_needs_bluetooth(stepped_twin):
    t = stepped_twin
    status, body = t.put(APP_SETTINGS, {"password": "0000", "settings": {"modbus_id": 7}})
    assert (status, body.get("error")) == (409, "Bluetooth is off: activate it in the meter's menu (7.5) or "
                                                "start with --bluetooth"), "Bluetooth off"
    assert t.state()["settings"]["modbus_id"] == 1, "nothing changed"
    pdc = t.state()["status"]["power_down_counter"]
    status, body = t.post(APP_RESET, {"password": "0000", "what": "power_down_counter"})
    assert (status, body.get("error", "")[:17]) == (409, "Bluetooth is off:"), "app reset with Bluetooth off"
    assert t.state()["status"]["power_down_counter"] == pdc, "counter kept"
    press(t, "star", long=True)
    p = press(t, "star")
    assert (p["menu"]["section"], p["icons"]["bluetooth"]) == ("7.5", True), "Bluetooth page"
    assert "bluetooth_active" in t.state()["status"]["status_bits"], "Bluetooth in the status word"
    status, body = t.put(APP_SETTINGS, {"password": "0000", "settings": {"modbus_id": 7}})
    assert (status, body.get("settings", {}).get("modbus_id")) == (200, 7), "accepted once Bluetooth is on"
    status, body = t.post(APP_RESET, {"password": "0000", "what": "power_down_counter"})
    assert (status, body.get("power_down_counter")) == (200, 0), "app reset once Bluetooth is on"
    assert t.post(APP_RESET, {"password": "1234", "what": "trip_counter"})[0] == 403, "wrong password"


def test_settings_schema(binary, tmp_path):
    """GET /api/v1/settings/schema: the form of the app's settings, as docs/settings-schema.json
    documents it; every choice's value is one PUT /api/v1/settings takes and shows again."""
    with Twin(binary, str(tmp_path / "state"), *STEPPED) as t:
        schema = t.ok("GET", "/api/v1/settings/schema")
        assert schema == json.loads(read_file(os.path.join(ROOT, "docs", "settings-schema.json"))), "the docs copy"
        assert t.ready["endpoints"]["settings_schema"] == "GET /api/v1/settings/schema"
        keys = [row["key"] for row in schema]
        assert keys == list(t.state()["settings"].keys()), "one row per setting of the state, in its order"
        parity = next(row for row in schema if row["key"] == "parity")
        for choice in parity["choices"]:
            answer = t.ok("PUT", "/api/v1/settings", {"password": "0000", "settings": {"parity": choice["value"]}})
            assert answer["settings"]["parity"] == choice["value"]


def test_app_settings_with_bluetooth(binary, tmp_path):
    with Twin(binary, str(tmp_path / "state"), *STEPPED, "--bluetooth") as t:
        def put(password, settings):
            return t.put(APP_SETTINGS, {"password": password, "settings": settings})

        assert put("1234", {"modbus_id": 9})[0] == 403, "wrong password"
        assert t.put(APP_SETTINGS, {"settings": {"modbus_id": 9}})[0] == 403, "missing password"
        status, body = put("0000", {"modbus_id": 300})
        assert (status, body.get("error")) == (422, "set Modbus ID: Modbus ID 300 out of range 1-247"), \
            "out of range"
        status, body = put("0000", {"modbus_id": 9, "ct_ratio": "500/5", "backlight": "on"})
        assert status == 200, f"saved: {body}"
        assert body["settings"] == t.state()["settings"], "answer as PUT /api/v1/settings"
        assert put("0000", {"combination": "C-05"})[0] == 200, "C-05"
        assert put("0000", {"combination": "C-04"})[0] == 409, "C-05 is final"
        assert t.ready["endpoints"]["app_settings"] == "PUT /api/v1/app/settings", "app settings in the ready line"
        assert t.ready["endpoints"]["app_reset"] == "POST /api/v1/app/reset", "app reset in the ready line"


# GET /api/v1/state path of each instantaneous row of the export.
INSTANT_ROWS = {
    "Voltage*": None, "Current*": None, "Grid frequency": ("hz",),
    "Total active power": ("total", "p_kw"), "Total reactive power": ("total", "q_kvar"),
    "Total apparent power": ("total", "s_kva"), "Power factor": ("total", "pf"),
    "L1-L2 Voltage": ("line_voltages", "l1_l2"), "L1-L3 Voltage": ("line_voltages", "l1_l3"),
    "L2-L3 Voltage": ("line_voltages", "l2_l3"),
}
for _phase in ("L1", "L2", "L3"):
    INSTANT_ROWS.update({f"{_phase} Voltage": (_phase, "v"), f"{_phase} Current": (_phase, "i"),
                         f"{_phase} Active power": (_phase, "p_kw"),
                         f"{_phase} Reactive power": (_phase, "q_kvar"),
                         f"{_phase} Apparent power": (_phase, "s_kva"),
                         f"{_phase} Power factor": (_phase, "pf")})
DECIMALS = {"V": 2, "Hz": 2, "A": 3, "kW": 3, "kvar": 3, "kVA": 3, "": 3, "kWh": 3, "kvarh": 3}


@pytest.fixture(scope="module")
def export(binary, tmp_path_factory):
    """The app's CSV export of a twin with an uneven load after 5000 s: (state, status,
    headers, rows), read once for the export tests."""
    with Twin(binary, str(tmp_path_factory.mktemp("export") / "state"), *STEPPED, "--serial", "12345678") as t:
        t.set_load({"L1": {"v": 231.27, "i": 10.3333, "phi": 25}, "L2": {"v": 229.9, "i": 4.5, "phi": 180},
                    "L3": {"v": 230.5, "i": 1.25, "phi": -60}, "f": 49.98})
        t.advance(5000)
        state = t.state()
        status, headers, body = fetch(t, "/api/v1/app/export.csv")
    return state, status, headers, list(csv.reader(io.StringIO(body.decode(), newline="")))


def test_export_file(export):
    state, status, headers, rows = export
    assert (status, headers.get("content-type")) == (200, "text/csv; charset=utf-8"), "status and type"
    assert headers.get("content-disposition") == 'attachment; filename="ambition-12345678.csv"', "file name"
    assert rows[0] == ["description", "value", "unit"], "header"
    energy, instant = rows[1:73], rows[73:]
    assert (len(energy), len(instant)) == (72, 28), "row count: 72 energy + 28 instantaneous"
    assert [r[0] for r in energy[:7]] == ["Total active energy", "T1 Total active energy", "T2 Total active energy",
                                          "L1 Total active energy", "L2 Total active energy",
                                          "L3 Total active energy", "Forward active energy"], \
        "first energy rows as the app lists them"
    names = list(state["energy"].keys())
    assert state["energy"]["forward_active_kwh"] > 3, "energy was counted"
    assert energy[names.index("trip_kwh")][0] == "Resettable day counter", "trip row"
    assert energy[names.index("q2_t1_kvarh")][0] == "Exp. capacitive reactive energy in Q2 (T1)", "Q2 row"
    assert sorted(r[0] for r in instant) == sorted(INSTANT_ROWS), "instantaneous rows"


def test_export_energy_rows(export):
    """The 72 energy rows in the order of GET /api/v1/state's energy, in kWh or kvarh, 3 decimals."""
    state, _, _, rows = export
    names = list(state["energy"].keys())
    for (description, value, unit), name in zip(rows[1:73], names):
        assert float(value) == state["energy"][name], f"{description} = {name}"
        assert unit == ("kvarh" if name.endswith("kvarh") else "kWh"), f"{description} unit"
        assert len(value.split(".")[1]) == 3, f"{description} has 3 decimals"


@pytest.mark.parametrize("description", sorted(INSTANT_ROWS))
def test_export_instant_row(export, description):
    """An instantaneous row has its unit's decimals and agrees with the state."""
    state, _, _, rows = export
    found = [r for r in rows[73:] if r[0] == description]
    assert found, f"no row {description}"
    for _, value, unit in found:
        path = INSTANT_ROWS[description]
        m = state["measurement"]
        expected = 0.0 if path is None else m[path[0]] if len(path) == 1 else m[path[0]][path[1]]
        places = DECIMALS[unit]
        assert len(value.split(".")[1]) == places, f"{description} decimals"
        assert abs(float(value) - expected) <= 0.5 * 10 ** -places + 1e-9, \
            f"{description} agrees with the state: {value} vs {expected}"


def part3_page(t, caption, label):
    """Steps LCD part 3 with >> until the page `caption` / `label`; its panel line."""
    for _ in range(60):
        line = t.ok("GET", "/api/v1/panel")["part3"]
        if (line["caption"], line["label"]) == (caption, label):
            return line
        press(t, "right")
    raise AssertionError(f"no part-3 page {caption} {label}")


def csv_rows(t):
    body = fetch(t, "/api/v1/app/export.csv")[2].decode()
    return {row[0]: row[1] for row in csv.reader(io.StringIO(body, newline=""))}


def test_every_face_agrees_on_whole_wh(stepped_twin):
    """1866.025 Wh forward, 2000 Wh reverse: the LCD, the API and the app's CSV all show
    1.866, 2.000 and a total of 1.866 − 2.000 = −0.134 (7.6.15), never the −0.133 cut
    from the unrounded difference."""
    t = stepped_twin
    t.set_load({"L1": {"v": 250, "i": 4, "phi": 0}, "L2": {"i": 0}, "L3": {"i": 0}})
    t.advance(6717.69)
    t.set_load({"L1": {"v": 250, "i": 4, "phi": 180}})
    t.advance(7200)
    e = t.state()["energy"]
    assert (e["forward_active_kwh"], e["reverse_active_kwh"], e["total_active_kwh"], e["l1_total_active_kwh"],
            e["trip_kwh"]) == (1.866, 2.0, -0.134, -0.134, -0.134), "API"
    rows = csv_rows(t)
    assert (rows["Forward active energy"], rows["Reverse active energy"], rows["Total active energy"],
            rows["L1 Total active energy"], rows["Resettable day counter"]) == \
        ("1.866", "2.000", "-0.134", "-0.134", "-0.134"), "CSV"
    assert (t.ok("GET", "/api/v1/panel")["part2"]["obis"], t.ok("GET", "/api/v1/panel")["part2"]["value"]) == \
        ("1.8.1", "000001.866"), "LCD part 2: 1.8.1"
    assert part3_page(t, "C-04", "Total")["value"] == "-000000.134", "LCD part 3: C-04 total"
    assert part3_page(t, "C-04", "L1")["value"] == "-000000.134", "LCD part 3: C-04 L1"
    assert part3_page(t, "Trip", "Total")["value"] == "-000000.134", "LCD part 3: trip"
    for code, want in (("C-01", "000001.866"), ("C-02", "-000002.000"), ("C-03", "000003.866")):
        t.ok("PUT", "/api/v1/settings", {"password": "0000", "settings": {"combination": code}})
        assert part3_page(t, code, "Total")["value"] == want, f"LCD part 3: {code} total"
        assert t.state()["energy"]["total_active_kwh"] == float(want), f"API: {code} total"


def test_quadrant_registers_say_what_they_hold(stepped_twin):
    """IEC numbering (4017-401A): Q2 is P < 0, Q > 0 (export, capacitive), Q4 is P > 0, Q < 0
    (import, capacitive); the app's rows name them so (the manual's 606D/6081 labels are
    swapped, docs/spec-decisions.md)."""
    t = stepped_twin
    for phi, quadrant, row, key in ((-30, 4, "Imp. capacitive reactive energy in Q4 (total)", "q4_total_kvarh"),
                                    (150, 2, "Exp. capacitive reactive energy in Q2 (total)", "q2_total_kvarh")):
        t.set_load({"L1": {"v": 230, "i": 10, "phi": phi}, "L2": {"i": 0}, "L3": {"i": 0}})
        t.advance(3600)
        s = t.state()
        assert s["measurement"]["total"]["quadrant"] == quadrant, f"phi {phi}: API quadrant"
        assert part3_page(t, "Quad", "Total")["value"] == str(quadrant), f"phi {phi}: LCD quadrant"
        assert s["energy"][key] == 1.15, f"phi {phi}: 1.15 kvarh in {key} (API)"
        assert csv_rows(t)[row] == "1.150", f"phi {phi}: the CSV row {row}"
    rows = csv_rows(t)
    assert (rows["Imp. inductive reactive energy in Q1 (total)"],
            rows["Exp. inductive reactive energy in Q3 (total)"]) == ("0.000", "0.000"), "nothing in Q1 and Q3"


def test_clock_speed(binary, tmp_path):
    with Twin(binary, str(tmp_path / "state")) as t:
        answer = t.ok("PUT", "/api/v1/clock", {"speed": 600})
        assert (list(answer.keys()), answer["time"]["clock"], answer["time"]["speed"]) == \
            (["time"], "real", 600.0), "answer"
        before = answer["time"]["sim_ms"]
        time.sleep(0.5)
        elapsed = t.state()["time"]["sim_ms"] - before
        assert 250_000 <= elapsed <= 2_000_000, "600 s per second"
        assert t.state()["time"]["speed"] == 600.0, "state shows the speed"
        t.ok("PUT", "/api/v1/clock", {"speed": 1})
        at = t.state()["time"]["sim_ms"]
        assert at >= before + elapsed, "time kept when slowing down"
        assert t.put("/api/v1/clock", {"speed": 100000})[0] == 200, "most speed"


@pytest.mark.parametrize("body", [{"speed": 0}, {"speed": -1}, {"speed": 100001}, {"speed": "fast"}, {}],
                         ids=json.dumps)
def test_clock_speed_refused(binary, tmp_path, body):
    """Speeds out of 1-100000, not a number, or missing: 422."""
    with Twin(binary, str(tmp_path / "state")) as t:
        assert t.put("/api/v1/clock", body)[0] == 422, f"speed {body}"


def test_clock_speed_with_a_stepped_clock(stepped_twin):
    status, body = stepped_twin.put("/api/v1/clock", {"speed": 10})
    assert status == 409 and "stepped" in body.get("error", ""), f"stepped clock: 409: {body}"


def load_is(amps):
    return lambda data: data["state"]["load"]["L1"]["i"] == amps


def test_events(stepped_twin):
    t = stepped_twin
    started = time.monotonic()
    a = EventClient(t)
    b = None
    try:
        assert (a.status, a.headers.get("content-type"), a.headers.get("cache-control")) == \
            (200, "text/event-stream", "no-cache"), "stream head"
        first = a.next_event(1.0)
        assert first is not None and time.monotonic() - started < 1.0, f"first event at once: {first}"
        name, data = first
        assert (name, list(data.keys())) == ("state", ["state", "panel", "app"]), "event name and members"
        csv_rows = list(csv.reader(io.StringIO(fetch(t, "/api/v1/app/export.csv")[2].decode(), newline="")))[1:]
        app_rows = [[r["description"], r["value"], r["unit"]] for r in data["app"]["energy"] + data["app"]["instant"]]
        assert [r[0] for r in app_rows] == [r[0] for r in csv_rows], \
            "the event's app rows are the CSV's (same descriptions, order and units)"
        assert list(data["state"].keys()) == list(t.state().keys()), "state as GET /api/v1/state"
        assert data["panel"] == t.ok("GET", "/api/v1/panel"), "panel as GET /api/v1/panel"
        b = EventClient(t)
        assert b.next_event(1.0) is not None, "second stream's first event"
        sent = time.monotonic()
        t.set_load({"L1": {"i": 12.5}})
        got_a = a.wait_for(load_is(12.5), 1.0)
        assert got_a is not None and time.monotonic() - sent < 1.0, "stream A sees the new load within 1 s"
        assert b.wait_for(load_is(12.5), 1.0) is not None, "stream B sees the new load"
        press(t, "star", long=True)
        assert a.wait_for(lambda d: d["panel"]["mode"] == "menu", 1.0) is not None, "a press is seen at once"
        count, deadline = 0, time.monotonic() + 1.0
        while time.monotonic() < deadline and a.next_event(deadline - time.monotonic()) is not None:
            count += 1
        assert 3 <= count <= 6, f"about 4 events a second while idle: {count}"
    finally:
        a.close()
        if b is not None:
            b.close()


def test_event_stream_limits(stepped_twin):
    t = stepped_twin
    streams = []
    try:
        streams += [EventClient(t) for _ in range(16)]
        assert all(s.status == 200 and s.next_event(2.0) for s in streams), "16 streams"
        extra = EventClient(t)
        extra.close()
        assert extra.status == 503, "17th stream"
        streams.pop().close()
        replacement = None
        for _ in range(20):  # the server forgets a closed stream as soon as it sees the close
            replacement = EventClient(t)
            if replacement.status == 200:
                break
            replacement.close()
            time.sleep(0.05)
        streams.append(replacement)
        assert replacement.status == 200, "room again after a close"
        assert t.get("/api/v1/state")[0] == 200, "the API still answers"
        started = time.monotonic()
        code = t.terminate()
        took = time.monotonic() - started
        assert code == 0 and took < 2.0, f"SIGTERM with 16 open streams exits within 2 s: exit {code}, {took:.2f} s"
        assert all(s.closed_by_server(1.0) for s in streams), "streams closed"
    finally:
        for s in streams:
            s.close()
