"""Each meter's own link state on a shared M-bus line (docs/shared-lines.md, docs/mbus.md,
spec-decisions C37-C39, C44, C82): `run --meters 5 --mbus-tcp ADDR`, driven by a raw TCP
client with its own telegram encoder, as a master on the wire would drive it.

- SND_NKE to FF is executed by every meter and answered by none; it ends every meter's FCB
  repetition window (with `--mbus-quirk fcb-repeat`).
- The FCB memory and the access number are per meter: a repeat to one meter leaves the
  others' windows open, and each meter counts its own reads.
- A selection by full secondary address makes FD reach that meter only; SND_NKE to FD is
  answered E5 by it and deselects it.
- Garbage and half a telegram on the line are dropped without an answer and change no
  meter; the next valid telegram is answered.

The telegrams (EN 13757-2): short frame 10 C A CS 16, long frame 68 L L 68 C A CI data CS 16
(CS: the sum of C, A, CI and the data). REQ_UD2 is C 5B (FCB 0) or 7B (FCB 1, FCV set either
way), SND_NKE 40, SND_UD 53. The RSP_UD: 68 L L 68 08 A 72 | ID (4, BCD LSB first) MAN (CD 25)
VER (01) MED (02) ACC STATUS SIG (2) | records | CS 16, so its access number is byte 15.

    cd tests/interop && /usr/bin/python3 -m pytest -q -p no:cacheprovider test_mbus_line_link.py \\
        --binary ../../build/asan/ambimeter
"""
import os
import shutil
import socket
import tempfile
import time

import pytest

from interop import Twin

METERS = 5
BASE = 19020246                 # meter k (primary address k) has serial BASE + k - 1
NO_ANSWER_S = 0.5               # TCP has no bit timing: a served telegram is answered at once
TELEGRAM_TIMEOUT_S = 5.0        # a whole answer (ASan builds are slow)
GAP_S = 0.5                     # over the 100 ms silence after which half a telegram is dropped
ACK = b"\xe5"
ACC = 15                        # index of the access number in an RSP_UD

SND_NKE, REQ_UD2_FCB0, REQ_UD2_FCB1, SND_UD = 0x40, 0x5B, 0x7B, 0x53
BROADCAST, SELECTED = 0xFF, 0xFD


# --- the test's own M-bus encoder -------------------------------------------------------

def short_frame(c, a):
    return bytes([0x10, c, a, (c + a) & 0xFF, 0x16])


def long_frame(c, a, ci, data=b""):
    body = bytes([c, a, ci]) + bytes(data)
    return bytes([0x68, len(body), len(body), 0x68]) + body + bytes([sum(body) & 0xFF, 0x16])


def bcd_id(serial):
    """An 8-digit number as 4 BCD bytes, least significant first: 19020249 -> 49 02 02 19."""
    return bytes.fromhex(f"{serial:08d}")[::-1]


def selection(serial):
    """SND_UD CI 52 to FD with a full secondary address: ID, MAN CD 25 (INM), VER 01, MED 02."""
    return long_frame(SND_UD, SELECTED, 0x52, bcd_id(serial) + b"\xcd\x25\x01\x02")


def serial_of(primary):
    return BASE + primary - 1


# --- the line ------------------------------------------------------------------------------

class LineTwin(Twin):
    """`run --meters 5` on one M-bus line served on TCP, with a raw client connected to it."""

    def __init__(self, binary, *extra):
        self.tmp = tempfile.mkdtemp(prefix="ambi-mbuslink-")
        self.sock = None
        super().__init__(binary, os.path.join(self.tmp, "state"), "--meters", str(METERS),
                         "--mbus-tcp", "127.0.0.1:0", "--clock", "stepped",
                         "--load", "all=230V,5A", *extra)

    def start(self, timeout=30.0):
        super().start(timeout)
        try:
            host, port = self.ready["mbus_tcp"].rsplit(":", 1)
            self.sock = socket.create_connection((host, int(port)), timeout=5)
        except BaseException:
            self.kill()                      # __exit__ does not run when __enter__ fails
            raise
        return self

    def kill(self):
        if self.sock is not None:
            self.sock.close()
        super().kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # the wire

    def send(self, data):
        self.sock.sendall(data)

    def receive(self, count, timeout):
        """Up to `count` bytes, within `timeout` seconds."""
        data = b""
        deadline = time.monotonic() + timeout
        while len(data) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(count - len(data))
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
        return data

    def silence(self, seconds=NO_ANSWER_S):
        """What arrives within `seconds` (nothing, on a quiet line)."""
        return self.receive(4096, seconds)

    def telegram(self):
        """One whole answer: E5, a short frame or a long frame (by its L field)."""
        first = self.receive(1, TELEGRAM_TIMEOUT_S)
        if first in (b"", ACK):
            return first
        if first == b"\x10":
            return first + self.receive(4, TELEGRAM_TIMEOUT_S)
        assert first == b"\x68", f"an answer starting with {first.hex()}"
        head = first + self.receive(3, TELEGRAM_TIMEOUT_S)
        assert len(head) == 4 and head[1] == head[2] and head[3] == 0x68, head.hex(" ")
        return head + self.receive(head[1] + 2, TELEGRAM_TIMEOUT_S)

    def ask(self, frame):
        """Sends a telegram; returns its one answer, and checks nothing follows it."""
        self.send(frame)
        answer = self.telegram()
        assert answer, f"no answer to {frame.hex(' ')}"
        extra = self.silence(0.15)
        assert extra == b"", f"more than one telegram answered {frame.hex(' ')}: {extra.hex(' ')}"
        return answer

    def unanswered(self, frame):
        self.send(frame)
        heard = self.silence()
        assert heard == b"", f"{frame.hex(' ')} was answered: {heard.hex(' ')}"

    # the control API

    def advance(self, seconds):
        return self.ok("POST", "/api/v1/clock/advance", {"seconds": seconds})

    def meters(self):
        return {m["serial"]: m for m in self.ok("GET", "/api/v1/meters?limit=1000")["meters"]}


def rsp_ud(telegram, primary):
    """Checks an RSP_UD of meter `primary` byte by byte; returns its access number."""
    t = telegram
    assert len(t) >= 21 and t[0] == 0x68 and t[3] == 0x68 and t[1] == t[2], t.hex(" ")
    assert len(t) == t[1] + 6 and t[-1] == 0x16, t.hex(" ")
    assert t[-2] == sum(t[4:-2]) & 0xFF, "checksum: " + t.hex(" ")
    assert (t[4], t[5], t[6]) == (0x08, primary, 0x72), t[:7].hex(" ")
    assert t[7:11] == bcd_id(serial_of(primary)), f"meter {primary}'s ID: {t[7:11].hex(' ')}"
    assert t[11:15] == b"\xcd\x25\x01\x02", t[11:15].hex(" ")
    return t[ACC]


def values(telegram):
    """An RSP_UD without its access number and checksum: what a fresh read may change."""
    return telegram[:ACC] + telegram[ACC + 1:-2]


def read(line, c, primary):
    telegram = line.ask(short_frame(c, primary))
    return telegram, rsp_ud(telegram, primary)


@pytest.fixture
def line(binary):
    """A fresh line, the manual's behaviour: every REQ_UD2 is read afresh (R24, C38)."""
    with LineTwin(binary) as twin:
        assert twin.ready["mbus_line"] == {"meters": METERS, "baud": 2400}
        yield twin


@pytest.fixture
def repeat_line(binary):
    """A fresh line whose meters repeat their last RSP_UD on an untoggled FCB (the quirk)."""
    with LineTwin(binary, "--mbus-quirk", "fcb-repeat") as twin:
        assert twin.ready["mbus_line"] == {"meters": METERS, "baud": 2400}
        assert twin.ready["mbus_quirks"] == ["fcb-repeat"]
        yield twin


# --- (a) SND_NKE to FF -------------------------------------------------------------------

def test_snd_nke_to_ff_is_unanswered_and_resets_the_fcb_of_every_meter(repeat_line):
    line = repeat_line
    first, acc = read(line, REQ_UD2_FCB1, 1)
    assert acc == 1
    toggled, acc = read(line, REQ_UD2_FCB0, 1)
    assert acc == 2, "a toggled FCB is a new read"
    m2, acc = read(line, REQ_UD2_FCB1, 2)
    assert acc == 1
    line.advance(600)                           # 600 s at 3 x 1150 W: fresh values differ
    again, acc = read(line, REQ_UD2_FCB0, 1)
    assert again == toggled, "the same FCB again is a repeat: the same telegram, byte by byte"

    line.unanswered(short_frame(SND_NKE, BROADCAST))  # FF: every meter executes, none answers

    fresh, acc = read(line, REQ_UD2_FCB0, 1)
    assert acc == 3, "after SND_NKE to FF the same FCB is a new read of meter 1"
    assert values(fresh) != values(toggled), "with the values of now"
    m2_fresh, acc = read(line, REQ_UD2_FCB1, 2)
    assert acc == 2, "meter 2's window ended too"
    assert values(m2_fresh) != values(m2)
    # The repetition works again from the fresh read on.
    assert line.ask(short_frame(REQ_UD2_FCB0, 1)) == fresh


def test_snd_nke_to_fd_with_nobody_selected_is_unanswered(line):
    line.unanswered(short_frame(SND_NKE, SELECTED))
    assert line.ask(short_frame(SND_NKE, 3)) == ACK, "its own address: E5"


# --- (b) the FCB and the access number per meter -----------------------------------------

def test_fcb_memory_and_access_number_are_each_meters_own(repeat_line):
    line = repeat_line
    m3, acc3 = read(line, REQ_UD2_FCB1, 3)
    m2, acc2 = read(line, REQ_UD2_FCB1, 2)
    assert (acc3, acc2) == (1, 1), "each meter's first read since power-up is 01"
    line.advance(600)
    assert line.ask(short_frame(REQ_UD2_FCB1, 2)) == m2, "meter 2: same FCB, the same telegram"
    assert line.ask(short_frame(REQ_UD2_FCB1, 3)) == m3, \
        "meter 3's window is untouched by the telegrams to meter 2"
    m2b, acc = read(line, REQ_UD2_FCB0, 2)
    assert acc == 2 and values(m2b) != values(m2), "meter 2, FCB toggled: fresh"
    m2c, acc = read(line, REQ_UD2_FCB1, 2)
    assert acc == 3
    m3b, acc = read(line, REQ_UD2_FCB0, 3)
    assert acc == 2, "meter 3 counts its own reads, not meter 2's"
    assert values(m3b) != values(m3), "meter 3, FCB toggled: fresh"
    assert line.ask(short_frame(REQ_UD2_FCB1, 2)) == m2c, "meter 2's window survived meter 3's read"
    _, acc = read(line, REQ_UD2_FCB1, 1)
    assert acc == 1, "meter 1 was never read"


def test_without_the_quirk_a_repeated_fcb_is_read_afresh(line):
    first, acc = read(line, REQ_UD2_FCB1, 2)
    assert acc == 1
    line.advance(600)
    second, acc = read(line, REQ_UD2_FCB1, 2)
    assert acc == 2, "every REQ_UD2 is a new read (A2.2, R24)"
    assert values(second) != values(first)
    _, acc = read(line, REQ_UD2_FCB1, 3)
    assert acc == 1


# --- (c) secondary selection -------------------------------------------------------------

def test_a_selection_makes_fd_reach_one_meter_and_snd_nke_to_fd_deselects_it(line):
    line.unanswered(short_frame(REQ_UD2_FCB1, SELECTED))       # nobody selected yet
    assert line.ask(selection(serial_of(4))) == ACK, "one clean E5: meter 4 alone"
    telegram = line.ask(short_frame(REQ_UD2_FCB1, SELECTED))
    assert rsp_ud(telegram, 4) == 1, "FD reads meter 4, under its primary address 04"
    telegram = line.ask(short_frame(REQ_UD2_FCB0, SELECTED))
    assert rsp_ud(telegram, 4) == 2, "still selected"

    assert line.ask(short_frame(SND_NKE, SELECTED)) == ACK, "the selected meter answers E5"
    line.unanswered(short_frame(REQ_UD2_FCB1, SELECTED))       # deselected
    line.unanswered(short_frame(SND_NKE, SELECTED))

    _, acc = read(line, REQ_UD2_FCB1, 4)
    assert acc == 3, "the reads at FD were meter 4's"
    for primary in (1, 2, 3, 5):
        _, acc = read(line, REQ_UD2_FCB1, primary)
        assert acc == 1, f"meter {primary} answered none of the reads at FD"


def test_a_selection_that_matches_nobody_deselects(line):
    assert line.ask(selection(serial_of(4))) == ACK
    line.unanswered(selection(BASE + 100))                     # no meter has that address
    line.unanswered(short_frame(REQ_UD2_FCB1, SELECTED))


# --- (d) garbage and half a telegram -----------------------------------------------------

def test_garbage_and_half_a_telegram_change_no_meter_and_the_next_telegram_is_answered(line):
    before = line.meters()
    assert sorted(before) == [str(serial_of(k)) for k in range(1, METERS + 1)]
    assert before[str(serial_of(5))]["mbus"]["primary"] == 5

    set_id_9 = long_frame(SND_UD, 5, 0x51, [0x01, 0x7A, 9])     # meter 5: primary address 9
    line.send(b"\x00\x01\x7f\xa5\x16\x16\xff")                   # no start character
    line.send(set_id_9[:8])                                      # half the write ...
    assert line.silence(GAP_S) == b"", "half a telegram is not answered"
    line.send(set_id_9[8:])                                      # ... the rest after a silence
    assert line.silence() == b"", "the rest alone is garbage"
    line.send(set_id_9[:-2] + bytes([(set_id_9[-2] + 1) & 0xFF, 0x16]))   # bad checksum
    assert line.silence() == b""
    line.send(short_frame(REQ_UD2_FCB1, 5)[:3] + b"\x00\x16")    # bad checksum, short frame
    assert line.silence() == b""
    line.send(b"\x68\x06\x07\x68" + set_id_9[4:])                # unequal L fields
    assert line.silence() == b""
    line.send(short_frame(SND_NKE, 5)[:4] + b"\x17")             # bad stop byte
    assert line.silence() == b""
    line.send(b"\x10\x7b")                                       # half a short frame
    assert line.silence(GAP_S) == b""

    after = line.meters()
    assert after == before, "no meter changed (settings, status and communication flag alike)"

    telegram = line.ask(b"\x00\x33\x7f" + short_frame(REQ_UD2_FCB1, 5))  # garbage, then valid
    assert rsp_ud(telegram, 5) == 1, "meter 5's first read: nothing before it counted"
    line.unanswered(short_frame(SND_NKE, 9))                     # nobody took address 9

    final = line.meters()
    assert final[str(serial_of(5))]["mbus"] == {"primary": 5, "secondary": str(serial_of(5))}
    for serial, meter in before.items():
        if serial == str(serial_of(5)):
            continue
        assert final[serial] == meter, f"meter {serial} changed"
    for k in range(1, METERS):
        _, acc = read(line, REQ_UD2_FCB1, k)
        assert acc == 1, f"meter {k} was not read before"
