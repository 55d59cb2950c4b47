"""The RTU link rules over the pseudo-terminal and RTU over TCP: link settings change after
the reply (R8) — a new baud rate and a new parity, then reconnecting with them; unit id
changes; broadcasts executed without a reply; other units ignored; paced replies.

A pseudo-terminal carries bytes, not bits: Linux refuses PARENB on it and ignores the baud
rate. So on the pty the twin's baud rate and parity are logical (they set its silence
timing and what it logs); a client that reconnects "at the new rate" proves the setting
moved and that the port was reconfigured without error. RTU over TCP has no line at all.
Real parity bits need a real serial port (--modbus-rtu /dev/ttyUSB0).

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_rtu_link.py --binary=PATH_TO_ambimeter
"""

import contextlib
import os
import signal
import socket
import subprocess
import time

import serial

from interop import ModbusTwin, client, recv_until, rtu


def rtu_session(twin):
    s = socket.create_connection(("127.0.0.1", twin.rtu_tcp_port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def ask(sock, frame, expect, timeout=1.0):
    sock.sendall(frame)
    return recv_until(sock, expect, timeout)


def wait_for_log(twin, text, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in twin.stderr():
            return True
        time.sleep(0.05)
    return False


def test_baud_change_then_reconnect(binary):
    with ModbusTwin(binary) as twin:
        code, lines, err = client(binary, "rtu", twin.pty, 9600, "N", 1, "write", 0x4004, 7)
        assert (lines[-1].get("ok") if lines else err) is True, "4004 = 7 answered at 9600"
        assert twin.state()["settings"]["modbus_baud"] == 19200, "setting is 19200"
        assert wait_for_log(twin, "now 19200 baud"), f"port reconfigured to 19200: {twin.stderr()}"
        code, lines, err = client(binary, "rtu", twin.pty, 19200, "N", 1, "read", 0x4004, 1, "write", 0x4004, 6)
        assert (lines[0].get("values") if lines else err) == [7], "read at 19200"
        assert twin.state()["settings"]["modbus_baud"] == 9600, "back to 9600"
        assert wait_for_log(twin, "now 9600 baud"), f"port reconfigured to 9600: {twin.stderr()}"


def test_parity_change_then_reconnect(binary):
    with ModbusTwin(binary) as twin:
        code, lines, err = client(binary, "rtu", twin.pty, 9600, "N", 1, "write", 0x4011, 3)
        assert (lines[-1].get("ok") if lines else err) is True, "4011 = 3 (odd) answered"
        assert twin.state()["settings"]["parity"] == "odd", "setting is odd"
        assert wait_for_log(twin, "parity odd (logical only on a pseudo-terminal)"), \
            f"port reconfigured (parity logical on a pty): {twin.stderr()}"
        # The client cannot set odd parity on a pty (EINVAL): it reconnects without parity bits.
        code, lines, err = client(binary, "rtu", twin.pty, 9600, "N", 1, "read", 0x4011, 1, "write", 0x4011, 2)
        assert (lines[0].get("values") if lines else err) == [3], "read after the change"
        assert twin.state()["settings"]["parity"] == "none", "parity none"


def start_socat(device, peer, timeout=5.0):
    """A pseudo-terminal pair standing for a USB serial adapter and the client's end of the bus."""
    proc = subprocess.Popen(["socat", f"pty,raw,echo=0,link={device}", f"pty,raw,echo=0,link={peer}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while not (os.path.exists(device) and os.path.exists(peer)):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("socat did not create its pseudo-terminals")
        time.sleep(0.02)
    return proc


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # socat removes its links
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def device_twin(binary, tmp, *extra):
    """A twin on `--modbus-rtu DEVICE` (a device, not pty:), the device being one end of a
    socat pty pair and the bus the other, both in the directory `tmp` with the twin's state.
    Yields (twin, socat holder, device, peer)."""
    os.makedirs(tmp, exist_ok=True)
    state = os.path.join(tmp, "state")
    device, peer = os.path.join(tmp, "ttyUSB"), os.path.join(tmp, "ttyBUS")
    holder = {"socat": None}
    try:
        # A pty refuses parity bits, so the meter is set to parity none first (over its own pty).
        with ModbusTwin(binary, tcp=False, rtu_over_tcp=False, state=state) as first:
            client(binary, "rtu", first.pty, 9600, "N", 1, "write", 0x4011, 2)
            if first.state()["settings"]["parity"] != "none":
                raise RuntimeError("could not set parity none for the device test")
        holder["socat"] = start_socat(device, peer)
        with ModbusTwin(binary, "--modbus-rtu", device, *extra, tcp=False, rtu_over_tcp=False, pty=False,
                        state=state) as twin:
            yield twin, holder, device, peer
    finally:
        if holder["socat"] is not None:
            stop(holder["socat"])


def test_a_lost_device_is_opened_again(binary, tmp_path):
    """--modbus-rtu DEVICE: the device goes away (a USB adapter unplugged: here socat's pty
    pair ends), the twin stays up and serves again once the device is back."""
    with device_twin(binary, str(tmp_path)) as (twin, holder, device, peer):
        code, lines, err = client(binary, "rtu", peer, 9600, "N", 1, "read", 0x4011, 1)
        assert (lines[0].get("values") if lines else err) == [2], "read through the device"
        stop(holder["socat"])
        assert wait_for_log(twin, "opening it again every 1 s until it is back"), \
            f"the loss is logged once, with what the twin does about it: {twin.stderr()}"
        assert twin.state()["settings"]["parity"] == "none", "the twin is still up"
        holder["socat"] = start_socat(device, peer)
        assert wait_for_log(twin, f"modbus rtu {device}: open again, 9600 baud, parity none", 3.0), \
            f"the device is opened again within 3 s: {twin.stderr()}"
        code, lines, err = client(binary, "rtu", peer, 9600, "N", 1, "read", 0x4011, 1)
        assert (lines[0].get("values") if lines else err) == [2], "read after the device came back"
        assert twin.stderr().count("opening it again") == 1, "one loss logged"


CHAR_S = 11 / 9600  # one character at 9600 baud


GAP_REQUEST = rtu(1, 0x03, 0x40, 0x11, 0, 1)


def send_with_a_gap(tty, request):
    """The request but its last byte, a gap of 2 characters, the last byte."""
    tty.reset_input_buffer()
    tty.write(request[:-1])
    tty.flush()
    time.sleep(2 * CHAR_S + CHAR_S)
    tty.write(request[-1:])


def test_a_gap_inside_a_frame_drops_it_on_a_device(binary, tmp_path):
    """Serial line V1.02 2.5.1.1: more than 1.5 characters of silence between two bytes of a
    frame make it incomplete. A pty delivers bytes at once, so the peer stands in for a line
    by waiting the last byte's character time on top of the gap (2 characters: between
    t1.5 = 1.72 ms and t3.5 = 4.01 ms)."""
    trace = str(tmp_path / "gap.jsonl")
    with device_twin(binary, str(tmp_path / "device"), "--trace", trace) as (twin, holder, device, peer), \
            serial.Serial(peer, 9600, timeout=0.3) as tty:
        # A late wake-up of the twin or of socat can stretch the gap into a silence, or let
        # the twin read both parts at once (then it cannot see the gap): try a few times.
        attempts = []
        for _ in range(8):
            send_with_a_gap(tty, GAP_REQUEST)
            answered = len(tty.read(7)) > 0
            time.sleep(0.05)
            before = sum(a[1] for a in attempts)
            with open(trace) as f:
                interrupted = sum("interrupted by a gap" in line for line in f) - before
            attempts.append((answered, interrupted))
            if interrupted and not answered:
                break
        assert attempts[-1] == (False, 1), ("a frame seen with its gap is dropped without a reply, the trace "
                                            f"saying why: (answered, interrupted) per attempt: {attempts}")
        tty.reset_input_buffer()
        tty.write(GAP_REQUEST)
        assert tty.read(7) == rtu(1, 0x03, 2, 0, 2), "the same frame without the gap is answered"


def test_rtu_ignore_gaps_answers_a_frame_with_a_gap(binary, tmp_path):
    with device_twin(binary, str(tmp_path / "device"), "--rtu-ignore-gaps") as (twin, holder, device, peer), \
            serial.Serial(peer, 9600, timeout=0.5) as tty:
        replies = []
        for _ in range(5):  # a late wake-up can stretch the gap into a silence: try a few
            send_with_a_gap(tty, GAP_REQUEST)
            replies.append(tty.read(7))
            if replies[-1]:
                break
            time.sleep(0.05)
        assert replies[-1] == rtu(1, 0x03, 2, 0, 2), "--rtu-ignore-gaps answers it"


def test_unit_id_change_applies_after_the_reply(binary):
    with ModbusTwin(binary) as twin, rtu_session(twin) as s:
        request = rtu(1, 0x06, 0x40, 0x03, 0x00, 0x0A)
        assert ask(s, request, 8) == request, "reply from the old id 1"
        assert ask(s, rtu(1, 0x03, 0x40, 0x03, 0, 1), 7, 0.5) == b"", "unit 1 silent now"
        assert ask(s, rtu(10, 0x03, 0x40, 0x03, 0, 1), 7) == rtu(10, 0x03, 2, 0, 10), "unit 10 answers"


def test_broadcast_and_other_units(binary):
    with ModbusTwin(binary) as twin, rtu_session(twin) as s:
        assert ask(s, rtu(0, 0x06, 0x40, 0x32, 0, 1), None, 0.5) == b"", "broadcast write: no reply"
        assert twin.state()["settings"]["screen_direction"] == 1, "broadcast write executed"
        assert ask(s, rtu(0, 0x03, 0x40, 0x32, 0, 1), None, 0.5) == b"", "broadcast read: ignored"
        assert ask(s, rtu(5, 0x06, 0x40, 0x32, 0, 0), None, 0.5) == b"", "unit 5: ignored"
        assert twin.state()["settings"]["screen_direction"] == 1, "unit 5 changed nothing"
        assert ask(s, rtu(1, 0x03, 0x40, 0x32, 0, 1), 7) == rtu(1, 0x03, 2, 0, 1), "unit 1 still answered"


def test_unit0_quirk_answers_broadcast_reads(binary):
    with ModbusTwin(binary, "--quirk", "unit0", "--quirk", "fc04") as twin, rtu_session(twin) as s:
        assert twin.ready["quirks"] == ["fc04", "unit0"], "ready lists the quirks"
        assert ask(s, rtu(0, 0x03, 0x40, 0x03, 0, 1), 7) == rtu(1, 0x03, 2, 0, 1), "unit 0 read answered"
        assert ask(s, rtu(1, 0x04, 0x40, 0x03, 0, 1), 7) == rtu(1, 0x04, 2, 0, 1), "FC 04 answered like 03"


def timed_read(port, count):
    """Seconds from sending a read of `count` registers to its whole reply, and the reply."""
    with serial.Serial(port, 9600, timeout=3) as tty:
        tty.reset_input_buffer()
        started = time.monotonic()
        tty.write(rtu(1, 0x03, 0x60, 0x00, 0, count))
        reply = tty.read(5 + 2 * count)
        return time.monotonic() - started, reply


def test_pacing(binary):
    with ModbusTwin(binary, rtu_over_tcp=False) as twin:
        elapsed, reply = timed_read(twin.pty, 125)
        assert len(reply) == 255, "unpaced reply complete"
        assert elapsed < 0.2, f"unpaced reply at once: {elapsed:.3f} s"
    with ModbusTwin(binary, "--rtu-pacing", rtu_over_tcp=False) as twin:
        elapsed, reply = timed_read(twin.pty, 125)
        line_time = 255 * 11 / 9600  # 292 ms
        assert len(reply) == 255, "paced reply complete"
        assert line_time * 0.9 < elapsed < line_time * 3, f"paced at 9600 baud: {elapsed:.3f} s"
