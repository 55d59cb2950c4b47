"""Shared helpers of the reader-tool tests (ambimeter read/write/scan/watch/log): run the
tools, map their JSON onto GET /api/v1/state, and a bus hub that puts several twins on one
pseudo-terminal as an RS485 or M-bus line does. Every wait is bounded."""

import json
import math
import os
import select
import socket
import threading
import time

from interop import TOOL_TIMEOUT_S, run_cli  # noqa: F401

# Register name -> where GET /api/v1/state holds the same value.
PHASES = {"l1": "L1", "l2": "L2", "l3": "L3"}


def state_value(state, name):
    """The state's value for a register name, or None when the state has no such value."""
    m = state["measurement"]
    if name in state["energy"]:
        return state["energy"][name]
    for prefix, phase in PHASES.items():
        for suffix, key in (("_voltage", "v"), ("_current", "i"), ("_active_power", "p_kw"),
                            ("_reactive_power", "q_kvar"), ("_apparent_power", "s_kva"),
                            ("_power_factor", "pf")):
            if name == prefix + suffix:
                return m[phase][key]
    totals = {"total_active_power": "p_kw", "total_reactive_power": "q_kvar",
              "total_apparent_power": "s_kva", "power_factor": "pf"}
    if name in totals:
        return m["total"][totals[name]]
    lines = {"l1_l2_voltage": "l1_l2", "l1_l3_voltage": "l1_l3", "l2_l3_voltage": "l2_l3"}
    if name in lines:
        return m["line_voltages"][lines[name]]
    s, st, ident = state["settings"], state["status"], state["identity"]
    simple = {"frequency": m["hz"], "modbus_id": s["modbus_id"], "s0_rate": s["s0_rate"],
              "pulse_width": s["pulse_width_ms"], "lcd_cycle_time": s["lcd_cycle_s"],
              "screen_direction": s["screen_direction"], "tariff": s["tariff"],
              "error_code": st["error_code"], "power_down_counter": st["power_down_counter"],
              "status_word": st["status_word"], "software_version": ident["software_version"],
              "protocol_version": ident["protocol_version"], "hardware_version": ident["hardware_version"],
              "quadrant": m["total"]["quadrant"]}
    return simple.get(name)


def state_text(state, name):
    """The state's text for registers whose value the tools spell (codes, BCD numbers)."""
    s, ident = state["settings"], state["identity"]
    texts = {"serial_number": ident["serial"], "meter_code": ident["meter_code"],
             "checksum_1": ident["checksum1"], "checksum_2": ident["checksum2"],
             "baud_rate": str(s["modbus_baud"]), "parity": s["parity"], "combination_code": s["combination"],
             "data_type": s["data_type"], "ct_ratio": s["ct_ratio"], "pulse_type": s["pulse_type"]}
    for prefix, phase in PHASES.items():
        texts[prefix + "_current_direction"] = state["measurement"][phase]["direction"]
    return texts.get(name)


def close(a, b, rel=2e-6, abs_=1.1e-3):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def ambimeter(binary, *args, timeout=TOOL_TIMEOUT_S):
    """Runs `ambimeter ARGS`; returns (exit code, stdout, stderr)."""
    return run_cli(binary, [str(a) for a in args], timeout=timeout)


def read_json(label, binary, uri, *args):
    """`ambimeter read URI --format json ARGS` -> the "values" object (the read must exit 0)."""
    code, out, err = ambimeter(binary, "read", uri, "--format", "json", *args)
    assert code == 0, f"{label}: read exit 0: {err}"
    return json.loads(out)["values"]


class BusHub:
    """A pseudo-terminal whose other end is wired to several twins' byte streams (RTU over
    TCP or M-bus over TCP): what the master writes reaches every twin, what a twin answers
    reaches the master. When more than one twin answers within `window_s`, the master hears
    a corrupt telegram (a break character, then the answers ANDed as on a real bus), as the
    timing skew of real slaves makes it. Runs on a thread until `close`."""

    def __init__(self, path, ports, window_s=0.03):
        self.path = path
        self.window_s = window_s
        self.master, slave = os.openpty()
        os.symlink(os.ttyname(slave), path)
        self._slave = slave  # kept open so the pty stays up between clients
        import tty
        tty.setraw(slave)
        self.socks = [socket.create_connection(("127.0.0.1", p), timeout=5) for p in ports]
        self._stop = False
        self.collisions = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop:
            ready, _, _ = select.select([self.master] + self.socks, [], [], 0.05)
            if self.master in ready:
                try:
                    data = os.read(self.master, 4096)
                except OSError:
                    data = b""
                for s in self.socks:
                    try:
                        s.sendall(data)
                    except OSError:
                        pass
            answers = [s for s in ready if s is not self.master]
            if answers:
                self._answer(answers)

    def _answer(self, first):
        """Collects the answers of a window and writes what the master would hear."""
        replies = {s: s.recv(4096) for s in first}
        deadline = time.monotonic() + self.window_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select(self.socks, [], [], left)
            for s in ready:
                replies[s] = replies.get(s, b"") + s.recv(4096)
        parts = [r for r in replies.values() if r]
        if len(parts) == 1:
            out = parts[0]
        else:
            self.collisions += 1
            n = max(len(p) for p in parts)
            merged = bytearray([0xFF] * n)
            for p in parts:
                for i, b in enumerate(p):
                    merged[i] &= b
            out = b"\x00" + bytes(merged)
        try:
            os.write(self.master, out)
        except OSError:
            pass

    def close(self):
        self._stop = True
        self._thread.join(5)
        for s in self.socks:
            s.close()
        os.close(self.master)
        os.close(self._slave)
        try:
            os.unlink(self.path)
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
