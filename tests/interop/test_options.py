"""The Modbus options of `ambimeter run`: user errors are one line and exit code 2 (a port
in use names the flag to change); --modbus-tcp off; the pty symlink replaces a stale one,
refuses other files and is removed at exit; --trace writes one JSON object per frame; the
status word shows communication after a request. (That the flag goes off 5 s after the last
request is a unit test on the twin's injected clock: tests/unit/twin/service/twin_clock_test.cpp.)

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_options.py --binary=PATH_TO_ambimeter
"""

import json
import os
import signal
import socket
import time

import pytest

from interop import ModbusTwin, mbap, raw_exchange, rtu, run_cli


def assert_usage_error(binary, state, args, expect):
    """`ambimeter run ARGS` is exit 2 and one line on stderr naming the fix, no ready line."""
    code, out, err = run_cli(binary, ["run", "--state", state, "--http", "127.0.0.1:0", "--clock", "stepped"] + args)
    lines = err.strip().splitlines()
    assert code == 2, f"exit 2: {err}"
    assert len(lines) == 1 and expect in lines[0], f"one line naming the fix: {err}"
    assert out == "", "no ready line"


@pytest.mark.parametrize("member, extra", [("modbus_tcp", []), ("rtu_over_tcp", ["--modbus-tcp", "off"])])
def test_port_in_use(binary, tmp_path, member, extra):
    """A port in use (another twin's) names the flag to change."""
    option = "--" + member.replace("_", "-")
    with ModbusTwin(binary, pty=False) as other:
        assert_usage_error(binary, str(tmp_path / "state"), extra + [option, other.ready[member]],
                           f"address in use; choose another with {option}")


@pytest.mark.parametrize("args, expect", [
    pytest.param(["--modbus-tcp", "nowhere"], "bad --modbus-tcp \"nowhere\"", id="bad --modbus-tcp"),
    pytest.param(["--modbus-tcp", "off", "--quirk", "fc05"], "bad --quirk \"fc05\"", id="bad --quirk"),
    pytest.param(["--modbus-tcp", "off", "--rtu-ignore-gaps"], "--rtu-ignore-gaps applies to a serial device only",
                 id="ignore-gaps on a pty"),
    pytest.param(["--modbus-tcp", "off", "--rtu-pacing"], "--rtu-pacing applies to --modbus-rtu", id="pacing alone"),
    pytest.param(["--modbus-tcp", "off", "--modbus-rtu", "/dev/ttyNOSUCH"], "cannot open serial device /dev/ttyNOSUCH",
                 id="no such device"),
    pytest.param(["--modbus-tcp", "off", "--modbus-rtu", "/dev/null"], "/dev/null is not a serial device",
                 id="not a tty"),
    pytest.param(["--modbus-tcp", "off", "--busy-poll", "-1"],
                 "bad --busy-poll -1: give microseconds from 0 (off) to 10000", id="negative busy-poll"),
    pytest.param(["--modbus-tcp", "off", "--busy-poll", "20000"], "bad --busy-poll 20000", id="huge busy-poll"),
    pytest.param(["--modbus-tcp", "off", "--modbus-idle-timeout", "0"], "bad --modbus-idle-timeout",
                 id="bad idle timeout"),
    pytest.param(["--modbus-tcp", "off", "--trace", "/nonexistent/dir/t.jsonl"],
                 "cannot open trace file /nonexistent/dir/t.jsonl", id="unwritable trace"),
])
def test_user_error(binary, tmp_path, args, expect):
    assert_usage_error(binary, str(tmp_path / "state"), args, expect)


def test_pty_path_is_a_file(binary, tmp_path):
    """--modbus-rtu pty:PATH refuses to replace a file that is not a symlink, and leaves it alone."""
    regular = tmp_path / "ttyAMBI"
    regular.write_text("keep me")
    assert_usage_error(binary, str(tmp_path / "state"), ["--modbus-tcp", "off", "--modbus-rtu", f"pty:{regular}"],
                       "is not a symlink")
    assert regular.read_text() == "keep me", "the file is untouched"


def test_off_and_the_pty_symlink(binary):
    twin = ModbusTwin(binary, tcp=False, rtu_over_tcp=False)
    os.symlink("/dev/pts/9999", twin.pty)  # a stale link from a crashed run
    with twin:
        assert twin.ready["modbus_tcp"] is None, "modbus_tcp off"
        assert twin.ready["rtu_over_tcp"] is None, "rtu_over_tcp off"
        assert twin.ready["modbus_rtu"] == twin.pty, "modbus_rtu path"
        assert twin.ready["busy_poll_us"] == 200, "busy-poll window by default"
        assert os.path.realpath(twin.pty).startswith("/dev/pts/") and os.path.exists(twin.pty), \
            f"stale symlink replaced: {os.path.realpath(twin.pty)}"
        assert twin.terminate(signal.SIGTERM) == 0, "SIGTERM exit"
        assert not os.path.lexists(twin.pty), "symlink removed at exit"


def read_trace(path, count, timeout=5.0):
    """The trace's JSON lines once there are `count` of them (or what is there at the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        with open(path) as f:
            lines = [json.loads(line) for line in f if line.endswith("\n")]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.01)


def test_trace_and_communication_flag(binary, tmp_path):
    trace = str(tmp_path / "trace.jsonl")
    with ModbusTwin(binary, "--trace", trace) as twin:
        assert twin.ready["trace"] == trace, "ready names the trace"
        request = mbap(5, 1, 0x03, 0x40, 0x03, 0, 1)
        assert raw_exchange(twin.tcp_port, request, 11) == mbap(5, 1, 0x03, 2, 0, 1), "tcp read"
        assert "communication_active" in twin.state()["status"]["status_bits"], "communication active after a request"
        with socket.create_connection(("127.0.0.1", twin.rtu_tcp_port), timeout=5) as s:
            s.sendall(rtu(1, 0x03, 0x40, 0x03, 0, 2)[:-1] + b"\x00")
            lines = read_trace(trace, 3)
        assert len(lines) == 3, "three lines"
        first, second = lines[0], lines[1]
        assert (first["transport"], first["dir"], first["hex"]) == \
            ("tcp", "in", "00 05 00 00 00 06 01 03 40 03 00 01"), "in"
        assert first["decoded"] == {"transaction": 5, "unit": 1, "function": 3, "address": 0x4003, "count": 1}, \
            "in decoded"
        assert (second["dir"], second["decoded"]["values"]) == ("out", [1]), "out decoded"
        assert all(k in first for k in ("sim_ms", "peer")), f"fields: {first}"
        assert "t" not in first, "a stepped clock writes no wall time"
        assert (lines[2]["transport"], "error" in lines[2]) == ("rtu-over-tcp", True), "bad CRC traced as an error"
