#!/usr/bin/env python3
"""Modbus RTU turnaround on a pseudo-terminal with --rtu-pacing at 9600 baud.

Starts the twin with `--modbus-rtu pty:PATH --rtu-pacing`, sends FC 03 requests for 2
registers as one write (the pty delivers them at once, as after the last byte on a line),
and measures from that write to the first reply byte and to the last. Prints p50/p99/max and
the bound the issue sets: t3.5 + 1 ms (4.01 ms + 1 ms at 9600 baud, 11 bits per character).

    python3 bench/rtu_latency.py BUILD_DIR [REQUESTS=200]
"""
import json
import os
import select
import subprocess
import sys
import tempfile
import termios
import time
import tty


def crc16(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return bytes([crc & 0xFF, crc >> 8])


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build/release"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    with tempfile.TemporaryDirectory() as tmp:
        link = os.path.join(tmp, "ttyAMBI")
        twin = subprocess.Popen(
            [f"{build}/ambimeter", "run", "--clock", "stepped", "--state", tmp + "/state",
             "--http", "127.0.0.1:0", "--modbus-tcp", "off", "--mbus-tcp", "off",
             "--modbus-rtu", f"pty:{link}", "--rtu-pacing"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            json.loads(twin.stdout.readline())
            fd = os.open(link, os.O_RDWR | os.O_NOCTTY)
            tty.setraw(fd)
            attrs = termios.tcgetattr(fd)
            attrs[4] = attrs[5] = termios.B9600
            termios.tcsetattr(fd, termios.TCSANOW, attrs)
            request = bytes([1, 3, 0x50, 0x02, 0, 2])
            request += crc16(request)
            first, last = [], []
            for _ in range(count):
                t0 = time.monotonic()
                os.write(fd, request)
                got = b""
                t_first = None
                while len(got) < 9:
                    ready, _, _ = select.select([fd], [], [], 1.0)
                    if not ready:
                        raise SystemExit("no reply within 1 s")
                    chunk = os.read(fd, 64)
                    if t_first is None:
                        t_first = time.monotonic()
                    got += chunk
                first.append((t_first - t0) * 1000)
                last.append((time.monotonic() - t0) * 1000)
                time.sleep(0.01)
            os.close(fd)
        finally:
            twin.terminate()
            twin.wait(timeout=10)
    first.sort()
    last.sort()
    t35 = 3.5 * 11 / 9600 * 1000
    pick = lambda xs, p: xs[min(len(xs) - 1, int(p * len(xs)))]
    print(f"rtu_latency: {count} FC03 requests at 9600 baud, pacing on")
    print(f"  first reply byte  p50 {pick(first, .5):.2f} ms  p99 {pick(first, .99):.2f} ms  "
          f"max {first[-1]:.2f} ms  (bound t3.5 + 1 ms = {t35 + 1:.2f} ms)")
    print(f"  whole reply       p50 {pick(last, .5):.2f} ms  p99 {pick(last, .99):.2f} ms  "
          f"(9 bytes on the line = {9 * 11 / 9600 * 1000:.2f} ms)")


if __name__ == "__main__":
    main()
