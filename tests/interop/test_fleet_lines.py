"""A fleet file's shared lines (docs/shared-lines.md "Lines in a fleet file"): two groups
behind one gateway, each on an RS485 bus of its own (pseudo-terminals), both on one M-bus
line over TCP. pymodbus polls each bus and finds only that bus's meters there; libmbus
reads both groups' meters on the one line; the gateway still serves all of them; a bad
line is refused with one line naming the file; --trace records the frames of every bus,
line and gateway in one file.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_fleet_lines.py --binary=PATH_TO_ambimeter
"""
import json
import logging
import os
import shutil
import tempfile

import pytest
from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.transaction import ModbusRtuFramer

from interop import Twin, port_of, run_cli
from mbus_interop import libmbus_bin, tool

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

FLOOR_1, FLOOR_2 = 5, 4          # meters of group "a" (ids 1-5) and "b" (ids 6-9)
BASE = 30000001


def fleet_file(tmp):
    return f"""
[fleet]
serial = "{BASE}"

[[gateway]]
name = "gw"

[[bus]]
name = "floor-1"
device = "pty:{tmp}/floor1"
tcp = "127.0.0.1:0"

[[bus]]
name = "floor-2"
device = "pty:{tmp}/floor2"

[[mbus_line]]
name = "basement"
tcp = "127.0.0.1:0"

[[group]]
name = "a"
count = {FLOOR_1}
gateway = "gw"
bus = "floor-1"
mbus_line = "basement"

[[group]]
name = "b"
count = {FLOOR_2}
gateway = "gw"
bus = "floor-2"
mbus_line = "basement"
"""


class LinesFleet(Twin):
    def __init__(self, binary):
        self.tmp = tempfile.mkdtemp(prefix="ambi-fleetlines-")
        path = os.path.join(self.tmp, "fleet.toml")
        with open(path, "w") as f:
            f.write(fleet_file(self.tmp))
        self.trace = os.path.join(self.tmp, "trace.jsonl")
        super().__init__(binary, os.path.join(self.tmp, "state"), "--clock", "stepped",
                         "--fleet", path, "--mbus-tcp", "off", "--trace", self.trace)

    def kill(self):
        super().kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def fleet(binary):
    with LinesFleet(binary) as twin:
        twin.bin = libmbus_bin(binary)
        yield twin


def serial_of(n):
    return str(BASE + n)


def bcd_words(text):
    value = int(text, 16)
    return [value >> 16, value & 0xFFFF]


def rtu_client(path):
    c = ModbusSerialClient(path, baudrate=9600, parity="N", stopbits=1, bytesize=8, timeout=1)
    assert c.connect()
    return c


def test_the_ready_line_lists_each_bus_and_line_with_its_meters(fleet):
    buses = {b["name"]: b for b in fleet.ready["buses"]}
    assert set(buses) == {"floor-1", "floor-2"}
    assert buses["floor-1"]["meters"] == FLOOR_1 and buses["floor-2"]["meters"] == FLOOR_2
    assert buses["floor-1"]["modbus_rtu"] == os.path.join(fleet.tmp, "floor1")
    assert buses["floor-2"]["rtu_over_tcp"] is None
    assert (buses["floor-2"]["baud"], buses["floor-2"]["parity"]) == (9600, "even")
    [line] = fleet.ready["mbus_lines"]
    assert line["name"] == "basement" and line["meters"] == FLOOR_1 + FLOOR_2
    assert line["mbus_serial"] is None and line["baud"] == 2400


def test_each_bus_carries_its_own_group_only(fleet):
    buses = {b["name"]: b["modbus_rtu"] for b in fleet.ready["buses"]}
    c = rtu_client(buses["floor-1"])
    try:
        for unit in range(1, FLOOR_1 + 1):
            r = c.read_holding_registers(0x4000, 2, slave=unit)
            assert not r.isError() and r.registers == bcd_words(serial_of(unit - 1)), (unit, r)
        assert c.read_holding_registers(0x4000, 2, slave=FLOOR_1 + 1).isError(), "b is not here"
    finally:
        c.close()
    c = rtu_client(buses["floor-2"])
    try:
        for unit in range(FLOOR_1 + 1, FLOOR_1 + FLOOR_2 + 1):
            r = c.read_holding_registers(0x4000, 2, slave=unit)
            assert not r.isError() and r.registers == bcd_words(serial_of(unit - 1)), (unit, r)
        assert c.read_holding_registers(0x4000, 2, slave=1).isError(), "a is not here"
    finally:
        c.close()


def test_a_bus_with_a_tcp_face_carries_rtu_frames_over_tcp_to_the_same_meters(fleet):
    bus = {b["name"]: b for b in fleet.ready["buses"]}["floor-1"]
    assert bus["rtu_over_tcp"].startswith("127.0.0.1:")
    c = ModbusTcpClient("127.0.0.1", port=port_of(bus["rtu_over_tcp"]), framer=ModbusRtuFramer,
                        timeout=1)
    try:
        assert c.connect()
        for unit in (1, FLOOR_1):
            r = c.read_holding_registers(0x4000, 2, slave=unit)
            assert not r.isError() and r.registers == bcd_words(serial_of(unit - 1)), (unit, r)
        assert c.read_holding_registers(0x4000, 2, slave=FLOOR_1 + 1).isError(), "b is not here"
    finally:
        c.close()


def test_the_gateway_still_serves_both_groups(fleet):
    c = ModbusTcpClient("127.0.0.1", port=port_of(fleet.ready["gateways"][0]["modbus_tcp"]),
                        timeout=3)
    try:
        assert c.connect()
        for unit in (1, FLOOR_1 + FLOOR_2):
            r = c.read_holding_registers(0x4000, 2, slave=unit)
            assert not r.isError() and r.registers == bcd_words(serial_of(unit - 1)), r
    finally:
        c.close()


def test_libmbus_reads_both_groups_on_the_one_m_bus_line(fleet):
    host, port = fleet.ready["mbus_lines"][0]["mbus_tcp"].rsplit(":", 1)
    for address in (1, FLOOR_1, FLOOR_1 + 1, FLOOR_1 + FLOOR_2):
        code, out, err = tool(fleet.bin, "mbus-tcp-request-data", host, port, address)
        assert code == 0 and f"<Id>{serial_of(address - 1)}</Id>" in out, out + err


def test_a_write_on_one_bus_moves_the_meter_on_that_bus_only(fleet):
    buses = {b["name"]: b["modbus_rtu"] for b in fleet.ready["buses"]}
    meter = serial_of(FLOOR_1)                    # group b's first, id 6 on floor-2
    fleet.ok("PUT", f"/api/v1/meters/{meter}/settings",
             {"password": "0000", "settings": {"modbus_id": 20}})
    try:
        c = rtu_client(buses["floor-2"])
        try:
            r = c.read_holding_registers(0x4000, 2, slave=20)
            assert not r.isError() and r.registers == bcd_words(meter), r
        finally:
            c.close()
        c = rtu_client(buses["floor-1"])
        try:
            assert c.read_holding_registers(0x4000, 2, slave=20).isError()
        finally:
            c.close()
    finally:
        fleet.ok("PUT", f"/api/v1/meters/{meter}/settings",
                 {"password": "0000", "settings": {"modbus_id": FLOOR_1 + 1}})


def test_the_trace_holds_the_frames_of_every_bus_line_and_gateway(fleet):
    assert fleet.ready["trace"] == fleet.trace
    buses = {b["name"]: b["modbus_rtu"] for b in fleet.ready["buses"]}
    test_the_gateway_still_serves_both_groups(fleet)
    host, port = fleet.ready["mbus_lines"][0]["mbus_tcp"].rsplit(":", 1)
    code, out, err = tool(fleet.bin, "mbus-tcp-request-data", host, port, 2)
    assert code == 0, out + err
    c = rtu_client(buses["floor-2"])
    try:
        assert not c.read_holding_registers(0x4000, 2, slave=FLOOR_1 + 2).isError()
    finally:
        c.close()
    with open(fleet.trace) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    seen = {(line["transport"], line["dir"]) for line in lines}
    assert ("rtu", "in") in seen and ("rtu", "out") in seen, seen
    assert ("tcp", "in") in seen and ("tcp", "out") in seen, seen
    rtu = [line for line in lines if line["transport"] == "rtu"
           and line.get("decoded", {}).get("unit") == FLOOR_1 + 2]
    assert {line["peer"] for line in rtu} == {buses["floor-2"]}, rtu
    assert [line["dir"] for line in rtu][-2:] == ["in", "out"], rtu
    assert any(line["transport"].startswith("mbus") for line in lines), seen


@pytest.mark.parametrize("extra, message", [
    ('[[bus]]\nname = "x"\ndevice = "pty:"\n', 'bus "x".device: give a serial device'),
    ('[[bus]]\nname = "x"\ndevice = "/nonexistent/ttyX"\n',
     'bus "x": cannot open serial device /nonexistent/ttyX: No such file or directory; check '
     'its device'),
])
def test_a_bad_bus_device_is_refused_naming_the_file(binary, tmp_path, extra, message):
    path = tmp_path / "fleet.toml"
    path.write_text(extra + '\n[[group]]\nname = "a"\nbus = "x"\n')
    code, out, err = run_cli(binary, ["run", "--state", str(tmp_path / "state"), "--http",
                                      "127.0.0.1:0", "--mbus-tcp", "off", "--fleet", str(path)])
    assert code == 2, err
    assert f"{path}: " in err and message in err, err
    assert len(err.strip().splitlines()) == 1, err
