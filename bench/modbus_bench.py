#!/usr/bin/env python3
"""Modbus TCP benchmark: the twin against libmodbus's select() server, side by side.

Runs bench/modbus_loadgen against both servers for each (connections × pipeline depth) of
1×1, 1×16, 16×16 and 64×8, reading 2 registers at 0x5002, and prints a table with
transactions/s and p50/p99 latency, plus the twin/libmodbus ratio.

    python3 bench/modbus_bench.py BUILD_DIR [SECONDS_PER_RUN=3]
"""
import json
import os
import socket
import subprocess
import sys
import tempfile

CONFIGS = [(1, 1), (1, 16), (16, 16), (64, 8)]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_twin(build, state):
    proc = subprocess.Popen(
        [f"{build}/ambimeter", "run", "--clock", "stepped", "--state", state,
         "--http", "127.0.0.1:0", "--modbus-tcp", "127.0.0.1:0",
         "--load", "all=230V,10A,20deg"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    ready = json.loads(proc.stdout.readline())
    return proc, int(ready["modbus_tcp"].rsplit(":", 1)[1])


def start_libmodbus(build):
    port = free_port()
    proc = subprocess.Popen([f"{build}/bench/libmodbus_server", str(port)],
                            stdout=subprocess.PIPE, text=True)
    proc.stdout.readline()
    return proc, port


def load(build, port, conns, depth, seconds):
    out = subprocess.run([f"{build}/bench/modbus_loadgen", "127.0.0.1", str(port), str(conns),
                          str(depth), str(seconds)], capture_output=True, text=True, timeout=seconds + 30)
    if out.returncode != 0:
        raise SystemExit(f"loadgen failed: {out.stderr.strip()}")
    return json.loads(out.stdout)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build/release"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3
    procs = []
    try:
        with tempfile.TemporaryDirectory() as state:
            twin, twin_port = start_twin(build, state)
            procs.append(twin)
            ref, ref_port = start_libmodbus(build)
            procs.append(ref)
            print(f"{'conns×depth':>12} {'twin tps':>10} {'p50 µs':>7} {'p99 µs':>7} "
                  f"{'libmodbus tps':>14} {'p50 µs':>7} {'p99 µs':>7} {'ratio':>6}")
            for conns, depth in CONFIGS:
                a = load(build, twin_port, conns, depth, seconds)
                b = load(build, ref_port, conns, depth, seconds)
                print(f"{conns:>5}×{depth:<6} {a['tps']:>10.0f} {a['p50_us']:>7} {a['p99_us']:>7} "
                      f"{b['tps']:>14.0f} {b['p50_us']:>7} {b['p99_us']:>7} {a['tps'] / b['tps']:>6.2f}")
    finally:
        for p in procs:
            p.kill()
            p.wait()


if __name__ == "__main__":
    main()
