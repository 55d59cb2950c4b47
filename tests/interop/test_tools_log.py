"""`ambimeter log`: polls a twin into SQLite and CSV; a twin stopped and restarted mid-way
leaves exactly one recorded gap and polling resumes; the summary says so.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_tools_log.py --binary=PATH_TO_ambimeter
"""

import csv
import os
import signal
import socket
import sqlite3
import subprocess
import time

from interop import ModbusTwin, Twin
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


def test_gap_is_recorded(binary, tmp_path):
    port = free_port()
    state = str(tmp_path / "state")
    db = str(tmp_path / "log.sqlite")
    logger = None
    twin = None
    args = ["--modbus-tcp", f"127.0.0.1:{port}", "--clock", "real", "--speed", "3600", "--load", "L1=230V,10A,0deg"]
    try:
        twin = Twin(binary, state, *args).start()
        logger = subprocess.Popen([binary, "log", f"tcp://127.0.0.1:{port}?timeout=300ms", "--interval", "250ms",
                                   "--count", "24", "--to", db], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert wait_for_polls(db, 5), "polls before the stop"
        twin.terminate()
        time.sleep(1.5)
        twin = Twin(binary, state, *args).start()
        out, err = logger.communicate(timeout=30)
        err = err.decode()
        assert logger.returncode == 0, "log exit"
        twin.kill()
        with sqlite3.connect(db) as c:
            polls = c.execute("SELECT ok FROM polls ORDER BY id").fetchall()
            assert len(polls) == 24, "24 polls"
            oks = "".join("1" if p[0] else "0" for p in polls)
            assert oks.strip("1").count("1") == 0 and "0" in oks and oks.startswith("1") and oks.endswith("1"), \
                f"ok, then a gap, then ok again: {oks}"
            gaps = c.execute("SELECT start_ms, end_ms, polls, error FROM gaps").fetchall()
            assert len(gaps) == 1, "one gap"
            start, end, n, error = gaps[0]
            assert end is not None and end > start, f"gap closed when polling resumed: {gaps}"
            assert n == oks.count("0"), "gap counts the failed polls"
            assert error, f"gap says why: {error!r}"
            energy = [r[0] for r in c.execute(
                "SELECT value FROM readings WHERE name = 'total_active_kwh' ORDER BY poll_id").fetchall()]
            assert len(energy) == oks.count("1"), "a reading per good poll"
            assert energy == sorted(energy) and energy[-1] > energy[0], \
                f"energy never goes down across the restart: {energy}"
            names = {r[0] for r in c.execute("SELECT DISTINCT name FROM readings")}
            assert {"l1_voltage", "total_active_kwh"} <= names and "serial_number" not in names, \
                f"instant and energy stored: {sorted(names)[:5]}"
        assert "1 gap" in err and "24 polls" in err, f"summary names the gap: {err[-400:]}"
    finally:
        if logger and logger.poll() is None:
            logger.kill()
        if twin:
            twin.kill()


def test_csv_and_ctrl_c(binary):
    with ModbusTwin(binary, pty=False, rtu_over_tcp=False) as twin:
        twin.reference(60)
        path = os.path.join(twin.tmp, "log.csv")
        code, _, err = ambimeter(binary, "log", f"tcp://127.0.0.1:{twin.tcp_port}", "--interval", "100ms",
                                 "--count", "3", "--to", path, "--group", "energy")
        assert code == 0, "csv log exit"
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        assert len(rows) == 4, "header + 3 rows"
        assert rows[0][:3] == ["time", "unix_ms", "status"], "header starts"
        assert "total_active_kwh [kWh]" in rows[0], f"energy columns with units: {rows[0][:6]}"
        assert all(r[2] == "ok" and len(r) == len(rows[0]) for r in rows[1:]), f"rows ok: {rows[1:]}"
        db = os.path.join(twin.tmp, "ctrlc.sqlite")
        proc = subprocess.Popen([binary, "log", f"tcp://127.0.0.1:{twin.tcp_port}", "--interval", "100ms", "--to", db],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            time.sleep(1.0)
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert proc.returncode == 0, "Ctrl-C: exit 0"
        assert b"polls" in err and b"0 failed" in err, f"Ctrl-C: summary: {err}"
        code, _, err = ambimeter(binary, "log", f"tcp://127.0.0.1:{twin.tcp_port}", "--to", "/nonexistent/dir/x.sqlite",
                                 "--count", "1")
        assert code == 2 and err.count("\n") == 1, f"unwritable file: exit 2, one line: {err}"
