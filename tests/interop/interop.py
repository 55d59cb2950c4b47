"""Shared helpers of the interop tests: start `ambimeter run` with every Modbus transport on
free ports and a pseudo-terminal, set the reference load, decode registers, run the
libmodbus client and mbpoll. Every wait is bounded; everything started is killed."""

import json
import math
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))

from twin import Twin, TwinError, run_cli  # noqa: E402,F401 (the tests import them from here)

TOOL_TIMEOUT_S = 30.0

# The reference load of the interop tests and its physics.
LOAD = {"L1": {"v": 230, "i": 10, "phi": 0},
        "L2": {"v": 231, "i": 5, "phi": 30},
        "L3": {"v": 229, "i": 7, "phi": 180}}

# The three register blocks (manual A3.2): first address, number of registers.
BLOCKS = [(0x4000, 0x34), (0x5000, 0x38), (0x6000, 0x91)]


def phase_physics(name):
    """(V, I, P kW, Q kvar, S kVA) of one phase of LOAD."""
    p = LOAD[name]
    phi = math.radians(p["phi"])
    s = p["v"] * p["i"] / 1000.0
    return p["v"], p["i"], s * math.cos(phi), s * math.sin(phi), s


def chunks(start, count, size=125):
    """(address, count) reads of at most `size` registers covering a block."""
    out = []
    while count > 0:
        n = min(size, count)
        out.append((start, n))
        start += n
        count -= n
    return out


def f32(words, address, base):
    """The Float ABCD value at `address` in `words` read from `base`."""
    i = address - base
    return struct.unpack(">f", struct.pack(">HH", words[i], words[i + 1]))[0]


def close(a, b, rel=1e-5, abs_=1e-3):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def modbus_client_path(binary):
    """The libmodbus client: $AMBI_MODBUS_CLIENT (set by CTest), else next to the build."""
    path = os.environ.get("AMBI_MODBUS_CLIENT")
    if not path:
        path = os.path.join(os.path.dirname(binary), "tests", "modbus_client")
    if not os.access(path, os.X_OK):
        raise TwinError(f"libmodbus client not found at {path}; build the modbus_client target")
    return path


class InteropTwin(Twin):
    """A stepped twin whose state and pseudo-terminal live in a fresh folder of its own,
    removed when it is killed. `args` are the listeners of the protocol under test."""

    def __init__(self, binary, prefix, args, extra, state=None):
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        super().__init__(binary, state or os.path.join(self.tmp, "state"),
                         *(["--clock", "stepped"] + args(self.tmp) + list(extra)))

    def reference(self, seconds=3600):
        """Sets LOAD and lets `seconds` pass; returns the state."""
        self.set_load(LOAD)
        self.advance(seconds)
        return self.state()

    def kill(self):
        super().kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


class ModbusTwin(InteropTwin):
    """A stepped twin with Modbus TCP, RTU over TCP and a pty, all on fresh names."""

    def __init__(self, binary, *extra, tcp=True, rtu_over_tcp=True, pty=True, state=None):
        def listeners(tmp):
            self.pty = os.path.join(tmp, "ttyAMBI") if pty else None
            args = ["--modbus-tcp", "127.0.0.1:0" if tcp else "off"]
            if rtu_over_tcp:
                args += ["--rtu-over-tcp", "127.0.0.1:0"]
            if pty:
                args += ["--modbus-rtu", "pty:" + self.pty]
            return args
        super().__init__(binary, "ambi-interop-", listeners, extra, state)

    def start(self, timeout=15.0):
        super().start(timeout)
        self.tcp_port = port_of(self.ready.get("modbus_tcp"))
        self.rtu_tcp_port = port_of(self.ready.get("rtu_over_tcp"))
        return self


def port_of(address):
    return None if not address else int(address.rsplit(":", 1)[1])


def client(binary, *args, timeout=TOOL_TIMEOUT_S):
    """Runs the libmodbus client; returns (exit code, [JSON lines], stderr)."""
    try:
        done = subprocess.run([modbus_client_path(binary)] + [str(a) for a in args],
                              capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, [], "timeout"
    lines = [json.loads(line) for line in done.stdout.decode().splitlines() if line.strip()]
    return done.returncode, lines, done.stderr.decode()


def mbpoll(*args, timeout=TOOL_TIMEOUT_S):
    """Runs mbpoll once; returns (exit code, {reference: text value}, output)."""
    try:
        done = subprocess.run(["mbpoll", "-1"] + [str(a) for a in args], capture_output=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, {}, "timeout"
    out = done.stdout.decode(errors="replace")
    values = {}
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("[") and "]:" in line:
            ref, value = line[1:].split("]:", 1)
            values[int(ref)] = value.strip()
    return done.returncode, values, out + done.stderr.decode(errors="replace")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def raw_exchange(port, payload, expect=None, timeout=2.0):
    """Sends bytes on a fresh TCP connection; returns what arrives until `expect` bytes,
    the peer closes, or `timeout`."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(payload)
        return recv_until(s, expect, timeout)


def recv_until(sock, expect, timeout):
    """Bytes until `expect` have arrived (None: until close or timeout)."""
    data = b""
    deadline = time.monotonic() + timeout
    while expect is None or len(data) < expect:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def crc16(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return bytes([crc & 0xFF, crc >> 8])


def rtu(*data):
    body = bytes(data)
    return body + crc16(body)


def mbap(transaction, unit, *pdu):
    return struct.pack(">HHHB", transaction, 0, len(pdu) + 1, unit) + bytes(pdu)

