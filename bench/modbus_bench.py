#!/usr/bin/env python3
"""Modbus TCP benchmark: the twin against libmodbus's select() server, side by side.

Runs bench/modbus_loadgen against both servers for each (connections × pipeline depth) of
1×1, 1×16, 16×16, 64×1 and 64×8, reading 2 registers at 0x5002, and prints a table with
transactions/s and p50/p99 latency, plus the twin/libmodbus ratio. The last column is a bare
epoll server under the same load: bench/canned_server, which answers canned bytes with one
recv and one send per read, does no Modbus at all and sleeps in epoll_wait when idle. With
requests pipelined it is about as fast as any server can be with this load generator on this
machine; at one request in flight the twin's busy-poll window (docs/performance.md) beats it.

    python3 bench/modbus_bench.py [--json] [--send-each] [--twin PATH] BUILD_DIR [SECONDS_PER_RUN=3]

--json prints one JSON object per configuration instead of the table; --send-each makes
the load generator send every request on its own (one syscall each) instead of one send per
batch of replacements; --twin runs another ambimeter binary (e.g. a saved baseline).
"""
import json
import os
import socket
import subprocess
import sys
import tempfile

CONFIGS = [(1, 1), (1, 16), (16, 16), (64, 1), (64, 8)]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def extra_listen_flags(binary):
    """Turns off the M-bus TCP listener (fixed port 5021 by default) where the twin has one."""
    usage = subprocess.run([binary, "run", "--help"], capture_output=True, text=True).stdout
    return ["--mbus-tcp", "off"] if "--mbus-tcp" in usage else []


def start_twin(binary, state):
    proc = subprocess.Popen(
        [binary, "run", "--clock", "stepped", "--state", state,
         "--http", "127.0.0.1:0", "--modbus-tcp", "127.0.0.1:0", *extra_listen_flags(binary),
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


def start_canned(build):
    port = free_port()
    proc = subprocess.Popen([f"{build}/bench/canned_server", str(port)], stdout=subprocess.PIPE, text=True)
    proc.stdout.readline()
    return proc, port


def load(build, port, conns, depth, seconds, flags):
    out = subprocess.run([f"{build}/bench/modbus_loadgen", *flags, "127.0.0.1", str(port), str(conns),
                          str(depth), str(seconds)], capture_output=True, text=True, timeout=seconds + 30)
    if out.returncode != 0:
        raise SystemExit(f"loadgen failed: {out.stderr.strip()}")
    return json.loads(out.stdout)


def main():
    args = sys.argv[1:]
    as_json = "--json" in args
    flags = ["--send-each"] if "--send-each" in args else []
    twin_binary = None
    if "--twin" in args:
        at = args.index("--twin")
        twin_binary = args[at + 1]
        del args[at:at + 2]
    args = [a for a in args if a not in ("--json", "--send-each")]
    build = args[0] if args else "build/release"
    seconds = float(args[1]) if len(args) > 1 else 3
    twin_binary = twin_binary or f"{build}/ambimeter"
    procs = []
    try:
        with tempfile.TemporaryDirectory() as state:
            twin, twin_port = start_twin(twin_binary, state)
            procs.append(twin)
            ref, ref_port = start_libmodbus(build)
            procs.append(ref)
            canned, canned_port = start_canned(build)
            procs.append(canned)
            if not as_json:
                print(f"{'conns×depth':>12} {'twin tps':>10} {'p50 µs':>7} {'p99 µs':>7} "
                      f"{'libmodbus tps':>14} {'p50 µs':>7} {'p99 µs':>7} {'ratio':>6} {'bare tps':>9}")
            for conns, depth in CONFIGS:
                a = load(build, twin_port, conns, depth, seconds, flags)
                b = load(build, ref_port, conns, depth, seconds, flags)
                c = load(build, canned_port, conns, depth, seconds, flags)
                if as_json:
                    print(json.dumps({"conns": conns, "depth": depth, "twin": a, "libmodbus": b, "bare": c,
                                      "ratio": round(a["tps"] / b["tps"], 3)}))
                    continue
                print(f"{conns:>5}×{depth:<6} {a['tps']:>10.0f} {a['p50_us']:>7} {a['p99_us']:>7} "
                      f"{b['tps']:>14.0f} {b['p50_us']:>7} {b['p99_us']:>7} {a['tps'] / b['tps']:>6.2f} "
                      f"{c['tps']:>9.0f}")
    finally:
        for p in procs:
            p.kill()
            p.wait()


if __name__ == "__main__":
    main()
