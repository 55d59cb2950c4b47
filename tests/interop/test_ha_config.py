"""`ambimeter config home-assistant` against a twin: the YAML loads (python3-yaml), its hub
points at the twin, and exactly the reads each sensor describes (pymodbus, FC 03 at
`address` for the words of `data_type`, at `slave`) decoded as Home Assistant decodes them
(struct of data_type, swap, value × scale + offset, rounded to `precision`) give the twin's
state (GET /api/v1/state) within one step of `precision`; codes exactly. Over Modbus TCP,
RTU over TCP and the pty, in the default float mode and in integer mode (4026 = 2); the
float YAML read from a meter in integer mode disagrees. Bad options: one line, exit 2.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_ha_config.py --binary=PATH_TO_ambimeter
"""

import contextlib
import logging
import os
import shutil
import struct
import tempfile

import pytest
import yaml
from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.transaction import ModbusRtuFramer

from interop import ModbusTwin, Twin, port_of
from tools import PHASES, ambimeter, state_value

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

# What Home Assistant's modbus integration unpacks each data_type with (struct format, words).
STRUCT = {"int16": (">h", 1), "uint16": (">H", 1), "int32": (">i", 2), "uint32": (">I", 2),
          "float32": (">f", 2)}
ENERGY_CLASSES = ("energy", "reactive_energy")
# A load with import, export, reactive power and a tariff change, so that no counter is 0.
LOAD = {"L1": {"v": 230, "i": 10, "phi": 25},
        "L2": {"v": 231, "i": 5, "phi": -30},
        "L3": {"v": 229, "i": 7, "phi": 160}}


def ha_yaml(binary, *args):
    code, out, err = ambimeter(binary, "config", "home-assistant", *args)
    assert code == 0, f"config home-assistant {args}: exit {code}: {err}"
    return yaml.safe_load(out)


def prepared(twin):
    """LOAD for an hour on T1, then an hour on T2 (written over Modbus TCP as a client would)."""
    twin.set_load(LOAD)
    twin.advance(3600)
    with client_for(tcp_hub(twin)) as c:
        assert not c.write_register(0x6048, 2, slave=1).isError(), "tariff 2"
    twin.advance(3600)


def ha_decode(sensor, registers):
    """The sensor's state as Home Assistant computes it from the registers read."""
    fmt, _ = STRUCT[sensor["data_type"]]
    swap = sensor.get("swap")
    if swap in ("word", "word_byte"):
        registers = list(reversed(registers))
    raw = b"".join(struct.pack(">H", r) for r in registers)
    if swap in ("byte", "word_byte"):
        raw = b"".join(raw[i:i + 2][::-1] for i in range(0, len(raw), 2))
    (value,) = struct.unpack(fmt, raw)
    value = value * sensor.get("scale", 1) + sensor.get("offset", 0)
    return round(value, sensor.get("precision", 0))


def register_name(sensor, prefix):
    assert sensor["unique_id"].startswith(prefix), sensor["unique_id"]
    return sensor["unique_id"][len(prefix):]


def twin_value(state, name):
    """The state's value of register `name`."""
    want = state_value(state, name)
    for prefix, phase in PHASES.items():
        if name == prefix + "_quadrant":
            want = state["measurement"][phase]["quadrant"]
    assert want is not None, f"{name}: not in the state"
    return want


def tolerance(sensor, want):
    """Codes exactly; a value within one step of its precision (the register's own rounding)
    plus float32's; energy one step more, since the state cuts it to whole Wh."""
    if sensor["data_type"] in ("int16", "uint16", "uint32"):
        return 0
    step = 10.0 ** -sensor["precision"]
    extra = step if sensor.get("device_class") in ENERGY_CLASSES else 0
    return step + extra + abs(want) * 3e-7


def mismatches(client, config, state, prefix):
    """[(name, HA's value, the twin's)] of the sensors that disagree with the state."""
    wrong = []
    for sensor in config["sensors"]:
        assert sensor["input_type"] == "holding"
        _, count = STRUCT[sensor["data_type"]]
        r = client.read_holding_registers(sensor["address"], count, slave=sensor["slave"])
        assert not r.isError(), f"{sensor['name']}: {r}"
        name = register_name(sensor, prefix)
        got, want = ha_decode(sensor, r.registers), twin_value(state, name)
        if abs(got - want) > tolerance(sensor, want):
            wrong.append((name, got, want))
    return wrong


def tcp_hub(twin):
    return {"type": "tcp", "host": "127.0.0.1", "port": twin.tcp_port}


@contextlib.contextmanager
def client_for(hub, timeout=5):
    """A connected pymodbus client for the hub (the twin answers on it), closed at the end."""
    if hub["type"] == "serial":
        c = ModbusSerialClient(hub["port"], baudrate=hub["baudrate"], parity=hub["parity"],
                               bytesize=hub["bytesize"], stopbits=hub["stopbits"], timeout=2)
    elif hub["type"] == "rtuovertcp":
        c = ModbusTcpClient(hub["host"], port=hub["port"], framer=ModbusRtuFramer, timeout=timeout)
    else:
        c = ModbusTcpClient(hub["host"], port=hub["port"], timeout=timeout)
    try:
        assert c.connect(), f"connect {hub}"
        yield c
    finally:
        c.close()


def transport_args(twin, transport):
    if transport == "tcp":
        return ["--port", twin.tcp_port]
    if transport == "rtuovertcp":
        return ["--transport", "rtuovertcp", "--port", twin.rtu_tcp_port]
    return ["--serial-port", twin.pty, "--parity", "none"]  # a pty carries no parity


@pytest.mark.parametrize("transport", ["tcp", "rtuovertcp", "serial"])
def test_every_sensor_reads_the_twins_state(binary, transport):
    with ModbusTwin(binary) as twin:
        prepared(twin)
        doc = ha_yaml(binary, *transport_args(twin, transport), "--name", "Test Meter")
        (hub,) = doc["modbus"]
        assert hub["type"] == transport and hub["name"] == "Test Meter"
        sensors = hub["sensors"]
        names = [register_name(s, "test_meter_") for s in sensors]
        state = twin.state()
        assert set(state["energy"]) <= set(names), "every energy register has a sensor"
        assert {"l1_voltage", "frequency", "total_apparent_power", "l3_power_factor",
                "error_code", "power_down_counter", "tariff", "l2_quadrant"} <= set(names)
        assert len(set(names)) == len(names) == len({s["unique_id"] for s in sensors})
        assert all(s["slave"] == 1 for s in sensors)
        with client_for(hub) as c:
            assert mismatches(c, hub, state, "test_meter_") == []
        assert state_value(state, "tariff") == 2
        assert state["energy"]["t2_forward_active_kwh"] > 0 and state["energy"]["reverse_active_kwh"] > 0


def test_integer_mode_needs_its_own_config(binary):
    with ModbusTwin(binary, pty=False, rtu_over_tcp=False) as twin:
        prepared(twin)
        with client_for(tcp_hub(twin)) as c:
            assert not c.write_register(0x4026, 2, slave=1).isError(), "integer data mode"
        state = twin.state()
        assert state["settings"]["data_type"] == "integer"
        integer = ha_yaml(binary, "--port", twin.tcp_port, "--data-type", "integer")["modbus"][0]
        floats = ha_yaml(binary, "--port", twin.tcp_port)["modbus"][0]
        assert {s["data_type"] for s in integer["sensors"]} == {"int32", "int16", "uint16", "uint32"}
        with client_for(integer) as c:
            assert mismatches(c, integer, state, "ambition_") == []
            assert len(mismatches(c, floats, state, "ambition_")) > 50, "float YAML on an integer meter"


def test_one_hub_for_the_meters_behind_a_gateway(binary):
    """--unit 1,2,3 against a fleet's gateway: one hub, each sensor at its meter, each meter
    on its own load, every sensor equal to that meter's state."""
    tmp = tempfile.mkdtemp(prefix="ambi-ha-fleet-")
    serials = [str(19020246 + k) for k in range(3)]
    try:
        with Twin(binary, os.path.join(tmp, "state"), "--clock", "stepped", "--meters", "3",
                  "--mbus-tcp", "off") as fleet:
            port = port_of(fleet.ready["gateways"][0]["modbus_tcp"])
            for k, serial in enumerate(serials):
                load = {p: {"v": 230 + k, "i": 4 * (k + 1) + j, "phi": 20 * k - 10 * j}
                        for j, p in enumerate(("L1", "L2", "L3"))}
                fleet.ok("PUT", f"/api/v1/meters/{serial}/load", load)
            fleet.advance(3600)
            (hub,) = ha_yaml(binary, "--port", port, "--unit", "1,2,3", "--group", "instant,energy")["modbus"]
            assert sorted({s["slave"] for s in hub["sensors"]}) == [1, 2, 3]
            assert len({s["unique_id"] for s in hub["sensors"]}) == len(hub["sensors"])
            states = {k + 1: fleet.ok("GET", f"/api/v1/meters/{serial}/state") for k, serial in enumerate(serials)}
            with client_for(hub, timeout=60) as c:  # the first read may wait out a save
                for unit, state in states.items():
                    mine = {"sensors": [s for s in hub["sensors"] if s["slave"] == unit]}
                    assert mismatches(c, mine, state, f"ambition_{unit}_") == [], f"unit {unit}"
                one = {"sensors": [s for s in hub["sensors"] if s["slave"] == 1]}
                assert mismatches(c, one, states[2], "ambition_1_"), "meters on different loads"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_classes_follow_the_registers(binary):
    (hub,) = ha_yaml(binary, "--group", "energy,instant")["modbus"]
    assert (hub["host"], hub["port"]) == ("127.0.0.1", 502)
    by_name = {register_name(s, "ambition_"): s for s in hub["sensors"]}
    assert "error_code" not in by_name and "voltage" not in by_name
    assert by_name["forward_active_kwh"]["state_class"] == "total_increasing"
    assert by_name["trip_l1_kwh"]["state_class"] == "total"
    assert by_name["total_active_kwh"]["state_class"] == "total"  # C-04 makes it fall
    assert by_name["total_apparent_power"]["unit_of_measurement"] == "kVA"
    assert "l1_current_direction" not in by_name
    assert by_name["q3_t2_kvarh"]["device_class"] == "reactive_energy"
    assert by_name["l1_voltage"]["state_class"] == "measurement"
    assert by_name["l1_voltage"]["scan_interval"] == 10 and by_name["trip_kwh"]["scan_interval"] == 60


def test_serial_defaults_are_the_meters(binary):
    (hub,) = ha_yaml(binary, "--transport", "serial")["modbus"]
    assert {k: hub[k] for k in ("type", "method", "port", "baudrate", "bytesize", "parity", "stopbits")} == \
        {"type": "serial", "method": "rtu", "port": "/dev/ttyUSB0", "baudrate": 9600, "bytesize": 8,
         "parity": "E", "stopbits": 1}
    assert "host" not in hub


@pytest.mark.parametrize("args, names", [
    (["config", "mqtt"], ["mqtt", "home-assistant"]),
    (["config"], ["target", "home-assistant"]),
    (["config", "home-assistant", "--transport", "udp"], ["--transport", "udp"]),
    (["config", "home-assistant", "--unit", "300"], ["--unit", "300"]),
    (["config", "home-assistant", "--unit", "1,2,1"], ["--unit", "1", "twice"]),
    (["config", "home-assistant", "--baudrate", "1000"], ["--baudrate", "1000"]),
    (["config", "home-assistant", "--transport", "serial", "--host", "10.0.0.1"], ["--host", "serial"]),
    (["config", "home-assistant", "--serial-port", "/dev/ttyUSB0", "--port", "502"], ["--port", "serial"]),
    (["config", "home-assistant", "--port", "502", "--parity", "odd"], ["--parity", "--port", "--transport"]),
    (["config", "home-assistant", "--name", "***"], ["--name", "***"]),
    (["config", "home-assistant", "--bogus"], ["--bogus", "--help"]),
    (["config", "home-assistant", "extra"], ["extra", "--help"]),
    (["config", "home-assistant", "--data-type", "bcd"], ["--data-type", "bcd"]),
])
def test_bad_options_are_one_line_and_exit_2(binary, args, names):
    code, out, err = ambimeter(binary, *args)
    assert code == 2 and out == "", (code, out)
    assert len(err.strip().splitlines()) == 1, err
    for name in names:
        assert name in err, err
