#!/usr/bin/env python3
"""The platform's share of bench/rtu_latency.py: the same client and measurement against a
stand-in server that is not the twin. A child process reads each request on a pty's master
side, waits exactly t3.5 (4.01 ms at 9600 baud: sleeps, then spins the last 300 µs) after
reading it, and writes 9 bytes. What this shows above 4.01 ms is the pseudo-terminal's
delivery both ways and the wake-ups of this machine, which the twin cannot remove.

    python3 bench/pty_baseline.py [REQUESTS=400]
"""
import os
import pty
import signal
import sys
import time
import tty

from rtu_latency import exchanges  # the same client and measurement

T35 = 3.5 * 11 / 9600


def serve(master):
    while True:
        os.read(master, 64)
        deadline = time.monotonic() + T35
        while time.monotonic() < deadline - 0.0003:
            time.sleep(0.0001)
        while time.monotonic() < deadline:
            pass
        os.write(master, b"\x01" * 9)


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    master, slave = pty.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    child = os.fork()
    if child == 0:
        os.close(slave)
        serve(master)
    os.close(master)
    try:
        first, _ = exchanges(slave, bytes([1, 3, 0x50, 0x02, 0, 2, 0x64, 0xCB]), count)
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    pick = lambda p: first[min(len(first) - 1, int(p * len(first)))]
    print(f"pty_baseline: {count} exchanges, reply t3.5 = {T35 * 1000:.2f} ms after the read")
    print(f"  first reply byte  p50 {pick(.5):.2f} ms  p99 {pick(.99):.2f} ms  max {first[-1]:.2f} ms")


if __name__ == "__main__":
    main()
