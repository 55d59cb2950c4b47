"""End-to-end tests of what the web page uses (docs/control-api.md "The web page"): the
embedded files, the front panel, the Meter Manager app's settings and export, the clock
speed, and the event stream.

Usage: /usr/bin/python3 tests/e2e/test_web_api.py PATH_TO_ambimeter
"""

import csv
import http.client
import io
import json
import os
import socket
import sys
import tempfile
import time
import urllib.parse

sys.dont_write_bytecode = True
from twin import Checks, Twin, binary_from_argv  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WEB = os.path.join(ROOT, "web")
UPLOT = os.path.join(WEB, "node_modules", "uplot", "dist")
STEPPED = ("--clock", "stepped")
TIMEOUT_S = 10.0


def new_dir(tmp):
    return tempfile.mkdtemp(dir=tmp)


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


def same_bytes(c, name, served, path):
    """Checks that a served file is the source file (a short message: the files are long)."""
    source = read_file(path)
    c.check(name, served == source, f"served {len(served)} bytes, {path} has {len(source)} "
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


def test_page_and_assets(c, binary, tmp):
    with Twin(binary, new_dir(tmp), *STEPPED) as t:
        status, headers, body = fetch(t, "/")
        c.equal("GET / status", status, 200)
        c.equal("GET / type", headers.get("content-type"), "text/html; charset=utf-8")
        c.check("GET / is an html page", b"<html" in body.lower(), body[:80])
        same_bytes(c, "GET / is web/index.html", body, os.path.join(WEB, "index.html"))
        for name, ctype in [("app.js", "text/javascript; charset=utf-8"),
                            ("style.css", "text/css; charset=utf-8")]:
            status, headers, body = fetch(t, "/assets/" + name)
            c.equal(f"{name} status and type", (status, headers.get("content-type")), (200, ctype))
            same_bytes(c, f"{name} is web/{name}", body, os.path.join(WEB, name))
        for served, source, ctype in [
                ("vendor/uplot.iife.min.js", "uPlot.iife.min.js", "text/javascript; charset=utf-8"),
                ("vendor/uPlot.iife.min.js", "uPlot.iife.min.js", "text/javascript; charset=utf-8"),
                ("vendor/uplot.min.css", "uPlot.min.css", "text/css; charset=utf-8"),
                ("vendor/uPlot.min.css", "uPlot.min.css", "text/css; charset=utf-8")]:
            status, headers, body = fetch(t, "/assets/" + served)
            c.equal(f"{served} status and type", (status, headers.get("content-type")), (200, ctype))
            same_bytes(c, f"{served} is the npm package's {source}", body, os.path.join(UPLOT, source))
        status, headers, body = fetch(t, "/assets/nothing.js")
        c.equal("unknown asset", (status, headers.get("content-type")), (404, "application/json"))
        c.check("404 names the file", "nothing.js" in json.loads(body)["error"], body)
        c.equal("no directory escape", fetch(t, "/assets/../CMakeLists.txt")[0], 404)
        status, headers, _ = fetch(t, "/assets/app.js", "PUT", {})
        c.equal("PUT on an asset", (status, headers.get("allow")), (405, "GET"))
        c.equal("POST /", fetch(t, "/", "POST", {})[0], 405)
        c.equal("ready line lists the page", t.ready["endpoints"]["page"], "GET /")


def test_panel_presses(c, binary, tmp):
    state_dir = new_dir(tmp)
    with Twin(binary, state_dir, *STEPPED) as t:
        p = t.ok("GET", "/api/v1/panel")
        c.equal("panel keys", list(p.keys()),
                ["mode", "backlight", "turned", "software_version", "icons", "part1", "part2",
                 "part3", "menu", "led", "s0"])
        c.equal("normal display", (p["mode"], p["software_version"], p["part1"]["caption"],
                                   p["part1"]["value"]), ("normal", "1.02", "SN", "19020246"))
        c.equal("icons", p["icons"], {"tariff": 1, "bluetooth": False, "communication": False,
                                      "ct_ratio": "0005/5", "import_arrow": False,
                                      "export_arrow": False})
        c.equal("led and s0", (p["led"], p["s0"]), ({"flashes": 0}, [{"pulses": 0}, {"pulses": 0}]))
        c.equal("a short * does nothing", press(t, "star")["mode"], "normal")
        p = press(t, "star", long=True)
        c.equal("long * opens the selection", (p["mode"], p["menu"]),
                ("menu", menu("7.4", "Select", "Bluetooth", editing=True)))
        c.equal("menu mode: parts 2 and 3 empty", p["part2"]["value"] + p["part3"]["value"], "")
        c.equal(">> Settings", press(t, "right")["menu"], menu("7.4", "Select", "Settings", editing=True))
        c.equal("* asks the password", press(t, "star")["menu"],
                menu("7.6", "Password", "0000", cursor=0, editing=True))
        for digit in range(1, 4):
            c.equal(f"password digit {digit}", press(t, "star")["menu"]["cursor"], digit)
        c.equal("right password", press(t, "star")["menu"], menu("7.6.1", "Password", "0000"))
        for _ in range(5):
            p = press(t, "right")
        c.equal("7.6.6", p["menu"], menu("7.6.6", "Modbus ID", "001"))
        press(t, "star")
        press(t, "star")
        c.equal("third digit", press(t, "star")["menu"], menu("7.6.6", "Modbus ID", "001", cursor=2, editing=True))
        for _ in range(4):
            p = press(t, "right")
        c.equal("typed 005", p["menu"]["value"], "005")
        c.equal("confirmed", press(t, "star")["menu"], menu("7.6.6", "Modbus ID", "005"))
        c.equal("the meter took it", t.state()["settings"]["modbus_id"], 5)
        c.equal("another long * closes the menu", press(t, "star", long=True)["mode"], "normal")
        for body in [{}, {"button": "up"}, {"button": "star", "long": "yes"}, {"button": "star", "x": 1},
                     {"button": 1}]:
            c.equal(f"bad press {body}", t.post("/api/v1/panel/press", body)[0], 400)
        c.equal("GET on press", t.get("/api/v1/panel/press")[0], 405)
        c.equal("clean exit", t.terminate(), 0)
    with Twin(binary, state_dir, *STEPPED) as t:
        c.equal("the panel's change was saved", t.state()["settings"]["modbus_id"], 5)
        c.equal("power-up resets the panel", t.ok("GET", "/api/v1/panel")["mode"], "normal")


def test_panel_power(c, binary, tmp):
    with Twin(binary, new_dir(tmp), *STEPPED) as t:
        press(t, "star", long=True)
        t.ok("POST", "/api/v1/power", {"on": False})
        c.equal("no supply: dark", t.ok("GET", "/api/v1/panel")["mode"], "off")
        c.equal("a press without supply", press(t, "star", long=True)["mode"], "off")
        t.ok("POST", "/api/v1/power", {"on": True})
        c.equal("power-up: normal display", t.ok("GET", "/api/v1/panel")["mode"], "normal")
        press(t, "star", long=True)
        t.ok("POST", "/api/v1/power-cycle", {})
        c.equal("power-cycle resets the panel", t.ok("GET", "/api/v1/panel")["mode"], "normal")
        t.set_load({"L1": {"v": 230, "i": 10, "phi": 0}, "L2": {"i": 0}, "L3": {"i": 0}})
        t.advance(3600)
        time.sleep(1.2)  # the LED shows at most 10 flashes a second, 10 at most owed
        p = t.ok("GET", "/api/v1/panel")
        c.check("the LED flashed", 1 <= p["led"]["flashes"] <= 10, p["led"])
        s0 = t.state()["s0"]
        c.equal("S0 pulses as emitted", [o["pulses"] for o in p["s0"]], [o["emitted"] for o in s0])
        c.check("import arrow", p["icons"]["import_arrow"], p["icons"])


APP_SETTINGS = "/api/v1/app/settings"
APP_RESET = "/api/v1/app/reset"


def test_app_settings(c, binary, tmp):
    with Twin(binary, new_dir(tmp), *STEPPED) as t:
        status, body = t.put(APP_SETTINGS, {"password": "0000", "settings": {"modbus_id": 7}})
        c.equal("Bluetooth off", (status, body.get("error")), (409, "Bluetooth is off: activate it in the "
                "meter's menu (7.5) or start with --bluetooth"))
        c.equal("nothing changed", t.state()["settings"]["modbus_id"], 1)
        pdc = t.state()["status"]["power_down_counter"]
        status, body = t.post(APP_RESET, {"password": "0000", "what": "power_down_counter"})
        c.equal("app reset with Bluetooth off", (status, body.get("error", "")[:17]), (409, "Bluetooth is off:"))
        c.equal("counter kept", t.state()["status"]["power_down_counter"], pdc)
        press(t, "star", long=True)
        p = press(t, "star")
        c.equal("Bluetooth page", (p["menu"]["section"], p["icons"]["bluetooth"]), ("7.5", True))
        c.check("Bluetooth in the status word", "bluetooth_active" in t.state()["status"]["status_bits"],
                t.state()["status"])
        status, body = t.put(APP_SETTINGS, {"password": "0000", "settings": {"modbus_id": 7}})
        c.equal("accepted once Bluetooth is on", (status, body.get("settings", {}).get("modbus_id")), (200, 7))
        status, body = t.post(APP_RESET, {"password": "0000", "what": "power_down_counter"})
        c.equal("app reset once Bluetooth is on", (status, body.get("power_down_counter")), (200, 0))
        c.equal("wrong password", t.post(APP_RESET, {"password": "1234", "what": "trip_counter"})[0], 403)
    with Twin(binary, new_dir(tmp), *STEPPED, "--bluetooth") as t:
        put = lambda password, settings: t.put(APP_SETTINGS, {"password": password, "settings": settings})
        c.equal("wrong password", put("1234", {"modbus_id": 9})[0], 403)
        c.equal("missing password", t.put(APP_SETTINGS, {"settings": {"modbus_id": 9}})[0], 403)
        status, body = put("0000", {"modbus_id": 300})
        c.equal("out of range", (status, body.get("error")),
                (422, "set Modbus ID: Modbus ID 300 out of range 1-247"))
        status, body = put("0000", {"modbus_id": 9, "ct_ratio": "500/5", "backlight": "on"})
        c.equal("saved", status, 200)
        c.equal("answer as PUT /api/v1/settings", body["settings"], t.state()["settings"])
        c.equal("C-05", put("0000", {"combination": "C-05"})[0], 200)
        c.equal("C-05 is final", put("0000", {"combination": "C-04"})[0], 409)
        c.equal("app settings in the ready line", t.ready["endpoints"]["app_settings"],
                "PUT /api/v1/app/settings")
        c.equal("app reset in the ready line", t.ready["endpoints"]["app_reset"], "POST /api/v1/app/reset")


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


def test_export(c, binary, tmp):
    with Twin(binary, new_dir(tmp), *STEPPED, "--serial", "12345678") as t:
        t.set_load({"L1": {"v": 231.27, "i": 10.3333, "phi": 25}, "L2": {"v": 229.9, "i": 4.5, "phi": 180},
                    "L3": {"v": 230.5, "i": 1.25, "phi": -60}, "f": 49.98})
        t.advance(5000)
        state = t.state()
        status, headers, body = fetch(t, "/api/v1/app/export.csv")
        c.equal("status and type", (status, headers.get("content-type")), (200, "text/csv; charset=utf-8"))
        c.equal("file name", headers.get("content-disposition"), 'attachment; filename="ambition-12345678.csv"')
        rows = list(csv.reader(io.StringIO(body.decode(), newline="")))
        c.equal("header", rows[0], ["description", "value", "unit"])
        energy, instant = rows[1:73], rows[73:]
        c.equal("row count: 72 energy + 28 instantaneous", (len(energy), len(instant)), (72, 28))
        c.equal("first energy rows as the app lists them", [r[0] for r in energy[:7]],
                ["Total active energy", "T1 Total active energy", "T2 Total active energy",
                 "L1 Total active energy", "L2 Total active energy", "L3 Total active energy",
                 "Forward active energy"])
        names = list(state["energy"].keys())
        for (description, value, unit), name in zip(energy, names):
            c.equal(f"{description} = {name}", float(value), state["energy"][name])
            c.equal(f"{description} unit", unit, "kvarh" if name.endswith("kvarh") else "kWh")
            c.equal(f"{description} has 3 decimals", len(value.split(".")[1]), 3)
        c.check("energy was counted", state["energy"]["forward_active_kwh"] > 3, state["energy"])
        c.equal("trip row", energy[names.index("trip_kwh")][0], "Resettable day counter")
        c.equal("Q2 row", energy[names.index("q2_t1_kvarh")][0], "Exp. capacitive reactive energy in Q2 (T1)")
        c.equal("instantaneous rows", sorted(r[0] for r in instant), sorted(INSTANT_ROWS))
        m = state["measurement"]
        for description, value, unit in instant:
            path = INSTANT_ROWS.get(description)
            expected = 0.0 if path is None else m[path[0]] if len(path) == 1 else m[path[0]][path[1]]
            places = DECIMALS[unit]
            c.equal(f"{description} decimals", len(value.split(".")[1]), places)
            c.check(f"{description} agrees with the state", abs(float(value) - expected) <= 0.5 * 10 ** -places
                    + 1e-9, (value, expected))


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


def test_every_face_agrees_on_whole_wh(c, binary, tmp):
    """1866.025 Wh forward, 2000 Wh reverse: the LCD, the API and the app's CSV all show
    1.866, 2.000 and a total of 1.866 − 2.000 = −0.134 (7.6.15), never the −0.133 cut
    from the unrounded difference."""
    with Twin(binary, new_dir(tmp), *STEPPED) as t:
        t.set_load({"L1": {"v": 250, "i": 4, "phi": 0}, "L2": {"i": 0}, "L3": {"i": 0}})
        t.advance(6717.69)
        t.set_load({"L1": {"v": 250, "i": 4, "phi": 180}})
        t.advance(7200)
        e = t.state()["energy"]
        c.equal("API", (e["forward_active_kwh"], e["reverse_active_kwh"], e["total_active_kwh"],
                        e["l1_total_active_kwh"], e["trip_kwh"]), (1.866, 2.0, -0.134, -0.134, -0.134))
        rows = csv_rows(t)
        c.equal("CSV", (rows["Forward active energy"], rows["Reverse active energy"], rows["Total active energy"],
                        rows["L1 Total active energy"], rows["Resettable day counter"]),
                ("1.866", "2.000", "-0.134", "-0.134", "-0.134"))
        c.equal("LCD part 2: 1.8.1", (t.ok("GET", "/api/v1/panel")["part2"]["obis"],
                                      t.ok("GET", "/api/v1/panel")["part2"]["value"]), ("1.8.1", "000001.866"))
        c.equal("LCD part 3: C-04 total", part3_page(t, "C-04", "Total")["value"], "-000000.134")
        c.equal("LCD part 3: C-04 L1", part3_page(t, "C-04", "L1")["value"], "-000000.134")
        c.equal("LCD part 3: trip", part3_page(t, "Trip", "Total")["value"], "-000000.134")
        for code, want in (("C-01", "000001.866"), ("C-02", "-000002.000"), ("C-03", "000003.866")):
            t.ok("PUT", "/api/v1/settings", {"password": "0000", "settings": {"combination": code}})
            c.equal(f"LCD part 3: {code} total", part3_page(t, code, "Total")["value"], want)
            c.equal(f"API: {code} total", t.state()["energy"]["total_active_kwh"], float(want))


def test_quadrant_registers_say_what_they_hold(c, binary, tmp):
    """IEC numbering (4017-401A): Q2 is P < 0, Q > 0 (export, capacitive), Q4 is P > 0, Q < 0
    (import, capacitive); the app's rows name them so (the manual's 606D/6081 labels are
    swapped, docs/spec-decisions.md)."""
    with Twin(binary, new_dir(tmp), *STEPPED) as t:
        for phi, quadrant, row, key in ((-30, 4, "Imp. capacitive reactive energy in Q4 (total)", "q4_total_kvarh"),
                                        (150, 2, "Exp. capacitive reactive energy in Q2 (total)", "q2_total_kvarh")):
            t.set_load({"L1": {"v": 230, "i": 10, "phi": phi}, "L2": {"i": 0}, "L3": {"i": 0}})
            t.advance(3600)
            s = t.state()
            c.equal(f"phi {phi}: API quadrant", s["measurement"]["total"]["quadrant"], quadrant)
            c.equal(f"phi {phi}: LCD quadrant", part3_page(t, "Quad", "Total")["value"], str(quadrant))
            c.equal(f"phi {phi}: 1.15 kvarh in {key} (API)", s["energy"][key], 1.15)
            c.equal(f"phi {phi}: the CSV row {row}", csv_rows(t)[row], "1.150")
        rows = csv_rows(t)
        c.equal("nothing in Q1 and Q3", (rows["Imp. inductive reactive energy in Q1 (total)"],
                                         rows["Exp. inductive reactive energy in Q3 (total)"]), ("0.000", "0.000"))


def test_clock_speed(c, binary, tmp):
    with Twin(binary, new_dir(tmp)) as t:
        answer = t.ok("PUT", "/api/v1/clock", {"speed": 600})
        c.equal("answer", (list(answer.keys()), answer["time"]["clock"], answer["time"]["speed"]),
                (["time"], "real", 600.0))
        before = answer["time"]["sim_ms"]
        time.sleep(0.5)
        elapsed = t.state()["time"]["sim_ms"] - before
        c.check("600 s per second", 250_000 <= elapsed <= 2_000_000, elapsed)
        c.equal("state shows the speed", t.state()["time"]["speed"], 600.0)
        t.ok("PUT", "/api/v1/clock", {"speed": 1})
        at = t.state()["time"]["sim_ms"]
        c.check("time kept when slowing down", at >= before + elapsed, (at, before, elapsed))
        for bad in [0, -1, 100001, "fast"]:
            c.equal(f"speed {bad!r}", t.put("/api/v1/clock", {"speed": bad})[0], 422)
        c.equal("missing speed", t.put("/api/v1/clock", {})[0], 422)
        c.equal("most speed", t.put("/api/v1/clock", {"speed": 100000})[0], 200)
    with Twin(binary, new_dir(tmp), *STEPPED) as t:
        status, body = t.put("/api/v1/clock", {"speed": 10})
        c.check("stepped clock: 409", status == 409 and "stepped" in body.get("error", ""), body)


def load_is(amps):
    return lambda data: data["state"]["load"]["L1"]["i"] == amps


def test_events(c, binary, tmp):
    with Twin(binary, new_dir(tmp), *STEPPED) as t:
        started = time.monotonic()
        a = EventClient(t)
        c.equal("stream head", (a.status, a.headers.get("content-type"), a.headers.get("cache-control")),
                (200, "text/event-stream", "no-cache"))
        first = a.next_event(1.0)
        c.check("first event at once", first is not None and time.monotonic() - started < 1.0, first)
        name, data = first
        c.equal("event name and members", (name, list(data.keys())), ("state", ["state", "panel", "app"]))
        csv_rows = list(csv.reader(io.StringIO(fetch(t, "/api/v1/app/export.csv")[2].decode(), newline="")))[1:]
        app_rows = [[r["description"], r["value"], r["unit"]] for r in data["app"]["energy"] + data["app"]["instant"]]
        c.equal("the event's app rows are the CSV's (same descriptions, order and units)",
                [r[0] for r in app_rows], [r[0] for r in csv_rows])
        c.equal("state as GET /api/v1/state", list(data["state"].keys()), list(t.state().keys()))
        c.equal("panel as GET /api/v1/panel", data["panel"], t.ok("GET", "/api/v1/panel"))
        b = EventClient(t)
        c.check("second stream's first event", b.next_event(1.0) is not None)
        sent = time.monotonic()
        t.set_load({"L1": {"i": 12.5}})
        got_a = a.wait_for(load_is(12.5), 1.0)
        c.check("stream A sees the new load within 1 s", got_a is not None and time.monotonic() - sent < 1.0)
        c.check("stream B sees the new load", b.wait_for(load_is(12.5), 1.0) is not None)
        press(t, "star", long=True)
        c.check("a press is seen at once",
                a.wait_for(lambda d: d["panel"]["mode"] == "menu", 1.0) is not None)
        count, deadline = 0, time.monotonic() + 1.0
        while time.monotonic() < deadline and a.next_event(deadline - time.monotonic()) is not None:
            count += 1
        c.check("about 4 events a second while idle", 3 <= count <= 6, count)
        a.close()
        b.close()


def test_event_stream_limits(c, binary, tmp):
    with Twin(binary, new_dir(tmp), *STEPPED) as t:
        streams = [EventClient(t) for _ in range(16)]
        c.check("16 streams", all(s.status == 200 and s.next_event(2.0) for s in streams))
        extra = EventClient(t)
        c.equal("17th stream", extra.status, 503)
        extra.close()
        streams.pop().close()
        replacement = None
        for _ in range(20):  # the server forgets a closed stream as soon as it sees the close
            replacement = EventClient(t)
            if replacement.status == 200:
                break
            replacement.close()
            time.sleep(0.05)
        c.equal("room again after a close", replacement.status, 200)
        streams.append(replacement)
        c.equal("the API still answers", t.get("/api/v1/state")[0], 200)
        started = time.monotonic()
        code = t.terminate()
        took = time.monotonic() - started
        c.check("SIGTERM with 16 open streams exits within 2 s", code == 0 and took < 2.0, (code, took))
        c.check("streams closed", all(s.closed_by_server(1.0) for s in streams))
        for s in streams:
            s.close()


def main():
    binary = binary_from_argv()
    c = Checks("e2e web api")
    with tempfile.TemporaryDirectory(prefix="ambimeter-e2e-web-") as tmp:
        for name, test in [(n, f) for n, f in globals().items() if n.startswith("test_")]:
            c.run(name, test, binary, tmp)
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
