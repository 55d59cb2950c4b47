"""Many meters on one RS485 bus (docs/shared-lines.md): `run --meters 60 --modbus-rtu pty:PATH`.

Clients nobody here wrote (pymodbus, mbpoll, libmodbus) poll every meter on the pty: each
answers its own serial and values; a broadcast write reaches all of them and nobody
answers; two meters put on one id answer together and the client sees a corrupted frame;
a meter moved to 19200 baud by a write goes silent on the 9600-baud line and comes back
when set to 9600 through the API. A master that sends while a meter answers garbles the
reply and its own frame is lost; garbage and half frames leave every meter as it was.
"""
import logging
import os
import random
import shutil
import struct
import tempfile
import time

import pytest
from pymodbus.client import ModbusSerialClient

from interop import Twin, client, crc16, mbpoll, rtu, run_cli

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

METERS = 60
BASE = 19020246


def serial_of(n):
    return str(BASE + n)


def bcd_words(text):
    value = int(text, 16)
    return [value >> 16, value & 0xFFFF]


class BusTwin(Twin):
    def __init__(self, binary):
        self.tmp = tempfile.mkdtemp(prefix="ambi-bus-")
        self.pty = os.path.join(self.tmp, "bus")
        super().__init__(binary, os.path.join(self.tmp, "state"), "--meters", str(METERS),
                         "--modbus-rtu", f"pty:{self.pty}", "--clock", "stepped",
                         "--load", "L1=231V,4A;L2=229V,6A;L3=230V,8A", "--mbus-tcp", "off")

    def kill(self):
        super().kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def bus(binary):
    with BusTwin(binary) as twin:
        assert twin.ready["bus"] == {"meters": METERS, "baud": 9600, "parity": "even"}
        yield twin


def pymodbus_client(twin):
    # A pty carries no parity (Linux refuses PARENB on it): 8N1 on the client's side.
    c = ModbusSerialClient(twin.pty, baudrate=9600, parity="N", stopbits=1, bytesize=8, timeout=2)
    assert c.connect()
    return c


# libmodbus's errno for "Invalid CRC" (MODBUS_ENOBASE + 12), as tests/interop/modbus_client.c
# prints it.
EMBBADCRC = 12


def drain(twin):
    """Reads what a collision left on the line, so that the next client starts clean."""
    import serial
    with serial.Serial(twin.pty, 9600, timeout=0.3) as line:
        line.read(4096)


def f32(words):
    return struct.unpack(">f", struct.pack(">HH", *words))[0]


def test_pymodbus_polls_every_meter_on_the_bus_and_each_answers_its_own(bus):
    meters = {m["serial"]: m for m in bus.ok("GET", f"/api/v1/meters?limit={METERS}")["meters"]}
    c = pymodbus_client(bus)
    try:
        for unit in range(1, METERS + 1):
            r = c.read_holding_registers(0x4000, 2, slave=unit)
            assert not r.isError(), f"unit {unit}: {r}"
            assert r.registers == bcd_words(serial_of(unit - 1))
        state = bus.ok("GET", f"/api/v1/meters/{serial_of(41)}/state")
        r = c.read_holding_registers(0x5002, 6, slave=42)   # L1-L3 voltage
        assert not r.isError(), r
        volts = [f32(r.registers[i:i + 2]) for i in (0, 2, 4)]
        assert volts == pytest.approx([state["measurement"][p]["v"] for p in ("L1", "L2", "L3")],
                                      abs=0.01)
        assert len(meters) == METERS
    finally:
        c.close()


def test_mbpoll_reads_meters_on_the_bus(bus):
    if shutil.which("mbpoll") is None:
        pytest.skip("mbpoll is not installed")
    for unit in (1, 30, 60):
        code, values, out = mbpoll("-m", "rtu", "-b", "9600", "-P", "none", "-a", unit,
                                   "-t", "4:hex", "-0", "-r", 0x4000, "-c", 2, "-o", 2, bus.pty)
        assert code == 0, out
        assert [int(values[a], 16) for a in (0x4000, 0x4001)] == bcd_words(serial_of(unit - 1)), out


def test_a_broadcast_write_reaches_every_meter_and_nobody_answers(bus, binary):
    code, lines, err = client(binary, "rtu", bus.pty, 9600, "N", 1, "unit", 0,
                              "timeout", 300, "write", "0x4010", "0x0012")
    assert code == 0, err
    assert "error" in lines[-1], lines               # no reply: the client times out
    for n in range(METERS):
        state = bus.ok("GET", f"/api/v1/meters/{serial_of(n)}/state")
        assert state["settings"]["lcd_cycle_s"] == 12, serial_of(n)


def test_two_meters_on_one_id_collide_and_the_client_sees_a_bad_frame(bus):
    second = serial_of(1)                              # unit 2
    set_id = {"password": "0000", "settings": {"modbus_id": 1}}
    bus.ok("PUT", f"/api/v1/meters/{second}/settings", set_id)
    c = pymodbus_client(bus)
    try:
        for _ in range(3):
            r = c.read_holding_registers(0x4000, 2, slave=1)
            assert r.isError(), f"two meters answered as one: {r}"
        assert not c.read_holding_registers(0x4000, 2, slave=3).isError(), "the others answer"
    finally:
        c.close()
        drain(bus)
        bus.ok("PUT", f"/api/v1/meters/{second}/settings",
               {"password": "0000", "settings": {"modbus_id": 2}})
    c = pymodbus_client(bus)
    try:
        r = c.read_holding_registers(0x4000, 2, slave=1)
        assert not r.isError() and r.registers == bcd_words(serial_of(0))
    finally:
        c.close()


def test_libmodbus_reports_the_collision_as_a_crc_error(bus, binary):
    second = serial_of(2)                              # unit 3
    bus.ok("PUT", f"/api/v1/meters/{second}/settings",
           {"password": "0000", "settings": {"modbus_id": 4}})
    try:
        code, lines, err = client(binary, "rtu", bus.pty, 9600, "N", 1, "unit", 4,
                                  "timeout", 500, "read", "0x4000", 2)
        assert code == 0, err
        assert lines[-1].get("exception") == EMBBADCRC, lines
    finally:
        drain(bus)
        bus.ok("PUT", f"/api/v1/meters/{second}/settings",
               {"password": "0000", "settings": {"modbus_id": 3}})


def test_a_meter_set_to_19200_goes_silent_until_set_back(bus, binary):
    unit = 10
    serial = serial_of(unit - 1)
    # The write is answered at 9600 (the reply leaves before the change, R8); then the
    # meter listens at 19200 on a 9600-baud line and hears only noise.
    code, lines, err = client(binary, "rtu", bus.pty, 9600, "N", 1, "unit", unit,
                              "write", "0x4004", 7)
    assert code == 0 and lines[-1].get("ok"), (lines, err)
    assert bus.ok("GET", f"/api/v1/meters/{serial}/state")["settings"]["modbus_baud"] == 19200
    c = pymodbus_client(bus)
    try:
        assert c.read_holding_registers(0x4000, 2, slave=unit).isError(), "silent at 19200"
        assert not c.read_holding_registers(0x4000, 2, slave=unit + 1).isError()
        bus.ok("PUT", f"/api/v1/meters/{serial}/settings",
               {"password": "0000", "settings": {"modbus_baud": 9600}})
        r = c.read_holding_registers(0x4000, 2, slave=unit)
        assert not r.isError() and r.registers == bcd_words(serial), r
    finally:
        c.close()


def settings_of_all(twin):
    return [twin.ok("GET", f"/api/v1/meters/{serial_of(n)}/state")["settings"]
            for n in range(METERS)]


def read_reply(line, size, timeout=1.5):
    """What arrives on the pty until `size` bytes or a quiet of 0.3 s after the first."""
    data = b""
    deadline = time.monotonic() + timeout
    while len(data) < size and time.monotonic() < deadline:
        line.timeout = 0.3 if data else max(0.01, deadline - time.monotonic())
        chunk = line.read(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def test_a_master_talking_over_a_reply_garbles_it_and_its_frame_is_lost(bus):
    import serial
    unit = 5
    read = rtu(unit, 0x03, 0x50, 0x00, 0x00, 56)       # 117 bytes back: 134 ms at 9600
    # FC 06 to unit 6: LCD cycle 25 s, had it been heard.
    write = rtu(unit + 1, 0x06, 0x40, 0x10, 0x00, 0x25)
    # The overlap needs this process to write within the reply's 134 ms; on a busy machine
    # it may wake too late, and then the attempt proves nothing and is made again.
    for _attempt in range(5):
        before = bus.ok("GET", f"/api/v1/meters/{serial_of(unit)}/state")["settings"]
        with serial.Serial(bus.pty, 9600, timeout=0.3) as line:
            line.reset_input_buffer()
            line.write(read)
            first = line.read(1)                          # t3.5 after the request
            assert first == bytes([unit]), "the reply starts"
            time.sleep(0.03)                              # about 26 characters into the reply
            line.write(write)
            seen_before_write = 1 + line.in_waiting
            got = first + read_reply(line, 116)
            if seen_before_write >= 100:
                time.sleep(0.5)                           # too late: let the line settle
                continue
            assert len(got) <= 117, got.hex()
            assert len(got) < 4 or crc16(got[:-2]) != got[-2:], f"the reply came through: {got.hex()}"
            time.sleep(0.1)
            # The line is quiet again: the next frame is heard and answered whole.
            line.reset_input_buffer()
            line.write(rtu(unit + 1, 0x03, 0x40, 0x00, 0x00, 0x02))
            reply = read_reply(line, 9)
        break
    else:
        pytest.skip("the machine was too busy to talk over a 134 ms reply in 5 attempts")
    words = struct.unpack(">HH", reply[3:7])
    assert reply[:3] == bytes([unit + 1, 0x03, 0x04]) and list(words) == bcd_words(serial_of(unit))
    assert crc16(reply[:-2]) == reply[-2:]
    after = bus.ok("GET", f"/api/v1/meters/{serial_of(unit)}/state")["settings"]
    assert after == before, "the frame sent over the reply was executed"


def test_garbage_and_half_frames_change_nothing_and_the_bus_resynchronises(bus):
    import serial
    before = settings_of_all(bus)
    rng = random.Random(14)
    write_all = rtu(0, 0x06, 0x40, 0x10, 0x00, 0x33)   # a broadcast write, cut or corrupted
    noise = [
        bytes(rng.randrange(256) for _ in range(200)),
        write_all[:5],                                 # half a frame, then silence
        write_all[:-1] + bytes([write_all[-1] ^ 0x01]),  # a bad CRC
        bytes([0x01]) * 300,                           # one long run
        rtu(3, 0x03, 0x40, 0x00, 0x00, 0x02)[:6] + rtu(4, 0x06, 0x40, 0x10, 0x00, 0x44),
    ]
    with serial.Serial(bus.pty, 9600, timeout=0.3) as line:
        for chunk in noise:
            line.write(chunk)
            time.sleep(0.05)
        time.sleep(0.2)
        line.reset_input_buffer()
        for unit in (1, 31, 60):
            line.write(rtu(unit, 0x03, 0x40, 0x00, 0x00, 0x02))
            reply = read_reply(line, 9)
            assert reply[:3] == bytes([unit, 0x03, 0x04]), (unit, reply.hex())
            assert list(struct.unpack(">HH", reply[3:7])) == bcd_words(serial_of(unit - 1))
            assert crc16(reply[:-2]) == reply[-2:]
    assert settings_of_all(bus) == before


@pytest.mark.parametrize("args, message", [
    (["--meters", "248", "--modbus-rtu", "pty:/tmp/ambi-none"], "one RS485 bus has ids 1-247"),
    (["--meters", "248", "--rtu-over-tcp", "127.0.0.1:0"], "one RS485 bus has ids 1-247"),
])
def test_a_bus_of_more_than_247_meters_is_refused(binary, tmp_path, args, message):
    code, out, err = run_cli(binary, ["run", "--state", str(tmp_path), "--http", "127.0.0.1:0"]
                             + args)
    assert code == 2, err
    assert message in err, err
