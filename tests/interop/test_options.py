"""The Modbus options of `ambimeter run`: user errors are one line and exit code 2 (a port
in use names the flag to change); --modbus-tcp off; the pty symlink replaces a stale one,
refuses other files and is removed at exit; --trace writes one JSON object per frame; the
status word shows communication for a while after a request.

    /usr/bin/python3 test_options.py PATH_TO_ambimeter
"""

import json
import os
import shutil
import signal
import socket
import tempfile
import time

from interop import ModbusTwin, main, mbap, raw_exchange, rtu, run_cli


def usage_error(checks, binary, label, args, expect):
    tmp = tempfile.mkdtemp(prefix="ambi-options-")
    try:
        code, out, err = run_cli(binary, ["run", "--state", os.path.join(tmp, "s"), "--http", "127.0.0.1:0",
                                          "--clock", "stepped"] + args)
        lines = err.strip().splitlines()
        checks.equal(f"{label}: exit 2", code, 2)
        checks.check(f"{label}: one line naming the fix", len(lines) == 1 and expect in lines[0], err)
        checks.equal(f"{label}: no ready line", out, "")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_user_errors(checks, binary):
    with ModbusTwin(binary, pty=False) as other:
        usage_error(checks, binary, "tcp port in use", ["--modbus-tcp", other.ready["modbus_tcp"]],
                    "address in use; choose another with --modbus-tcp")
        usage_error(checks, binary, "rtu-over-tcp port in use", ["--modbus-tcp", "off", "--rtu-over-tcp",
                                                                  other.ready["rtu_over_tcp"]],
                    "address in use; choose another with --rtu-over-tcp")
    usage_error(checks, binary, "bad --modbus-tcp", ["--modbus-tcp", "nowhere"], "bad --modbus-tcp \"nowhere\"")
    usage_error(checks, binary, "bad --quirk", ["--modbus-tcp", "off", "--quirk", "fc05"], "bad --quirk \"fc05\"")
    usage_error(checks, binary, "ignore-gaps on a pty", ["--modbus-tcp", "off", "--rtu-ignore-gaps"],
                "--rtu-ignore-gaps applies to a serial device only")
    usage_error(checks, binary, "pacing alone", ["--modbus-tcp", "off", "--rtu-pacing"], "--rtu-pacing applies to --modbus-rtu")
    usage_error(checks, binary, "no such device", ["--modbus-tcp", "off", "--modbus-rtu", "/dev/ttyNOSUCH"],
                "cannot open serial device /dev/ttyNOSUCH")
    usage_error(checks, binary, "not a tty", ["--modbus-tcp", "off", "--modbus-rtu", "/dev/null"],
                "/dev/null is not a serial device")
    usage_error(checks, binary, "negative busy-poll", ["--modbus-tcp", "off", "--busy-poll", "-1"],
                "bad --busy-poll -1: give microseconds from 0 (off) to 10000")
    usage_error(checks, binary, "huge busy-poll", ["--modbus-tcp", "off", "--busy-poll", "20000"],
                "bad --busy-poll 20000")
    usage_error(checks, binary, "bad idle timeout", ["--modbus-tcp", "off", "--modbus-idle-timeout", "0"],
                "bad --modbus-idle-timeout")
    usage_error(checks, binary, "unwritable trace", ["--modbus-tcp", "off", "--trace", "/nonexistent/dir/t.jsonl"],
                "cannot open trace file /nonexistent/dir/t.jsonl")
    tmp = tempfile.mkdtemp(prefix="ambi-options-")
    try:
        regular = os.path.join(tmp, "ttyAMBI")
        with open(regular, "w") as f:
            f.write("keep me")
        usage_error(checks, binary, "pty path is a file", ["--modbus-tcp", "off", "--modbus-rtu", "pty:" + regular],
                    "is not a symlink")
        checks.equal("the file is untouched", open(regular).read(), "keep me")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_off_and_the_pty_symlink(checks, binary):
    twin = ModbusTwin(binary, tcp=False, rtu_over_tcp=False)
    os.symlink("/dev/pts/9999", twin.pty)  # a stale link from a crashed run
    with twin:
        checks.equal("modbus_tcp off", twin.ready["modbus_tcp"], None)
        checks.equal("rtu_over_tcp off", twin.ready["rtu_over_tcp"], None)
        checks.equal("modbus_rtu path", twin.ready["modbus_rtu"], twin.pty)
        checks.equal("busy-poll window by default", twin.ready["busy_poll_us"], 200)
        checks.check("stale symlink replaced", os.path.realpath(twin.pty).startswith("/dev/pts/")
                     and os.path.exists(twin.pty), os.path.realpath(twin.pty))
        checks.equal("SIGTERM exit", twin.terminate(signal.SIGTERM), 0)
        checks.check("symlink removed at exit", not os.path.lexists(twin.pty))


def test_trace_and_communication_flag(checks, binary):
    tmp = tempfile.mkdtemp(prefix="ambi-trace-")
    trace = os.path.join(tmp, "trace.jsonl")
    try:
        with ModbusTwin(binary, "--trace", trace) as twin:
            checks.equal("ready names the trace", twin.ready["trace"], trace)
            request = mbap(5, 1, 0x03, 0x40, 0x03, 0, 1)
            checks.equal("tcp read", raw_exchange(twin.tcp_port, request, 11), mbap(5, 1, 0x03, 2, 0, 1))
            checks.check("communication active after a request",
                         "communication_active" in twin.state()["status"]["status_bits"])
            with socket.create_connection(("127.0.0.1", twin.rtu_tcp_port), timeout=5) as s:
                s.sendall(rtu(1, 0x03, 0x40, 0x03, 0, 2)[:-1] + b"\x00")
                time.sleep(0.2)
            lines = [json.loads(line) for line in open(trace)]
            checks.equal("three lines", len(lines), 3)
            first, second = lines[0], lines[1]
            checks.equal("in", (first["transport"], first["dir"], first["hex"]),
                         ("tcp", "in", "00 05 00 00 00 06 01 03 40 03 00 01"))
            checks.equal("in decoded", first["decoded"],
                         {"transaction": 5, "unit": 1, "function": 3, "address": 0x4003, "count": 1})
            checks.equal("out decoded", (second["dir"], second["decoded"]["values"]), ("out", [1]))
            checks.check("fields", all(k in first for k in ("t", "sim_ms", "peer")), str(first))
            checks.equal("bad CRC traced as an error", (lines[2]["transport"], "error" in lines[2]),
                         ("rtu-over-tcp", True))
            time.sleep(5.5)
            checks.check("communication flag off 5 s after the last request",
                         "communication_active" not in twin.state()["status"]["status_bits"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main("interop options", [
        ("user errors are one line and exit 2", test_user_errors),
        ("--modbus-tcp off and the pty symlink", test_off_and_the_pty_symlink),
        ("--trace and the communication flag", test_trace_and_communication_flag),
    ])
