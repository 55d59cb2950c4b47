"""Faults on a meter's Modbus link (docs/faults.md), seen by clients nobody here wrote.

`POST /api/v1/faults` starts one, `GET` lists them with what each did, `DELETE
/api/v1/faults/ID` ends it; `--fault SPEC` starts one from the command line. libmodbus and
pymodbus time out on silence, report a CRC error on a bad CRC and see the exception code;
a delayed reply arrives late; a window of simulated time bounds a fault; every fault that
acted is in the trace with its id and cause; two runs with one seed are byte for byte the
same; behind a fleet's gateway the head-end sees what the gateway makes of a faulted meter.
When a fault ends, the next request is answered normally.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_faults.py --binary=PATH_TO_ambimeter
"""
import json
import logging
import os
import shutil
import socket
import tempfile
import time

import pytest
from pymodbus.client import ModbusSerialClient, ModbusTcpClient

from interop import ModbusTwin, Twin, client, crc16, mbap, port_of, recv_until, rtu, run_cli
from mbus_interop import libmbus_bin, tool

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

EMBBADCRC = 12          # libmodbus: MODBUS_ENOBASE + 12, "Invalid CRC"
SERIAL = "19020246"


@pytest.fixture(scope="module")
def meter(binary):
    tmp = tempfile.mkdtemp(prefix="ambi-faults-")
    trace = os.path.join(tmp, "trace.jsonl")
    with ModbusTwin(binary, "--trace", trace) as twin:
        twin.trace = trace
        yield twin
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def fault(meter):
    """Starts faults on the meter; ends every one it started after the test."""
    started = []

    def start(**body):
        status, answer = meter.request("POST", "/api/v1/faults", body)
        assert status == 201, answer
        started.append(answer["id"])
        return answer
    yield start
    for fid in started:
        meter.request("DELETE", f"/api/v1/faults/{fid}")


def wait_for(get, done, timeout=10.0):
    """get() until done(value) or `timeout` seconds; the last value either way."""
    deadline = time.monotonic() + timeout
    value = get()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.05)
        value = get()
    return value


def faults_of(twin):
    return {f["id"]: f for f in twin.ok("GET", "/api/v1/faults")["faults"]}


def tcp_read(twin, timeout_ms=400):
    return client(twin.binary, "tcp", "127.0.0.1", twin.tcp_port, 1, "timeout", timeout_ms,
                  "read", "0x4000", 2)


def rtu_read(twin, timeout_ms=400):
    return client(twin.binary, "rtu", twin.pty, 9600, "N", 1, "timeout", timeout_ms,
                  "read", "0x4000", 2)


def serial_words():
    value = int(SERIAL, 16)
    return [value >> 16, value & 0xFFFF]


def raw_tcp(twin, payload, expect, timeout=2.0):
    with socket.create_connection(("127.0.0.1", twin.tcp_port), timeout=timeout) as s:
        s.sendall(payload)
        return recv_until(s, expect, timeout)


def test_no_reply_times_both_clients_out_until_it_ends(meter, fault):
    f = fault(kind="no-reply")
    code, lines, err = tcp_read(meter)
    assert code == 0 and "error" in lines[-1], lines            # libmodbus: timed out
    c = ModbusSerialClient(meter.pty, baudrate=9600, parity="N", timeout=0.5)
    try:
        assert c.connect()
        assert c.read_holding_registers(0x4000, 2, slave=1).isError()
    finally:
        c.close()
    # The pty's request may still be on its way to the twin when pymodbus gives up.
    listed = wait_for(lambda: faults_of(meter)[f["id"]], lambda x: x["applied"] == 2)
    assert listed["active"] and listed["applied"] == 2 and listed["kind"] == "no-reply"
    status, ended = meter.request("DELETE", f"/api/v1/faults/{f['id']}")
    assert status == 200 and ended["ended"] and not ended["active"], ended
    code, lines, err = tcp_read(meter)
    assert lines[-1].get("values") == serial_words(), lines


def test_a_bad_crc_is_a_crc_error_on_rtu_and_nothing_on_tcp(meter, fault):
    f = fault(kind="bad-crc")
    code, lines, err = rtu_read(meter)
    assert lines[-1].get("exception") == EMBBADCRC, lines
    code, lines, err = tcp_read(meter)                         # Modbus TCP has no CRC
    assert lines[-1].get("values") == serial_words(), lines
    assert faults_of(meter)[f["id"]]["applied"] == 1


def test_an_exception_instead_of_data_reaches_both_clients(meter, fault):
    fault(kind="exception", exception_code=6)
    code, lines, err = tcp_read(meter)
    assert lines[-1].get("exception") == 6, lines              # server device busy
    c = ModbusSerialClient(meter.pty, baudrate=9600, parity="N", timeout=1)
    try:
        assert c.connect()
        r = c.read_holding_registers(0x4000, 2, slave=1)
        assert r.isError() and r.exception_code == 6, r
    finally:
        c.close()


def test_a_delayed_reply_arrives_late(meter, fault):
    fault(kind="delay", delay_ms=300)
    c = ModbusTcpClient("127.0.0.1", port=meter.tcp_port, timeout=3)
    try:
        assert c.connect()
        t0 = time.monotonic()
        r = c.read_holding_registers(0x4000, 2, slave=1)
        took = time.monotonic() - t0
        assert not r.isError() and r.registers == serial_words(), r
        assert 0.3 <= took < 0.6, took
    finally:
        c.close()


def test_wrong_transaction_wrong_unit_truncate_and_garbage_change_the_bytes(meter, fault):
    request = mbap(7, 1, 0x03, 0x40, 0x00, 0x00, 0x02)
    clean = raw_tcp(meter, request, 13)
    assert clean[:2] == b"\x00\x07" and len(clean) == 13
    f = fault(kind="wrong-transaction")
    assert raw_tcp(meter, request, 13)[:2] == b"\x00\x08"
    meter.request("DELETE", f"/api/v1/faults/{f['id']}")
    f = fault(kind="truncate", keep_bytes=5)
    assert raw_tcp(meter, request, 13, timeout=0.5) == clean[:5]
    meter.request("DELETE", f"/api/v1/faults/{f['id']}")
    f = fault(kind="garbage", garbage_bytes=3, after=True)
    got = raw_tcp(meter, request, 16)
    assert got[:13] == clean and len(got) == 16
    meter.request("DELETE", f"/api/v1/faults/{f['id']}")
    fault(kind="wrong-unit")
    import serial
    with serial.Serial(meter.pty, 9600, timeout=0.5) as line:
        line.write(rtu(1, 0x03, 0x40, 0x00, 0x00, 0x02))
        got = line.read(9)
    assert got[0] == 2 and crc16(got[:-2]) == got[-2:], got.hex()   # a good frame from unit 2


def test_a_fault_acts_only_in_its_window_of_simulated_time(meter, fault):
    f = fault(kind="exception", start_s=10, duration_s=20)
    assert not faults_of(meter)[f["id"]]["active"]
    assert tcp_read(meter)[1][-1].get("values") == serial_words()
    meter.advance(10)
    assert tcp_read(meter)[1][-1].get("exception") == 6
    meter.advance(20)
    assert tcp_read(meter)[1][-1].get("values") == serial_words()
    listed = faults_of(meter)[f["id"]]
    assert (listed["seen"], listed["applied"]) == (1, 1), listed


def test_a_probability_hits_some_replies_reproducibly(meter, fault):
    f = fault(kind="exception", probability=0.5, seed=42)
    results = []
    c = ModbusTcpClient("127.0.0.1", port=meter.tcp_port, timeout=2)
    try:
        assert c.connect()
        for _ in range(40):
            results.append(c.read_holding_registers(0x4000, 2, slave=1).isError())
    finally:
        c.close()
    listed = faults_of(meter)[f["id"]]
    assert listed["seen"] == 40 and listed["applied"] == sum(results)
    assert 8 <= sum(results) <= 32, results


def test_every_fault_that_acted_is_in_the_trace(meter, fault):
    f = fault(kind="exception")
    tcp_read(meter)
    with open(meter.trace) as t:
        lines = [json.loads(line) for line in t if line.strip()]
    causes = [line["error"] for line in lines if "error" in line]
    assert f"fault {f['id']} (exception)" in causes, causes[-5:]


@pytest.mark.parametrize("body, message", [
    ({"kind": "no-replay"}, 'unknown "kind" "no-replay"'),
    ({}, 'missing "kind"'),
    ({"kind": "no-reply", "probability": 2}, '"probability" 2 is out of range'),
    ({"kind": "no-reply", "delay_ms": 5}, "delay_ms"),
    ({"kind": "delay", "delay_ms": -1}, '"delay_ms" -1 is out of range'),
    ({"kind": "bit-errors", "bit_error_rate": 0}, '"bit_error_rate" 0'),
    ({"kind": "exception", "exception_code": 256}, '"exception_code" 256 is out of range'),
])
def test_bad_faults_are_refused_with_422_naming_the_member(meter, body, message):
    before = len(faults_of(meter))
    status, answer = meter.request("POST", "/api/v1/faults", body)
    assert status == 422 and message in answer["error"], answer
    assert len(faults_of(meter)) == before, "nothing is started"


def test_ending_an_unknown_fault_is_404(meter):
    status, answer = meter.request("DELETE", "/api/v1/faults/999")
    assert status == 404 and "no fault 999" in answer["error"], answer


def test_a_fault_from_the_command_line_acts_from_the_start(binary):
    with ModbusTwin(binary, "--fault", "exception:exception_code=4", pty=False,
                    rtu_over_tcp=False) as twin:
        assert tcp_read(twin)[1][-1].get("exception") == 4
        [f] = twin.ok("GET", "/api/v1/faults")["faults"]
        assert f["kind"] == "exception" and f["exception_code"] == 4


@pytest.mark.parametrize("spec, message", [
    ("no-replay", 'bad --fault no-replay: unknown "kind"'),
    ("delay:delay_ms", 'give NAME=VALUE'),
    ("delay:delay_ms=soon", "\"delay_ms\" must be a number, got \"soon\""),
    ("no-reply:probability=0", '"probability" 0 never acts'),
])
def test_a_bad_fault_spec_is_refused_with_one_line(binary, tmp_path, spec, message):
    code, out, err = run_cli(binary, ["run", "--state", str(tmp_path), "--http", "127.0.0.1:0",
                                      "--fault", spec])
    assert code == 2, err
    assert message in err and len(err.strip().splitlines()) == 1, err


def replies_of_a_run(binary):
    """What a client reads in a fixed session against a meter with bit errors and a seed."""
    got = []
    with ModbusTwin(binary, "--fault", "bit-errors:bit_error_rate=0.02,seed=9", pty=False,
                    rtu_over_tcp=False) as twin:
        with socket.create_connection(("127.0.0.1", twin.tcp_port), timeout=2) as s:
            for n in range(30):
                s.sendall(mbap(n, 1, 0x03, 0x50, 0x00, 0x00, 0x10))
                got.append(recv_until(s, 9 + 32, 1.0))
    return got


def test_two_runs_with_one_seed_read_the_same_bytes(binary):
    first, second = replies_of_a_run(binary), replies_of_a_run(binary)
    assert first == second
    assert len({bytes(r) for r in first}) > 1, "the bit errors changed some replies"


def test_behind_a_gateway_the_head_end_sees_what_the_gateway_makes_of_it(binary):
    tmp = tempfile.mkdtemp(prefix="ambi-faults-fleet-")
    try:
        with Twin(binary, os.path.join(tmp, "state"), "--meters", "3", "--clock", "stepped",
                  "--mbus-tcp", "off") as fleet:
            port = port_of(fleet.ready["gateways"][0]["modbus_tcp"])
            second = "19020247"                                   # unit 2
            status, f = fleet.request("POST", f"/api/v1/meters/{second}/faults",
                                      {"kind": "bad-crc"})
            assert status == 201, f
            code, lines, err = client(binary, "tcp", "127.0.0.1", port, 2, "read", "0x4000", 2)
            assert lines[-1].get("exception") == 0x0B, lines     # the gateway got no answer
            code, lines, err = client(binary, "tcp", "127.0.0.1", port, 1, "read", "0x4000", 2)
            assert "values" in lines[-1], lines                  # the others are fine
            fleet.ok("DELETE", f"/api/v1/meters/{second}/faults/{f['id']}")
            status, f = fleet.request("POST", f"/api/v1/meters/{second}/faults",
                                      {"kind": "exception", "exception_code": 6})
            code, lines, err = client(binary, "tcp", "127.0.0.1", port, 2, "read", "0x4000", 2)
            assert lines[-1].get("exception") == 6, lines        # passed through
            listed = fleet.ok("GET", f"/api/v1/meters/{second}/faults")["faults"]
            assert [x["applied"] for x in listed] == [1, 1], listed
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_a_seeded_fraction_of_a_fleet_goes_silent_and_comes_back(binary):
    tmp = tempfile.mkdtemp(prefix="ambi-faults-fraction-")
    try:
        with Twin(binary, os.path.join(tmp, "state"), "--meters", "20", "--clock", "stepped",
                  "--mbus-tcp", "off") as fleet:
            port = port_of(fleet.ready["gateways"][0]["modbus_tcp"])
            answer = fleet.ok("POST", "/api/v1/fleet/faults?fraction=0.3&seed=5",
                              {"kind": "no-reply", "duration_s": 600})
            assert answer["changed"] == answer["selected"] and 2 <= answer["selected"] <= 12
            meters = fleet.ok("GET", "/api/v1/meters?limit=20")["meters"]
            silent = {m["modbus"]["unit"] for m in meters if m["faults"] == 1}
            assert len(silent) == answer["selected"], meters
            for unit in range(1, 21):
                code, lines, err = client(binary, "tcp", "127.0.0.1", port, unit,
                                          "read", "0x4000", 2)
                if unit in silent:
                    assert lines[-1].get("exception") == 0x0B, (unit, lines)
                else:
                    assert "values" in lines[-1], (unit, lines)
            # The window ends: every meter answers again.
            fleet.advance(600)
            assert all(m["faults"] == 0
                       for m in fleet.ok("GET", "/api/v1/meters?limit=20")["meters"])
            unit = min(silent)
            code, lines, err = client(binary, "tcp", "127.0.0.1", port, unit, "read", "0x4000", 2)
            assert "values" in lines[-1], lines
            # Ended early, by id, for the same selection.
            fleet.ok("POST", "/api/v1/fleet/faults?fraction=0.3&seed=5", {"kind": "exception"})
            status, ended = fleet.request("DELETE", "/api/v1/fleet/faults/2?fraction=0.3&seed=5")
            assert status == 200 and ended["changed"] == answer["selected"], ended
            code, lines, err = client(binary, "tcp", "127.0.0.1", port, unit, "read", "0x4000", 2)
            assert "values" in lines[-1], lines
            # An id one selected meter does not have is its refusal, not a wrong path: the
            # others end theirs.
            for _ in range(3):  # an id above any 19020246 has (at most 2 so far)
                assert fleet.request("POST", "/api/v1/meters/19020248/faults",
                                     {"kind": "no-reply"})[0] == 201
            last = fleet.ok("GET", "/api/v1/meters/19020248/faults")["faults"][-1]["id"]
            status, ended = fleet.request(
                "DELETE", f"/api/v1/fleet/faults/{last}?serials=19020246,19020248")
            assert status == 200 and ended["changed"] == 1 and ended["refused"] == 1, ended
            assert ended["first_refusals"][0]["status"] == 404, ended
            assert fleet.ok("GET", "/api/v1/meters/19020248/faults")["faults"][-1]["ended"]
            status, wrong = fleet.request("DELETE", "/api/v1/fleet/nothing?serials=19020246")
            assert status == 404 and "no endpoint" in wrong["error"], wrong
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --- M-bus ---------------------------------------------------------------------------------

SND_NKE_0 = bytes([0x10, 0x40, 0x00, 0x40, 0x16])
REQ_UD2_0 = bytes([0x10, 0x5B, 0x00, 0x5B, 0x16])


@pytest.fixture(scope="module")
def mbus_meter(binary):
    tmp = tempfile.mkdtemp(prefix="ambi-faults-mbus-")
    try:
        with Twin(binary, os.path.join(tmp, "state"), "--clock", "stepped", "--modbus-tcp",
                  "off", "--mbus-tcp", "127.0.0.1:0") as twin:
            twin.bin = libmbus_bin(binary)
            twin.host, port = twin.ready["mbus_tcp"].rsplit(":", 1)
            twin.port = int(port)
            yield twin
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def mbus_fault(mbus_meter):
    started = []

    def start(**body):
        status, answer = mbus_meter.request("POST", "/api/v1/faults", body)
        assert status == 201, answer
        started.append(answer["id"])
        return answer
    yield start
    for fid in started:
        mbus_meter.request("DELETE", f"/api/v1/faults/{fid}")


def mbus_raw(twin, telegram, expect, timeout=1.0):
    with socket.create_connection((twin.host, twin.port), timeout=2) as s:
        t0 = time.monotonic()
        s.sendall(telegram)
        got = recv_until(s, expect, timeout)
        return got, time.monotonic() - t0


def libmbus_read(twin, address=0):
    return tool(twin.bin, "mbus-tcp-request-data", twin.host, twin.port, address)


@pytest.mark.parametrize("kind", ["bad-crc", "collision", "bit-errors", "truncate"])
def test_libmbus_cannot_parse_a_faulted_answer_and_reads_again_once_it_ends(mbus_meter, kind):
    body = {"kind": kind}
    if kind == "bit-errors":
        body["bit_error_rate"] = 0.05
    status, f = mbus_meter.request("POST", "/api/v1/faults", body)
    assert status == 201, f
    try:
        code, out, err = libmbus_read(mbus_meter)
        assert code != 0 and "<SlaveInformation>" not in out, out + err
        assert "failed to parse" in (out + err) or "timeout" in (out + err), out + err
    finally:
        mbus_meter.ok("DELETE", f"/api/v1/faults/{f['id']}")
    code, out, err = libmbus_read(mbus_meter)
    assert code == 0 and f"<Id>{SERIAL}</Id>" in out, out + err


def test_no_e5_and_a_late_e5(mbus_meter, mbus_fault):
    got, _ = mbus_raw(mbus_meter, SND_NKE_0, 1)
    assert got == b"\xe5"
    f = mbus_fault(kind="no-reply")
    got, _ = mbus_raw(mbus_meter, SND_NKE_0, 1, timeout=0.5)
    assert got == b"", got
    mbus_meter.ok("DELETE", f"/api/v1/faults/{f['id']}")
    mbus_fault(kind="delay", delay_ms=300)
    got, took = mbus_raw(mbus_meter, SND_NKE_0, 1, timeout=2)
    assert got == b"\xe5" and 0.3 <= took < 0.8, (got, took)


def test_a_wrong_address_is_a_well_formed_answer_from_the_next_one(mbus_meter, mbus_fault):
    clean, _ = mbus_raw(mbus_meter, REQ_UD2_0, 250)
    assert clean[0] == 0x68 and clean[5] == 0x00
    mbus_fault(kind="wrong-unit")
    got, _ = mbus_raw(mbus_meter, REQ_UD2_0, 250)
    assert got[5] == 0x01 and got[-1] == 0x16
    assert sum(got[4:-2]) & 0xFF == got[-2], "the checksum fits"


def test_a_faulted_meter_on_an_m_bus_line_leaves_the_others_readable(binary):
    tmp = tempfile.mkdtemp(prefix="ambi-faults-line-")
    try:
        with Twin(binary, os.path.join(tmp, "state"), "--meters", "3", "--clock", "stepped",
                  "--mbus-tcp", "127.0.0.1:0") as fleet:
            fleet.bin = libmbus_bin(binary)
            fleet.host, port = fleet.ready["mbus_tcp"].rsplit(":", 1)
            fleet.port = int(port)
            second = "19020247"                                  # primary address 2
            status, f = fleet.request("POST", f"/api/v1/meters/{second}/faults",
                                      {"kind": "bad-crc"})
            assert status == 201, f
            code, out, err = libmbus_read(fleet, 2)
            assert code != 0 and "<SlaveInformation>" not in out, out + err
            code, out, err = libmbus_read(fleet, 1)
            assert code == 0 and "<Id>19020246</Id>" in out, out + err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --- Modbus TCP connections -------------------------------------------------------------------

READ = mbap(1, 1, 0x03, 0x40, 0x00, 0x00, 0x02)


def test_a_reset_fault_resets_the_connection_instead_of_answering(meter, fault):
    fault(kind="reset")
    with socket.create_connection(("127.0.0.1", meter.tcp_port), timeout=2) as s:
        s.sendall(READ)
        with pytest.raises(ConnectionResetError):
            for _ in range(20):                       # until the RST is seen
                if s.recv(64) == b"":
                    pytest.fail("closed with FIN, not reset")
    code, lines, err = tcp_read(meter)                # libmodbus: the connection is gone
    assert "values" not in lines[-1], lines


def test_close_after_n_requests_closes_after_answering_the_nth(meter, fault):
    fault(kind="close", after_requests=3)
    with socket.create_connection(("127.0.0.1", meter.tcp_port), timeout=2) as s:
        for n in range(3):
            s.sendall(mbap(n, 1, 0x03, 0x40, 0x00, 0x00, 0x02))
            assert len(recv_until(s, 13, 2)) == 13, n
        s.sendall(READ)
        assert recv_until(s, 13, 1) == b"", "closed after the third answer"
    c = ModbusTcpClient("127.0.0.1", port=meter.tcp_port, timeout=1)
    try:
        assert c.connect()                            # a new connection is served again
        assert not c.read_holding_registers(0x4000, 2, slave=1).isError()
    finally:
        c.close()


def test_a_stalled_connection_stays_open_and_never_answers(meter, fault):
    f = fault(kind="stall")
    with socket.create_connection(("127.0.0.1", meter.tcp_port), timeout=2) as s:
        s.sendall(READ)
        assert recv_until(s, 13, 0.5) == b""
        meter.ok("DELETE", f"/api/v1/faults/{f['id']}")
        s.sendall(READ)                               # still stalled: it was this connection
        assert recv_until(s, 13, 0.5) == b""
    assert tcp_read(meter)[1][-1].get("values") == serial_words()   # a new one is fine


def test_a_refuse_fault_resets_new_connections_until_it_ends(meter, fault):
    f = fault(kind="refuse")
    c = ModbusTcpClient("127.0.0.1", port=meter.tcp_port, timeout=1, retries=0)
    try:
        c.connect()
        assert c.read_holding_registers(0x4000, 2, slave=1).isError()
    finally:
        c.close()
    assert faults_of(meter)[f["id"]]["applied"] >= 1
    meter.ok("DELETE", f"/api/v1/faults/{f['id']}")
    assert tcp_read(meter, timeout_ms=3000)[1][-1].get("values") == serial_words()


def test_connection_faults_do_not_act_on_serial_lines(meter, fault):
    f = fault(kind="reset")
    code, lines, err = rtu_read(meter)
    assert lines[-1].get("values") == serial_words(), lines
    assert faults_of(meter)[f["id"]]["applied"] == 0
