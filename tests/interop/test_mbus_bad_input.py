"""Bad M-bus input over TCP: a bad checksum, wrong lengths, a bad stop byte, garbage before a
valid telegram (resynchronisation), half a telegram then silence, a silent client, telegrams
for another address, a refused write. Each is met with silence (or the valid telegram's
answer), the meter is unchanged, and the server keeps serving everyone.

    /usr/bin/python3 test_mbus_bad_input.py PATH_TO_ambimeter
"""

import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from interop import main, recv_until, run_cli  # noqa: E402
from mbus_interop import MbusTwin, long_frame, short  # noqa: E402

ACK = b"\xe5"
SND_NKE = short(0x40, 0)
REQ_UD2 = short(0x7B, 0)
SILENCE_S = 0.5


def exchange(sock, payload, expect=None, timeout=SILENCE_S):
    sock.sendall(payload)
    return recv_until(sock, expect, timeout)


def connect(twin):
    return socket.create_connection(("127.0.0.1", twin.port), timeout=5)


def settings(twin):
    return twin.state()["settings"]


def test_broken_telegrams_are_not_answered(checks, binary):
    with MbusTwin(binary, pty=False) as twin, connect(twin) as s:
        set_id_7 = long_frame(0x53, 0, 0x51, [0x01, 0x7A, 7])
        cases = {
            "bad checksum (short)": SND_NKE[:3] + b"\x00\x16",
            "bad checksum (write)": set_id_7[:-2] + bytes([(set_id_7[-2] + 1) & 0xFF, 0x16]),
            "unequal L fields": b"\x68\x06\x07\x68" + set_id_7[4:],
            "L below 3": b"\x68\x02\x02\x68\x53\x00\x53\x16",
            "bad stop byte": SND_NKE[:4] + b"\x17",
            "another address": short(0x40, 9),
            "reserved address 251": short(0x40, 251),
            "unknown C field": short(0x4F, 0),
            "write of a read-only record": long_frame(0x53, 0, 0x51, [0x04, 0x03, 1, 0, 0, 0]),
            "primary address out of range": long_frame(0x53, 0, 0x51, [0x01, 0x7A, 251]),
            "19200 baud is no M-bus rate of this meter": long_frame(0x53, 0, 0xBE),
        }
        for name, payload in cases.items():
            checks.equal(f"{name}: silence", exchange(s, payload), b"")
            checks.equal(f"{name}: then a valid telegram is answered", exchange(s, SND_NKE, 1), ACK)
        checks.equal("settings unchanged", (settings(twin)["mbus_id"], settings(twin)["mbus_baud"]), (0, 2400))


def test_garbage_then_a_valid_telegram(checks, binary):
    with MbusTwin(binary, pty=False) as twin, connect(twin) as s:
        checks.equal("garbage then SND_NKE", exchange(s, b"\x00\xff\x42\x16" + SND_NKE, 1), ACK)
        checks.equal("a false start byte then SND_NKE", exchange(s, b"\x68\x10" + SND_NKE, 1), ACK)
        reply = exchange(s, b"\x01\x02" + REQ_UD2, 250, timeout=2)
        checks.equal("garbage then REQ_UD2: a whole RSP_UD", (len(reply), reply[:4], reply[-1]),
                     (250, b"\x68\xf4\xf4\x68", 0x16))
        checks.equal("two telegrams in one segment, both answered", exchange(s, SND_NKE + SND_NKE, 2), ACK + ACK)


def test_half_telegrams_and_silent_clients(checks, binary):
    with MbusTwin(binary, pty=False) as twin:
        with connect(twin) as s:
            checks.equal("half a long frame: silence", exchange(s, long_frame(0x53, 0, 0x51, [0x01, 0x7A, 7])[:6]), b"")
            time.sleep(0.3)
            checks.equal("after a silence the next telegram is answered", exchange(s, SND_NKE, 1, timeout=2), ACK)
            checks.equal("half a short frame then its rest, split by little time",
                         exchange(s, SND_NKE[:2], None, 0.02) + exchange(s, SND_NKE[2:], 1), ACK)
        silent = connect(twin)
        half = connect(twin)
        half.sendall(b"\x68\xf4\xf4\x68\x53")
        with connect(twin) as other:
            checks.equal("others are served meanwhile", exchange(other, SND_NKE, 1, timeout=2), ACK)
        checks.equal("HTTP still answers", twin.get("/api/v1/state")[0], 200)
        silent.close()
        half.close()
        checks.equal("mbus_id unchanged", settings(twin)["mbus_id"], 0)
        checks.check("process alive", twin.proc.poll() is None)


def test_idle_connections_are_closed(checks, binary):
    with MbusTwin(binary, "--modbus-idle-timeout", "0.5", pty=False) as twin, connect(twin) as s:
        started = time.monotonic()
        data = recv_until(s, None, 5)
        checks.equal("closed by the twin", data, b"")
        checks.check("after about the idle timeout", 0.3 < time.monotonic() - started < 3,
                     f"{time.monotonic() - started:.2f} s")


def test_trace_decodes_and_reports_drops(checks, binary):
    trace = os.path.join(tempfile.mkdtemp(prefix="ambi-mbus-trace-"), "t.jsonl")
    with MbusTwin(binary, "--trace", trace, pty=False) as twin, connect(twin) as s:
        exchange(s, b"\x00" + REQ_UD2, 250, timeout=2)
        exchange(s, SND_NKE[:3] + b"\x00\x16")
        lines = [json.loads(line) for line in open(trace)]
        checks.equal("transports", {line["transport"] for line in lines}, {"mbus-tcp"})
        checks.equal("garbage traced", (lines[0]["hex"], lines[0]["error"]), ("00", "garbage: 1 bytes dropped"))
        checks.equal("request decoded", lines[1]["decoded"],
                     {"format": "short", "function": "REQ_UD2", "c": 0x7B, "a": 0, "fcb": 1, "fcv": 1})
        out = lines[2]["decoded"]
        checks.equal("answer decoded", (out["function"], out["id"], out["manufacturer"], out["access_number"],
                                        out["records"]["l1_voltage"]), ("RSP_UD", "19020246", "INM", 1, 230.0))
        checks.equal("bad checksum traced", (lines[3]["hex"], lines[3]["error"]),
                     ("10 40 00 00 16", "bad checksum: 5 bytes dropped"))
    os.remove(trace)
    os.rmdir(os.path.dirname(trace))


def usage_error(checks, binary, label, args, expect):
    tmp = tempfile.mkdtemp(prefix="ambi-mbus-options-")
    try:
        code, out, err = run_cli(binary, ["run", "--state", os.path.join(tmp, "s"), "--http", "127.0.0.1:0",
                                          "--clock", "stepped", "--modbus-tcp", "off"] + args)
        lines = err.strip().splitlines()
        checks.equal(f"{label}: exit 2", code, 2)
        checks.check(f"{label}: one line naming the fix", len(lines) == 1 and expect in lines[0], err)
        checks.equal(f"{label}: no ready line", out, "")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_user_errors_and_the_pty_symlink(checks, binary):
    with MbusTwin(binary) as other:
        usage_error(checks, binary, "port in use", ["--mbus-tcp", other.ready["mbus_tcp"]],
                    "address in use; choose another with --mbus-tcp (or --mbus-tcp off)")
        checks.equal("ready names the pty", other.ready["mbus_serial"], other.pty)
        checks.check("pty symlink", os.path.realpath(other.pty).startswith("/dev/pts/"))
        checks.equal("SIGTERM exit", other.terminate(signal.SIGTERM), 0)
        checks.check("symlink removed at exit", not os.path.lexists(other.pty))
    usage_error(checks, binary, "bad quirk", ["--mbus-quirk", "fcb"], "bad --mbus-quirk \"fcb\"")
    usage_error(checks, binary, "bad address", ["--mbus-tcp", "nowhere"], "bad --mbus-tcp \"nowhere\"")
    usage_error(checks, binary, "not a tty", ["--mbus-tcp", "off", "--mbus-serial", "/dev/null"],
                "/dev/null is not a serial device; check --mbus-serial")
    with MbusTwin(binary, tcp=False, pty=False) as twin:
        checks.equal("off", twin.ready["mbus_tcp"], None)


if __name__ == "__main__":
    main("mbus bad input", [("broken telegrams are not answered", test_broken_telegrams_are_not_answered),
                            ("garbage then a valid telegram", test_garbage_then_a_valid_telegram),
                            ("half telegrams and silent clients", test_half_telegrams_and_silent_clients),
                            ("idle connections are closed", test_idle_connections_are_closed),
                            ("trace decodes and reports drops", test_trace_decodes_and_reports_drops),
                            ("user errors and the pty symlink", test_user_errors_and_the_pty_symlink)])
