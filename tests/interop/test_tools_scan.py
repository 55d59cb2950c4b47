"""`ambimeter scan`: several twins on one bus (a pseudo-terminal wired to each twin, see
tools.BusHub) are all found with their serial numbers, and none where none are: Modbus unit
ids over RTU, M-bus primary addresses, and the M-bus secondary search with its collisions.

    /usr/bin/python3 test_tools_scan.py PATH_TO_ambimeter
"""

import contextlib
import csv
import io
import json
import os
import shutil
import tempfile
import time

from interop import ModbusTwin, main
from mbus_interop import MbusTwin
from tools import BusHub, ambimeter

SERIALS = ["19020246", "19020247", "23456789"]


def configure(twin, **settings):
    twin.ok("PUT", "/api/v1/settings", {"password": "0000", "settings": settings})


@contextlib.contextmanager
def bus(binary, twin_class, setting, addresses, port_of):
    """Twins of `twin_class` with `setting` = each of `addresses` (and their own serial
    numbers), wired to one pseudo-terminal by a BusHub through the port `port_of` gives."""
    with contextlib.ExitStack() as stack:
        twins = []
        for serial, address in zip(SERIALS, addresses):
            twin = stack.enter_context(twin_class(binary, "--serial", serial, pty=False))
            configure(twin, **{setting: address})
            twins.append(twin)
        tmp = tempfile.mkdtemp(prefix="ambi-bus-")
        stack.callback(shutil.rmtree, tmp, True)
        hub = stack.enter_context(BusHub(os.path.join(tmp, "ttyBUS"), [port_of(t) for t in twins]))
        yield hub, twins


def modbus_bus(binary, ids):
    return bus(binary, ModbusTwin, "modbus_id", ids, lambda t: t.rtu_tcp_port)


def mbus_bus(binary, addresses):
    return bus(binary, MbusTwin, "mbus_id", addresses, lambda t: t.port)


def scan_json(checks, label, binary, *args, timeout=120):
    started = time.monotonic()
    code, out, err = ambimeter(binary, "scan", *args, "--format", "json", timeout=timeout)
    took = time.monotonic() - started
    if not checks.check(f"{label}: exit 0", code == 0, f"exit {code}: {err}"):
        return [], took
    return json.loads(out)["meters"], took


def test_modbus_scan_on_one_line(checks, binary):
    with modbus_bus(binary, [3, 7, 12]) as (hub, twins):
        uri = f"serial://{hub.path}?parity=none"
        meters, took = scan_json(checks, "modbus scan 1-15", binary, uri, "--range", "1-15")
        checks.equal("three meters, by unit", [(m["unit"], m["serial_number"]) for m in meters],
                     [("3", SERIALS[0]), ("7", SERIALS[1]), ("12", SERIALS[2])])
        checks.check("settings listed", all(m["baud_rate"] == "9600" and m["parity"] == "even" for m in meters), meters)
        checks.check("15 ids within 15 s", took < 15, took)
        meters, _ = scan_json(checks, "modbus scan 20-25", binary, uri, "--range", "20-25")
        checks.equal("none where none are", meters, [])
        code, out, err = ambimeter(binary, "scan", uri, "--range", "1-4", "--quiet")
        checks.check("table output", code == 0 and "unit" in out and SERIALS[0] in out, out + err)
        code, out, err = ambimeter(binary, "scan", uri, "--range", "1-8", "--format", "csv")
        rows = list(csv.DictReader(io.StringIO(out)))
        json_rows, _ = scan_json(checks, "modbus scan 1-8", binary, uri, "--range", "1-8")
        checks.equal("csv: a header, then the rows of the JSON output", (code, rows), (0, json_rows))
        code, _, err = ambimeter(binary, "scan", uri, "--range", "9-3")
        checks.check("bad range: exit 2", code == 2 and "range" in err, err)


def test_modbus_scan_over_tcp(checks, binary):
    with ModbusTwin(binary, pty=False, rtu_over_tcp=False) as twin:
        meters, _ = scan_json(checks, "tcp scan", binary, f"tcp://127.0.0.1:{twin.tcp_port}", "--range", "1-10")
        checks.equal("the one meter behind the TCP server", [m["unit"] for m in meters], ["1"])


def test_mbus_scans_on_one_line(checks, binary):
    with mbus_bus(binary, [1, 5, 9]) as (hub, twins):
        uri = f"mbus+serial://{hub.path}?baud=9600"
        meters, took = scan_json(checks, "primary scan 0-12", binary, uri, "--range", "0-12")
        checks.equal("three meters by address", [(m["address"], m["secondary_address"]) for m in meters],
                     [("1", SERIALS[0]), ("5", SERIALS[1]), ("9", SERIALS[2])])
        checks.check("primary scan 13 addresses within 20 s", took < 20, took)
        meters, took = scan_json(checks, "secondary search", binary, uri, "--secondary")
        checks.equal("three meters by secondary address", sorted(m["secondary_address"] for m in meters), sorted(SERIALS))
        checks.check("collisions were resolved", hub.collisions > 0, hub.collisions)
        checks.check("manufacturer INM", all(m["manufacturer"] == "INM" for m in meters), meters)
        meters, _ = scan_json(checks, "primary scan 20-30", binary, uri, "--range", "20-30")
        checks.equal("no meter at 20-30", meters, [])


def test_mbus_scans_on_an_empty_line(checks, binary):
    with mbus_bus(binary, []) as (hub, _):
        uri = f"mbus+serial://{hub.path}?baud=9600"
        meters, _ = scan_json(checks, "empty primary", binary, uri, "--range", "0-5")
        checks.equal("none (primary)", meters, [])
        meters, took = scan_json(checks, "empty secondary", binary, uri, "--secondary")
        checks.equal("none (secondary)", meters, [])
        checks.check("an empty secondary search is ten probes", took < 15, took)


if __name__ == "__main__":
    main("tools scan", [
        ("Modbus scan of three twins on one RTU line", test_modbus_scan_on_one_line),
        ("Modbus scan over TCP", test_modbus_scan_over_tcp),
        ("M-bus primary and secondary scans of three twins on one line", test_mbus_scans_on_one_line),
        ("M-bus scans of an empty line", test_mbus_scans_on_an_empty_line),
    ])
