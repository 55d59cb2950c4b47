#!/usr/bin/env python3
"""A poll cycle of an RS485 bus of 60 meters at 9600 baud (docs/shared-lines.md).

Starts `ambimeter run --meters 60 --modbus-rtu pty:PATH --rtu-pacing`, then polls every
meter once per cycle with FC 03 0x5000 x 56 (the instantaneous block), as a head-end does.
Each request is written at once (a pty delivers it at once, as after its last byte on a
line), and the next is sent as soon as the reply's last byte is in. Prints, per cycle, the
wall time against what the line rate allows, and over all replies the time from the
request's write to the reply's first byte against t3.5 + 1 ms.

The line-rate bound of one exchange: (request bytes + reply bytes) x 11 bits / baud, plus
t3.5 before the reply. On a pty the request itself takes no line time (the client writes it
at once), so the twin can be under the bound by the requests' share.

    python3 bench/rtu_bus_bench.py BUILD_DIR [CYCLES=3]
"""
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import termios
import time
import tty

METERS = 60
BAUD = 9600
BITS = 11  # 8E1: start, 8 data, parity, stop
T35_S = 3.5 * BITS / BAUD
REGISTERS = 56


def crc16(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return bytes([crc & 0xFF, crc >> 8])


def request(unit):
    pdu = bytes([unit, 0x03, 0x50, 0x00, 0x00, REGISTERS])
    return pdu + crc16(pdu)


def exchange(fd, frame, reply_size):
    t0 = time.monotonic()
    os.write(fd, frame)
    got, t_first = b"", None
    while len(got) < reply_size:
        ready, _, _ = select.select([fd], [], [], 2.0)
        if not ready:
            raise SystemExit(f"unit {frame[0]}: no whole reply within 2 s ({len(got)} bytes)")
        chunk = os.read(fd, 512)
        if t_first is None:
            t_first = time.monotonic()
        got += chunk
    if got[-2:] != crc16(got[:-2]):
        raise SystemExit(f"unit {frame[0]}: bad CRC")
    return t_first - t0, time.monotonic() - t0


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: rtu_bus_bench.py BUILD_DIR [CYCLES=3]")
    binary = os.path.join(sys.argv[1], "ambimeter")
    cycles = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    tmp = tempfile.mkdtemp(prefix="ambi-bus-bench-")
    pty = os.path.join(tmp, "bus")
    proc = subprocess.Popen([binary, "run", "--meters", str(METERS), "--modbus-rtu", f"pty:{pty}",
                             "--rtu-pacing", "--clock", "stepped", "--state",
                             os.path.join(tmp, "state"), "--http", "127.0.0.1:0", "--modbus-tcp",
                             "127.0.0.1:0", "--mbus-tcp", "off", "--load", "all=230V,5A"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        json.loads(proc.stdout.readline())
        fd = os.open(pty, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(fd)
        attrs = termios.tcgetattr(fd)
        attrs[4] = attrs[5] = termios.B9600
        termios.tcsetattr(fd, termios.TCSANOW, attrs)
        reply_size = 5 + 2 * REGISTERS
        exchange(fd, request(1), reply_size)  # warm up
        per_exchange_bound = (8 + reply_size) * BITS / BAUD + T35_S
        replies_only = reply_size * BITS / BAUD + T35_S  # the pty's requests take no line time
        firsts = []
        print(f"{METERS} meters, FC 03 0x5000 x {REGISTERS}, {BAUD} baud 8E1 with --rtu-pacing")
        print(f"{'cycle':>5} {'wall s':>8} {'bound s':>8} {'wall/bound':>10} "
              f"{'replies-only bound s':>21} {'wall/it':>8}")
        for c in range(cycles):
            t0 = time.monotonic()
            for unit in range(1, METERS + 1):
                first, _ = exchange(fd, request(unit), reply_size)
                firsts.append(first)
            wall = time.monotonic() - t0
            bound = METERS * per_exchange_bound
            own = METERS * replies_only
            print(f"{c + 1:>5} {wall:>8.3f} {bound:>8.3f} {wall / bound:>10.3f} {own:>21.3f} "
                  f"{wall / own:>8.3f}")
        firsts.sort()
        p = lambda q: firsts[min(len(firsts) - 1, int(q * len(firsts)))] * 1000  # noqa: E731
        print(f"request -> first reply byte: p50 {p(0.5):.2f} ms, p99 {p(0.99):.2f} ms, "
              f"max {firsts[-1] * 1000:.2f} ms; bound t3.5 + 1 ms = {(T35_S + 0.001) * 1000:.2f} ms")
        os.close(fd)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
