#!/usr/bin/env python3
"""Modbus RTU turnaround on a pseudo-terminal with --rtu-pacing at 9600 baud.

Starts the twin with `--modbus-rtu pty:PATH --rtu-pacing`, sends FC 03 requests for 2
registers as one write (the pty delivers them at once, as after the last byte on a line),
and measures from that write to the first reply byte and to the last. Prints p50/p99/max and
the bound the issue sets: t3.5 + 1 ms (4.01 ms + 1 ms at 9600 baud, 11 bits per character).

    python3 bench/rtu_latency.py [--perf-trace] BUILD_DIR [REQUESTS=200]

With --perf-trace (needs `perf` and the right to trace the twin, e.g. root) the twin's own
read and write calls are traced as well, and the script also prints the time from the read
that returned the request to the write of the first reply byte: when the byte leaves the
twin, without the pty's delivery or the client's wake-ups.
"""
import json
import os
import re
import signal
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


def exchanges(fd, request, count, reply_size=9):
    """Writes `request` `count` times (10 ms apart) and waits for each reply: milliseconds from
    the write to the first reply byte and to the last, each list sorted."""
    first, last = [], []
    for _ in range(count):
        t0 = time.monotonic()
        os.write(fd, request)
        got, t_first = b"", None
        while len(got) < reply_size:
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
    return sorted(first), sorted(last)


def twin_side(trace_file):
    """Milliseconds from each 8-byte read's return to the next 1-byte write, from `perf trace`."""
    line = re.compile(r"\s*([\d.]+) \(\s*([\d.]+) ms\): (read|write)\(.*\)\s+= (-?\d+)")
    gaps, request_read = [], None
    for text in open(trace_file):
        m = line.match(text)
        if not m:
            continue
        start, duration, call, result = float(m.group(1)), float(m.group(2)), m.group(3), int(m.group(4))
        if call == "read" and result == 8:
            request_read = start + duration
        elif call == "write" and result == 1 and request_read is not None:
            gaps.append(start - request_read)
            request_read = None
    return sorted(gaps)


def main():
    args = sys.argv[1:]
    perf = "--perf-trace" in args
    args = [a for a in args if a != "--perf-trace"]
    build = args[0] if args else "build/release"
    count = int(args[1]) if len(args) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        link = os.path.join(tmp, "ttyAMBI")
        twin = subprocess.Popen(
            [f"{build}/ambimeter", "run", "--clock", "stepped", "--state", tmp + "/state",
             "--http", "127.0.0.1:0", "--modbus-tcp", "off", "--mbus-tcp", "off",
             "--modbus-rtu", f"pty:{link}", "--rtu-pacing"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        tracer = None
        trace_file = os.path.join(tmp, "perf-trace.txt")
        try:
            ready = json.loads(twin.stdout.readline())
            if perf:
                tracer = subprocess.Popen(["perf", "trace", "-e", "read,write", "-p", str(ready["pid"]),
                                           "-o", trace_file], stderr=subprocess.DEVNULL)
                time.sleep(1.0)  # attached
            fd = os.open(link, os.O_RDWR | os.O_NOCTTY)
            tty.setraw(fd)
            attrs = termios.tcgetattr(fd)
            attrs[4] = attrs[5] = termios.B9600
            termios.tcsetattr(fd, termios.TCSANOW, attrs)
            request = bytes([1, 3, 0x50, 0x02, 0, 2])
            request += crc16(request)
            first, last = exchanges(fd, request, count)
            os.close(fd)
        finally:
            if tracer is not None:
                tracer.send_signal(signal.SIGINT)
                tracer.wait(timeout=10)
            twin.terminate()
            twin.wait(timeout=10)
        side = twin_side(trace_file) if perf else []
    t35 = 3.5 * 11 / 9600 * 1000
    pick = lambda xs, p: xs[min(len(xs) - 1, int(p * len(xs)))]
    print(f"rtu_latency: {count} FC03 requests at 9600 baud, pacing on")
    print(f"  first reply byte  p50 {pick(first, .5):.2f} ms  p99 {pick(first, .99):.2f} ms  "
          f"max {first[-1]:.2f} ms  (bound t3.5 + 1 ms = {t35 + 1:.2f} ms)")
    print(f"  whole reply       p50 {pick(last, .5):.2f} ms  p99 {pick(last, .99):.2f} ms  "
          f"(9 bytes on the line = {9 * 11 / 9600 * 1000:.2f} ms)")
    if perf and side:
        print(f"  twin side: request read → first byte written  p50 {pick(side, .5):.3f} ms  "
              f"p99 {pick(side, .99):.3f} ms  max {side[-1]:.3f} ms  ({len(side)} traced)")
    elif perf:
        print("  twin side: nothing traced (is perf installed, and may it trace this process?)")


if __name__ == "__main__":
    main()
