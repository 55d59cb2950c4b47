"""The golden corpus (tests/golden) over real transports: every request that the corpus serves to
a fixed meter (`# meter:` in its .hex) is sent to a fresh twin, which has the same identity
(serial 19020246, Modbus id 1, M-bus address 000), and its reply must be the golden one:
RTU frames over the twin's pseudo-terminal, MBAP frames over Modbus TCP, M-bus telegrams over
M-bus TCP. No reply file means silence (checked by a probe sent after it that must get only its
own answer), or for a bad MBAP header a closed connection.

Compared byte for byte, except what depends on the twin's live state:
  * Modbus: bit 0 of the status word 401D-401E (communication active) is set while the twin
    serves Modbus (the LCD's telephone hook, manual 7.1); the fixed meter of the unit test has
    no transport. The bit is masked, and the RTU CRC is checked for itself, not compared.
  * M-bus: the access number of an RSP_UD (header byte 5) counts the twin's reads since it
    started, and the checksum with it; both are masked.
Requests that change the meter (the `served.changes_state` of their .json) run after the
others, and the settings they changed are put back through the control API after each.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_golden.py --binary=PATH_TO_ambimeter
"""

import json
import os
import socket
import time

import serial

from interop import ModbusTwin, crc16, recv_until
from mbus_interop import MbusTwin, short

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden")
SILENCE_S = 0.08
# An incomplete telegram is dropped after 100 ms of silence (line_timing::mbus_gap).
MBUS_SILENCE_S = 0.15
REPLY_TIMEOUT_S = 2.0
PROBE_RTU = bytes.fromhex("01 03 40 03 00 01") + crc16(bytes.fromhex("01 03 40 03 00 01"))
PROBE_RTU_REPLY = bytes.fromhex("01 03 02 00 01") + crc16(bytes.fromhex("01 03 02 00 01"))
ACK = b"\xe5"
MBUS_ADDRESS = {"factory": 0, "mbus-address-01": 1}
STATUS_WORD_LOW = 0x401E


def read_hex(path):
    """(bytes, meter fixture or None) of a .hex file of the corpus."""
    data, meter = b"", None
    with open(path) as f:
        for line in f:
            if line.startswith("# meter:"):
                meter = line.split(":", 1)[1].strip()
            elif not line.startswith("#"):
                data += bytes.fromhex("".join(line.split()))
    return data, meter


def pairs(folder):
    """[(name, request, golden reply or b"", fixture, changes_state)], state changers last."""
    out = []
    root = os.path.join(GOLDEN, folder)
    for name in sorted(os.listdir(root)):
        if not name.endswith(".hex") or name.endswith(".reply.hex"):
            continue
        request, meter = read_hex(os.path.join(root, name))
        if meter is None:
            continue
        stem = name[:-len(".hex")]
        reply_path = os.path.join(root, stem + ".reply.hex")
        reply = read_hex(reply_path)[0] if os.path.exists(reply_path) else b""
        with open(os.path.join(root, stem + ".json")) as f:
            changes = json.load(f)["served"]["changes_state"]
        out.append((stem, request, reply, meter, changes))
    return sorted(out, key=lambda p: p[4])


def masked_status_word(request_pdu, reply_pdu):
    """The reply PDU with bit 0 of 401E cleared when a FC 03 read covers it."""
    if len(request_pdu) != 5 or request_pdu[0] != 0x03 or len(reply_pdu) < 2 or reply_pdu[0] != 0x03:
        return reply_pdu
    address = int.from_bytes(request_pdu[1:3], "big")
    count = int.from_bytes(request_pdu[3:5], "big")
    if not address <= STATUS_WORD_LOW < address + count:
        return reply_pdu
    at = 2 + 2 * (STATUS_WORD_LOW - address) + 1
    out = bytearray(reply_pdu)
    if at < len(out):
        out[at] &= 0xFE
    return bytes(out)


def restore(twin, baseline):
    """Puts back, one by one, the settings that differ from `baseline` (a final C-05 stays)."""
    now = twin.state()["settings"]
    for key, value in baseline.items():
        if now.get(key) != value:
            twin.put("/api/v1/settings", {"password": "0000", "settings": {key: value}})


def rtu_requests(data):
    """The PDUs of the RTU request frames in `data`, split by function code (FC 16: byte count)."""
    out, at = [], 0
    while at + 4 <= len(data):
        length = 9 + data[at + 6] if data[at + 1] == 0x10 and at + 6 < len(data) else 8
        out.append(data[at + 1:at + length - 2])
        at += length
    return out


def rtu_replies(data):
    """The RTU reply frames in `data`: reads 5 + byte count, exceptions 5, writes 8 bytes."""
    out, at = [], 0
    while at + 2 <= len(data):
        fc = data[at + 1]
        length = 5 if fc & 0x80 else 5 + data[at + 2] if fc in (3, 4) else 8
        out.append(data[at:at + length])
        at += length
    return out


def check_rtu(tty, name, request, golden):
    tty.reset_input_buffer()
    tty.write(request)
    if not golden:
        time.sleep(SILENCE_S)
        tty.write(PROBE_RTU)
        assert tty.read(len(PROBE_RTU_REPLY)) == PROBE_RTU_REPLY, f"{name}: silence, then the probe answered"
        return
    reply = tty.read(len(golden))
    got, want, asked = rtu_replies(reply), rtu_replies(golden), rtu_requests(request)
    assert len(got) == len(want), f"{name}: {len(want)} replies in {reply.hex(' ')}"
    for req, g, w in zip(asked, got, want):
        assert g[-2:] == crc16(g[:-2]) and g[0] == w[0], f"{name}: unit and CRC of {g.hex(' ')}"
        assert masked_status_word(req, g[1:-2]) == masked_status_word(req, w[1:-2]), \
            f"{name}: reply {reply.hex(' ')} is not {golden.hex(' ')}"


def test_modbus_rtu_golden_pairs_over_a_pty(binary):
    with ModbusTwin(binary, tcp=False, rtu_over_tcp=False) as twin, \
            serial.Serial(twin.pty, 9600, timeout=REPLY_TIMEOUT_S) as tty:
        baseline = twin.state()["settings"]
        checked = 0
        for name, request, golden, meter, changes in pairs("modbus/rtu"):
            assert meter == "factory", f"{name}: the twin starts as the factory meter"
            check_rtu(tty, name, request, golden)
            if changes:
                restore(twin, baseline)
            checked += 1
        assert checked >= 40


def mbap_pdus(data):
    """The PDUs of the MBAP frames in `data`."""
    out, at = [], 0
    while at + 7 <= len(data):
        length = int.from_bytes(data[at + 4:at + 6], "big")
        out.append(data[at + 7:at + 6 + length])
        at += 6 + length
    return out


def check_mbap(port, name, request, golden):
    with socket.create_connection(("127.0.0.1", port), timeout=REPLY_TIMEOUT_S) as s:
        s.sendall(request)
        reply = recv_until(s, len(golden) if golden else None, REPLY_TIMEOUT_S if golden else SILENCE_S * 3)
    if not golden:
        assert reply == b"", f"{name}: nothing answered"
        return
    requests, got, want = mbap_pdus(request), mbap_pdus(reply), mbap_pdus(golden)
    assert len(got) == len(want), f"{name}: {len(want)} replies"
    assert [r[:7] for r in _frames(reply)] == [g[:7] for g in _frames(golden)], f"{name}: MBAP headers"
    for req, g, w in zip(requests, got, want):
        assert masked_status_word(req, g) == masked_status_word(req, w), f"{name}: {reply.hex(' ')}"


def _frames(data):
    out, at = [], 0
    while at + 7 <= len(data):
        length = int.from_bytes(data[at + 4:at + 6], "big")
        out.append(data[at:at + 6 + length])
        at += 6 + length
    return out


def test_modbus_tcp_golden_pairs(binary):
    with ModbusTwin(binary, rtu_over_tcp=False, pty=False) as twin:
        baseline = twin.state()["settings"]
        checked = 0
        for name, request, golden, meter, changes in pairs("modbus/tcp"):
            assert meter == "factory"
            check_mbap(twin.tcp_port, name, request, golden)
            if changes:
                restore(twin, baseline)
            checked += 1
        assert checked >= 15


def masked_rsp_ud(data):
    """A telegram stream with the access number and checksum of each RSP_UD zeroed."""
    out, at = bytearray(data), 0
    while at < len(out):
        if out[at] == 0x68 and at + 15 < len(out) and out[at + 4] == 0x08:
            end = at + 6 + out[at + 1]
            out[at + 15] = 0
            out[end - 2] = 0
            at = end
        elif out[at] == 0x10:
            at += 5
        else:
            at += 1
    return bytes(out)


def check_mbus(port, name, request, golden, address):
    with socket.create_connection(("127.0.0.1", port), timeout=REPLY_TIMEOUT_S) as s:
        # A fresh link first: no selection, no FCB memory (the corpus serves every file to a
        # fresh slave; the twin has one slave state for every connection).
        s.sendall(short(0x40, address))
        assert recv_until(s, 1, REPLY_TIMEOUT_S) == ACK, f"{name}: SND_NKE before it"
        s.sendall(request)
        if not golden:
            time.sleep(MBUS_SILENCE_S)
            s.sendall(short(0x40, address))
            assert recv_until(s, 1, REPLY_TIMEOUT_S) == ACK, f"{name}: silence, then the probe answered"
            return
        reply = recv_until(s, len(golden), REPLY_TIMEOUT_S)
    assert masked_rsp_ud(reply) == masked_rsp_ud(golden), f"{name}: {reply.hex(' ')}"


def test_mbus_golden_pairs_over_tcp(binary):
    with MbusTwin(binary, pty=False) as twin:
        baseline = twin.state()["settings"]
        checked = 0
        for name, request, golden, meter, changes in pairs("mbus"):
            address = MBUS_ADDRESS[meter]
            fixture = dict(baseline, mbus_id=address)
            restore(twin, fixture)
            check_mbus(twin.port, name, request, golden, address)
            if changes:
                restore(twin, fixture)
            checked += 1
        assert checked >= 30
