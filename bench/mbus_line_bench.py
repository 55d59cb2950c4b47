#!/usr/bin/env python3
"""libmbus's secondary search on an M-bus line of N meters at 2400 baud (docs/shared-lines.md).

Starts `ambimeter run --meters N --mbus-serial pty:PATH --mbus-pacing --clock stepped`, runs
libmbus's `mbus-serial-scan-secondary -d -b 2400 PATH` over the pseudo-terminal (the tools of
tests/interop/build_libmbus.sh, linked with the shim that drops PARENB on a pty), checks that
it found every meter's secondary address (the serials 19020246, 19020247, ... as BCD), and
prints the search's wall time against the line-rate bound of what it sent and read.

What libmbus does (node-mbus 2.2.6, mbus/mbus-protocol-aux.c, mbus/mbus-serial.c):

- a probe is one selection, SND_UD CI 52 to FD with a mask (17 bytes). A probe that nobody
  answers is sent again once (`max_search_retry = 1`); one answered by a single clean E5 is
  followed by REQ_UD2 to FD (5 bytes) and the RSP_UD, to read the full address; anything
  else is a collision, and the search goes one digit deeper under that mask;
- every receive ends with a silent read: `VMIN = 0`, `VTIME = 3` at 2400 baud, so 0.3 s after
  the last byte (`mbus_serial_set_baudrate`). libmbus waits it when nobody answers, and after
  every answer too (`mbus_purge_frames`: "check for more data (collision)"). A frame whose
  start announces more bytes than arrive is given up after three such reads (0.9 s; libmbus
  prints "mbus_serial_recv_frame: Timeout");
- `-d` makes libmbus log every frame it writes (SEND) and every receive that got bytes
  (RECV), with their bytes, on stderr: the counts below are taken from that log.

The bound: the bytes of every telegram of the search, requests and answers, x 11 bits (8E1)
/ 2400 baud, plus libmbus's silent reads (0.3 s after each telegram, 0.9 s more for each
frame given up). On a pty the master's requests arrive at once (they take no line time), so
the twin can be under the bound by the requests' share; "without the requests" is printed too.
The kernel's tty timer makes a VTIME read last a little longer than 0.3 s (0.32 s on the
2-core VM); the bench measures it on a spare pty and prints the bound with it as well.

    python3 bench/mbus_line_bench.py [BINARY=build/release/ambimeter] [--meters N=250]
                                     [--mask MASK] [--timeout SECONDS=2400]

A figure for notes (docs/performance.md), never for a test.
"""
import argparse
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import termios
import threading
import time
import tty

BASE_SERIAL = 19020246
BAUD = 2400
BITS = 11                 # 8E1: start, 8 data, parity, stop
CHAR_S = BITS / BAUD      # 4.58 ms
SILENT_READ_S = 0.3       # libmbus VTIME at 2400 baud (mbus-serial.c)
GIVE_UP_READS = 3         # zero-byte reads before libmbus gives up a frame
READY_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def libmbus_bin(binary):
    """The libmbus tools: $AMBI_LIBMBUS_DIR/bin, else <binary's dir>/libmbus/bin (built if missing)."""
    out = os.environ.get("AMBI_LIBMBUS_DIR") or os.path.join(os.path.dirname(binary), "libmbus")
    done = subprocess.run([os.path.join(ROOT, "tests", "interop", "build_libmbus.sh"), out],
                          capture_output=True, timeout=900)
    if done.returncode != 0:
        sys.exit("build_libmbus.sh failed: " + done.stderr.decode(errors="replace")[-2000:])
    return done.stdout.decode().strip().splitlines()[-1]


def kernel_silent_read_s(reads=10):
    """How long a read with VMIN 0, VTIME 3 and no data takes on this kernel (a spare pty):
    the tty layer's timer is coarser than libmbus's 0.3 s."""
    master, slave = os.openpty()
    try:
        tty.setraw(slave)
        attrs = termios.tcgetattr(slave)
        attrs[6][termios.VMIN] = 0
        attrs[6][termios.VTIME] = 3
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        times = []
        for _ in range(reads):
            t0 = time.monotonic()
            if os.read(slave, 1):
                sys.exit("the spare pty delivered a byte")
            times.append(time.monotonic() - t0)
        return sorted(times)[len(times) // 2]
    finally:
        os.close(slave)
        os.close(master)


def read_line(stream, timeout):
    """One line from a pipe within `timeout` seconds, or None."""
    deadline = time.monotonic() + timeout
    data = b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        if not select.select([stream], [], [], left)[0]:
            return None
        chunk = os.read(stream.fileno(), 1)
        if not chunk:
            return None
        data += chunk
    return data.decode()


def drain(stream):
    """Reads the twin's stdout to its end, so that the twin never blocks on a full pipe."""
    try:
        while os.read(stream.fileno(), 65536):
            pass
    except OSError:
        pass


LOG_LINE = re.compile(r"^\[[^\]]*\] (SEND|RECV) \((\d+)\):((?: [0-9A-F]{2})*)\s*$")


def parse_log(text):
    """libmbus's -d log as [(kind, bytes)], kind SEND, RECV or GIVEUP (a frame given up)."""
    events = []
    for line in text.splitlines():
        m = LOG_LINE.match(line)
        if m:
            data = bytes(int(h, 16) for h in m.group(3).split())
            if len(data) != int(m.group(2)):
                sys.exit(f"unreadable libmbus log line: {line!r}")
            events.append((m.group(1), data))
        elif "mbus_serial_recv_frame: Timeout" in line:
            events.append(("GIVEUP", b""))
    return events


def kind_of(frame):
    if len(frame) == 17 and frame[0] == 0x68 and frame[4] in (0x53, 0x73) and frame[5] == 0xFD \
            and frame[6] == 0x52:
        return "select"
    if len(frame) == 5 and frame[0] == 0x10 and frame[1] in (0x5B, 0x7B):
        return "req_ud2"
    if len(frame) == 5 and frame[0] == 0x10 and frame[1] == 0x40:
        return "snd_nke"
    return "other"


def exchanges(events):
    """Each telegram libmbus sent with what it read after it: [(kind, request, [answers], give-ups)]."""
    out = []
    for kind, data in events:
        if kind == "SEND":
            out.append([kind_of(data), data, [], 0])
        elif not out:
            sys.exit("libmbus read before it sent anything")
        elif kind == "RECV":
            out[-1][2].append(data)
        else:
            out[-1][3] += 1
    return out


def outcome(answers):
    if not answers:
        return "nothing"
    if answers == [b"\xE5"]:
        return "E5"
    return "collision"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", nargs="?", default=os.path.join(ROOT, "build", "release", "ambimeter"))
    parser.add_argument("--meters", type=int, default=250, help="meters on the line (1-250)")
    parser.add_argument("--mask", default="FFFFFFFFFFFFFFFF",
                        help="libmbus's address mask (default: every address)")
    parser.add_argument("--timeout", type=float, default=2400.0,
                        help="seconds the search may take before it is stopped (default 2400)")
    args = parser.parse_args()
    if not 1 <= args.meters <= 250:
        sys.exit("--meters: 1-250 (the primary addresses of one M-bus line)")
    binary = os.path.abspath(args.binary)
    tools = libmbus_bin(binary)
    kernel_read = kernel_silent_read_s()

    tmp = tempfile.mkdtemp(prefix="ambi-mbusline-bench-")
    pty = os.path.join(tmp, "line")
    twin_err = open(os.path.join(tmp, "twin.stderr"), "w+b")
    cmd = [binary, "run", "--meters", str(args.meters), "--mbus-serial", f"pty:{pty}",
           "--mbus-pacing", "--clock", "stepped", "--state", os.path.join(tmp, "state"),
           "--modbus-tcp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--mbus-tcp", "off"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=twin_err)
    try:
        line = read_line(proc.stdout, READY_TIMEOUT_S)
        if line is None:
            twin_err.seek(0)
            sys.exit(f"no ready line within {READY_TIMEOUT_S} s (exit {proc.poll()}): "
                     + twin_err.read().decode(errors="replace")[-2000:])
        ready = json.loads(line)
        threading.Thread(target=drain, args=(proc.stdout,), daemon=True).start()
        if ready.get("mbus_line") != {"meters": args.meters, "baud": BAUD}:
            sys.exit(f"unexpected mbus_line in the ready line: {ready.get('mbus_line')}")

        log_path = os.path.join(tmp, "libmbus.log")
        scan = [os.path.join(tools, "mbus-serial-scan-secondary"), "-d", "-b", str(BAUD), pty,
                args.mask]
        print(f"{args.meters} meters on one M-bus line, {BAUD} baud 8E1, --mbus-pacing; "
              f"libmbus mbus-serial-scan-secondary -d -b {BAUD} (mask {args.mask})", flush=True)
        with open(log_path, "w+b") as log:
            t0 = time.monotonic()
            try:
                done = subprocess.run(scan, stdout=subprocess.PIPE, stderr=log, timeout=args.timeout)
            except subprocess.TimeoutExpired:
                sys.exit(f"the search did not end within {args.timeout:.0f} s (stopped)")
            wall = time.monotonic() - t0
            log.seek(0)
            text = log.read().decode(errors="replace")
        out = done.stdout.decode(errors="replace")
        if done.returncode != 0:
            sys.exit(f"mbus-serial-scan-secondary exited {done.returncode}: {out[-2000:]}{text[-2000:]}")

        found = re.findall(r"Found a device on secondary address ([0-9A-F]{16})", out)
        ids = sorted(a[:8] for a in found)
        wanted = [str(BASE_SERIAL + n) for n in range(args.meters)]
        missing = sorted(set(wanted) - set(ids))
        strange = sorted(set(ids) - set(wanted))
        doubles = sorted({a for a in ids if ids.count(a) > 1})

        xs = exchanges(parse_log(text))
        probes = [x for x in xs if x[0] == "select"]
        by_kind = {}
        for x in xs:
            by_kind[x[0]] = by_kind.get(x[0], 0) + 1
        outcomes = {"nothing": 0, "E5": 0, "collision": 0}
        for p in probes:
            outcomes[outcome(p[2])] += 1
        req_bytes = sum(len(x[1]) for x in xs)
        ans_bytes = sum(len(a) for x in xs for a in x[2])
        give_ups = sum(x[3] for x in xs)
        line_s = (req_bytes + ans_bytes) * CHAR_S
        waits_s = len(xs) * SILENT_READ_S + give_ups * GIVE_UP_READS * SILENT_READ_S
        bound = line_s + waits_s
        no_requests = bound - req_bytes * CHAR_S
        probe_req = sum(len(p[1]) for p in probes)
        probe_ans = sum(len(a) for p in probes for a in p[2])

        print(f"found {len(set(ids)) - len(strange)} of {args.meters} secondary addresses"
              + (f" (first {found[0]})" if found else ""))
        if missing:
            print(f"  missing {len(missing)}: {' '.join(missing[:40])}{' ...' if len(missing) > 40 else ''}")
        if strange:
            print(f"  not a meter of the line: {' '.join(strange[:40])}")
        if doubles:
            print(f"  found twice: {' '.join(doubles[:40])}")
        print(f"search wall time: {wall:.3f} s")
        print(f"probes (SND_UD CI 52 selections): {len(probes)}: {outcomes['nothing']} unanswered, "
              f"{outcomes['E5']} one E5, {outcomes['collision']} collisions; "
              f"{probe_req} bytes sent, {probe_ans} bytes read")
        print(f"other telegrams: {by_kind.get('req_ud2', 0)} REQ_UD2 to FD (each read back "
              f"{'/'.join(sorted({str(sum(len(a) for a in x[2])) for x in xs if x[0] == 'req_ud2'}))} "
              f"bytes), {by_kind.get('snd_nke', 0)} SND_NKE, {by_kind.get('other', 0)} other")
        print(f"bytes on the line: {req_bytes} sent + {ans_bytes} read = {req_bytes + ans_bytes} "
              f"x {BITS} bits / {BAUD} baud = {line_s:.3f} s")
        print(f"libmbus's silent reads: {len(xs)} x {SILENT_READ_S} s (VTIME 3 at {BAUD} baud, one after "
              f"each telegram) + {give_ups} frames given up x {GIVE_UP_READS * SILENT_READ_S:.1f} s "
              f"= {waits_s:.3f} s")
        print(f"bound: {bound:.3f} s; time / bound = {wall / bound:.3f}")
        print(f"bound without the requests' line time (a pty delivers them at once): "
              f"{no_requests:.3f} s; time / that = {wall / no_requests:.3f}")
        silent_reads = len(xs) + give_ups * GIVE_UP_READS
        kernel_extra = silent_reads * (kernel_read - SILENT_READ_S)
        print(f"this kernel's VTIME-3 read (median of 10 on a spare pty): {kernel_read:.4f} s; "
              f"with it the bound is {bound + kernel_extra:.3f} s (time / it = "
              f"{wall / (bound + kernel_extra):.3f}), without the requests {no_requests + kernel_extra:.3f} s "
              f"(time / it = {wall / (no_requests + kernel_extra):.3f})")
        if missing or strange or doubles:
            return 1
        return 0
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(STOP_TIMEOUT_S)
        twin_err.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
