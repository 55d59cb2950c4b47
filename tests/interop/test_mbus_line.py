"""Many meters on one M-bus line (docs/shared-lines.md): `run --meters 30 --mbus-serial
pty:PATH --mbus-tcp ADDR`. Every meter hears every telegram; what several answer at once is
superimposed bit by bit as on the wire (a 0 from any slave wins). libmbus's own search
algorithms, which nobody here wrote, must work through those collisions as on a real line:
its primary scan finds every address, its secondary scan every secondary address.
"""
import os
import re
import shutil
import tempfile

import pytest

from interop import Twin
from mbus_interop import libmbus_bin, tool

METERS = 30
BASE = 19020246


class LineTwin(Twin):
    def __init__(self, binary):
        self.tmp = tempfile.mkdtemp(prefix="ambi-mbusline-")
        self.pty = os.path.join(self.tmp, "line")
        super().__init__(binary, os.path.join(self.tmp, "state"), "--meters", str(METERS),
                         "--mbus-serial", f"pty:{self.pty}", "--mbus-tcp", "127.0.0.1:0",
                         "--clock", "stepped", "--load", "all=230V,5A")

    def kill(self):
        super().kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def line(binary):
    with LineTwin(binary) as twin:
        assert twin.ready["mbus_line"] == {"meters": METERS, "baud": 2400}
        twin.bin = libmbus_bin(binary)
        host, port = twin.ready["mbus_tcp"].rsplit(":", 1)
        twin.host, twin.port = host, int(port)
        yield twin


def secondary_ids(text):
    return sorted(m[:8] for m in re.findall(r"secondary address ([0-9A-F]{16})", text))


def test_libmbus_secondary_scan_over_tcp_finds_every_meter_through_the_collisions(line):
    code, out, err = tool(line.bin, "mbus-tcp-scan-secondary", line.host, line.port, timeout=300)
    assert code == 0, out + err
    assert secondary_ids(out) == [str(BASE + n) for n in range(METERS)], out


def test_libmbus_secondary_scan_on_the_serial_line_finds_every_meter(line):
    # A mask with the serials' common prefix keeps the many empty probes above it (each a
    # 0.3 s timeout at 2400 baud) out of the test; below it every collision is resolved.
    code, out, err = tool(line.bin, "mbus-serial-scan-secondary", "-b", 2400, line.pty,
                          "190202FFFFFFFFFF", timeout=300)
    assert code == 0, out + err
    assert secondary_ids(out) == [str(BASE + n) for n in range(METERS)], out


def test_libmbus_primary_scan_on_the_serial_line_finds_every_address(line):
    code, out, err = tool(line.bin, "mbus-serial-scan", "-b", 2400, line.pty, timeout=300)
    assert code == 0, out + err
    found = sorted(int(a) for a in re.findall(r"Found a M-Bus device at address (\d+)", out))
    assert found == list(range(1, METERS + 1)), out


def test_two_meters_on_one_primary_address_garble_the_answer(line):
    second = str(BASE + 1)                                    # primary address 2
    line.ok("PUT", f"/api/v1/meters/{second}/settings",
            {"password": "0000", "settings": {"mbus_id": 1}})
    try:
        code, out, err = tool(line.bin, "mbus-tcp-request-data", line.host, line.port, 1)
        assert code != 0 or "<SlaveInformation>" not in out, "two meters read as one: " + out
        code, out, err = tool(line.bin, "mbus-tcp-request-data", line.host, line.port, 3)
        assert code == 0 and "<SlaveInformation>" in out, out + err
    finally:
        line.ok("PUT", f"/api/v1/meters/{second}/settings",
                {"password": "0000", "settings": {"mbus_id": 2}})
    code, out, err = tool(line.bin, "mbus-tcp-request-data", line.host, line.port, 1)
    assert code == 0 and f"<Id>{BASE}</Id>" in out, out + err


def test_a_meter_switched_to_another_baud_rate_leaves_the_line(line):
    serial = str(BASE + 4)                                    # primary address 5
    line.ok("PUT", f"/api/v1/meters/{serial}/settings",
            {"password": "0000", "settings": {"mbus_baud": 9600}})
    try:
        code, out, err = tool(line.bin, "mbus-tcp-request-data", line.host, line.port, 5)
        assert code != 0 and "<SlaveInformation>" not in out, out
    finally:
        line.ok("PUT", f"/api/v1/meters/{serial}/settings",
                {"password": "0000", "settings": {"mbus_baud": 2400}})
    code, out, err = tool(line.bin, "mbus-tcp-request-data", line.host, line.port, 5)
    assert code == 0 and f"<Id>{serial}</Id>" in out, out + err
