"""`ambimeter read`, `write` and `watch` against a running twin over Modbus TCP, RTU over
TCP and a pseudo-terminal: every value equals GET /api/v1/state, the formats, named values
and groups, mbpoll's raw registers agree, writes round-trip, and bad input gets one clear
line and the right exit code.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_tools_read.py --binary=PATH_TO_ambimeter
"""

import csv
import io
import json
import os
import pty
import select
import socket
import subprocess
import threading
import time

import pytest

from interop import ModbusTwin, mbpoll
from tools import ambimeter, close, read_json, state_text, state_value


def uris(twin):
    return {"tcp": f"tcp://127.0.0.1:{twin.tcp_port}",
            "rtu+tcp": f"rtu+tcp://127.0.0.1:{twin.rtu_tcp_port}",
            "pty": f"serial://{twin.pty}?parity=none"}


def compare_with_state(label, values, state):
    """Every value that the state also holds must agree; returns how many were compared."""
    compared = 0
    for name, v in values.items():
        want = state_value(state, name)
        if want is not None and not isinstance(want, str):
            compared += 1
            assert isinstance(v["value"], (int, float)) and close(v["value"], float(want)), \
                f"{label} {name}: {v['value']} != {want}"
        text = state_text(state, name)
        if text is not None:
            compared += 1
            assert v["text"] == text, f"{label} {name} text"
    return compared


@pytest.mark.parametrize("transport", ["tcp", "rtu+tcp", "pty"])
def test_read_equals_state(modbus_twin, binary, transport):
    twin = modbus_twin
    state = twin.reference()
    values = read_json(transport, binary, uris(twin)[transport])
    assert len(values) == 132, f"{transport}: every register read"
    # The communication flag (status bit 0) is on while a master talks to the meter.
    state["status"]["status_word"] = twin.state()["status"]["status_word"]
    n = compare_with_state(transport, values, state)
    assert n >= 100, f"{transport}: values compared: only {n}"


def test_every_transport_reads_the_same(modbus_twin, binary):
    twin = modbus_twin
    twin.reference()
    results = {label: {k: v["value"] for k, v in read_json(label, binary, uri).items()}
               for label, uri in uris(twin).items()}
    assert results["tcp"] == results["rtu+tcp"], "tcp == rtu+tcp"
    assert results["tcp"] == results["pty"], "tcp == pty"


def test_integer_data_mode(modbus_twin, binary):
    """The same values through the int32 encoding."""
    twin = modbus_twin
    state = twin.reference()
    code, _, err = ambimeter(binary, "write", uris(twin)["tcp"], "data-type=integer")
    assert code == 0, f"write data-type=integer: {err}"
    values = read_json("integer", binary, uris(twin)["tcp"], "--group", "instant,energy")
    assert twin.state()["settings"]["data_type"] == "integer", "integer: data type in force"
    for name in ("l1_voltage", "l2_current", "total_active_kwh", "l3_active_power"):
        assert close(values[name]["value"], state_value(state, name), rel=1e-3, abs_=0.011), \
            f"integer {name}: {values.get(name)} vs {state_value(state, name)}"


def requests_in(trace):
    """The requests a trace file holds: [(address, count)]."""
    out = []
    with open(trace) as f:
        for line in f:
            item = json.loads(line)
            if item.get("dir") == "in" and "decoded" in item:
                out.append((item["decoded"].get("address"), item["decoded"].get("count")))
    return out


def test_formats_and_selection(binary, tmp_path):
    trace = str(tmp_path / "trace.jsonl")
    with ModbusTwin(binary, "--trace", trace, pty=False, rtu_over_tcp=False) as twin:
        state = twin.reference()
        uri = uris(twin)["tcp"]
        before = len(requests_in(trace))
        values = read_json("all", binary, uri)
        assert requests_in(trace)[before:] == \
            [(0x4000, 0x34), (0x5000, 0x38), (0x6000, 125), (0x6000 + 125, 0x91 - 125)], "everything in 4 block reads"
        before = len(requests_in(trace))
        values = read_json("two", binary, uri, "l1_voltage", "l3_voltage")
        assert sorted(requests_in(trace)[before:]) == [(0x4026, 1), (0x5002, 6)], \
            "two floats: one block and the data type"
        code, out, err = ambimeter(binary, "read", uri)
        assert code == 0, "table exit"
        lines = out.splitlines()
        assert lines and lines[0].split()[:4] == ["NAME", "VALUE", "UNIT", "SOURCE"], f"table header: {lines[:1]}"
        assert any(l.split()[:1] == ["l1_voltage"] and " V " in l for l in lines), \
            f"table has l1_voltage in V: {out[:500]}"
        code, out, err = ambimeter(binary, "read", uri, "--format", "csv", "--group", "energy")
        rows = list(csv.DictReader(io.StringIO(out)))
        assert (list(rows[0].keys()) if rows else []) == ["name", "description", "value", "unit", "source"], \
            "csv header"
        assert len(rows) == len(state["energy"]), "csv energy rows"
        got = {r["name"]: r for r in rows}
        assert "total_active_kwh" in got and \
            close(float(got["total_active_kwh"]["value"]), state["energy"]["total_active_kwh"]), \
            f"csv total kWh: {got.get('total_active_kwh')}"
        values = read_json("names", binary, uri, "l1_voltage", "total-active-kwh", "serial_number")
        assert list(values) == ["l1_voltage", "total_active_kwh", "serial_number"], "named values only"
        values = read_json("identity", binary, uri, "--group", "identity")
        assert "serial_number" in values and "l1_voltage" not in values, f"identity group: {list(values)}"
        code, _, err = ambimeter(binary, "read", uri, "no_such_register")
        assert code == 2 and "no_such_register" in err and err.count("\n") == 1, \
            f"unknown name: exit 2 and one line: {err}"
        code, _, err = ambimeter(binary, "read", uri, "--group", "nonsense")
        assert code == 2 and "nonsense" in err, f"unknown group: exit 2: {err}"


def test_mbpoll_agrees(binary):
    """The decoded values of `read` are what mbpoll's raw registers say."""
    with ModbusTwin(binary, pty=False, rtu_over_tcp=False) as twin:
        twin.reference()
        values = read_json("mbpoll", binary, uris(twin)["tcp"], "--group", "instant,energy,identity")
        args = ["-m", "tcp", "-p", twin.tcp_port, "-a", 1, "-0"]
        code, floats, out = mbpoll(*args, "-r", 0x5002, "-t", "4:float", "-B", "-c", 3, "127.0.0.1")
        assert code == 0 and len(floats) == 3, f"mbpoll floats ran: {out}"
        for k, name in enumerate(["l1_voltage", "l2_voltage", "l3_voltage"]):
            raw = float(floats.get(0x5002 + 2 * k, "nan"))
            assert close(values[name]["value"], raw, rel=1e-6), f"mbpoll {name}: {values[name]} vs {raw}"
        code, words, out = mbpoll(*args, "-r", 0x4000, "-c", 2, "-t", "4:hex", "127.0.0.1")
        serial = "".join(words.get(0x4000 + k, "0x????")[2:] for k in range(2))
        assert values["serial_number"]["text"] == serial, "mbpoll serial BCD words"


def test_write_round_trips(binary):
    with ModbusTwin(binary) as twin:
        twin.reference(60)
        uri = uris(twin)["tcp"]
        code, out, err = ambimeter(binary, "write", uri, "tariff=T3", "ct-ratio=500/5", "s0-rate=100",
                                   "lcd-cycle=12", "modbus-id=7")
        assert code == 0, f"write several: exit 0: {err}"
        assert "ct_ratio: 5/5 A -> 500/5 A" in out, f"write reports old -> new: {out}"
        s = twin.state()["settings"]
        assert s["tariff"] == 3, "tariff"
        assert s["ct_ratio"] == "500/5", "ct"
        assert s["s0_rate"] == 100.0, "s0"
        assert s["lcd_cycle_s"] == 12, "lcd"
        assert s["modbus_id"] == 7, "id"
        values = read_json("after id change", binary, uri + "?unit=7", "modbus_id", "tariff", "ct_ratio")
        assert [values.get(n, {}).get("text") for n in ("modbus_id", "tariff", "ct_ratio")] == ["7", "T3", "500/5"], \
            "read back at unit 7"
        code, _, err = ambimeter(binary, "write", uri + "?unit=7", "modbus-id=300")
        assert code == 2 and "1-247" in err and err.count("\n") == 1, f"out of range: exit 2, names the range: {err}"
        code, _, err = ambimeter(binary, "write", uri + "?unit=7", "password=1234")
        assert code == 2 and "button" in err, f"password: exit 2, buttons only: {err}"
        code, _, err = ambimeter(binary, "write", uri + "?unit=7", "nonsense=1")
        assert code == 2 and "modbus-id" in err, f"unknown setting: exit 2, lists names: {err}"
        code, _, err = ambimeter(binary, "write", uri + "?unit=7", "tariff")
        assert code == 2 and "=" in err, f"no '=': exit 2: {err}"
        code, _, err = ambimeter(binary, "write", uri + "?unit=7", "combination=5")
        assert code == 0, f"C-05 accepted: {err}"
        code, _, err = ambimeter(binary, "write", uri + "?unit=7", "combination=4")
        assert code == 1 and "illegal data value" in err, f"C-05 is one-way: the meter's exception, by meaning: {err}"
        assert twin.state()["settings"]["combination"] == "C-05", "state unchanged after refusal"
        code, out, err = ambimeter(binary, "write", uris(twin)["rtu+tcp"] + "?unit=7", "reset=trip-counter")
        assert code == 0 and twin.state()["energy"]["trip_kwh"] == 0.0, f"reset over RTU over TCP: {err + out}"
        code, out, err = ambimeter(binary, "write", f"serial://{twin.pty}?parity=none&unit=7", "tariff=T2")
        assert code == 0 and twin.state()["settings"]["tariff"] == 2, f"write over the pty: {err + out}"


def test_watch(binary):
    with ModbusTwin(binary, pty=False, rtu_over_tcp=False) as twin:
        twin.reference(60)
        started = time.monotonic()
        code, out, err = ambimeter(binary, "watch", uris(twin)["tcp"], "--interval", "300ms", "--count", "3")
        took = time.monotonic() - started
        assert code == 0, "watch exit"
        assert out.count("NAME  ") == 3, "three refreshes"
        assert 0.5 < took < 5, f"paced by the interval: {took}"
        assert "l1_voltage" in out and "total_active_kwh" in out and "serial_number" not in out, \
            f"instant and energy shown: {out[:300]}"
        assert "\x1b" not in out, f"piped: no terminal control codes: {out[:80]!r}"
        code, _, err = ambimeter(binary, "watch", uris(twin)["tcp"], "--interval", "soon", "--count", "1")
        assert code == 2 and "soon" in err, f"bad interval: exit 2: {err}"
        screens = watch_on_a_terminal(binary, uris(twin)["tcp"])
        assert len(screens) == 3 and all(s.startswith(uris(twin)["tcp"]) for s in screens), \
            f"on a terminal: three screens, each drawn after homing the cursor and clearing: {repr(screens)[:300]}"
        assert all(s.count("NAME  ") == 1 and "l1_voltage" in s and "total_active_kwh" in s for s in screens), \
            f"each screen a whole table: {repr(screens)[:300]}"


def watch_on_a_terminal(binary, uri, timeout=20.0):
    """Runs `watch --count 3` with its output on a pseudo-terminal; the screens it drew, each
    the text after a "home, clear" sequence (ESC [H ESC [2J)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([binary, "watch", uri, "--interval", "200ms", "--count", "3"],
                            stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.DEVNULL)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        os.close(master)
    text = out.decode(errors="replace").replace("\r\n", "\n")
    return text.split("\x1b[H\x1b[2J")[1:] if text.startswith("\x1b[H\x1b[2J") else [text]


# Bad input to `read`: (arguments from the twin, exit code, what the one line on stderr names).
BAD_INPUT = {
    "bad URI": (lambda twin: ["read", "modbus://x"], 2, "not a meter URI"),
    "missing port": (lambda twin: ["read", "rtu+tcp://127.0.0.1"], 2, "port"),
    "bad unit": (lambda twin: ["read", f"tcp://127.0.0.1:{twin.tcp_port}?unit=300"], 2, "unit"),
    "unknown parameter": (lambda twin: ["read", f"tcp://127.0.0.1:{twin.tcp_port}?speed=3"], 2, "speed"),
    "bad parity": (lambda twin: ["read", f"serial://{twin.pty}?parity=mark"], 2, "parity"),
    "missing device": (lambda twin: ["read", "serial:///dev/ttyNOPE9"], 1, "/dev/ttyNOPE9"),
    "bad format": (lambda twin: ["read", f"tcp://127.0.0.1:{twin.tcp_port}", "--format", "xml"], 2, "xml"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input(binary, case):
    args, want, needle = BAD_INPUT[case]
    with ModbusTwin(binary, rtu_over_tcp=False) as twin:
        code, out, err = ambimeter(binary, *args(twin), timeout=10)
        assert code == want and needle in err and err.count("\n") == 1, \
            f"exit {want}, one line naming it: exit {code}: {err!r}"


def test_bad_lines(binary):
    with ModbusTwin(binary, rtu_over_tcp=False) as twin:
        port = twin.tcp_port
        # A closed port: refused at once.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed = s.getsockname()[1]
        started = time.monotonic()
        code, _, err = ambimeter(binary, "read", f"tcp://127.0.0.1:{closed}", timeout=10)
        took = time.monotonic() - started
        assert code == 1 and str(closed) in err, f"closed port: exit 1, says so: {err}"
        assert took < 3, f"closed port: fast: {took:.2f} s"
        # A unit nobody answers on the pty: a timeout, bounded by the URI's timeout and retries.
        started = time.monotonic()
        code, _, err = ambimeter(binary, "read", f"serial://{twin.pty}?parity=none&unit=9&timeout=300ms&retries=1",
                                 "serial_number", timeout=10)
        took = time.monotonic() - started
        assert code == 1 and err.count("\n") == 1, f"silent unit: exit 1, one line: {err}"
        assert took < 2.5, f"silent unit: bounded by 2 x 300 ms: {took:.2f} s"
        # Parity the pty cannot carry.
        code, _, err = ambimeter(binary, "read", f"serial://{twin.pty}?parity=even", "serial_number", timeout=10)
        assert code in (1, 2) and err.count("\n") == 1 and err, f"even parity on a pty: a clear line, no crash: {err}"
        # A twin that answers exceptions: a read across an unmapped address is planned around.
        code, out, err = ambimeter(binary, "read", f"tcp://127.0.0.1:{port}", "l3_l2_voltage", timeout=10)
        assert code == 2, f"unknown register name: exit 2: {err}"


class GarbageServer:
    """A TCP server that answers every request with `reply` (garbage), or with nothing."""

    def __init__(self, reply):
        self.reply = reply
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        conns = []
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                conn.settimeout(0.05)
                conns.append(conn)
            except socket.timeout:
                pass
            for c in list(conns):
                try:
                    if c.recv(4096) and self.reply:
                        c.sendall(self.reply)
                except socket.timeout:
                    pass
                except OSError:
                    conns.remove(c)
        for c in conns:
            c.close()

    def close(self):
        self.stop = True
        self.thread.join(5)
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


@pytest.mark.parametrize("scheme", ["tcp", "rtu+tcp", "mbus+tcp"])
@pytest.mark.parametrize("label, reply", [("garbage", bytes(range(7, 40))), ("silence", b"")],
                         ids=["garbage", "silence"])
def test_garbage_and_silence(binary, label, reply, scheme):
    """A peer that answers garbage or nothing: exit 1, one line, bounded by the timeout."""
    with GarbageServer(reply) as server:
        started = time.monotonic()
        code, out, err = ambimeter(binary, "read", f"{scheme}://127.0.0.1:{server.port}?timeout=400ms&retries=1",
                                   timeout=15)
        took = time.monotonic() - started
    assert code == 1 and err.count("\n") == 1 and not out, \
        f"{label} on {scheme}: exit 1, one line: exit {code}: {err!r} {out[:100]!r}"
    assert took < 4, f"{label} on {scheme}: bounded: {took:.2f} s"
