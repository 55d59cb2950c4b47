"""`ambimeter read`, `write` and `watch` against a running twin over Modbus TCP, RTU over
TCP and a pseudo-terminal: every value equals GET /api/v1/state, the formats, named values
and groups, mbpoll's raw registers agree, writes round-trip, and bad input gets one clear
line and the right exit code.

    /usr/bin/python3 test_tools_read.py PATH_TO_ambimeter
"""

import csv
import io
import json
import os
import pty
import select
import shutil
import subprocess
import tempfile
import time

from interop import ModbusTwin, main, mbpoll
from tools import ambimeter, close, read_json, state_text, state_value


def uris(twin):
    return {"tcp": f"tcp://127.0.0.1:{twin.tcp_port}",
            "rtu+tcp": f"rtu+tcp://127.0.0.1:{twin.rtu_tcp_port}",
            "pty": f"serial://{twin.pty}?parity=none"}


def compare_with_state(checks, label, values, state):
    """Every value that the state also holds must agree."""
    compared = 0
    for name, v in values.items():
        want = state_value(state, name)
        if want is not None and not isinstance(want, str):
            compared += 1
            checks.check(f"{label} {name}", isinstance(v["value"], (int, float)) and close(v["value"], float(want)),
                         f"{v['value']} != {want}")
        text = state_text(state, name)
        if text is not None:
            compared += 1
            checks.equal(f"{label} {name} text", v["text"], text)
    return compared


def test_read_equals_state(checks, binary):
    with ModbusTwin(binary) as twin:
        state = twin.reference()
        results = {}
        for label, uri in uris(twin).items():
            values = read_json(checks, label, binary, uri)
            results[label] = values
            checks.equal(f"{label}: every register read", len(values), 132)
            # The communication flag (status bit 0) is on while a master talks to the meter.
            state["status"]["status_word"] = twin.state()["status"]["status_word"]
            n = compare_with_state(checks, label, values, state)
            checks.check(f"{label}: values compared", n >= 100, f"only {n}")
        checks.equal("tcp == rtu+tcp", {k: v["value"] for k, v in results["tcp"].items()},
                     {k: v["value"] for k, v in results["rtu+tcp"].items()})
        checks.equal("tcp == pty", {k: v["value"] for k, v in results["tcp"].items()},
                     {k: v["value"] for k, v in results["pty"].items()})
        # Integer data mode: the same values through the int32 encoding.
        code, _, err = ambimeter(binary, "write", uris(twin)["tcp"], "data-type=integer")
        checks.equal("write data-type=integer", code, 0)
        values = read_json(checks, "integer", binary, uris(twin)["tcp"], "--group", "instant,energy")
        checks.equal("integer: data type in force", twin.state()["settings"]["data_type"], "integer")
        for name in ("l1_voltage", "l2_current", "total_active_kwh", "l3_active_power"):
            checks.check(f"integer {name}", close(values[name]["value"], state_value(state, name), rel=1e-3, abs_=0.011),
                         f"{values.get(name)} vs {state_value(state, name)}")


def requests_in(trace):
    """The requests a trace file holds: [(address, count)]."""
    out = []
    with open(trace) as f:
        for line in f:
            item = json.loads(line)
            if item.get("dir") == "in" and "decoded" in item:
                out.append((item["decoded"].get("address"), item["decoded"].get("count")))
    return out


def test_formats_and_selection(checks, binary):
    tmp = tempfile.mkdtemp(prefix="ambi-trace-")
    try:
        formats_and_selection(checks, binary, os.path.join(tmp, "trace.jsonl"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def formats_and_selection(checks, binary, trace):
    with ModbusTwin(binary, "--trace", trace, pty=False, rtu_over_tcp=False) as twin:
        state = twin.reference()
        uri = uris(twin)["tcp"]
        before = len(requests_in(trace))
        values = read_json(checks, "all", binary, uri)
        checks.equal("everything in 4 block reads", requests_in(trace)[before:],
                     [(0x4000, 0x34), (0x5000, 0x38), (0x6000, 125), (0x6000 + 125, 0x91 - 125)])
        before = len(requests_in(trace))
        values = read_json(checks, "two", binary, uri, "l1_voltage", "l3_voltage")
        checks.equal("two floats: one block and the data type", sorted(requests_in(trace)[before:]),
                     [(0x4026, 1), (0x5002, 6)])
        code, out, err = ambimeter(binary, "read", uri)
        checks.equal("table exit", code, 0)
        lines = out.splitlines()
        checks.check("table header", lines and lines[0].split()[:4] == ["NAME", "VALUE", "UNIT", "SOURCE"], lines[:1])
        checks.check("table has l1_voltage in V", any(l.split()[:1] == ["l1_voltage"] and " V " in l for l in lines), out[:500])
        code, out, err = ambimeter(binary, "read", uri, "--format", "csv", "--group", "energy")
        rows = list(csv.DictReader(io.StringIO(out)))
        checks.equal("csv header", list(rows[0].keys()) if rows else [], ["name", "description", "value", "unit", "source"])
        checks.equal("csv energy rows", len(rows), len(state["energy"]))
        got = {r["name"]: r for r in rows}
        checks.check("csv total kWh", "total_active_kwh" in got and
                     close(float(got["total_active_kwh"]["value"]), state["energy"]["total_active_kwh"]), got.get("total_active_kwh"))
        values = read_json(checks, "names", binary, uri, "l1_voltage", "total-active-kwh", "serial_number")
        checks.equal("named values only", list(values), ["l1_voltage", "total_active_kwh", "serial_number"])
        values = read_json(checks, "identity", binary, uri, "--group", "identity")
        checks.check("identity group", "serial_number" in values and "l1_voltage" not in values, list(values))
        code, _, err = ambimeter(binary, "read", uri, "no_such_register")
        checks.check("unknown name: exit 2 and one line", code == 2 and "no_such_register" in err and err.count("\n") == 1, err)
        code, _, err = ambimeter(binary, "read", uri, "--group", "nonsense")
        checks.check("unknown group: exit 2", code == 2 and "nonsense" in err, err)


def test_mbpoll_agrees(checks, binary):
    """The decoded values of `read` are what mbpoll's raw registers say."""
    with ModbusTwin(binary, pty=False, rtu_over_tcp=False) as twin:
        twin.reference()
        values = read_json(checks, "mbpoll", binary, uris(twin)["tcp"], "--group", "instant,energy,identity")
        args = ["-m", "tcp", "-p", twin.tcp_port, "-a", 1, "-0"]
        code, floats, out = mbpoll(*args, "-r", 0x5002, "-t", "4:float", "-B", "-c", 3, "127.0.0.1")
        checks.check("mbpoll floats ran", code == 0 and len(floats) == 3, out)
        for k, name in enumerate(["l1_voltage", "l2_voltage", "l3_voltage"]):
            raw = float(floats.get(0x5002 + 2 * k, "nan"))
            checks.check(f"mbpoll {name}", close(values[name]["value"], raw, rel=1e-6), f"{values[name]} vs {raw}")
        code, words, out = mbpoll(*args, "-r", 0x4000, "-c", 2, "-t", "4:hex", "127.0.0.1")
        serial = "".join(words.get(0x4000 + k, "0x????")[2:] for k in range(2))
        checks.equal("mbpoll serial BCD words", values["serial_number"]["text"], serial)


def test_write_round_trips(checks, binary):
    with ModbusTwin(binary) as twin:
        twin.reference(60)
        uri = uris(twin)["tcp"]
        code, out, err = ambimeter(binary, "write", uri, "tariff=T3", "ct-ratio=500/5", "s0-rate=100",
                                   "lcd-cycle=12", "modbus-id=7")
        checks.check("write several: exit 0", code == 0, err)
        checks.check("write reports old -> new", "ct_ratio: 5/5 A -> 500/5 A" in out, out)
        s = twin.state()["settings"]
        checks.equal("tariff", s["tariff"], 3)
        checks.equal("ct", s["ct_ratio"], "500/5")
        checks.equal("s0", s["s0_rate"], 100.0)
        checks.equal("lcd", s["lcd_cycle_s"], 12)
        checks.equal("id", s["modbus_id"], 7)
        values = read_json(checks, "after id change", binary, uri + "?unit=7", "modbus_id", "tariff", "ct_ratio")
        checks.equal("read back at unit 7", [values.get(n, {}).get("text") for n in ("modbus_id", "tariff", "ct_ratio")],
                     ["7", "T3", "500/5"])
        code, _, err = ambimeter(binary, "write", uri + "?unit=7", "modbus-id=300")
        checks.check("out of range: exit 2, names the range", code == 2 and "1-247" in err and err.count("\n") == 1, err)
        code, _, err = ambimeter(binary, "write", uri + "?unit=7", "password=1234")
        checks.check("password: exit 2, buttons only", code == 2 and "button" in err, err)
        code, _, err = ambimeter(binary, "write", uri + "?unit=7", "nonsense=1")
        checks.check("unknown setting: exit 2, lists names", code == 2 and "modbus-id" in err, err)
        code, _, err = ambimeter(binary, "write", uri + "?unit=7", "tariff")
        checks.check("no '=': exit 2", code == 2 and "=" in err, err)
        code, _, err = ambimeter(binary, "write", uri + "?unit=7", "combination=5")
        checks.check("C-05 accepted", code == 0, err)
        code, _, err = ambimeter(binary, "write", uri + "?unit=7", "combination=4")
        checks.check("C-05 is one-way: the meter's exception, by meaning", code == 1 and "illegal data value" in err, err)
        checks.equal("state unchanged after refusal", twin.state()["settings"]["combination"], "C-05")
        code, out, err = ambimeter(binary, "write", uris(twin)["rtu+tcp"] + "?unit=7", "reset=trip-counter")
        checks.check("reset over RTU over TCP", code == 0 and twin.state()["energy"]["trip_kwh"] == 0.0, err + out)
        code, out, err = ambimeter(binary, "write", f"serial://{twin.pty}?parity=none&unit=7", "tariff=T2")
        checks.check("write over the pty", code == 0 and twin.state()["settings"]["tariff"] == 2, err + out)


def test_watch(checks, binary):
    with ModbusTwin(binary, pty=False, rtu_over_tcp=False) as twin:
        twin.reference(60)
        started = time.monotonic()
        code, out, err = ambimeter(binary, "watch", uris(twin)["tcp"], "--interval", "300ms", "--count", "3")
        took = time.monotonic() - started
        checks.equal("watch exit", code, 0)
        checks.equal("three refreshes", out.count("NAME  "), 3)
        checks.check("paced by the interval", 0.5 < took < 5, took)
        checks.check("instant and energy shown", "l1_voltage" in out and "total_active_kwh" in out and "serial_number" not in out, out[:300])
        checks.check("piped: no terminal control codes", "\x1b" not in out, repr(out[:80]))
        code, _, err = ambimeter(binary, "watch", uris(twin)["tcp"], "--interval", "soon", "--count", "1")
        checks.check("bad interval: exit 2", code == 2 and "soon" in err, err)
        screens = watch_on_a_terminal(binary, uris(twin)["tcp"])
        checks.check("on a terminal: three screens, each drawn after homing the cursor and clearing",
                     len(screens) == 3 and all(s.startswith(uris(twin)["tcp"]) for s in screens),
                     repr(screens)[:300])
        checks.check("each screen a whole table",
                     all(s.count("NAME  ") == 1 and "l1_voltage" in s and "total_active_kwh" in s for s in screens),
                     repr(screens)[:300])


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


def test_bad_input_and_bad_lines(checks, binary):
    with ModbusTwin(binary, rtu_over_tcp=False) as twin:
        port = twin.tcp_port
        cases = [
            ("bad URI", ["read", "modbus://x"], 2, "not a meter URI"),
            ("missing port", ["read", "rtu+tcp://127.0.0.1"], 2, "port"),
            ("bad unit", ["read", f"tcp://127.0.0.1:{port}?unit=300"], 2, "unit"),
            ("unknown parameter", ["read", f"tcp://127.0.0.1:{port}?speed=3"], 2, "speed"),
            ("bad parity", ["read", f"serial://{twin.pty}?parity=mark"], 2, "parity"),
            ("missing device", ["read", "serial:///dev/ttyNOPE9"], 1, "/dev/ttyNOPE9"),
            ("bad format", ["read", f"tcp://127.0.0.1:{port}", "--format", "xml"], 2, "xml"),
        ]
        for name, args, want, needle in cases:
            code, out, err = ambimeter(binary, *args, timeout=10)
            checks.check(f"{name}: exit {want}, one line naming it", code == want and needle in err and err.count("\n") == 1,
                         f"exit {code}: {err!r}")
        # A closed port: refused at once.
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed = s.getsockname()[1]
        started = time.monotonic()
        code, _, err = ambimeter(binary, "read", f"tcp://127.0.0.1:{closed}", timeout=10)
        checks.check("closed port: exit 1, says so", code == 1 and str(closed) in err, err)
        checks.check("closed port: fast", time.monotonic() - started < 3, time.monotonic() - started)
        # A unit nobody answers on the pty: a timeout, bounded by the URI's timeout and retries.
        started = time.monotonic()
        code, _, err = ambimeter(binary, "read", f"serial://{twin.pty}?parity=none&unit=9&timeout=300ms&retries=1",
                                 "serial_number", timeout=10)
        took = time.monotonic() - started
        checks.check("silent unit: exit 1, one line", code == 1 and err.count("\n") == 1, err)
        checks.check("silent unit: bounded by 2 x 300 ms", took < 2.5, took)
        # Parity the pty cannot carry.
        code, _, err = ambimeter(binary, "read", f"serial://{twin.pty}?parity=even", "serial_number", timeout=10)
        checks.check("even parity on a pty: a clear line, no crash", code in (1, 2) and err.count("\n") == 1 and err, err)
        # A twin that answers exceptions: a read across an unmapped address is planned around.
        code, out, err = ambimeter(binary, "read", f"tcp://127.0.0.1:{port}", "l3_l2_voltage", timeout=10)
        checks.check("unknown register name: exit 2", code == 2, err)


class GarbageServer:
    """A TCP server that answers every request with `reply` (garbage), or with nothing."""

    def __init__(self, reply):
        import socket
        import threading
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
        import socket
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


def test_garbage_and_silence(checks, binary):
    """A peer that answers garbage or nothing: exit 1, one line, bounded by the timeout."""
    for label, reply in (("garbage", bytes(range(7, 40))), ("silence", b"")):
        server = GarbageServer(reply)
        try:
            for scheme in ("tcp", "rtu+tcp", "mbus+tcp"):
                started = time.monotonic()
                code, out, err = ambimeter(binary, "read", f"{scheme}://127.0.0.1:{server.port}?timeout=400ms&retries=1",
                                           timeout=15)
                took = time.monotonic() - started
                checks.check(f"{label} on {scheme}: exit 1, one line", code == 1 and err.count("\n") == 1 and not out,
                             f"exit {code}: {err!r} {out[:100]!r}")
                checks.check(f"{label} on {scheme}: bounded", took < 4, took)
        finally:
            server.close()


if __name__ == "__main__":
    main("tools read/write/watch", [
        ("read equals the API state on TCP, RTU over TCP and the pty", test_read_equals_state),
        ("formats, names and groups", test_formats_and_selection),
        ("read agrees with mbpoll's raw registers", test_mbpoll_agrees),
        ("write round-trips and refusals", test_write_round_trips),
        ("watch refreshes", test_watch),
        ("bad input and bad lines", test_bad_input_and_bad_lines),
        ("a peer that answers garbage or nothing", test_garbage_and_silence),
    ])
