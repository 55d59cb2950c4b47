"""100,000 connect/disconnect cycles on Modbus TCP and RTU over TCP leak no file
descriptor: /proc/PID/fd counts the same before and after, and the twin still answers.
Connections are opened without blocking in batches, most closed with a reset (linger 0,
so no TIME_WAIT exhausts the ephemeral ports), some closed gracefully, some after a
request. Bounded: the whole test stays well under a minute.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_fd_leak.py --binary=PATH_TO_ambimeter
"""

import errno
import select
import socket
import struct
import time

from interop import ModbusTwin, fd_count, mbap, raw_exchange

CYCLES = 100_000
BATCH = 250
LINGER_RESET = struct.pack("ii", 1, 0)
REQUEST = mbap(1, 1, 0x03, 0x40, 0x03, 0, 1)


def one_batch(port, size, graceful_every=10):
    """Opens `size` connections at once, waits until they are up, closes them. Returns how
    many connected."""
    socks = []
    for _ in range(size):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        code = s.connect_ex(("127.0.0.1", port))
        if code not in (0, errno.EINPROGRESS):
            s.close()
            continue
        socks.append(s)
    pending = list(socks)
    deadline = time.monotonic() + 5.0
    while pending and time.monotonic() < deadline:
        _, writable, _ = select.select([], pending, [], max(0.0, deadline - time.monotonic()))
        pending = [s for s in pending if s not in writable]
    connected = 0
    for k, s in enumerate(socks):
        if s not in pending and s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            connected += 1
            if k % graceful_every == 1:
                try:
                    s.send(REQUEST)
                except OSError:
                    pass
            elif k % graceful_every != 0:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
        s.close()
    return connected


def settle(pid, target, timeout=20.0):
    """Waits until the twin holds `target` descriptors (its connections have drained)."""
    deadline = time.monotonic() + timeout
    count = fd_count(pid)
    while count != target and time.monotonic() < deadline:
        time.sleep(0.1)
        count = fd_count(pid)
    return count


def test_no_descriptor_leaks(binary):
    """100,000 connect/disconnect cycles leak no descriptor."""
    with ModbusTwin(binary, pty=False) as twin:
        pid = twin.proc.pid
        assert raw_exchange(twin.tcp_port, REQUEST, 11) == mbap(1, 1, 0x03, 2, 0, 1), "answers before"
        before = settle(pid, -1, 0.5)
        started = time.monotonic()
        connected = 0
        cycles = 0
        ports = [twin.tcp_port, twin.rtu_tcp_port]
        while cycles < CYCLES and time.monotonic() - started < 50.0:
            connected += one_batch(ports[(cycles // BATCH) % 2], BATCH)
            cycles += BATCH
        elapsed = time.monotonic() - started
        print(f"    {cycles} cycles ({connected} connected) in {elapsed:.1f} s", flush=True)
        assert cycles >= CYCLES, f"100,000 cycles within 50 s: {cycles} cycles"
        assert connected >= cycles * 0.99, f"nearly every connect succeeded: {connected}/{cycles}"
        after = settle(pid, before)
        assert after == before, "descriptors before and after"
        assert raw_exchange(twin.tcp_port, REQUEST, 11) == mbap(1, 1, 0x03, 2, 0, 1), "answers after"
        assert twin.proc.poll() is None, "the twin is still running"
