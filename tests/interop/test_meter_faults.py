"""Meter and storage faults (docs/faults.md) seen on every interface with the manual's values.

A CT connected backwards reads 'R' in 4012-4014 and counts reverse energy; a lost phase
reads 0 V on Modbus and M-bus; a CT of another ratio scales the current; a supply loss
silences the meter and counts a power-up. Storage faults give exactly the bits of manual
8.1 in 4015, the API and the LCD: one copy corrupt (bit 6 or 5), the mantissa (bit 4), an
unwritable area (bits 1-3) for its window, both copies (bits 0, 5, 6: the meter stops,
"Err 61"). A torn save with kill takes the process down as kill -9 would; the restart
recovers from the intact copy with bit 6, and no register goes back behind the last
completed save. Clients: pymodbus over Modbus TCP, libmbus over M-bus TCP.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_meter_faults.py --binary=PATH
"""
import http.client
import logging
import os
import shutil
import signal
import struct
import tempfile
import time

import pytest
from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ModbusException

from interop import ModbusTwin
from mbus_interop import libmbus_bin, parse_xml, tool

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

BALANCED = {p: {"v": 230, "i": 10, "phi": 0} for p in ("L1", "L2", "L3")}


@pytest.fixture(scope="module")
def libmbus(binary):
    return libmbus_bin(binary)


@pytest.fixture
def twin(binary):
    with ModbusTwin(binary, "--mbus-tcp", "127.0.0.1:0", rtu_over_tcp=False, pty=False) as t:
        t.mbus_port = int(t.ready["mbus_tcp"].rsplit(":", 1)[1])
        t.set_load(BALANCED)
        yield t


def start(twin, **body):
    status, answer = twin.request("POST", "/api/v1/faults", body)
    assert status == 201, answer
    return answer


def registers(twin, address, count):
    with ModbusTcpClient("127.0.0.1", port=twin.tcp_port, timeout=2) as c:
        r = c.read_holding_registers(address, count, slave=1)
        assert not r.isError(), r
        return r.registers


def f32(twin, address):
    hi, lo = registers(twin, address, 2)
    return struct.unpack(">f", struct.pack(">HH", hi, lo))[0]


def error_code(twin):
    return registers(twin, 0x4015, 1)[0]


def mbus_records(twin, libmbus):
    code, out, err = tool(libmbus, "mbus-tcp-request-data", "127.0.0.1", twin.mbus_port, 0)
    assert code == 0, err
    return parse_xml(out)[1]


def test_a_reversed_ct_reads_R_and_counts_reverse(twin, libmbus):
    start(twin, kind="ct-reversed", phase=2)
    assert [chr(w & 0xFF) for w in registers(twin, 0x4012, 3)] == ["F", "R", "F"]
    assert f32(twin, 0x5016) == pytest.approx(-2.3, abs=1e-3)  # L2 active power, kW
    twin.advance(3600)
    assert f32(twin, 0x6014) == pytest.approx(0.0)                # L2 forward
    assert f32(twin, 0x6012) == pytest.approx(2.3, abs=0.01)      # L1 forward
    state = twin.state()
    assert state["measurement"]["L2"]["direction"] == "R"
    assert state["energy"]["l2_reverse_active_kwh"] == pytest.approx(2.3)
    assert state["load"]["L2"]["phi"] == 0  # the grid is unchanged: the wiring is wrong
    powers = [v for u, v in mbus_records(twin, libmbus) if (u or "").startswith("Power (W)")]
    assert -2300.0 in [float(p) for p in powers], powers


def test_a_lost_phase_reads_no_voltage_and_ends(twin, libmbus):
    fault = start(twin, kind="phase-lost", phase=3, duration_s=600)
    assert f32(twin, 0x5006) == pytest.approx(0.0)
    assert f32(twin, 0x5002) == pytest.approx(230.0)
    volts = [float(v) for u, v in mbus_records(twin, libmbus) if (u or "").endswith(" V")]
    assert volts[:3] == [23000.0, 23000.0, 0.0], volts  # 0.01 V
    twin.advance(3600)  # 10 minutes without L3, 50 with
    assert f32(twin, 0x6016) == pytest.approx(2.3 * 50 / 60, abs=0.01)
    assert f32(twin, 0x5006) == pytest.approx(230.0)
    listed = {f["id"]: f for f in twin.ok("GET", "/api/v1/faults")["faults"]}
    assert listed[fault["id"]]["active"] is False and listed[fault["id"]]["applied"] == 1


def test_swapped_phases_read_a_third_of_the_power_negative(twin):
    start(twin, kind="phases-swapped", phase=1, other_phase=2)
    # I1 against V2 and I2 against V1: cos(±120°) = -1/2 on both; L3 is right.
    assert f32(twin, 0x5014) == pytest.approx(-1.15, abs=1e-3)
    assert f32(twin, 0x5016) == pytest.approx(-1.15, abs=1e-3)
    assert f32(twin, 0x5018) == pytest.approx(2.3, abs=1e-3)


def test_a_wrong_ct_ratio_scales_the_current(twin):
    twin.ok("PUT", "/api/v1/settings", {"password": "0000", "settings": {"ct_ratio": "100/5"}})
    start(twin, kind="wrong-ct-ratio", installed_ct=200)
    assert f32(twin, 0x500C) == pytest.approx(5.0, abs=1e-3)  # set to 100/5 on a 200/5 CT


def test_a_supply_loss_silences_the_meter_and_counts_a_power_up(twin):
    before = registers(twin, 0x4016, 1)[0]
    start(twin, kind="supply-lost", duration_s=60)
    try:  # a meter without supply is silent: no answer, or no connection at all
        with ModbusTcpClient("127.0.0.1", port=twin.tcp_port, timeout=0.5, retries=0) as c:
            assert c.read_holding_registers(0x4016, 1, slave=1).isError()
    except ModbusException:
        pass
    twin.advance(61)
    assert registers(twin, 0x4016, 1)[0] == before + 1
    assert twin.state()["power"]["powered"] is True


@pytest.mark.parametrize("area, code", [("main", 0x40), ("backup", 0x20), ("mantissa", 0x10)])
def test_one_corrupt_area_shows_its_bit_and_loses_nothing(twin, area, code):
    twin.advance(3600)
    energy = f32(twin, 0x600C)
    start(twin, kind="corrupt", area=area)
    assert error_code(twin) == code
    assert twin.state()["status"]["error_code"] == code
    assert f32(twin, 0x600C) == pytest.approx(energy)
    assert twin.state()["status"]["stopped"] is False
    twin.advance(3600)
    assert f32(twin, 0x600C) == pytest.approx(energy + 6.9, abs=0.01)  # it counts on


def test_both_copies_corrupt_stop_the_meter_with_err_61(twin):
    start(twin, kind="corrupt", area="both")
    state = twin.state()["status"]
    assert state["stopped"] is True and state["error_code"] == 0x61
    assert error_code(twin) == 0x61
    panel = twin.ok("GET", "/api/v1/panel")
    assert (panel["part2"]["caption"], panel["part2"]["value"]) == ("Err", "61")


def test_an_unwritable_area_shows_bits_1_to_3_for_its_window(twin):
    start(twin, kind="unwritable", area="mantissa", duration_s=30)
    start(twin, kind="unwritable", area="main", duration_s=60)
    assert error_code(twin) == 0x0A
    twin.advance(31)
    assert error_code(twin) == 0x08
    twin.advance(30)
    assert error_code(twin) == 0x00


def test_bad_meter_and_storage_faults_are_422_naming_the_member(twin):
    for body, member in [({"kind": "phase-lost", "phase": 0}, '"phase"'),
                         ({"kind": "phases-swapped", "phase": 2, "other_phase": 2}, '"other_phase"'),
                         ({"kind": "wrong-ct-ratio"}, '"installed_ct"'),
                         ({"kind": "corrupt", "area": "eeprom"}, '"area"'),
                         ({"kind": "supply-lost", "probability": 0.5}, '"probability"'),
                         ({"kind": "torn-write", "kill": 1}, '"kill"')]:
        status, answer = twin.request("POST", "/api/v1/faults", body)
        assert status == 422 and member in answer["error"], (body, answer)
    assert twin.ok("GET", "/api/v1/faults")["faults"] == []


def test_kill_in_a_torn_save_recovers_from_the_other_copy(binary):
    state = tempfile.mkdtemp(prefix="ambi-torn-")
    try:
        with ModbusTwin(binary, rtu_over_tcp=False, pty=False, state=state) as t:
            t.set_load(BALANCED)
            t.advance(3600)
            t.ok("POST", "/api/v1/power-cycle", {})  # a completed save
            saved = registers(t, 0x6000, 0x30)
            t.advance(1800)                           # counted, not yet saved
            try:  # the process dies before it answers
                t.request("POST", "/api/v1/faults", {"kind": "torn-write", "kill": True})
            except (OSError, http.client.HTTPException):
                pass
            deadline = time.monotonic() + 10
            while t.proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert t.proc.returncode == -signal.SIGKILL
        with ModbusTwin(binary, rtu_over_tcp=False, pty=False, state=state) as t:
            assert t.ready["error_code"] == 0x40
            assert error_code(t) == 0x40
            after = registers(t, 0x6000, 0x30)
            assert after == saved  # the backup's save: nothing behind it, nothing made up
            t.set_load(BALANCED)
            t.advance(3600)
            assert f32(t, 0x600C) == pytest.approx(6.9 * 2, abs=0.01)
    finally:
        shutil.rmtree(state, ignore_errors=True)


def test_a_fault_from_the_command_line(binary):
    with ModbusTwin(binary, "--fault", "ct-reversed:phase=1", "--fault", "unwritable:area=backup",
                    rtu_over_tcp=False, pty=False) as t:
        t.set_load(BALANCED)
        assert chr(registers(t, 0x4012, 1)[0] & 0xFF) == "R"
        assert error_code(t) == 0x04
        assert os.path.isdir(t.state_dir)


def faulted_run_trace(binary, tmp, pty):
    """One scripted run with link, meter and storage faults on a stepped clock; its trace."""
    from interop import InteropTwin, client
    trace = os.path.join(tmp, "trace.jsonl")
    if os.path.exists(trace):
        os.remove(trace)
    listeners = lambda _: ["--modbus-tcp", "off", "--modbus-rtu", "pty:" + pty]  # noqa: E731
    with InteropTwin(binary, "ambi-det-", listeners, ["--trace", trace]) as t:
        t.set_load(BALANCED)
        start(t, kind="bit-errors", bit_error_rate=0.02, seed=7)
        start(t, kind="phase-lost", phase=2, start_s=60, duration_s=120)
        start(t, kind="corrupt", area="backup", start_s=300)
        for _ in range(12):
            client(binary, "rtu", pty, 9600, "N", 1, "timeout", 300, "read", "0x5000", 8)
            t.advance(30)
    with open(trace, encoding="utf-8") as f:
        return f.read()


def test_two_runs_of_one_faulted_scenario_write_the_same_trace(binary):
    tmp = tempfile.mkdtemp(prefix="ambi-det-")
    try:
        pty = os.path.join(tmp, "ttyDET")  # the same device name in both runs (the trace's peer)
        first = faulted_run_trace(binary, tmp, pty)
        second = faulted_run_trace(binary, tmp, pty)
        assert first == second
        lines = first.splitlines()
        assert '"t":' not in first  # no wall time with a stepped clock
        for event in ("fault 2 (phase-lost) starts", "fault 2 (phase-lost) ends",
                      "fault 3 (corrupt) starts"):
            assert sum(event in line for line in lines) == 1, event
        assert any('"error":"fault 1 (bit-errors)"' in line for line in lines)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
