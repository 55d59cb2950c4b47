"""Bad input over every transport: MBAP headers that cannot be Modbus close the connection;
truncated frames and wrong CRCs get silence and the link resynchronises on the next
silence; unknown function codes answer exception 01; a garbage flood changes nothing; a
silent client does not stop the others; idle connections time out; the connection cap
makes room by closing the connection idle the longest; pipelined requests are answered
in order.

    /usr/bin/python3 test_bad_input.py PATH_TO_ambimeter
"""

import random
import socket
import struct
import time

import serial

from interop import ModbusTwin, main, mbap, raw_exchange, recv_until, rtu


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


def test_mbap_headers_that_close(checks, binary):
    with ModbusTwin(binary, pty=False) as twin:
        for label, header in (("length 0", struct.pack(">HHHB", 1, 0, 0, 1)),
                              ("length 300", struct.pack(">HHHB", 1, 0, 300, 1) + bytes(299)),
                              ("protocol 1", struct.pack(">HHHB", 1, 1, 6, 1) + bytes([3, 0x40, 0, 0, 1]))):
            with socket.create_connection(("127.0.0.1", twin.tcp_port), timeout=5) as s:
                s.sendall(header)
                checks.check(f"MBAP {label}: connection closed", closed_by_server(s))
        checks.check("others still served", read_4003(twin.tcp_port))


def test_mbap_exceptions_and_pipelining(checks, binary):
    with ModbusTwin(binary, pty=False) as twin:
        checks.equal("unknown function 0x2B -> 01", raw_exchange(twin.tcp_port, mbap(1, 1, 0x2B, 0x0E, 1, 0), 9),
                     mbap(1, 1, 0xAB, 0x01))
        checks.equal("unit 7 -> 0B", raw_exchange(twin.tcp_port, mbap(2, 7, 0x03, 0x40, 0, 0, 1), 9),
                     mbap(2, 7, 0x83, 0x0B))
        requests = b"".join(mbap(t, 1, 0x03, 0x40, 0x03, 0, 1) for t in (10, 11, 12))
        replies = raw_exchange(twin.tcp_port, requests, expect=33)
        checks.equal("three pipelined requests answered in order", replies,
                     b"".join(mbap(t, 1, 0x03, 2, 0, 1) for t in (10, 11, 12)))
        split = mbap(13, 1, 0x03, 0x40, 0x03, 0, 1)
        with socket.create_connection(("127.0.0.1", twin.tcp_port), timeout=5) as s:
            for b in split:
                s.sendall(bytes([b]))
                time.sleep(0.01)
            checks.equal("a request sent byte by byte", recv_until(s, 11, 2.0), mbap(13, 1, 0x03, 2, 0, 1))


def test_rtu_over_tcp_resynchronises(checks, binary):
    with ModbusTwin(binary, pty=False) as twin:
        good = rtu(1, 0x03, 0x40, 0x03, 0, 1)
        answer = rtu(1, 0x03, 2, 0, 1)
        with socket.create_connection(("127.0.0.1", twin.rtu_tcp_port), timeout=5) as s:
            s.sendall(good[:5])
            checks.equal("truncated frame: silence", recv_until(s, None, 0.3), b"")
            checks.equal("then a good frame", (s.sendall(good), recv_until(s, 7, 2.0))[1], answer)
            bad = bytearray(good)
            bad[-1] ^= 0xFF
            s.sendall(bytes(bad))
            checks.equal("wrong CRC: silence", recv_until(s, None, 0.3), b"")
            checks.equal("then a good frame", (s.sendall(good), recv_until(s, 7, 2.0))[1], answer)
            s.sendall(rtu(1, 0x2B, 0x0E, 0x01, 0x00))
            checks.equal("unknown function 0x2B ended by silence -> 01", recv_until(s, 5, 2.0), rtu(1, 0xAB, 0x01))


def test_garbage_flood(checks, binary):
    noise = random.Random(20240501).randbytes(64 * 1024)
    with ModbusTwin(binary) as twin:
        before = twin.state()["settings"]
        with socket.create_connection(("127.0.0.1", twin.rtu_tcp_port), timeout=5) as s:
            s.sendall(noise)
            time.sleep(0.3)
            checks.equal("rtu-over-tcp: answered after the flood", (s.sendall(rtu(1, 0x03, 0x40, 0x03, 0, 1)),
                                                                     recv_until(s, 7, 2.0))[1], rtu(1, 0x03, 2, 0, 1))
        with socket.create_connection(("127.0.0.1", twin.tcp_port), timeout=5) as s:
            try:
                s.sendall(noise)
            except OSError:
                pass
            checks.check("tcp: flood closes the connection", closed_by_server(s))
        with serial.Serial(twin.pty, 9600, timeout=2) as tty:
            tty.write(noise)
            tty.flush()
            time.sleep(0.5)
            tty.reset_input_buffer()
            tty.write(rtu(1, 0x03, 0x40, 0x03, 0, 1))
            checks.equal("pty: answered after the flood", tty.read(7), rtu(1, 0x03, 2, 0, 1))
        checks.equal("the flood changed no setting", twin.state()["settings"], before)
        checks.check("tcp still served", read_4003(twin.tcp_port))


def test_silent_and_idle_clients(checks, binary):
    with ModbusTwin(binary, "--modbus-idle-timeout", "1", pty=False) as twin:
        silent = socket.create_connection(("127.0.0.1", twin.tcp_port), timeout=5)
        half = socket.create_connection(("127.0.0.1", twin.tcp_port), timeout=5)
        half.sendall(bytes([0, 1, 0]))
        checks.check("others served while a client says nothing", read_4003(twin.tcp_port))
        checks.check("silent client closed after the idle timeout", closed_by_server(silent, 3.0))
        checks.check("half a header closed after the idle timeout", closed_by_server(half, 3.0))
        silent.close()
        half.close()


def test_connection_cap_drops_the_oldest_idle(checks, binary):
    with ModbusTwin(binary, pty=False, rtu_over_tcp=False) as twin:
        socks = []
        try:
            for k in range(64):
                s = socket.create_connection(("127.0.0.1", twin.tcp_port), timeout=5)
                s.sendall(mbap(k, 1, 0x03, 0x40, 0x03, 0, 1))
                checks.check(f"connection {k} served", recv_until(s, 11, 2.0) == mbap(k, 1, 0x03, 2, 0, 1))
                socks.append(s)
            checks.check("the 65th is served", read_4003(twin.tcp_port, 99))
            checks.check("the oldest idle was closed", closed_by_server(socks[0], 2.0))
            socks[1].sendall(mbap(100, 1, 0x03, 0x40, 0x03, 0, 1))
            checks.equal("the second still open", recv_until(socks[1], 11, 2.0), mbap(100, 1, 0x03, 2, 0, 1))
        finally:
            for s in socks:
                s.close()


if __name__ == "__main__":
    main("interop bad input", [
        ("MBAP length 0, 300 and protocol 1 close the connection", test_mbap_headers_that_close),
        ("MBAP exceptions 01 and 0B; pipelined and split requests", test_mbap_exceptions_and_pipelining),
        ("RTU over TCP: truncated, bad CRC and unknown function", test_rtu_over_tcp_resynchronises),
        ("a garbage flood on every transport", test_garbage_flood),
        ("silent and idle clients", test_silent_and_idle_clients),
        ("the connection cap closes the oldest idle connection", test_connection_cap_drops_the_oldest_idle),
    ])
