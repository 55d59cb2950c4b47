#!/usr/bin/env python3
"""Fleet start-up and idle benchmark: `ambimeter run --meters N` on a fresh state directory,
then again on the state it saved (a restart), with a real clock at speed 1 and nobody
polling. For each start it prints the wall time until the ready line, the resident memory
(and bytes per meter) and the CPU the idle process uses over a window, as a share of one
core.

    python3 bench/fleet_bench.py [--json] [--curve STEP] BUILD_DIR [METERS=10000] [IDLE_SECONDS=10]

With --curve STEP (e.g. 1m) the meters draw a generated household curve that changes every
STEP (a fleet file with one group and a [profile.NAME], docs/fleet.md) instead of no load:
every meter then counts energy all the time.

Loopback only; the process and its state directory are removed at the end.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def curve_file(folder, meters, step):
    path = os.path.join(folder, "fleet.toml")
    with open(path, "w") as f:
        f.write(f'[fleet]\nseed = 7\n[profile.h]\nstep = "{step}"\nbase_w = 450\n'
                f'pv_peak_w = 4000\npv_share = 0.6\nev_w = 11000\nev_share = 0.25\n'
                f'[[group]]\nname = "houses"\ncount = {meters}\nprofile = "h"\n')
    return path


def one_start(binary, state, meters, idle_s, fleet_file=None):
    who = ["--fleet", fleet_file] if fleet_file else ["--meters", str(meters)]
    cmd = [binary, "run", *who, "--state", state, "--http", "127.0.0.1:0",
           "--modbus-tcp", "127.0.0.1:0", "--mbus-tcp", "off"]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        line = proc.stdout.readline()
        ready_s = time.monotonic() - t0
        ready = json.loads(line)
        assert ready.get("event") == "ready", line
        time.sleep(2.0)  # the first passes after start-up
        cpu0, w0 = cpu_seconds(proc.pid), time.monotonic()
        time.sleep(idle_s)
        cpu1, w1 = cpu_seconds(proc.pid), time.monotonic()
        rss = rss_bytes(proc.pid)
        return {"meters": meters, "fresh": ready["fresh"], "replayed": ready.get("replayed", 0),
                "ready_s": round(ready_s, 2),
                "rss_mib": round(rss / 2**20, 1), "bytes_per_meter": rss // meters,
                "idle_cpu_pct": round(100 * (cpu1 - cpu0) / (w1 - w0), 2)}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    argv = sys.argv[1:]
    curve = None
    if "--curve" in argv:
        at = argv.index("--curve")
        curve = argv[at + 1]
        del argv[at:at + 2]
    args = [a for a in argv if a != "--json"]
    as_json = "--json" in argv
    if not args:
        sys.exit("usage: fleet_bench.py [--json] [--curve STEP] BUILD_DIR [METERS=10000] "
                 "[IDLE_SECONDS=10]")
    binary = os.path.join(args[0], "ambimeter")
    meters = int(args[1]) if len(args) > 1 else 10000
    idle_s = float(args[2]) if len(args) > 2 else 10.0
    state = tempfile.mkdtemp(prefix="ambi-fleet-bench-")
    try:
        fleet_file = curve_file(state, meters, curve) if curve else None
        rows = [one_start(binary, os.path.join(state, "s"), meters, idle_s, fleet_file)
                for _ in range(2)]
    finally:
        shutil.rmtree(state, ignore_errors=True)
    if as_json:
        for row in rows:
            print(json.dumps(row))
        return
    print(f"{'start':>8} {'meters':>7} {'replayed':>8} {'ready s':>8} {'RSS MiB':>8} "
          f"{'B/meter':>8} {'idle CPU %':>10}")
    for name, row in zip(("fresh", "restart"), rows):
        print(f"{name:>8} {row['meters']:>7} {row['replayed']:>8} {row['ready_s']:>8} "
              f"{row['rss_mib']:>8} {row['bytes_per_meter']:>8} {row['idle_cpu_pct']:>10}")


if __name__ == "__main__":
    main()
