#!/usr/bin/env python3
"""Poll audit cost on Modbus TCP: the twin with its audit on (the default) against the same
twin with `--audit off`, side by side.

Starts two twins from BUILD_DIR/ambimeter at once, one audited and one with `--audit off`
(both stepped, with a load), and for each (connections × pipeline depth) of 1×1, 16×16 and
64×8 runs bench/modbus_loadgen against them in turn, ROUNDS times each, alternating (on, off,
on, off, ...) so that the machine's other load falls on both alike. Two workloads:

* read: 2 registers at 0x5002 (the L1 voltage), answered; the audit's good path (the
  map lookup and the scan of the registers read, the clock);
* fail: 2 registers at 0x4100, unmapped, answered with exception 02; the audit's failure
  path on top (the FNV hash of the PDU and a look among the client's last 8 failures, and
  the count of its unmapped and repeated-failure findings).

Per configuration it prints every run's transactions/s, p50/p99 latency and the twin's user
and system CPU time per transaction (ns, from /proc/PID/stat: the audit's work is user time,
and CPU time does not grow while the twin waits for a core, so it is less shaken by other load
than tps; at 1×1 it also holds the busy-poll window's spinning), the median tps and user
ns/transaction of each twin, the ratio on/off of the median tps and the range of the per-round
ratios (round i is the i-th on run against the i-th off run).

    python3 bench/audit_bench.py [--json] [--workload read|fail|both] BUILD_DIR \\
        [SECONDS_PER_RUN=3] [ROUNDS=3]

--json prints one JSON object per workload and configuration instead of the tables;
--workload picks one workload (default both). Idle, a twin costs no CPU to speak of (its
busy-poll window ends 200 µs after the last request), so the one not under load stays out of
the other's way.
"""
import json
import os
import selectors
import statistics
import subprocess
import sys
import tempfile
import urllib.request

CONFIGS = [(1, 1), (16, 16), (64, 8)]
# name: (loadgen flags, address, count)
WORKLOADS = {
    "read": ([], "0x5002", 2),
    "fail": (["--expect-exception"], "0x4100", 2),
}
READY_TIMEOUT_S = 20
CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def start_twin(binary, state, audit_flags):
    proc = subprocess.Popen(
        [binary, "run", "--clock", "stepped", "--state", state,
         "--http", "127.0.0.1:0", "--modbus-tcp", "127.0.0.1:0", "--mbus-tcp", "off",
         "--load", "all=230V,10A,20deg", *audit_flags],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return proc


def ready_line(proc):
    """The twin's ready line (bounded: a twin that says nothing within the timeout fails)."""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(READY_TIMEOUT_S):
            raise SystemExit(f"no ready line from the twin within {READY_TIMEOUT_S} s")
    line = proc.stdout.readline()
    if not line:
        raise SystemExit(f"the twin exited before its ready line (status {proc.poll()})")
    return json.loads(line)


def audit_enabled(ready):
    with urllib.request.urlopen(f"{ready['http']}/api/v1/audit", timeout=10) as reply:
        return json.load(reply)["enabled"]


def load(build, port, conns, depth, seconds, workload):
    flags, address, count = WORKLOADS[workload]
    out = subprocess.run([f"{build}/bench/modbus_loadgen", *flags, "127.0.0.1", str(port), str(conns),
                          str(depth), str(seconds), address, str(count)],
                         capture_output=True, text=True, timeout=seconds + 30)
    if out.returncode != 0:
        raise SystemExit(f"loadgen failed ({workload}, {conns}×{depth}): {out.stderr.strip()} "
                         f"{out.stdout.strip()}")
    return json.loads(out.stdout)


def cpu_ticks(pid):
    """The process's user and system CPU time so far, in clock ticks (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


def timed_load(build, twin, conns, depth, seconds, workload):
    """One loadgen run against twin (its process and port), with the twin's user and system
    CPU time per transaction (ns)."""
    proc, port = twin
    user0, sys0 = cpu_ticks(proc.pid)
    run = load(build, port, conns, depth, seconds, workload)
    user1, sys1 = cpu_ticks(proc.pid)
    per_tx_ns = 1e9 / CLOCK_TICKS_PER_S / max(run["transactions"], 1)
    run["user_ns_per_tx"] = round((user1 - user0) * per_tx_ns)
    run["sys_ns_per_tx"] = round((sys1 - sys0) * per_tx_ns)
    return run


def measure(build, twins, conns, depth, seconds, rounds, workload):
    """ROUNDS runs on each twin, alternating on, off, on, off, ..."""
    runs = {"on": [], "off": []}
    for _ in range(rounds):
        for audit in ("on", "off"):
            runs[audit].append(timed_load(build, twins[audit], conns, depth, seconds, workload))
    median = {k: statistics.median(r["tps"] for r in v) for k, v in runs.items()}
    user = {k: statistics.median(r["user_ns_per_tx"] for r in v) for k, v in runs.items()}
    ratios = [a["tps"] / b["tps"] for a, b in zip(runs["on"], runs["off"])]
    return {"workload": workload, "conns": conns, "depth": depth, "seconds": seconds,
            "on": runs["on"], "off": runs["off"],
            "on_median_tps": median["on"], "off_median_tps": median["off"],
            "ratio": round(median["on"] / median["off"], 3),
            "ratio_min": round(min(ratios), 3), "ratio_max": round(max(ratios), 3),
            "on_median_user_ns_per_tx": user["on"], "off_median_user_ns_per_tx": user["off"]}


def print_table(result):
    print(f"\n{result['workload']}  {result['conns']}×{result['depth']}")
    print(f"{'round':>5} {'on tps':>10} {'p50 µs':>7} {'p99 µs':>7} {'usr ns':>7} {'sys ns':>7} "
          f"{'off tps':>10} {'p50 µs':>7} {'p99 µs':>7} {'usr ns':>7} {'sys ns':>7} {'on/off':>7}")
    for i, (a, b) in enumerate(zip(result["on"], result["off"]), 1):
        print(f"{i:>5} {a['tps']:>10.0f} {a['p50_us']:>7} {a['p99_us']:>7} {a['user_ns_per_tx']:>7} "
              f"{a['sys_ns_per_tx']:>7} {b['tps']:>10.0f} {b['p50_us']:>7} {b['p99_us']:>7} "
              f"{b['user_ns_per_tx']:>7} {b['sys_ns_per_tx']:>7} {a['tps'] / b['tps']:>7.3f}")
    print(f"{'med':>5} {result['on_median_tps']:>10.0f} {'':>15} {result['on_median_user_ns_per_tx']:>7.0f} "
          f"{'':>7} {result['off_median_tps']:>10.0f} {'':>15} {result['off_median_user_ns_per_tx']:>7.0f} "
          f"{'':>7} {result['ratio']:>7.3f}   (rounds {result['ratio_min']:.3f}-{result['ratio_max']:.3f})")


def main():
    args = sys.argv[1:]
    as_json = "--json" in args
    workloads = list(WORKLOADS)
    if "--workload" in args:
        at = args.index("--workload")
        choice = args[at + 1] if at + 1 < len(args) else ""
        if choice not in (*WORKLOADS, "both"):
            raise SystemExit("--workload takes read, fail or both")
        workloads = list(WORKLOADS) if choice == "both" else [choice]
        del args[at:at + 2]
    args = [a for a in args if a != "--json"]
    build = args[0] if args else "build/release"
    seconds = float(args[1]) if len(args) > 1 else 3
    rounds = int(args[2]) if len(args) > 2 else 3
    procs = []
    # The twins are killed before their state directories go.
    with tempfile.TemporaryDirectory() as state_on, tempfile.TemporaryDirectory() as state_off:
        try:
            on = start_twin(f"{build}/ambimeter", state_on, [])
            procs.append(on)
            off = start_twin(f"{build}/ambimeter", state_off, ["--audit", "off"])
            procs.append(off)
            ready = {"on": ready_line(on), "off": ready_line(off)}
            if not audit_enabled(ready["on"]) or audit_enabled(ready["off"]):
                raise SystemExit("the twins' audits are not on and off as asked")
            twins = {"on": (on, int(ready["on"]["modbus_tcp"].rsplit(":", 1)[1])),
                     "off": (off, int(ready["off"]["modbus_tcp"].rsplit(":", 1)[1]))}
            if not as_json:
                print(f"audit on against --audit off, {rounds} rounds of {seconds:g} s per twin "
                      f"and configuration, alternating on, off")
            for workload in workloads:
                for conns, depth in CONFIGS:
                    result = measure(build, twins, conns, depth, seconds, rounds, workload)
                    if as_json:
                        print(json.dumps(result), flush=True)
                    else:
                        print_table(result)
                        sys.stdout.flush()
        finally:
            for p in procs:
                p.kill()
                p.wait(timeout=10)


if __name__ == "__main__":
    main()
