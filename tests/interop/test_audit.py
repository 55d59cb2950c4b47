"""The poll audit (docs/audit.md) against clients nobody here wrote, each making its mistake on
purpose: pymodbus reading off by one, with FC 04, past a block, a read-only write, and polling
the pty faster than 9600 baud allows; mbpoll without -0 (1-based by default); libmbus's
request-data, which never toggles the FCB; libmbus reading by primary address after a
collision. GET /api/v1/audit shows each finding with its evidence, and `ambimeter audit` over
the trace the same run wrote finds the same.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_audit.py --binary=PATH_TO_ambimeter
"""

import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest
import serial
from pymodbus.client import ModbusSerialClient, ModbusTcpClient

from interop import Twin, mbpoll, port_of, rtu
from mbus_interop import tool
from test_rtu_link import GAP_REQUEST, device_twin, send_with_a_gap

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)


class AuditTwin(Twin):
    """A twin on the real clock (so the trace carries wall time) with Modbus TCP, the pty,
    M-bus over TCP and a trace, in a fresh folder removed when it is killed."""

    def __init__(self, binary, *extra):
        self.tmp = tempfile.mkdtemp(prefix="ambi-audit-")
        self.pty = os.path.join(self.tmp, "ttyAMBI")
        self.trace = os.path.join(self.tmp, "trace.jsonl")
        super().__init__(binary, os.path.join(self.tmp, "state"), "--modbus-tcp", "127.0.0.1:0",
                         "--modbus-rtu", "pty:" + self.pty, "--mbus-tcp", "127.0.0.1:0",
                         "--trace", self.trace, *extra)

    def start(self, timeout=15.0):
        super().start(timeout)
        self.tcp_port = port_of(self.ready["modbus_tcp"])
        self.mbus_port = port_of(self.ready["mbus_tcp"])
        return self

    def kill(self):
        super().kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture
def twin(binary):
    with AuditTwin(binary) as t:
        yield t


def findings(audit):
    """{(transport, peer, check): finding} of an audit JSON."""
    return {(c["transport"], c["peer"], f["check"]): f for c in audit["clients"] for f in c["findings"]}


def offline(binary, trace, *args):
    done = subprocess.run([binary, "audit", trace, *args], capture_output=True, timeout=60)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def without_wall_time(found):
    """The findings with their wall times dropped (the trace's are written a moment later, to
    the millisecond), and so the measured interval in a timing finding's sentence."""
    out = {}
    for key, f in found.items():
        f = dict(f)
        f["first"] = {"sim_ms": f["first"]["sim_ms"]}
        f["last"] = {"sim_ms": f["last"]["sim_ms"]}
        f["detail"] = re.sub(r"^a request [0-9.]+ ms after", "a request … ms after", f["detail"])
        out[key] = f
    return out


def pymodbus_mistakes(twin):
    """Over TCP: off by one, FC 04 three times, one before the 0x5000 block, a read-only write."""
    c = ModbusTcpClient("127.0.0.1", port=twin.tcp_port, timeout=5)
    try:
        assert c.connect()
        for _ in range(2):
            r = c.read_holding_registers(0x5002 + 1, 2, slave=1)  # 1-based: L1 voltage at 5003
            assert not r.isError(), "the meter answers a read from a float's second word"
        for _ in range(3):
            r = c.read_input_registers(0x5002, 2, slave=1)
            assert r.isError() and r.exception_code == 1, f"FC 04 is refused: {r}"
        r = c.read_holding_registers(0x5000 - 1, 2, slave=1)
        assert r.isError() and r.exception_code == 2, f"0x4FFF is unmapped: {r}"
        r = c.write_register(0x5002, 1, slave=1)
        assert r.isError() and r.exception_code == 2, f"L1 voltage is read-only: {r}"
        r = c.read_holding_registers(0x6000, 126, slave=1)
        assert r.isError() and r.exception_code == 3, f"126 registers: {r}"
    finally:
        c.close()


def pymodbus_fast_on_the_pty(twin, polls=10):
    """Back to back on the pty: pymodbus waits t3.5 only, not what a 1200 baud line takes
    (at least 220 ms an exchange: far above what a busy machine adds)."""
    c = ModbusSerialClient(twin.pty, baudrate=1200, parity="N", stopbits=1, bytesize=8, timeout=2)
    try:
        assert c.connect()
        for _ in range(polls):
            assert not c.read_holding_registers(0x5002, 2, slave=1).isError()
    finally:
        c.close()


def test_each_mistake_is_found_with_its_evidence_and_offline_alike(twin, binary, libmbus):
    twin.set_load({"L1": {"v": 230, "i": 10, "phi": 0}})
    twin.ok("PUT", "/api/v1/settings", {"password": "0000", "settings": {"modbus_baud": 1200}})
    pymodbus_mistakes(twin)
    # mbpoll without -0 takes -r as 1-based: 0x5002 goes out as 0x5001, the second word of 0x5000.
    code, values, out = mbpoll("-m", "rtu", "-b", 1200, "-P", "none", "-o", 2, "-a", 1, "-r", "0x5002",
                               "-t", "4:float", "-B", "-c", 1, twin.pty)
    assert code == 0, f"mbpoll: {out}"
    pymodbus_fast_on_the_pty(twin)
    for _ in range(3):
        code, xml, err = tool(libmbus, "mbus-tcp-request-data", "127.0.0.1", twin.mbus_port, 0)
        assert code == 0, f"request-data: {err}"

    audit = twin.ok("GET", "/api/v1/audit")
    assert audit["enabled"] is True
    found = findings(audit)
    tcp = ("tcp", "127.0.0.1")
    second = found[tcp + ("second-word",)]
    assert second["count"] == 2 and second["severity"] == "warning"
    assert second["example"].endswith("01 03 50 03 00 02"), second
    assert "l1_voltage" in second["detail"] and "1-based" in second["detail"]
    fc04 = found[tcp + ("fc04",)]
    assert fc04["count"] == 3 and fc04["severity"] == "error" and fc04["example"].endswith("01 04 50 02 00 02")
    assert found[tcp + ("repeated-failure",)]["count"] == 2
    unmapped = found[tcp + ("unmapped",)]
    assert unmapped["count"] == 1 and "0x4FFF" in unmapped["detail"] and "1-based" in unmapped["detail"]
    assert found[tcp + ("read-only-write",)]["count"] == 1
    assert "l1_voltage is read-only" in found[tcp + ("read-only-write",)]["detail"]
    assert fc04["first"]["t"] <= fc04["last"]["t"] and "sim_ms" in fc04["first"]

    peers = {c["peer"] for c in audit["clients"] if c["transport"] == "rtu"}
    assert len(peers) == 1, peers
    rtu = ("rtu", peers.pop())
    mb = found[rtu + ("second-word",)]
    assert mb["count"] == 1 and mb["example"].startswith("01 03 50 01 00 02"), mb
    assert "voltage (0x5000-0x5001)" in mb["detail"], mb["detail"]
    fast = found[rtu + ("polling-too-fast",)]
    assert 9 <= fast["count"] <= 10 and "1200 baud" in fast["detail"], fast

    fcb = found[("mbus-tcp", "127.0.0.1", "fcb-not-toggled")]
    # REQ_UD2 to address 0 with FCV set and the same FCB each run (7B or 5B, by libmbus version).
    assert fcb["count"] == 2 and fcb["example"] in ("10 7B 00 7B 16", "10 5B 00 5B 16"), fcb

    assert found[tcp + ("too-many-registers",)]["count"] == 1
    assert {k[2] for k in found} == {"second-word", "fc04", "repeated-failure", "unmapped", "read-only-write",
                                     "too-many-registers", "polling-too-fast", "fcb-not-toggled"}

    # The same findings from the trace (at the meter's baud rate), and the table for people.
    code, out, err = offline(binary, twin.trace, "--format", "json", "--baud", "1200")
    assert code == 0, err
    again = json.loads(out)
    live, trace = without_wall_time(found), without_wall_time(findings(again))
    assert sorted(trace) == sorted(live)
    for key, f in live.items():
        assert trace[key] == f, f"{key}: offline {trace[key]} != live {f}"
    code, out, err = offline(binary, twin.trace)
    assert code == 0, err
    for check in ("second-word", "fc04", "fcb-not-toggled", "polling-too-fast"):
        assert check in out, out


def test_reads_by_primary_address_after_a_collision(twin, libmbus):
    status, fault = twin.post("/api/v1/faults", {"kind": "collision", "duration_s": 3600})
    assert status == 201 and fault["kind"] == "collision", fault
    for _ in range(2):
        tool(libmbus, "mbus-tcp-request-data", "127.0.0.1", twin.mbus_port, 0)
    found = findings(twin.ok("GET", "/api/v1/audit"))
    after = found[("mbus-tcp", "127.0.0.1", "no-secondary-after-collision")]
    assert after["count"] >= 1 and "secondary address" in after["detail"], after


def test_the_audit_can_be_switched_off(binary):
    with AuditTwin(binary, "--audit", "off") as t:
        pymodbus_mistakes(t)
        audit = t.ok("GET", "/api/v1/audit")
        assert audit["enabled"] is False and audit["clients"] == [] and audit["findings"] == 0


def test_a_bad_trace_is_one_line_naming_the_problem(binary, tmp_path):
    code, out, err = offline(binary, str(tmp_path / "missing.jsonl"))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "cannot open trace" in err and "--trace" in err, err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"sim_ms":0,"transport":"tcp","peer":"x","dir":"in","hex":"00"}\nnot json\n')
    code, out, err = offline(binary, str(bad))
    assert code == 2 and "line 2 is not a JSON object" in err and len(err.strip().splitlines()) == 1, err
    code, out, err = offline(binary, str(tmp_path))
    assert code == 2 and "is a directory" in err, err
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    code, out, err = offline(binary, str(empty), "--format", "json")
    assert code == 0 and json.loads(out)["findings"] == 0, (out, err)


def test_fc04_answered_by_the_quirk_is_still_a_finding(binary):
    with AuditTwin(binary, "--quirk", "fc04") as t:
        c = ModbusTcpClient("127.0.0.1", port=t.tcp_port, timeout=5)
        try:
            assert c.connect()
            assert not c.read_input_registers(0x5002, 2, slave=1).isError(), "the quirk answers FC 04"
        finally:
            c.close()
        fc04 = findings(t.ok("GET", "/api/v1/audit"))[("tcp", "127.0.0.1", "fc04")]
        assert fc04["count"] == 1 and "--quirk fc04" in fc04["detail"], fc04


def test_a_bad_audit_option_is_one_line(binary, tmp_path):
    done = subprocess.run([binary, "run", "--state", str(tmp_path / "s"), "--audit", "maybe"],
                          capture_output=True, timeout=30)
    err = done.stderr.decode()
    assert done.returncode == 2 and len(err.strip().splitlines()) == 1 and "--audit" in err, err


def test_a_fleet_meter_on_its_own_port_has_its_own_audit(binary, tmp_path):
    fleet_file = tmp_path / "fleet.toml"
    fleet_file.write_text('[[group]]\nname = "own"\ncount = 2\nendpoint = "port-per-meter"\n')
    with Twin(binary, str(tmp_path / "state"), "--clock", "stepped", "--fleet", str(fleet_file),
              "--mbus-tcp", "off") as fleet:
        second = fleet.ready["gateways"][1]
        first_serial, second_serial = fleet.ready["gateways"][0]["serials"][0], second["serials"][0]
        c = ModbusTcpClient("127.0.0.1", port=port_of(second["modbus_tcp"]), timeout=5)
        try:
            assert c.connect()
            assert c.read_input_registers(0x5002, 2, slave=1).isError()
        finally:
            c.close()
        mine = findings(fleet.ok("GET", f"/api/v1/meters/{second_serial}/audit"))
        assert mine[("tcp", "127.0.0.1", "fc04")]["count"] == 1, mine
        other = fleet.ok("GET", f"/api/v1/meters/{first_serial}/audit")
        assert other["clients"] == [] and other["enabled"] is True, other
        assert fleet.ok("GET", "/api/v1")["fleet"]["audits"] == [], "a meter's own port is no gateway"


def test_a_gap_inside_a_frame_on_a_device(binary, tmp_path):
    """On a serial device (socat's pty pair standing in, as in test_rtu_link.py) a frame with
    a pause of 2 characters inside is dropped; the audit names it, with the bytes dropped, as
    often as the trace says a frame was interrupted."""
    trace = str(tmp_path / "gap.jsonl")
    with device_twin(binary, str(tmp_path / "device"), "--trace", trace) as (twin, holder, device, peer), \
            serial.Serial(peer, 9600, timeout=0.3) as tty:
        interrupted = 0
        for _ in range(20):  # a late wake-up can hide the gap or stretch it into a silence
            send_with_a_gap(tty, GAP_REQUEST)
            tty.read(7)
            time.sleep(0.05)
            with open(trace) as f:
                interrupted = sum("interrupted by a gap" in line for line in f)
            if interrupted:
                break
        assert interrupted, "no attempt reached the twin with its gap (a busy machine?)"
        gap = findings(twin.ok("GET", "/api/v1/audit")).get(("rtu", device, "gap-in-frame"))
        assert gap is not None and gap["severity"] == "error", "a frame cut by a gap is a finding"
        assert gap["count"] == interrupted, (gap, interrupted)
        assert gap["example"] == " ".join(f"{b:02X}" for b in GAP_REQUEST[:-1]), gap
        assert gap["detail"].startswith("frame interrupted by a gap of more than 1.5 characters"), gap


def live_and_offline_agree(binary, live_audit, trace, *, drop=()):
    """`ambimeter audit` over the trace finds what the live audit found (`drop`: checks only
    live can make, e.g. the pace, from wall times of a stepped clock's run)."""
    code, out, err = offline(binary, trace, "--format", "json")
    assert code == 0, err
    live = {k: f for k, f in without_wall_time(findings(live_audit)).items() if k[2] not in drop}
    again = {k: f for k, f in without_wall_time(findings(json.loads(out))).items() if k[2] not in drop}
    assert sorted(again) == sorted(live)
    for key, f in live.items():
        assert again[key] == f, f"{key}: offline {again[key]} != live {f}"


def test_behind_a_gateway_the_gateway_and_each_meter_it_reaches_have_an_audit(binary, tmp_path):
    """pymodbus and mbpoll through a gateway of 3: a float's second word on unit 2, an empty
    unit 9 (0B), the gateway's identity and a meter's register on its own unit 255, and a read
    to the broadcast unit 0 that nobody answers. Meter 2's audit has its own request; the
    gateway's has all of them, and the trace says the same offline."""
    trace = str(tmp_path / "gateway.jsonl")
    with Twin(binary, str(tmp_path / "state"), "--clock", "stepped", "--meters", "3",
              "--mbus-tcp", "off", "--trace", trace) as fleet:
        serials = [str(19020246 + i) for i in range(3)]
        gateway = fleet.ready["gateways"][0]
        port = port_of(gateway["modbus_tcp"])
        c = ModbusTcpClient("127.0.0.1", port=port, timeout=5)
        try:
            assert c.connect()
            assert not c.read_holding_registers(0x5003, 2, slave=2).isError()
            r = c.read_holding_registers(0x5002, 2, slave=9)
            assert r.isError() and r.exception_code == 0x0B, f"no meter 9: 0B, {r}"
            assert not c.read_holding_registers(0x0400, 13, slave=255).isError(), "its identity"
            r = c.read_holding_registers(0x5002, 2, slave=255)
            assert r.isError() and r.exception_code == 2, f"a meter's register on 255: {r}"
        finally:
            c.close()
        # mbpoll to unit 0 (1-based -r): nobody answers, it times out.
        code, _, out = mbpoll("-m", "tcp", "-p", port, "-a", 0, "-r", 0x5003, "-c", 2, "-o", 0.5,
                              "127.0.0.1")
        assert code != 0, out
        second = findings(fleet.ok("GET", f"/api/v1/meters/{serials[1]}/audit"))
        assert set(second) == {("tcp", "127.0.0.1", "second-word")}, second
        for s in (serials[0], serials[2]):
            assert fleet.ok("GET", f"/api/v1/meters/{s}/audit")["clients"] == [], s

        audit = fleet.ok("GET", "/api/v1/gateways/0/audit")
        assert audit["gateway"] == gateway["name"] and audit["enabled"] is True
        assert audit == fleet.ok("GET", "/api/v1/gateways/" + gateway["name"] + "/audit")
        (client,) = audit["clients"]
        assert client["requests"] == 5, client
        found = findings(audit)
        tcp = ("tcp", "127.0.0.1")
        assert set(found) == {tcp + (k,) for k in ("second-word", "no-meter-at-unit", "gateway-unit",
                                                   "broadcast-read")}, found
        empty = found[tcp + ("no-meter-at-unit",)]
        assert empty["count"] == 1 and empty["severity"] == "error", empty
        assert "unit 9" in empty["detail"] and "exception 0B" in empty["detail"], empty
        assert empty["example"].endswith("09 03 50 02 00 02"), empty
        own = found[tcp + ("gateway-unit",)]
        assert own["count"] == 1 and "0x0400-0x040C" in own["detail"], own
        assert own["example"].endswith("FF 03 50 02 00 02"), own
        broadcast = found[tcp + ("broadcast-read",)]
        assert broadcast["count"] == 1 and broadcast["example"].endswith("00 03 50 02 00 02"), broadcast
        live_and_offline_agree(binary, audit, trace)

        status, body = fleet.request("GET", "/api/v1/gateways/7/audit")
        assert status == 404 and "no gateway 7" in body["error"], body
        assert fleet.ok("GET", "/api/v1")["fleet"]["audits"] == [
            {"kind": "gateway", "name": gateway["name"], "path": "/api/v1/gateways/0/audit"}]
    # Off: the gateway's audit says so and holds nothing.
    with Twin(binary, str(tmp_path / "off"), "--clock", "stepped", "--meters", "2", "--mbus-tcp", "off",
              "--audit", "off") as fleet:
        c = ModbusTcpClient("127.0.0.1", port=port_of(fleet.ready["gateways"][0]["modbus_tcp"]), timeout=5)
        try:
            assert c.connect()
            assert c.read_holding_registers(0x5002, 2, slave=9).isError()
        finally:
            c.close()
        audit = fleet.ok("GET", "/api/v1/gateways/0/audit")
        assert audit["enabled"] is False and audit["clients"] == [], audit


class BusAuditTwin(Twin):
    """Three meters on one RS485 bus on a pty, on the real clock (the pace checks need wall
    time), with a trace."""

    def __init__(self, binary, tmp_path):
        self.pty = str(tmp_path / "bus")
        self.trace = str(tmp_path / "bus.jsonl")
        super().__init__(binary, str(tmp_path / "state"), "--meters", "3", "--modbus-rtu", "pty:" + self.pty,
                         "--mbus-tcp", "off", "--trace", self.trace)


def test_on_an_rs485_bus_the_bus_and_each_meter_it_reaches_have_an_audit(binary, tmp_path):
    """pymodbus on a fleet's bus of 3: a float's second word on unit 2, unit 9 that nobody on
    the line has (silence: a response timeout), and a read to unit 0. The bus's audit has each,
    meter 2's its own request only; offline over the trace the same."""
    with BusAuditTwin(binary, tmp_path) as fleet:
        serials = [str(19020246 + i) for i in range(3)]
        # A pty carries no parity (Linux refuses PARENB on it): 8N1 on the client's side.
        c = ModbusSerialClient(fleet.pty, baudrate=9600, parity="N", stopbits=1, bytesize=8, timeout=1,
                               retries=0)
        try:
            assert c.connect()
            assert not c.read_holding_registers(0x5003, 2, slave=2).isError()
            assert c.read_holding_registers(0x5002, 2, slave=9).isError(), "nobody has unit 9"
            assert c.read_holding_registers(0x5002, 2, slave=0).isError(), "nobody answers unit 0"
            time.sleep(0.1)
            assert not c.read_holding_registers(0x5002, 2, slave=3).isError()
        finally:
            c.close()
        audit = fleet.ok("GET", "/api/v1/buses/bus/audit")
        assert audit["bus"] == "bus"
        assert audit["clients"] == fleet.ok("GET", "/api/v1/buses/0/audit")["clients"]
        (client,) = audit["clients"]
        assert client["transport"] == "rtu" and client["peer"] == fleet.pty and client["requests"] == 4, client
        found = findings(audit)
        rtu = ("rtu", fleet.pty)
        for check in ("second-word", "no-meter-at-unit", "broadcast-read"):
            assert found[rtu + (check,)]["count"] == 1, (check, found)
        empty = found[rtu + ("no-meter-at-unit",)]
        assert "no meter on the line has Modbus id 9" in empty["detail"], empty
        assert empty["example"] == "09 03 50 02 00 02 75 83", empty
        assert set(k[2] for k in found) <= {"second-word", "no-meter-at-unit", "broadcast-read",
                                            "polling-too-fast"}, found
        second = findings(fleet.ok("GET", f"/api/v1/meters/{serials[1]}/audit"))
        assert set(second) == {rtu + ("second-word",)}, "a meter's audit: its own frames, no pace"
        third = fleet.ok("GET", f"/api/v1/meters/{serials[2]}/audit")
        assert third["clients"][0]["requests"] == 1 and third["findings"] == 0, third
        assert fleet.ok("GET", f"/api/v1/meters/{serials[0]}/audit")["clients"] == []
        live_and_offline_agree(binary, audit, fleet.trace, drop=("polling-too-fast",))
        status, body = fleet.request("GET", "/api/v1/buses/nope/audit")
        assert status == 404 and "no bus nope" in body["error"], body
        listed = fleet.ok("GET", "/api/v1")["fleet"]["audits"]
        assert {"kind": "bus", "name": "bus", "path": "/api/v1/buses/0/audit"} in listed, listed
        for a in listed:  # each path the index lists answers with the audit it names
            assert fleet.ok("GET", a["path"])[a["kind"]] == a["name"], a


def test_talking_over_a_meter_on_a_bus_is_polling_too_fast(binary, tmp_path):
    """A master that sends its next frame while a meter of the bus is still answering (8 ms
    after a request: the 9-byte reply at 9600 baud takes t3.5 + 9.4 ms) loses that frame and
    garbles the reply. Each such frame is counted under polling-too-fast on the bus's audit,
    as often as the trace says a frame was lost so; the requests themselves are 1 s apart."""
    import serial
    with BusAuditTwin(binary, tmp_path) as fleet, serial.Serial(fleet.pty, 9600, timeout=0.3) as tty:
        second = rtu(2, 0x03, 0x50, 0x02, 0x00, 0x02)
        lost = 0
        for _ in range(20):  # a late wake-up can miss the reply's window
            tty.write(rtu(1, 0x03, 0x50, 0x02, 0x00, 0x02))
            time.sleep(0.008)
            tty.write(second)
            tty.read(64)
            time.sleep(1.0)
            with open(fleet.trace) as f:
                lost = sum("lost: sent while a meter answered" in line for line in f)
            if lost:
                break
        assert lost, "no attempt reached the bus while a meter answered (a busy machine?)"
        fast = findings(fleet.ok("GET", "/api/v1/buses/0/audit"))[("rtu", fleet.pty, "polling-too-fast")]
        assert fast["count"] == lost, (fast, lost)
        assert fast["detail"].startswith("lost: sent while a meter answered"), fast
        # The frame as it came in (a pty hands it over whole, or its first bytes).
        assert fast["example"] and " ".join(f"{b:02X}" for b in second).startswith(fast["example"]), fast


def test_on_a_shared_line_reads_after_a_collision_are_found_for_each_meter(binary, tmp_path, libmbus):
    """A fleet's M-bus line of 3; meter 2 set to meter 1's primary address 1: their answers
    collide. libmbus's request-data to address 1 twice: each of the two meters' audits has
    the untoggled FCB and the read by primary address after the collision; meter 3 heard
    nothing addressed to it."""
    with Twin(binary, str(tmp_path / "state"), "--clock", "stepped", "--meters", "3",
              "--mbus-tcp", "127.0.0.1:0", "--modbus-tcp", "127.0.0.1:0") as fleet:
        serials = [str(19020246 + i) for i in range(3)]
        fleet.ok("PUT", f"/api/v1/meters/{serials[1]}/settings",
                 {"password": "0000", "settings": {"mbus_id": 1}})
        port = port_of(fleet.ready["mbus_tcp"])
        for _ in range(2):
            tool(libmbus, "mbus-tcp-request-data", "127.0.0.1", port, 1)
        for s in serials[:2]:
            found = findings(fleet.ok("GET", f"/api/v1/meters/{s}/audit"))
            after = found.get(("mbus-tcp", "127.0.0.1", "no-secondary-after-collision"))
            assert after is not None and after["count"] >= 1, (s, found)
            assert ("mbus-tcp", "127.0.0.1", "fcb-not-toggled") in found, (s, found)
        assert fleet.ok("GET", f"/api/v1/meters/{serials[2]}/audit")["clients"] == []
