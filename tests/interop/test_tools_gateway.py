"""The reader tools against a fleet's Modbus TCP gateways (docs/tools.md, docs/fleet.md):
`scan` lists all 247 meters behind a full gateway in seconds (exception 0B is "nobody there"
at once) and reports the gateway at unit 255; `read`, `watch` and `log` take a unit; `log
--units` records every meter behind a gateway, each row named by unit and serial, and a meter
that loses its supply leaves a gap of its own while the others are polled on.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_tools_gateway.py --binary=PATH_TO_ambimeter
"""

import csv
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time

import pytest

from interop import ModbusTwin, Twin, port_of
from tools import ambimeter

METERS = 300          # two gateways: 247 + 53
BASE_SERIAL = 19020246
LOAD = {"L1": {"v": 230, "i": 10, "phi": 0}, "L2": {"v": 230, "i": 10, "phi": 0},
        "L3": {"v": 230, "i": 10, "phi": 0}}
HEAVY = 260           # gateway 1, unit 14: L1 at 20 A


class FleetTwin(Twin):
    """A stepped fleet in a fresh folder (removed when killed), M-bus off."""

    def __init__(self, binary):
        self.tmp = tempfile.mkdtemp(prefix="ambi-tools-gw-")
        super().__init__(binary, os.path.join(self.tmp, "state"), "--clock", "stepped",
                         "--meters", str(METERS), "--mbus-tcp", "off")

    def start(self, timeout=60.0):
        super().start(timeout)
        self.gateways = [port_of(g["modbus_tcp"]) for g in self.ready["gateways"]]
        return self

    def kill(self):
        super().kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


def serial_of(index):
    return str(BASE_SERIAL + index)


def index_of(gateway, unit):
    return gateway * 247 + unit - 1


@pytest.fixture(scope="module")
def fleet(binary):
    with FleetTwin(binary) as twin:
        answer = twin.ok("PUT", "/api/v1/fleet/load", LOAD)
        assert answer["changed"] == METERS, answer
        heavy = dict(LOAD, L1={"v": 230, "i": 20, "phi": 0})
        twin.ok("PUT", f"/api/v1/meters/{serial_of(HEAVY)}/load", heavy)
        twin.advance(3600)
        settle(twin)
        yield twin


def settle(twin):
    """Waits out the save of the meters just changed: each --persist-interval (1 s) the fleet
    saves every changed meter (three fsynced files each), which holds its loop for seconds in
    a sanitizer build; a read with a long timeout returns once it is over."""
    time.sleep(1.5)
    code, _, err = ambimeter(twin.binary, "read", uri(twin, 0, "?unit=1&timeout=120s"),
                             "serial_number", timeout=150)
    assert code == 0, err


def uri(fleet, gateway, query=""):
    return f"tcp://127.0.0.1:{fleet.gateways[gateway]}{query}"


def power(fleet, index, on):
    fleet.ok("POST", f"/api/v1/meters/{serial_of(index)}/power", {"on": on})


def scan(binary, address, *args, timeout=60):
    started = time.monotonic()
    code, out, err = ambimeter(binary, "scan", address, "--quiet", *args, timeout=timeout)
    return code, out, err, time.monotonic() - started


def test_scan_lists_all_247_meters_of_a_full_gateway_in_seconds_and_the_gateway(fleet, binary):
    code, out, err, took = scan(binary, uri(fleet, 0), "--format", "json")
    assert code == 0, err
    # 247 probes: a timeout per unit would be 247 x 300 ms; 0B answers at once.
    assert took < 20, f"a full gateway within 20 s (sanitizer build): {took:.1f} s"
    found = json.loads(out)
    assert [m["unit"] for m in found["meters"]] == [str(u) for u in range(1, 248)]
    assert [m["serial_number"] for m in found["meters"]] == [serial_of(i) for i in range(247)]
    assert found["gateway"] == {"unit": 255, "device_type": 330, "hardware_version": "0x0100",
                                "firmware_version": "0x0100", "serial_number": serial_of(0),
                                "meters": 247, "units": [1, 247]}


def test_scan_asks_again_the_units_a_busy_gateway_left_unanswered(fleet, binary):
    # A change of every meter behind gateway 0: the fleet saves them all a second later,
    # holding its loop (and every gateway) for a while; the units probed meanwhile time out,
    # and are asked again at the end of the scan, with the full timeout.
    assert fleet.ok("PUT", "/api/v1/fleet/load?gateway=0", LOAD)["changed"] == 247
    time.sleep(0.4)  # the save comes within a second: let the scan run into it
    try:
        code, out, err, took = scan(binary, uri(fleet, 0), "--format", "json")
        assert code == 0, err
        found = json.loads(out)
        assert [m["unit"] for m in found["meters"]] == [str(u) for u in range(1, 248)], took
    finally:
        settle(fleet)


def test_scan_formats_name_the_gateway_and_skip_a_meter_without_supply(fleet, binary):
    power(fleet, index_of(1, 4), False)
    try:
        code, out, err, took = scan(binary, uri(fleet, 1))
        assert code == 0, err
        lines = out.splitlines()
        assert lines[0].split()[:2] == ["unit", "serial_number"]
        assert len(lines) == 1 + 52 + 1, "header, 52 meters, the gateway's line"
        assert lines[-1] == (f"unit 255: a gateway (device type 330, Inepro 0330), serial "
                             f"{serial_of(247)}, 53 meters at units 1-53")
        assert not any(line.split()[0] == "4" for line in lines[1:-1]), "unit 4 has no supply"
        code, out, err, _ = scan(binary, uri(fleet, 1), "--format", "csv")
        assert code == 0, err
        rows = list(csv.DictReader(io.StringIO(out)))
        assert len(rows) == 52 and rows[0]["serial_number"] == serial_of(247)
        assert "unit 4" not in out and "gateway" not in out, "the CSV holds the meters only"
        assert "unit 255: a gateway (device type 330" in err, err
        code, out, err, _ = scan(binary, uri(fleet, 1), "--format", "json", "--range", "50-60")
        assert code == 0, err
        found = json.loads(out)
        assert [m["unit"] for m in found["meters"]] == ["50", "51", "52", "53"]
        assert found["gateway"]["meters"] == 53
    finally:
        power(fleet, index_of(1, 4), True)


def test_scan_of_a_single_meter_reports_no_gateway(binary):
    with ModbusTwin(binary, pty=False, rtu_over_tcp=False) as twin:
        code, out, err, _ = scan(binary, f"tcp://127.0.0.1:{twin.tcp_port}", "--format", "json",
                                 "--range", "1-3")
        assert code == 0, err
        found = json.loads(out)
        assert [m["unit"] for m in found["meters"]] == ["1"] and "gateway" not in found
        code, out, err, _ = scan(binary, f"tcp://127.0.0.1:{twin.tcp_port}", "--range", "1-3")
        assert code == 0 and "gateway" not in out, out


def test_read_watch_and_log_take_a_unit_of_a_gateway(fleet, binary, tmp_path):
    for gateway, unit in ((0, 100), (0, 247), (1, 1), (1, 20), (1, 53)):
        code, out, err = ambimeter(binary, "read", uri(fleet, gateway, f"?unit={unit}"),
                                   "serial_number", "modbus_id", "--format", "json")
        assert code == 0, err
        values = json.loads(out)["values"]
        assert values["serial_number"]["text"] == serial_of(index_of(gateway, unit))
        assert values["modbus_id"]["value"] == unit
    code, out, err = ambimeter(binary, "read", uri(fleet, 1, "?unit=100"), "serial_number")
    assert code == 1 and "exception 0B" in err and len(err.strip().splitlines()) == 1, err
    code, out, err = ambimeter(binary, "watch", uri(fleet, 1, "?unit=14"), "--count", "1",
                               "--group", "identity,energy", "--interval", "100ms")
    assert code == 0, err
    assert serial_of(HEAVY) in out and "unit=14" in out, out
    db = str(tmp_path / "unit.sqlite")
    code, _, err = ambimeter(binary, "log", uri(fleet, 1, "?unit=14"), "--count", "2",
                             "--interval", "100ms", "--to", db)
    assert code == 0, err
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT meter, unit, ok FROM polls").fetchall() == \
            [(f"tcp://127.0.0.1:{fleet.gateways[1]}?unit=14", 14, 1)] * 2
        kwh = c.execute("SELECT value FROM readings WHERE name = 'total_active_kwh'").fetchall()
        assert kwh == [(pytest.approx(9.2, abs=1e-3),)] * 2, "that meter's own energy"


def wait_for(predicate, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except sqlite3.Error:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


def polls_of(db, unit, ok=None):
    with sqlite3.connect(db, timeout=2) as c:
        sql = "SELECT COUNT(*) FROM polls WHERE unit = ?" + ("" if ok is None else " AND ok = ?")
        return c.execute(sql, (unit,) if ok is None else (unit, ok)).fetchone()[0]


def test_log_of_a_gateway_records_each_meter_and_a_gap_for_the_one_without_supply(fleet, binary,
                                                                                 tmp_path):
    db = str(tmp_path / "gateway.sqlite")
    rounds = 15
    off = index_of(1, 4)
    proc = subprocess.Popen([binary, "log", uri(fleet, 1), "--units", "all", "--interval",
                             "400ms", "--count", str(rounds), "--to", db],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: polls_of(db, 53) >= 2, "two rounds before the power cut")
        power(fleet, off, False)
        wait_for(lambda: polls_of(db, 4, ok=0) >= 2, "two failed polls of unit 4")
        power(fleet, off, True)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        power(fleet, off, True)
    err = err.decode()
    assert proc.returncode == 0, err
    assert f"53 units (1-53) of {uri(fleet, 1)}" in err, err
    assert f"{rounds} rounds of 53 units: {rounds * 53} polls" in err and "1 gap" in err, err
    with sqlite3.connect(db) as c:
        rows = c.execute("SELECT unit, serial, meter, ok FROM polls ORDER BY id").fetchall()
        assert len(rows) == rounds * 53
        for unit, serial, meter, _ in rows:
            assert serial == serial_of(index_of(1, unit)), "each row names its meter"
            assert meter == uri(fleet, 1, f"?unit={unit}")
        failed = [(unit, serial) for unit, serial, _, ok in rows if not ok]
        assert failed and set(failed) == {(4, serial_of(off))}, "only unit 4 failed"
        oks = "".join("1" if ok else "0" for unit, _, _, ok in rows if unit == 4)
        assert oks.startswith("1") and oks.endswith("1") and oks.strip("1").count("1") == 0, \
            f"ok, one gap, ok again: {oks}"
        gaps = c.execute("SELECT unit, serial, polls, end_ms > start_ms, error FROM gaps").fetchall()
        assert len(gaps) == 1, gaps
        unit, serial, n, closed, error = gaps[0]
        assert (unit, serial, n, closed) == (4, serial_of(off), oks.count("0"), 1), gaps
        assert "exception 0B" in error, error
        heavy = c.execute("SELECT DISTINCT r.value FROM readings r JOIN polls p ON p.id = r.poll_id"
                          " WHERE r.name = 'total_active_kwh' AND p.serial = ?",
                          (serial_of(HEAVY),)).fetchall()
        other = c.execute("SELECT DISTINCT r.value FROM readings r JOIN polls p ON p.id = r.poll_id"
                          " WHERE r.name = 'total_active_kwh' AND p.unit = 15").fetchall()
        assert heavy == [(pytest.approx(9.2, abs=1e-3),)] and other == [(pytest.approx(6.9, abs=1e-3),)]
        names = {r[0] for r in c.execute("SELECT DISTINCT name FROM readings")}
        assert "total_active_kwh" in names and "serial_number" not in names, sorted(names)[:5]


def test_log_of_a_full_gateway_to_csv(fleet, binary, tmp_path):
    path = str(tmp_path / "gateway.csv")
    started = time.monotonic()
    code, _, err = ambimeter(binary, "log", uri(fleet, 0), "--units", "all", "--count", "2",
                             "--interval", "1s", "--group", "energy", "--to", path, timeout=120)
    assert code == 0, err
    assert time.monotonic() - started < 60, "two rounds of 247 meters within a minute"
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:5] == ["time", "unix_ms", "status", "unit", "serial"]
    assert "total_active_kwh [kWh]" in rows[0]
    body = rows[1:]
    assert len(body) == 2 * 247
    assert [(r[3], r[4]) for r in body[:247]] == [(str(u), serial_of(u - 1)) for u in range(1, 248)]
    assert all(r[2] == "ok" and len(r) == len(rows[0]) for r in body)


def test_log_of_listed_units_records_a_gap_for_an_empty_unit(fleet, binary, tmp_path):
    path = str(tmp_path / "listed.csv")
    code, _, err = ambimeter(binary, "log", uri(fleet, 1), "--units", "52-54,20", "--count", "2",
                             "--interval", "100ms", "--to", path)
    assert code == 0, err
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    got = [(r["unit"], r["serial"], r["status"].split(":")[0]) for r in rows]
    expect = [("20", serial_of(266), "ok"), ("52", serial_of(298), "ok"),
              ("53", serial_of(299), "ok"), ("54", "", "gap")]
    assert got == expect * 2, got
    assert "exception 0B" in rows[3]["status"]


@pytest.mark.parametrize("args, message", [
    (["--units", "0-3"], "--units must be all or unit ids 1-247"),
    (["--units", "1,300"], "--units must be all or unit ids 1-247"),
    (["--units", "all", "--uri-unit"], "either in the URI (unit=) or with --units"),
    (["--units", "all", "--mbus"], "--units takes Modbus unit ids"),
])
def test_bad_units_are_usage_errors(fleet, binary, tmp_path, args, message):
    address = uri(fleet, 1)
    if "--uri-unit" in args:
        args, address = [a for a in args if a != "--uri-unit"], address + "?unit=3"
    if "--mbus" in args:
        args, address = [a for a in args if a != "--mbus"], "mbus+tcp://127.0.0.1:1"
    db = str(tmp_path / "bad.sqlite")
    code, _, err = ambimeter(binary, "log", address, *args, "--count", "1", "--to", db)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
