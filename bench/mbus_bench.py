#!/usr/bin/env python3
"""M-bus over TCP benchmark: REQ_UD2 → RSP_UD round trips on loopback.

Starts the twin (stepped clock, Modbus off, M-bus TCP on a free port; every request reads
fresh data), runs bench/mbus_loadgen with 1 and 8
connections (one request in flight each: M-bus is half duplex) and prints a table of
RSP_UD telegrams/s and p50/p99 round trip.

    python3 bench/mbus_bench.py [--json] [--twin PATH] BUILD_DIR [SECONDS_PER_RUN=3]

--json prints one JSON object per configuration instead of the table; --twin runs another
ambimeter binary (e.g. a saved baseline).
"""
import json
import subprocess
import sys
import tempfile

CONNECTIONS = [1, 8]


def start_twin(binary, state):
    proc = subprocess.Popen(
        [binary, "run", "--clock", "stepped", "--state", state, "--http", "127.0.0.1:0",
         "--mbus-tcp", "127.0.0.1:0", "--modbus-tcp", "off",
         "--load", "all=230V,10A,20deg"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    ready = json.loads(proc.stdout.readline())
    return proc, int(ready["mbus_tcp"].rsplit(":", 1)[1])


def load(build, port, conns, seconds):
    out = subprocess.run([f"{build}/bench/mbus_loadgen", "127.0.0.1", str(port), str(conns), str(seconds)],
                         capture_output=True, text=True, timeout=seconds + 30)
    if out.returncode != 0:
        raise SystemExit(f"mbus_loadgen failed: {out.stderr.strip()} {out.stdout.strip()}")
    return json.loads(out.stdout)


def main():
    args = sys.argv[1:]
    as_json = "--json" in args
    twin_binary = None
    if "--twin" in args:
        at = args.index("--twin")
        twin_binary = args[at + 1]
        del args[at:at + 2]
    args = [a for a in args if a != "--json"]
    build = args[0] if args else "build/release"
    seconds = float(args[1]) if len(args) > 1 else 3
    twin_binary = twin_binary or f"{build}/ambimeter"
    with tempfile.TemporaryDirectory() as state:
        twin, port = start_twin(twin_binary, state)
        try:
            if not as_json:
                print(f"{'conns':>5} {'frames/s':>10} {'p50 µs':>7} {'p99 µs':>7} {'bytes':>6} {'errors':>6}")
            for conns in CONNECTIONS:
                r = load(build, port, conns, seconds)
                if as_json:
                    print(json.dumps(r))
                    continue
                print(f"{conns:>5} {r['frames_per_s']:>10.0f} {r['p50_us']:>7} {r['p99_us']:>7} "
                      f"{r['telegram_bytes']:>6} {r['errors']:>6}")
        finally:
            twin.kill()
            twin.wait()


if __name__ == "__main__":
    main()
