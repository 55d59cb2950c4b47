"""`ambimeter log`: polls a twin into SQLite and CSV; a twin stopped and restarted mid-way
leaves exactly one recorded gap and polling resumes; the summary says so.

    /usr/bin/python3 test_tools_log.py PATH_TO_ambimeter
"""

import csv
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time

from interop import ModbusTwin, Twin, main
from tools import ambimeter


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_polls(db, n, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(db, timeout=2) as c:
                if c.execute("SELECT COUNT(*) FROM polls").fetchone()[0] >= n:
                    return True
        except sqlite3.Error:
            pass
        time.sleep(0.1)
    return False


def test_gap_is_recorded(checks, binary):
    tmp = tempfile.mkdtemp(prefix="ambi-log-")
    port = free_port()
    state = os.path.join(tmp, "state")
    db = os.path.join(tmp, "log.sqlite")
    logger = None
    twin = None
    args = ["--modbus-tcp", f"127.0.0.1:{port}", "--clock", "real", "--speed", "3600", "--load", "L1=230V,10A,0deg"]
    try:
        twin = Twin(binary, state, *args).start()
        logger = subprocess.Popen([binary, "log", f"tcp://127.0.0.1:{port}?timeout=300ms", "--interval", "250ms",
                                   "--count", "24", "--to", db], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        checks.check("polls before the stop", wait_for_polls(db, 5), "no polls")
        twin.terminate()
        time.sleep(1.5)
        twin = Twin(binary, state, *args).start()
        out, err = logger.communicate(timeout=30)
        err = err.decode()
        checks.equal("log exit", logger.returncode, 0)
        twin.kill()
        with sqlite3.connect(db) as c:
            polls = c.execute("SELECT ok FROM polls ORDER BY id").fetchall()
            checks.equal("24 polls", len(polls), 24)
            oks = "".join("1" if p[0] else "0" for p in polls)
            checks.check("ok, then a gap, then ok again", oks.strip("1").count("1") == 0 and "0" in oks
                         and oks.startswith("1") and oks.endswith("1"), oks)
            gaps = c.execute("SELECT start_ms, end_ms, polls, error FROM gaps").fetchall()
            checks.equal("one gap", len(gaps), 1)
            if gaps:
                start, end, n, error = gaps[0]
                checks.check("gap closed when polling resumed", end is not None and end > start, gaps)
                checks.equal("gap counts the failed polls", n, oks.count("0"))
                checks.check("gap says why", bool(error), error)
            energy = [r[0] for r in c.execute(
                "SELECT value FROM readings WHERE name = 'total_active_kwh' ORDER BY poll_id").fetchall()]
            checks.equal("a reading per good poll", len(energy), oks.count("1"))
            checks.check("energy never goes down across the restart", energy == sorted(energy) and energy[-1] > energy[0],
                         energy)
            names = {r[0] for r in c.execute("SELECT DISTINCT name FROM readings")}
            checks.check("instant and energy stored", {"l1_voltage", "total_active_kwh"} <= names and "serial_number" not in names,
                         sorted(names)[:5])
        checks.check("summary names the gap", "1 gap" in err and "24 polls" in err, err[-400:])
    finally:
        if logger and logger.poll() is None:
            logger.kill()
        if twin:
            twin.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def test_csv_and_ctrl_c(checks, binary):
    with ModbusTwin(binary, pty=False, rtu_over_tcp=False) as twin:
        twin.reference(60)
        path = os.path.join(twin.tmp, "log.csv")
        code, _, err = ambimeter(binary, "log", f"tcp://127.0.0.1:{twin.tcp_port}", "--interval", "100ms",
                                 "--count", "3", "--to", path, "--group", "energy")
        checks.equal("csv log exit", code, 0)
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        checks.equal("header + 3 rows", len(rows), 4)
        checks.equal("header starts", rows[0][:3], ["time", "unix_ms", "status"])
        checks.check("energy columns with units", "total_active_kwh [kWh]" in rows[0], rows[0][:6])
        checks.check("rows ok", all(r[2] == "ok" and len(r) == len(rows[0]) for r in rows[1:]), rows[1:])
        db = os.path.join(twin.tmp, "ctrlc.sqlite")
        proc = subprocess.Popen([binary, "log", f"tcp://127.0.0.1:{twin.tcp_port}", "--interval", "100ms", "--to", db],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
        checks.equal("Ctrl-C: exit 0", proc.returncode, 0)
        checks.check("Ctrl-C: summary", b"polls" in err and b"0 failed" in err, err)
        code, _, err = ambimeter(binary, "log", f"tcp://127.0.0.1:{twin.tcp_port}", "--to", "/nonexistent/dir/x.sqlite",
                                 "--count", "1")
        checks.check("unwritable file: exit 2, one line", code == 2 and err.count("\n") == 1, err)


if __name__ == "__main__":
    main("tools log", [
        ("a stopped and restarted twin leaves one gap", test_gap_is_recorded),
        ("CSV, Ctrl-C and a bad file", test_csv_and_ctrl_c),
    ])
