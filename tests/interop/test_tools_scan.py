"""`ambimeter scan`: several twins on one bus (a pseudo-terminal wired to each twin, see
tools.BusHub) are all found with their serial numbers, and none where none are: Modbus unit
ids over RTU, M-bus primary addresses, and the M-bus secondary search with its collisions.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_tools_scan.py --binary=PATH_TO_ambimeter
"""

import contextlib
import csv
import io
import json
import os
import time

from interop import ModbusTwin
from mbus_interop import MbusTwin
from tools import BusHub, ambimeter

SERIALS = ["19020246", "19020247", "23456789"]


def configure(twin, **settings):
    twin.ok("PUT", "/api/v1/settings", {"password": "0000", "settings": settings})


@contextlib.contextmanager
def bus(binary, tmp, twin_class, setting, addresses, port_of):
    """Twins of `twin_class` with `setting` = each of `addresses` (and their own serial
    numbers), wired to one pseudo-terminal (tmp/ttyBUS) by a BusHub through the port
    `port_of` gives."""
    with contextlib.ExitStack() as stack:
        twins = []
        for serial, address in zip(SERIALS, addresses):
            twin = stack.enter_context(twin_class(binary, "--serial", serial, pty=False))
            configure(twin, **{setting: address})
            twins.append(twin)
        hub = stack.enter_context(BusHub(os.path.join(tmp, "ttyBUS"), [port_of(t) for t in twins]))
        yield hub, twins


def modbus_bus(binary, tmp, ids):
    return bus(binary, tmp, ModbusTwin, "modbus_id", ids, lambda t: t.rtu_tcp_port)


def mbus_bus(binary, tmp, addresses):
    return bus(binary, tmp, MbusTwin, "mbus_id", addresses, lambda t: t.port)


def scan_json(label, binary, *args, timeout=120):
    """`ambimeter scan ARGS --format json` (it must exit 0): (meters, seconds it took)."""
    started = time.monotonic()
    code, out, err = ambimeter(binary, "scan", *args, "--format", "json", timeout=timeout)
    took = time.monotonic() - started
    assert code == 0, f"{label}: exit 0: exit {code}: {err}"
    return json.loads(out)["meters"], took


def test_modbus_scan_on_one_line(binary, tmp_path):
    with modbus_bus(binary, str(tmp_path), [3, 7, 12]) as (hub, twins):
        uri = f"serial://{hub.path}?parity=none"
        meters, took = scan_json("modbus scan 1-15", binary, uri, "--range", "1-15")
        assert [(m["unit"], m["serial_number"]) for m in meters] == \
            [("3", SERIALS[0]), ("7", SERIALS[1]), ("12", SERIALS[2])], "three meters, by unit"
        assert all(m["baud_rate"] == "9600" and m["parity"] == "even" for m in meters), f"settings listed: {meters}"
        assert took < 15, f"15 ids within 15 s: {took}"
        meters, _ = scan_json("modbus scan 20-25", binary, uri, "--range", "20-25")
        assert meters == [], "none where none are"
        code, out, err = ambimeter(binary, "scan", uri, "--range", "1-4", "--quiet")
        assert code == 0 and "unit" in out and SERIALS[0] in out, f"table output: {out + err}"
        code, out, err = ambimeter(binary, "scan", uri, "--range", "1-8", "--format", "csv")
        rows = list(csv.DictReader(io.StringIO(out)))
        json_rows, _ = scan_json("modbus scan 1-8", binary, uri, "--range", "1-8")
        assert (code, rows) == (0, json_rows), "csv: a header, then the rows of the JSON output"
        code, _, err = ambimeter(binary, "scan", uri, "--range", "9-3")
        assert code == 2 and "range" in err, f"bad range: exit 2: {err}"


def test_modbus_scan_over_tcp(binary):
    with ModbusTwin(binary, pty=False, rtu_over_tcp=False) as twin:
        meters, _ = scan_json("tcp scan", binary, f"tcp://127.0.0.1:{twin.tcp_port}", "--range", "1-10")
        assert [m["unit"] for m in meters] == ["1"], "the one meter behind the TCP server"


def test_mbus_scans_on_one_line(binary, tmp_path):
    with mbus_bus(binary, str(tmp_path), [1, 5, 9]) as (hub, twins):
        uri = f"mbus+serial://{hub.path}?baud=9600"
        meters, took = scan_json("primary scan 0-12", binary, uri, "--range", "0-12")
        assert [(m["address"], m["secondary_address"]) for m in meters] == \
            [("1", SERIALS[0]), ("5", SERIALS[1]), ("9", SERIALS[2])], "three meters by address"
        assert took < 20, f"primary scan 13 addresses within 20 s: {took}"
        meters, took = scan_json("secondary search", binary, uri, "--secondary")
        assert sorted(m["secondary_address"] for m in meters) == sorted(SERIALS), "three meters by secondary address"
        assert hub.collisions > 0, f"collisions were resolved: {hub.collisions}"
        assert all(m["manufacturer"] == "INM" for m in meters), f"manufacturer INM: {meters}"
        meters, _ = scan_json("primary scan 20-30", binary, uri, "--range", "20-30")
        assert meters == [], "no meter at 20-30"


def test_mbus_scans_on_an_empty_line(binary, tmp_path):
    with mbus_bus(binary, str(tmp_path), []) as (hub, _):
        uri = f"mbus+serial://{hub.path}?baud=9600"
        meters, _ = scan_json("empty primary", binary, uri, "--range", "0-5")
        assert meters == [], "none (primary)"
        meters, took = scan_json("empty secondary", binary, uri, "--secondary")
        assert meters == [], "none (secondary)"
        assert took < 15, f"an empty secondary search is ten probes: {took}"
