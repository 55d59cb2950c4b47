"""Bad M-bus input over TCP: a bad checksum, wrong lengths, a bad stop byte, garbage before a
valid telegram (resynchronisation), half a telegram then silence, a silent client, telegrams
for another address, a refused write. Each is met with silence (or the valid telegram's
answer), the meter is unchanged, and the server keeps serving everyone.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_mbus_bad_input.py --binary=PATH_TO_ambimeter
"""

import json
import os
import signal
import socket
import time

import pytest

from interop import recv_until, run_cli
from mbus_interop import MbusTwin, long_frame, short

ACK = b"\xe5"
SND_NKE = short(0x40, 0)
REQ_UD2 = short(0x7B, 0)
SILENCE_S = 0.5


def exchange(sock, payload, expect=None, timeout=SILENCE_S):
    sock.sendall(payload)
    return recv_until(sock, expect, timeout)


def connect(twin):
    return socket.create_connection(("127.0.0.1", twin.port), timeout=5)


def settings(twin):
    return twin.state()["settings"]


SET_ID_7 = long_frame(0x53, 0, 0x51, [0x01, 0x7A, 7])
BROKEN = {
    "bad checksum (short)": SND_NKE[:3] + b"\x00\x16",
    "bad checksum (write)": SET_ID_7[:-2] + bytes([(SET_ID_7[-2] + 1) & 0xFF, 0x16]),
    "unequal L fields": b"\x68\x06\x07\x68" + SET_ID_7[4:],
    "L below 3": b"\x68\x02\x02\x68\x53\x00\x53\x16",
    "bad stop byte": SND_NKE[:4] + b"\x17",
    "another address": short(0x40, 9),
    "reserved address 251": short(0x40, 251),
    "unknown C field": short(0x4F, 0),
    "write of a read-only record": long_frame(0x53, 0, 0x51, [0x04, 0x03, 1, 0, 0, 0]),
    "primary address out of range": long_frame(0x53, 0, 0x51, [0x01, 0x7A, 251]),
    "19200 baud is no M-bus rate of this meter": long_frame(0x53, 0, 0xBE),
}


@pytest.mark.parametrize("payload", list(BROKEN.values()), ids=list(BROKEN))
def test_a_broken_telegram_is_not_answered(binary, payload):
    """Silence, then a valid telegram is answered, and no setting changed."""
    with MbusTwin(binary, pty=False) as twin, connect(twin) as s:
        assert exchange(s, payload) == b"", "silence"
        assert exchange(s, SND_NKE, 1) == ACK, "then a valid telegram is answered"
        assert (settings(twin)["mbus_id"], settings(twin)["mbus_baud"]) == (0, 2400), "settings unchanged"


def test_garbage_then_a_valid_telegram(binary):
    with MbusTwin(binary, pty=False) as twin, connect(twin) as s:
        assert exchange(s, b"\x00\xff\x42\x16" + SND_NKE, 1) == ACK, "garbage then SND_NKE"
        assert exchange(s, b"\x68\x10" + SND_NKE, 1) == ACK, "a false start byte then SND_NKE"
        reply = exchange(s, b"\x01\x02" + REQ_UD2, 250, timeout=2)
        assert (len(reply), reply[:4], reply[-1:]) == (250, b"\x68\xf4\xf4\x68", b"\x16"), \
            "garbage then REQ_UD2: a whole RSP_UD"
        assert exchange(s, SND_NKE + SND_NKE, 2) == ACK + ACK, "two telegrams in one segment, both answered"


def test_half_telegrams_and_silent_clients(binary):
    with MbusTwin(binary, pty=False) as twin:
        with connect(twin) as s:
            assert exchange(s, SET_ID_7[:6]) == b"", "half a long frame: silence"
            time.sleep(0.3)
            assert exchange(s, SND_NKE, 1, timeout=2) == ACK, "after a silence the next telegram is answered"
            assert exchange(s, SND_NKE[:2], None, 0.02) + exchange(s, SND_NKE[2:], 1) == ACK, \
                "half a short frame then its rest, split by little time"
        with connect(twin), connect(twin) as half:  # the first says nothing, the second half a telegram
            half.sendall(b"\x68\xf4\xf4\x68\x53")
            with connect(twin) as other:
                assert exchange(other, SND_NKE, 1, timeout=2) == ACK, "others are served meanwhile"
            assert twin.get("/api/v1/state")[0] == 200, "HTTP still answers"
        assert settings(twin)["mbus_id"] == 0, "mbus_id unchanged"
        assert twin.proc.poll() is None, "process alive"


def test_idle_connections_are_closed(binary):
    with MbusTwin(binary, "--modbus-idle-timeout", "0.5", pty=False) as twin, connect(twin) as s:
        started = time.monotonic()
        data = recv_until(s, None, 5)
        took = time.monotonic() - started
        assert data == b"", "closed by the twin"
        assert 0.3 < took < 3, f"after about the idle timeout: {took:.2f} s"


def test_trace_decodes_and_reports_drops(binary, tmp_path):
    trace = str(tmp_path / "t.jsonl")
    with MbusTwin(binary, "--trace", trace, pty=False) as twin, connect(twin) as s:
        exchange(s, b"\x00" + REQ_UD2, 250, timeout=2)
        exchange(s, SND_NKE[:3] + b"\x00\x16")
        with open(trace) as f:
            lines = [json.loads(line) for line in f]
        assert {line["transport"] for line in lines} == {"mbus-tcp"}, "transports"
        assert (lines[0]["hex"], lines[0]["error"]) == ("00", "garbage: 1 bytes dropped"), "garbage traced"
        assert lines[1]["decoded"] == {"format": "short", "function": "REQ_UD2", "c": 0x7B, "a": 0, "fcb": 1,
                                       "fcv": 1}, "request decoded"
        out = lines[2]["decoded"]
        assert (out["function"], out["id"], out["manufacturer"], out["access_number"],
                out["records"]["l1_voltage"]) == ("RSP_UD", "19020246", "INM", 1, 230.0), "answer decoded"
        assert (lines[3]["hex"], lines[3]["error"]) == ("10 40 00 00 16", "bad checksum: 5 bytes dropped"), \
            "bad checksum traced"


def assert_usage_error(binary, state, args, expect):
    """`ambimeter run ARGS` (M-bus options, Modbus TCP off) is exit 2 and one line naming the fix."""
    code, out, err = run_cli(binary, ["run", "--state", state, "--http", "127.0.0.1:0", "--clock", "stepped",
                                      "--modbus-tcp", "off"] + args)
    lines = err.strip().splitlines()
    assert code == 2, f"exit 2: {err}"
    assert len(lines) == 1 and expect in lines[0], "one line naming the fix"
    assert out == "", "no ready line"


def test_port_in_use_and_the_pty_symlink(binary, tmp_path):
    with MbusTwin(binary) as other:
        assert_usage_error(binary, str(tmp_path / "state"), ["--mbus-tcp", other.ready["mbus_tcp"]],
                           "address in use; choose another with --mbus-tcp (or --mbus-tcp off)")
        assert other.ready["mbus_serial"] == other.pty, "ready names the pty"
        assert os.path.realpath(other.pty).startswith("/dev/pts/"), "pty symlink"
        assert other.terminate(signal.SIGTERM) == 0, "SIGTERM exit"
        assert not os.path.lexists(other.pty), "symlink removed at exit"


@pytest.mark.parametrize("args, expect", [
    pytest.param(["--mbus-quirk", "fcb"], "bad --mbus-quirk \"fcb\"", id="bad quirk"),
    pytest.param(["--mbus-tcp", "nowhere"], "bad --mbus-tcp \"nowhere\"", id="bad address"),
    pytest.param(["--mbus-tcp", "off", "--mbus-serial", "/dev/null"],
                 "/dev/null is not a serial device; check --mbus-serial", id="not a tty"),
])
def test_user_error(binary, tmp_path, args, expect):
    assert_usage_error(binary, str(tmp_path / "state"), args, expect)


def test_mbus_tcp_off(binary):
    with MbusTwin(binary, tcp=False, pty=False) as twin:
        assert twin.ready["mbus_tcp"] is None, "off"
