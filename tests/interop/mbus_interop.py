"""Shared helpers of the M-bus interop tests: start `ambimeter run` with M-bus over TCP and
a pseudo-terminal on fresh names, build and run the libmbus tools (tests/interop/
build_libmbus.sh), parse their XML, and build raw telegrams. Every wait is bounded."""

import os
import select
import signal
import subprocess
import time
import xml.etree.ElementTree as ET

from interop import LOAD, TOOL_TIMEOUT_S, InteropTwin, Twin, TwinError, port_of  # noqa: F401

HERE = os.path.dirname(os.path.abspath(__file__))
# libmbus waits this long for an answer over TCP (its default is 4 s): scans finish in seconds.
LIBMBUS_TCP_TIMEOUT_S = "0.2"


def libmbus_bin(binary):
    """The directory of the libmbus tools: $AMBI_LIBMBUS_DIR/bin, else build/<dir>/libmbus/bin;
    fetched with npm and compiled when missing."""
    out = os.environ.get("AMBI_LIBMBUS_DIR") or os.path.join(os.path.dirname(binary), "libmbus")
    done = subprocess.run([os.path.join(HERE, "build_libmbus.sh"), out], capture_output=True, timeout=600)
    if done.returncode != 0:
        raise TwinError(f"build_libmbus.sh failed: {done.stderr.decode(errors='replace')[-2000:]}")
    return done.stdout.decode().strip().splitlines()[-1]


class MbusTwin(InteropTwin):
    """A stepped twin with M-bus over TCP and on a pty (Modbus off), on fresh names."""

    def __init__(self, binary, *extra, pty=True, tcp=True):
        def listeners(tmp):
            self.pty = os.path.join(tmp, "ttyMBUS") if pty else None
            args = ["--modbus-tcp", "off", "--mbus-tcp", "127.0.0.1:0" if tcp else "off"]
            if pty:
                args += ["--mbus-serial", "pty:" + self.pty]
            return args
        super().__init__(binary, "ambi-mbus-", listeners, extra)

    def start(self, timeout=15.0):
        super().start(timeout)
        self.port = port_of(self.ready.get("mbus_tcp"))
        return self


def tool(bindir, name, *args, timeout=TOOL_TIMEOUT_S):
    """Runs a libmbus tool to its exit; returns (exit code, stdout, stderr)."""
    env = dict(os.environ, AMBI_MBUS_TCP_TIMEOUT=LIBMBUS_TCP_TIMEOUT_S)
    try:
        done = subprocess.run([os.path.join(bindir, name)] + [str(a) for a in args], capture_output=True,
                              timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return None, "", "timeout"
    return done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")


def tool_until(bindir, name, args, needle, timeout=TOOL_TIMEOUT_S):
    """Runs a tool until a stdout line contains `needle` (then stops it); returns the lines."""
    env = dict(os.environ, AMBI_MBUS_TCP_TIMEOUT=LIBMBUS_TCP_TIMEOUT_S)
    cmd = ["stdbuf", "-oL", os.path.join(bindir, name)] + [str(a) for a in args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    lines, buffer = [], b""
    try:
        deadline = _now() + timeout
        while not any(needle in line for line in lines) and _now() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - _now()))
            if not ready:
                break
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buffer += chunk
            *complete, buffer = buffer.split(b"\n")
            lines += [c.decode(errors="replace") for c in complete]
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(5)
        proc.stdout.close()
    return lines


def _now():
    return time.monotonic()


def parse_xml(text):
    """({SlaveInformation field: text}, [(unit, value text)]) of request-data's XML."""
    root = ET.fromstring(text.encode("latin-1", errors="replace"))
    info = {child.tag: (child.text or "") for child in root.find("SlaveInformation")}
    records = [(r.findtext("Unit"), r.findtext("Value")) for r in root.findall("DataRecord")]
    return info, records


def short(c, a):
    return bytes([0x10, c, a, (c + a) & 0xFF, 0x16])


def long_frame(c, a, ci, data=b""):
    body = bytes([c, a, ci]) + bytes(data)
    return bytes([0x68, len(body), len(body), 0x68]) + body + bytes([sum(body) & 0xFF, 0x16])
