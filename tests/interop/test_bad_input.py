"""Bad input over every transport: MBAP headers that cannot be Modbus close the connection;
truncated frames and wrong CRCs get silence and the link resynchronises on the next
silence; unknown function codes answer exception 01; a garbage flood changes nothing; a
silent client does not stop the others; idle connections time out; the connection cap
makes room by closing the connection idle the longest; pipelined requests are answered
in order.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_bad_input.py --binary=PATH_TO_ambimeter
"""

import random
import socket
import struct
import time

import pytest
import serial

from interop import ModbusTwin, mbap, raw_exchange, recv_until, rtu


def read_4003(port, transaction=7):
    """A good MBAP read of 4003 on a new connection; True when answered with the id 1."""
    reply = raw_exchange(port, mbap(transaction, 1, 0x03, 0x40, 0x03, 0, 1), expect=11)
    return reply == mbap(transaction, 1, 0x03, 2, 0, 1)


def closed_by_server(sock, timeout=2.0):
    """True when the server closes `sock` within `timeout` (EOF or reset)."""
    sock.settimeout(timeout)
    try:
        while True:
            if not sock.recv(4096):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


@pytest.mark.parametrize("header", [
    pytest.param(struct.pack(">HHHB", 1, 0, 0, 1), id="length 0"),
    pytest.param(struct.pack(">HHHB", 1, 0, 300, 1) + bytes(299), id="length 300"),
    pytest.param(struct.pack(">HHHB", 1, 1, 6, 1) + bytes([3, 0x40, 0, 0, 1]), id="protocol 1"),
])
def test_mbap_header_that_closes(binary, header):
    """An MBAP header that cannot be Modbus closes its connection; others are still served."""
    with ModbusTwin(binary, pty=False) as twin:
        with socket.create_connection(("127.0.0.1", twin.tcp_port), timeout=5) as s:
            s.sendall(header)
            assert closed_by_server(s), "connection closed"
        assert read_4003(twin.tcp_port), "others still served"


def test_mbap_exceptions_and_pipelining(binary):
    with ModbusTwin(binary, pty=False) as twin:
        assert raw_exchange(twin.tcp_port, mbap(1, 1, 0x2B, 0x0E, 1, 0), 9) == mbap(1, 1, 0xAB, 0x01), \
            "unknown function 0x2B -> 01"
        assert raw_exchange(twin.tcp_port, mbap(2, 7, 0x03, 0x40, 0, 0, 1), 9) == mbap(2, 7, 0x83, 0x0B), \
            "unit 7 -> 0B"
        requests = b"".join(mbap(t, 1, 0x03, 0x40, 0x03, 0, 1) for t in (10, 11, 12))
        replies = raw_exchange(twin.tcp_port, requests, expect=33)
        assert replies == b"".join(mbap(t, 1, 0x03, 2, 0, 1) for t in (10, 11, 12)), \
            "three pipelined requests answered in order"
        split = mbap(13, 1, 0x03, 0x40, 0x03, 0, 1)
        with socket.create_connection(("127.0.0.1", twin.tcp_port), timeout=5) as s:
            for b in split:
                s.sendall(bytes([b]))
                time.sleep(0.01)
            assert recv_until(s, 11, 2.0) == mbap(13, 1, 0x03, 2, 0, 1), "a request sent byte by byte"


def test_rtu_over_tcp_resynchronises(binary):
    with ModbusTwin(binary, pty=False) as twin:
        good = rtu(1, 0x03, 0x40, 0x03, 0, 1)
        answer = rtu(1, 0x03, 2, 0, 1)
        with socket.create_connection(("127.0.0.1", twin.rtu_tcp_port), timeout=5) as s:
            s.sendall(good[:5])
            assert recv_until(s, None, 0.3) == b"", "truncated frame: silence"
            s.sendall(good)
            assert recv_until(s, 7, 2.0) == answer, "then a good frame"
            bad = bytearray(good)
            bad[-1] ^= 0xFF
            s.sendall(bytes(bad))
            assert recv_until(s, None, 0.3) == b"", "wrong CRC: silence"
            s.sendall(good)
            assert recv_until(s, 7, 2.0) == answer, "then a good frame"
            s.sendall(rtu(1, 0x2B, 0x0E, 0x01, 0x00))
            assert recv_until(s, 5, 2.0) == rtu(1, 0xAB, 0x01), "unknown function 0x2B ended by silence -> 01"


def test_garbage_flood(modbus_twin):
    """64 KiB of noise on every transport changes nothing, and each is served again after it."""
    twin = modbus_twin
    noise = random.Random(20240501).randbytes(64 * 1024)
    before = twin.state()["settings"]
    with socket.create_connection(("127.0.0.1", twin.rtu_tcp_port), timeout=5) as s:
        s.sendall(noise)
        time.sleep(0.3)
        s.sendall(rtu(1, 0x03, 0x40, 0x03, 0, 1))
        assert recv_until(s, 7, 2.0) == rtu(1, 0x03, 2, 0, 1), "rtu-over-tcp: answered after the flood"
    with socket.create_connection(("127.0.0.1", twin.tcp_port), timeout=5) as s:
        try:
            s.sendall(noise)
        except OSError:
            pass
        assert closed_by_server(s), "tcp: flood closes the connection"
    with serial.Serial(twin.pty, 9600, timeout=2) as tty:
        tty.write(noise)
        tty.flush()
        time.sleep(0.5)
        tty.reset_input_buffer()
        tty.write(rtu(1, 0x03, 0x40, 0x03, 0, 1))
        assert tty.read(7) == rtu(1, 0x03, 2, 0, 1), "pty: answered after the flood"
    assert twin.state()["settings"] == before, "the flood changed no setting"
    assert read_4003(twin.tcp_port), "tcp still served"


def test_silent_and_idle_clients(binary):
    with ModbusTwin(binary, "--modbus-idle-timeout", "1", pty=False) as twin:
        with socket.create_connection(("127.0.0.1", twin.tcp_port), timeout=5) as silent, \
                socket.create_connection(("127.0.0.1", twin.tcp_port), timeout=5) as half:
            half.sendall(bytes([0, 1, 0]))
            assert read_4003(twin.tcp_port), "others served while a client says nothing"
            assert closed_by_server(silent, 3.0), "silent client closed after the idle timeout"
            assert closed_by_server(half, 3.0), "half a header closed after the idle timeout"


def test_connection_cap_drops_the_oldest_idle(binary):
    with ModbusTwin(binary, pty=False, rtu_over_tcp=False) as twin:
        socks = []
        try:
            for k in range(64):
                s = socket.create_connection(("127.0.0.1", twin.tcp_port), timeout=5)
                socks.append(s)
                s.sendall(mbap(k, 1, 0x03, 0x40, 0x03, 0, 1))
                assert recv_until(s, 11, 2.0) == mbap(k, 1, 0x03, 2, 0, 1), f"connection {k} served"
            assert read_4003(twin.tcp_port, 99), "the 65th is served"
            assert closed_by_server(socks[0], 2.0), "the oldest idle was closed"
            socks[1].sendall(mbap(100, 1, 0x03, 0x40, 0x03, 0, 1))
            assert recv_until(socks[1], 11, 2.0) == mbap(100, 1, 0x03, 2, 0, 1), "the second still open"
        finally:
            for s in socks:
                s.close()
