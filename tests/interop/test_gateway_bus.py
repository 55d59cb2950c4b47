"""A fleet's Modbus TCP gateway in front of an RS485 bus (`run --meters N --gateway-timing bus`,
docs/shared-lines.md "A gateway in front of a bus"): a head-end sees a real gateway's latency.

pymodbus over TCP reads meters behind the gateway: every answer waits for the bus (the
request frame, t3.5, the reply frame at 9600 baud); requests from two connections queue for
the one bus; a unit with no meter and a meter set to another baud rate cost the gateway's
response timeout and end in exception 0B; the gateway's own unit 255 answers at once.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_gateway_bus.py --binary=PATH_TO_ambimeter
"""

import logging
import os
import shutil
import socket
import struct
import tempfile
import time

import pytest
from pymodbus.client import ModbusTcpClient

from interop import Twin, mbap, port_of, recv_until, run_cli

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

METERS = 10
TIMEOUT_MS = 300
BASE_SERIAL = 19020246
CHAR_S = 11 / 9600                       # one character on the bus
T35_S = 0.004011


def bus_time(request_bytes, reply_bytes):
    """The bus's time for one answered transaction: request frame, t3.5, reply frame."""
    return (request_bytes + reply_bytes) * CHAR_S + T35_S


READ_56 = bus_time(8, 5 + 2 * 56)        # FC 03 x56: 8 bytes out, 117 back: 147.3 ms
READ_2 = bus_time(8, 9)                  # FC 03 x2: 23.5 ms
SLACK_S = 0.2                            # the event loop, a sanitizer build, a busy CI machine


class GatewayBusTwin(Twin):
    def __init__(self, binary):
        self.tmp = tempfile.mkdtemp(prefix="ambi-gwbus-")
        super().__init__(binary, os.path.join(self.tmp, "state"), "--meters", str(METERS),
                         "--clock", "stepped", "--mbus-tcp", "off", "--gateway-timing", "bus",
                         "--gateway-timeout", str(TIMEOUT_MS))

    def start(self, timeout=30.0):
        super().start(timeout)
        self.port = port_of(self.ready["gateways"][0]["modbus_tcp"])
        return self

    def kill(self):
        super().kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def gateway(binary):
    with GatewayBusTwin(binary) as twin:
        yield twin


def bcd_words(serial):
    value = int(serial, 16)
    return [value >> 16, value & 0xFFFF]


def timed(call):
    t0 = time.monotonic()
    result = call()
    return result, time.monotonic() - t0


def tcp_client(twin):
    c = ModbusTcpClient("127.0.0.1", port=twin.port, timeout=3)
    assert c.connect()
    return c


def test_the_ready_line_says_the_gateways_front_a_bus(gateway):
    assert gateway.ready["gateway_timing"] == {"baud": 9600, "timeout_ms": TIMEOUT_MS}


def test_an_answer_waits_for_both_frames_on_the_bus(gateway):
    c = tcp_client(gateway)
    try:
        c.read_holding_registers(0x4000, 2, slave=1)   # the connection warm
        for unit in (1, 5, 10):
            r, took = timed(lambda: c.read_holding_registers(0x5000, 56, slave=unit))
            assert not r.isError(), r
            assert READ_56 <= took < READ_56 + SLACK_S, f"unit {unit}: {took * 1000:.1f} ms"
            r, took = timed(lambda: c.read_holding_registers(0x4000, 2, slave=unit))
            assert r.registers == bcd_words(str(BASE_SERIAL + unit - 1))
            assert READ_2 <= took < READ_2 + SLACK_S, f"unit {unit}: {took * 1000:.1f} ms"
    finally:
        c.close()


def test_the_gateways_own_unit_answers_at_once(gateway):
    c = tcp_client(gateway)
    try:
        r, took = timed(lambda: c.read_holding_registers(0x0400, 13, slave=255))
        assert not r.isError() and r.registers[0] == 330, r
        assert took < READ_2, f"{took * 1000:.1f} ms: unit 255 went over the bus"
    finally:
        c.close()


def test_a_unit_nobody_has_costs_the_timeout_then_0B(gateway):
    c = tcp_client(gateway)
    try:
        r, took = timed(lambda: c.read_holding_registers(0x4000, 2, slave=42))
        assert r.isError() and r.exception_code == 0x0B, r
        assert TIMEOUT_MS / 1000 <= took < TIMEOUT_MS / 1000 + SLACK_S, f"{took * 1000:.1f} ms"
    finally:
        c.close()


def test_requests_from_two_connections_queue_for_the_one_bus(gateway):
    request = mbap(1, 3, 0x03, 0x50, 0x00, 0x00, 56)
    reply_size = 9 + 2 * 56
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=3) as a, \
            socket.create_connection(("127.0.0.1", gateway.port), timeout=3) as b:
        t0 = time.monotonic()
        a.sendall(request)
        b.sendall(request)
        got_a = recv_until(a, reply_size, 3)
        at_a = time.monotonic() - t0
        got_b = recv_until(b, reply_size, 3)
        at_b = time.monotonic() - t0
    assert len(got_a) == reply_size and len(got_b) == reply_size
    # The second transaction starts t3.5 after the first one ended.
    assert at_b >= 2 * READ_56 + T35_S, f"{at_a * 1000:.1f} ms, then {at_b * 1000:.1f} ms"
    assert at_b < 2 * READ_56 + T35_S + SLACK_S, f"{at_b * 1000:.1f} ms"


def test_a_meter_at_another_baud_rate_is_deaf_until_set_back(gateway):
    unit = 7
    serial = str(BASE_SERIAL + unit - 1)
    settings = f"/api/v1/meters/{serial}/settings"
    gateway.ok("PUT", settings, {"password": "0000", "settings": {"modbus_baud": 19200}})
    c = tcp_client(gateway)
    try:
        r, took = timed(lambda: c.read_holding_registers(0x4000, 2, slave=unit))
        assert r.isError() and r.exception_code == 0x0B, r
        assert took >= TIMEOUT_MS / 1000, f"{took * 1000:.1f} ms"
        gateway.ok("PUT", settings, {"password": "0000", "settings": {"modbus_baud": 9600}})
        r = c.read_holding_registers(0x4000, 2, slave=unit)
        assert not r.isError() and r.registers == bcd_words(serial), r
    finally:
        c.close()


def test_two_meters_on_one_id_collide_into_0B(gateway):
    second = str(BASE_SERIAL + 1)                      # unit 2
    settings = f"/api/v1/meters/{second}/settings"
    gateway.ok("PUT", settings, {"password": "0000", "settings": {"modbus_id": 1}})
    c = tcp_client(gateway)
    try:
        r = c.read_holding_registers(0x4000, 2, slave=1)
        assert r.isError() and r.exception_code == 0x0B, r
    finally:
        gateway.ok("PUT", settings, {"password": "0000", "settings": {"modbus_id": 2}})
        c.close()
    c = tcp_client(gateway)
    try:
        r = c.read_holding_registers(0x4000, 2, slave=1)
        assert not r.isError() and r.registers == bcd_words(str(BASE_SERIAL)), r
    finally:
        c.close()


@pytest.mark.parametrize("args, message", [
    (["--gateway-timing", "bus"], "--gateway-timing applies to a fleet's gateways"),
    (["--meters", "3", "--gateway-timing", "slow"], "bad --gateway-timing slow"),
    (["--meters", "3", "--gateway-timeout", "500"], "--gateway-timeout applies to --gateway-timing bus"),
    (["--meters", "3", "--gateway-timing", "bus", "--gateway-timeout", "0"],
     "bad --gateway-timeout 0"),
])
def test_bad_gateway_timing_options_are_refused(binary, tmp_path, args, message):
    code, out, err = run_cli(binary, ["run", "--state", str(tmp_path), "--http", "127.0.0.1:0",
                                      "--mbus-tcp", "off"] + args)
    assert code == 2, err
    assert message in err, err
