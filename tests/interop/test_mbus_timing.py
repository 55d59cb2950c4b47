"""EN 13757-2 answer timing on the M-bus pseudo-terminal: the answer starts no earlier than
11 bit times after the request and well within 330 bit times + 50 ms; with --mbus-pacing an
RSP_UD of N bytes takes at least N characters (11 bits each) at 2400 baud to arrive;
--mbus-pacing without --mbus-serial is a one-line usage error.

Measured on the client side of the pty with a raw descriptor and time.monotonic. The clock
starts before the request is written, so the lower bounds hold however the client is
scheduled; the upper bounds leave room for a loaded machine.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_mbus_timing.py --binary=PATH_TO_ambimeter
"""

import os
import select
import time
import tty

from interop import run_cli
from mbus_interop import MbusTwin, short

BAUD = 2400
BIT_S = 1.0 / BAUD
TURNAROUND_MIN_S = 11 * BIT_S          # 4.6 ms
TURNAROUND_MAX_S = 330 * BIT_S + 0.05  # 187.5 ms
REQ_UD2 = short(0x7B, 0)


def read_exactly(fd, count, deadline):
    """`count` bytes and the monotonic time each chunk arrived: [(time, bytes)]."""
    chunks, got = [], 0
    while got < count:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        data = os.read(fd, count - got)
        if not data:
            break
        chunks.append((time.monotonic(), data))
        got += len(data)
    return chunks


def timed_rsp_ud(path):
    """(seconds to the first byte, seconds to the last byte, the telegram) of a REQ_UD2."""
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    try:
        tty.setraw(fd)
        started = time.monotonic()
        os.write(fd, REQ_UD2)
        deadline = started + 5.0
        head = read_exactly(fd, 4, deadline)
        header = b"".join(c for _, c in head)
        if len(header) < 4 or header[0] != 0x68:
            return None, None, header
        rest = read_exactly(fd, header[1] + 2, deadline)
        chunks = head + rest
        return chunks[0][0] - started, chunks[-1][0] - started, b"".join(c for _, c in chunks)
    finally:
        os.close(fd)


def check_turnaround(label, first):
    assert first is not None and first >= TURNAROUND_MIN_S, \
        f"{label}: first byte no earlier than 11 bit times: {first}"
    assert first is not None and first < TURNAROUND_MAX_S, \
        f"{label}: first byte within 330 bit times + 50 ms: {first}"


def test_unpaced_answer_waits_the_turnaround(binary):
    with MbusTwin(binary, tcp=False) as twin:
        first, last, telegram = timed_rsp_ud(twin.pty)
        assert len(telegram) > 20 and telegram[-1] == 0x16, f"an RSP_UD came back: {telegram.hex()}"
        check_turnaround("unpaced", first)
        line_time = len(telegram) * 11 * BIT_S
        assert last - first < line_time / 4, \
            f"unpaced: the telegram arrives at once: {last - first:.4f} s for {len(telegram)} bytes"


def test_paced_answer_takes_its_line_time(binary):
    with MbusTwin(binary, "--mbus-pacing", tcp=False) as twin:
        first, last, telegram = timed_rsp_ud(twin.pty)
        assert len(telegram) > 20 and telegram[-1] == 0x16, f"paced: an RSP_UD came back: {telegram.hex()}"
        check_turnaround("paced", first)
        line_time = len(telegram) * 11 * BIT_S
        assert last >= line_time, f"paced: {len(telegram)} bytes take at least {line_time:.3f} s: {last:.4f} s"
        assert last < line_time * 3, f"paced: and not much longer: {last:.4f} s"


def test_pacing_needs_the_serial_port(binary, tmp_path):
    code, out, err = run_cli(binary, ["run", "--state", str(tmp_path / "state"), "--http", "127.0.0.1:0",
                                      "--clock", "stepped", "--modbus-tcp", "off", "--mbus-tcp", "127.0.0.1:0",
                                      "--mbus-pacing"])
    lines = err.strip().splitlines()
    assert code == 2, f"exit 2: {err}"
    assert len(lines) == 1 and "--mbus-pacing applies to --mbus-serial only" in lines[0], \
        f"one line naming the fix: {err}"
    assert out == "", "no ready line"
